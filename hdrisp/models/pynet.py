"""PyNET (Ignatov et al., 2020), the baseline of the paper's comparison: levels 5 … 0.

Input: packed Bayer ``B×4×H×W`` in [0, 1], H and W divisible by 16 and at least
32. Output of level L: RGB ``B×3×H·2^(1−L)×W·2^(1−L)`` in [0, 1] (``H/16`` at
level 5, ``2H`` at level 0). State-dict names are PyNET-PyTorch's (542 tensors,
47,554,738 parameters).

Every block is a :class:`PyNETConvMultiBlock` ``CMB(in, out, max_kernel)`` with
``out × (number of kernel sizes ≤ max_kernel)`` output channels. Each level
combines the encoder features of its scale with two upsampled copies of the level
above (``conv_tXa`` enters at the start, ``conv_tXb`` near the end) and a chain
of blocks with residual additions; its image is
``sigmoid(ConvLayer(C, 3, 3, relu=False)(features))``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from hdrisp.models.blocks import ConvLayer, PyNETConvMultiBlock, UpsampleConv
from hdrisp.models.pyramid import PyramidNet

CMB = PyNETConvMultiBlock


class PyNET(PyramidNet):
    """PyNET with PyNET-PyTorch's module names.

    Args:
        level: level whose output ``forward`` returns (5 coarsest … 0 full size);
            can be changed later through ``model.level``.
        instance_norm: instance normalisation in the blocks of levels 5 … 2 and
            the encoder (not in ``conv_l1_d1``).
        instance_norm_level_1: instance normalisation in level 1's inner blocks
            (``conv_l1_d5`` … ``conv_l1_d12``), as in the authors' training.
    """

    LEVELS = (5, 4, 3, 2, 1, 0)
    INPUT_MULTIPLE = 16
    MIN_INPUT_SIZE = 32  # level 5 (H/16) needs 2 pixels for its reflection padding

    def __init__(self, level: int = 0, instance_norm: bool = True,
                 instance_norm_level_1: bool = True) -> None:
        super().__init__(level)
        norm, norm1 = instance_norm, instance_norm_level_1
        self.instance_norm = instance_norm
        self.instance_norm_level_1 = instance_norm_level_1
        self.pool = nn.MaxPool2d(2)

        # encoder
        self.conv_l1_d1 = CMB(4, 32, 3, instance_norm=False)
        self.conv_l2_d1 = CMB(32, 64, 3, instance_norm=norm)
        self.conv_l3_d1 = CMB(64, 128, 3, instance_norm=norm)
        self.conv_l4_d1 = CMB(128, 256, 3, instance_norm=norm)

        # level 5 (H/16)
        self.conv_l5_d1 = CMB(256, 512, 3, instance_norm=norm)
        self.conv_l5_d2 = CMB(512, 512, 3, instance_norm=norm)
        self.conv_l5_d3 = CMB(512, 512, 3, instance_norm=norm)
        self.conv_l5_d4 = CMB(512, 512, 3, instance_norm=norm)
        self.conv_t4a = UpsampleConv(512, 256)
        self.conv_t4b = UpsampleConv(512, 256)
        self.conv_l5_out = ConvLayer(512, 3, 3, relu=False)

        # level 4 (H/8)
        self.conv_l4_d3 = CMB(512, 256, 3, instance_norm=norm)
        self.conv_l4_d4 = CMB(256, 256, 3, instance_norm=norm)
        self.conv_l4_d5 = CMB(256, 256, 3, instance_norm=norm)
        self.conv_l4_d6 = CMB(256, 256, 3, instance_norm=norm)
        self.conv_l4_d8 = CMB(512, 256, 3, instance_norm=norm)
        self.conv_t3a = UpsampleConv(256, 128)
        self.conv_t3b = UpsampleConv(256, 128)
        self.conv_l4_out = ConvLayer(256, 3, 3, relu=False)

        # level 3 (H/4)
        self.conv_l3_d3 = CMB(256, 128, 5, instance_norm=norm)
        self.conv_l3_d4 = CMB(256, 128, 5, instance_norm=norm)
        self.conv_l3_d5 = CMB(256, 128, 5, instance_norm=norm)
        self.conv_l3_d6 = CMB(256, 128, 5, instance_norm=norm)
        self.conv_l3_d8 = CMB(512, 128, 3, instance_norm=norm)
        self.conv_t2a = UpsampleConv(128, 64)
        self.conv_t2b = UpsampleConv(128, 64)
        self.conv_l3_out = ConvLayer(128, 3, 3, relu=False)

        # level 2 (H/2)
        self.conv_l2_d3 = CMB(128, 64, 5, instance_norm=norm)
        self.conv_l2_d5 = CMB(192, 64, 7, instance_norm=norm)
        self.conv_l2_d6 = CMB(192, 64, 7, instance_norm=norm)
        self.conv_l2_d7 = CMB(192, 64, 7, instance_norm=norm)
        self.conv_l2_d8 = CMB(192, 64, 7, instance_norm=norm)
        self.conv_l2_d10 = CMB(256, 64, 5, instance_norm=norm)
        self.conv_l2_d12 = CMB(192, 64, 3, instance_norm=norm)
        self.conv_t1a = UpsampleConv(64, 32)
        self.conv_t1b = UpsampleConv(64, 32)
        self.conv_l2_out = ConvLayer(64, 3, 3, relu=False)

        # level 1 (H)
        self.conv_l1_d3 = CMB(64, 32, 5, instance_norm=False)
        self.conv_l1_d5 = CMB(96, 32, 7, instance_norm=norm1)
        self.conv_l1_d6 = CMB(96, 32, 9, instance_norm=norm1)
        self.conv_l1_d7 = CMB(128, 32, 9, instance_norm=norm1)
        self.conv_l1_d8 = CMB(128, 32, 9, instance_norm=norm1)
        self.conv_l1_d9 = CMB(128, 32, 9, instance_norm=norm1)
        self.conv_l1_d10 = CMB(128, 32, 7, instance_norm=norm1)
        self.conv_l1_d12 = CMB(128, 32, 5, instance_norm=norm1)
        self.conv_l1_d14 = CMB(128, 32, 3, instance_norm=False)
        self.conv_l1_out = ConvLayer(32, 3, 3, relu=False)
        self.conv_t0 = UpsampleConv(32, 16)

        # level 0 (2H)
        self.conv_l0_d1 = ConvLayer(16, 3, 3, relu=False)

    def forward(self, x: Tensor, return_all: bool = False) -> Tensor | dict[int, Tensor]:
        """Run levels 5 down to ``self.level``.

        Args:
            x: packed Bayer ``B×4×H×W`` in [0, 1], H and W divisible by 16 (≥ 32).
            return_all: return ``{level: image}`` for every computed level.

        Returns:
            ``B×3×H·2^(1−L)×W·2^(1−L)`` in [0, 1] for level L (or the dict).
        """
        self.check_input(x)
        outputs: dict[int, Tensor] = {}
        cat = torch.cat

        enc1 = self.conv_l1_d1(x)
        enc2 = self.conv_l2_d1(self.pool(enc1))
        enc3 = self.conv_l3_d1(self.pool(enc2))
        enc4 = self.conv_l4_d1(self.pool(enc3))

        # level 5
        d = self.conv_l5_d1(self.pool(enc4))
        d = self.conv_l5_d4(self.conv_l5_d3(self.conv_l5_d2(d)))
        if self._wants(5, return_all):
            outputs[5] = torch.sigmoid(self.conv_l5_out(d))
        if self.level == 5:
            return self._result(outputs, return_all)
        t_a, t_b = self.conv_t4a(d), self.conv_t4b(d)

        # level 4
        d3 = self.conv_l4_d3(cat([enc4, t_a], dim=1))
        d4 = self.conv_l4_d4(d3) + d3
        d5 = self.conv_l4_d5(d4) + d4
        d6 = self.conv_l4_d6(d5)
        d = self.conv_l4_d8(cat([d6, t_b], dim=1))
        if self._wants(4, return_all):
            outputs[4] = torch.sigmoid(self.conv_l4_out(d))
        if self.level == 4:
            return self._result(outputs, return_all)
        t_a, t_b = self.conv_t3a(d), self.conv_t3b(d)

        # level 3
        d2 = cat([enc3, t_a], dim=1)
        d3 = self.conv_l3_d3(d2) + d2
        d4 = self.conv_l3_d4(d3) + d3
        d5 = self.conv_l3_d5(d4) + d4
        d6 = self.conv_l3_d6(d5)
        d = self.conv_l3_d8(cat([d6, enc3, t_b], dim=1))
        if self._wants(3, return_all):
            outputs[3] = torch.sigmoid(self.conv_l3_out(d))
        if self.level == 3:
            return self._result(outputs, return_all)
        t_a, t_b = self.conv_t2a(d), self.conv_t2b(d)

        # level 2
        d3 = self.conv_l2_d3(cat([enc2, t_a], dim=1))
        d4 = cat([d3, enc2], dim=1)
        d5 = self.conv_l2_d5(d4) + d4
        d6 = self.conv_l2_d6(d5) + d5
        d7 = self.conv_l2_d7(d6) + d6
        d8 = self.conv_l2_d8(d7)
        d10 = self.conv_l2_d10(cat([d8, enc2], dim=1))
        d = self.conv_l2_d12(cat([d10, t_b], dim=1))
        if self._wants(2, return_all):
            outputs[2] = torch.sigmoid(self.conv_l2_out(d))
        if self.level == 2:
            return self._result(outputs, return_all)
        t_a, t_b = self.conv_t1a(d), self.conv_t1b(d)

        # level 1
        d3 = self.conv_l1_d3(cat([enc1, t_a], dim=1))
        d5 = self.conv_l1_d5(cat([d3, enc1], dim=1))
        d6 = self.conv_l1_d6(d5)
        d7 = self.conv_l1_d7(d6) + d6
        d8 = self.conv_l1_d8(d7) + d7
        d9 = self.conv_l1_d9(d8) + d8
        d10 = self.conv_l1_d10(d9)
        d12 = self.conv_l1_d12(cat([d10, enc1], dim=1))
        d = self.conv_l1_d14(cat([d12, t_b, enc1], dim=1))
        if self._wants(1, return_all):
            outputs[1] = torch.sigmoid(self.conv_l1_out(d))
        if self.level == 1:
            return self._result(outputs, return_all)

        outputs[0] = torch.sigmoid(self.conv_l0_d1(self.conv_t0(d)))
        return self._result(outputs, return_all)
