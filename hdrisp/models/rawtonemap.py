"""RawTonemapNet: the paper's five-level PyNET-derived network (levels 4 … 0).

Input: packed Bayer ``B×4×H×W`` in [0, 1] (channels B, Gb, R, Gr), H and W
divisible by 8 and at least 16. Output of level L: RGB ``B×3×H·2^(1−L)×W·2^(1−L)``
in [0, 1] — ``H/8`` at level 4, ``H`` at level 1, ``2H`` at level 0.

Data flow (names are the authors' state-dict names; CMB = ConvMultiBlock):

- encoder: ``conv_l1_d1`` CMB(4, 32, no norm) → pool → ``conv_l2_d1`` CMB(32, 64)
  → pool → ``conv_l3_d1`` CMB(64, 128) → pool;
- level 4 (H/8): four CMB(…, 256) with ECA after the 2nd and 4th, then CBAM(r=16);
- level 3 (H/4): cat(encoder, up) → CMB(256, 128) → ECA → CBAM(r=8);
- level 2 (H/2): cat(encoder, up) → CMB(128, 64) → four ConvLayer k=3,5,7,9 + IEM
  branches → cat → SimAM → CMB(128, 64);
- level 1 (H): the same with 32 channels, ending in a single ConvLayer(128, 32);
- level 0 (2H): a ConvLayer on the upsampled level-1 features.

Each level's image is ``sigmoid(ConvLayer(C, 3, 3, relu=False)(features))``; each
level passes ``UpsampleConv(features)`` to the next. All parameters exist at every
level, so one state dict (197 tensors, 6,473,474 parameters) serves all levels.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from hdrisp.models.blocks import CBAM, ECA, IEM, ConvLayer, ConvMultiBlock, SimAM, UpsampleConv
from hdrisp.models.pyramid import LEVELS, PyramidNet

IEM_KERNEL_SIZES = (3, 5, 7, 9)


class RawTonemapNet(PyramidNet):
    """The paper's network (see the module docstring for the data flow).

    Args:
        level: level whose output ``forward`` returns (4 coarsest … 0 full size);
            can be changed later through ``model.level``.
        instance_norm: use instance normalisation in the ConvMultiBlocks (the
            authors' default; without it the ``instance.*`` keys do not exist).
    """

    LEVELS = LEVELS
    INPUT_MULTIPLE = 8
    MIN_INPUT_SIZE = 16  # level 4 (H/8) needs 2 pixels for its reflection padding

    def __init__(self, level: int = 0, instance_norm: bool = True) -> None:
        super().__init__(level)
        norm = instance_norm
        self.instance_norm = instance_norm

        # encoder (registration order follows the authors' state dict)
        self.conv_l1_d1 = ConvMultiBlock(4, 32, instance_norm=False)
        self.pool1 = nn.MaxPool2d(2)
        self.conv_l2_d1 = ConvMultiBlock(32, 64, instance_norm=norm)
        self.pool2 = nn.MaxPool2d(2)
        self.conv_l3_d1 = ConvMultiBlock(64, 128, instance_norm=norm)
        self.pool3 = nn.MaxPool2d(2)

        # level 4
        self.conv_l4_d1 = ConvMultiBlock(128, 256, instance_norm=norm)
        self.conv_l4_d2 = ConvMultiBlock(256, 256, instance_norm=norm)
        self.out_eca1_l4 = ECA(256)
        self.conv_l4_d3 = ConvMultiBlock(256, 256, instance_norm=norm)
        self.conv_l4_d4 = ConvMultiBlock(256, 256, instance_norm=norm)
        self.out_eca2_l4 = ECA(256)
        self.out_cbam_l4 = CBAM(256, reduction=16)
        self.conv_t3b = UpsampleConv(256, 128)
        self.conv_l4_out = ConvLayer(256, 3, 3, relu=False)

        # level 3
        self.conv_l3_d3 = ConvMultiBlock(256, 128, instance_norm=norm)
        self.out_eca_l3 = ECA(128)
        self.conv_t2b = UpsampleConv(128, 64)
        self.out_cbam_l3 = CBAM(128, reduction=8)
        self.conv_l3_out = ConvLayer(128, 3, 3, relu=False)

        # level 2
        self.conv_l2_d2 = ConvMultiBlock(128, 64, instance_norm=norm)
        for i, k in enumerate(IEM_KERNEL_SIZES, start=1):
            self.add_module(f"conv_l2_IEM{i}", ConvLayer(64, 32, k))
            self.add_module(f"IEM_l2_{i}", IEM(32))
        self.simam_l2 = SimAM()
        self.conv_l2_d3 = ConvMultiBlock(128, 64, instance_norm=norm)
        self.conv_t1b = UpsampleConv(64, 32)
        self.conv_l2_out = ConvLayer(64, 3, 3, relu=False)

        # level 1
        self.conv_l1_d2 = ConvMultiBlock(64, 32, instance_norm=norm)
        for i, k in enumerate(IEM_KERNEL_SIZES, start=1):
            self.add_module(f"conv_l1_IEM{i}", ConvLayer(32, 32, k))
            self.add_module(f"IEM_l1_{i}", IEM(32))
        self.simam_l1 = SimAM()
        self.conv_l1_d3 = ConvLayer(128, 32, 3)
        self.conv_t0b = UpsampleConv(32, 16)
        self.conv_l1_out = ConvLayer(32, 3, 3, relu=False)

        # level 0
        self.conv_l0_d1 = ConvLayer(16, 3, 3, relu=False)

    def _iem_branches(self, x: Tensor, level: int) -> Tensor:
        """cat over k = 3, 5, 7, 9 of ``IEM_l{level}_i(conv_l{level}_IEMi(x))``: B×128×h×w."""
        branches = [getattr(self, f"IEM_l{level}_{i}")(getattr(self, f"conv_l{level}_IEM{i}")(x))
                    for i in range(1, len(IEM_KERNEL_SIZES) + 1)]
        return torch.cat(branches, dim=1)

    def forward(self, x: Tensor, return_all: bool = False) -> Tensor | dict[int, Tensor]:
        """Run levels 4 down to ``self.level``.

        Args:
            x: packed Bayer ``B×4×H×W`` in [0, 1], H and W divisible by 8 (≥ 16).
            return_all: return ``{level: image}`` for every computed level
                (4 … ``self.level``) instead of only ``self.level``'s image.

        Returns:
            ``B×3×H·2^(1−L)×W·2^(1−L)`` in [0, 1] for level L (or the dict).
        """
        self.check_input(x)
        outputs: dict[int, Tensor] = {}

        enc1 = self.conv_l1_d1(x)
        enc2 = self.conv_l2_d1(self.pool1(enc1))
        enc3 = self.conv_l3_d1(self.pool2(enc2))

        f4 = self.out_eca1_l4(self.conv_l4_d2(self.conv_l4_d1(self.pool3(enc3))))
        f4 = self.out_cbam_l4(self.out_eca2_l4(self.conv_l4_d4(self.conv_l4_d3(f4))))
        if self._wants(4, return_all):
            outputs[4] = torch.sigmoid(self.conv_l4_out(f4))
        if self.level == 4:
            return self._result(outputs, return_all)

        f3 = self.conv_l3_d3(torch.cat([enc3, self.conv_t3b(f4)], dim=1))
        f3 = self.out_cbam_l3(self.out_eca_l3(f3))
        if self._wants(3, return_all):
            outputs[3] = torch.sigmoid(self.conv_l3_out(f3))
        if self.level == 3:
            return self._result(outputs, return_all)

        f2 = self.conv_l2_d2(torch.cat([enc2, self.conv_t2b(f3)], dim=1))
        f2 = self.conv_l2_d3(self.simam_l2(self._iem_branches(f2, 2)))
        if self._wants(2, return_all):
            outputs[2] = torch.sigmoid(self.conv_l2_out(f2))
        if self.level == 2:
            return self._result(outputs, return_all)

        f1 = self.conv_l1_d2(torch.cat([enc1, self.conv_t1b(f2)], dim=1))
        f1 = self.conv_l1_d3(self.simam_l1(self._iem_branches(f1, 1)))
        if self._wants(1, return_all):
            outputs[1] = torch.sigmoid(self.conv_l1_out(f1))
        if self.level == 1:
            return self._result(outputs, return_all)

        outputs[0] = torch.sigmoid(self.conv_l0_d1(self.conv_t0b(f1)))
        return self._result(outputs, return_all)
