"""Building blocks of RawTonemapNet and PyNET.

Every block takes and returns ``B×C×H×W`` float tensors and works in either
memory format; with channels-last inputs (and weights) every block returns a
channels-last tensor, so layers hand each other channels-last data (only
instance normalisation works on an internal NCHW copy, see InstanceNorm).
Attribute names (``conv2d``, ``instance``, ``conv_3a`` ...) are the authors'
state-dict names and must not change.

Notation in the formulas: ``x`` is the block input, ``σ`` the logistic sigmoid,
``GAP``/``GMP`` global average/max pooling over H, W (giving ``B×C``),
``pad_r`` reflection padding by ``r`` pixels, ``⊙`` an element-wise product
broadcast over the missing axes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

LEAKY_SLOPE = 0.2


class InstanceNorm(nn.InstanceNorm2d):
    """Affine instance normalisation: ``y = γ·(x − μ_HW)/sqrt(σ²_HW + 1e-5) + β``.

    Statistics per image and channel over H, W (biased variance).
    The same maths and parameters (``weight`` = γ, ``bias`` = β, no running statistics)
    as ``nn.InstanceNorm2d(C, affine=True)``, which is what the authors use. PyTorch's
    kernel works on an NCHW copy; a channels-last input gets a channels-last output
    back, so the layers after it stay channels-last. (The channels-last kernels of
    ``group_norm``/``batch_norm`` on CPU are faster but sum in plain float32 and lose
    precision badly when a channel's mean is large against its spread.)
    """

    def __init__(self, num_features: int) -> None:
        super().__init__(num_features, affine=True)

    def forward(self, x: Tensor) -> Tensor:
        y = super().forward(x)
        if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
            y = y.contiguous(memory_format=torch.channels_last)
        return y


class ConvLayer(nn.Module):
    """``LeakyReLU_0.2(InstanceNorm(Conv_k(pad_{k//2}(x))))``; norm and activation optional.

    Shape: ``B×in×H×W → B×out×H×W`` (stride 1, reflection padding keeps the size;
    H and W must exceed ``k // 2``).

    Args:
        in_channels, out_channels: channel counts.
        kernel_size: odd kernel side ``k``.
        relu: apply LeakyReLU with slope 0.2 at the end.
        instance_norm: apply affine instance normalisation after the convolution.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 relu: bool = True, instance_norm: bool = False) -> None:
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size)
        self.instance = InstanceNorm(out_channels) if instance_norm else None
        self.relu = relu

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv2d(self.reflection_pad(x))
        if self.instance is not None:
            x = self.instance(x)
        if self.relu:
            # in place: the tensor is fresh, and neither conv nor norm needs it for backward
            x = F.leaky_relu(x, LEAKY_SLOPE, inplace=True)
        return x


class ConvMultiBlock(nn.Module):
    """The paper's "Multi Conv. Layer 3×3": two 3×3 ConvLayers in sequence.

    ``conv_3b(conv_3a(x))`` with ``conv_3a = ConvLayer(in, out, 3)``, ``conv_3b =
    ConvLayer(out, out, 3)``, both with LeakyReLU and optional instance norm.
    Shape: ``B×in×H×W → B×out×H×W``. (PyNET's multi-kernel version is
    :class:`PyNETConvMultiBlock`.)
    """

    def __init__(self, in_channels: int, out_channels: int, instance_norm: bool = True) -> None:
        super().__init__()
        self.conv_3a = ConvLayer(in_channels, out_channels, 3, instance_norm=instance_norm)
        self.conv_3b = ConvLayer(out_channels, out_channels, 3, instance_norm=instance_norm)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv_3b(self.conv_3a(x))


class PyNETConvMultiBlock(nn.Module):
    """PyNET's multi-kernel block: one two-layer branch per kernel size, concatenated.

    For each ``k ∈ {3, 5, 7, 9}`` with ``k ≤ max_kernel``:
    ``branch_k = conv_kb(conv_ka(x))`` (``conv_ka = ConvLayer(in, out, k)``,
    ``conv_kb = ConvLayer(out, out, k)``); the result is ``cat(branch_3, branch_5, …)``
    along channels in increasing ``k``.
    Shape: ``B×in×H×W → B×(out·n_branches)×H×W``.
    """

    KERNEL_SIZES = (3, 5, 7, 9)

    def __init__(self, in_channels: int, out_channels: int, max_kernel: int,
                 instance_norm: bool = True) -> None:
        super().__init__()
        if max_kernel not in self.KERNEL_SIZES:
            raise ValueError(f"max_kernel must be one of {self.KERNEL_SIZES}, got {max_kernel}")
        self.kernel_sizes = tuple(k for k in self.KERNEL_SIZES if k <= max_kernel)
        for k in self.kernel_sizes:
            self.add_module(f"conv_{k}a", ConvLayer(in_channels, out_channels, k,
                                                     instance_norm=instance_norm))
            self.add_module(f"conv_{k}b", ConvLayer(out_channels, out_channels, k,
                                                     instance_norm=instance_norm))
        self.out_channels = out_channels * len(self.kernel_sizes)

    def forward(self, x: Tensor) -> Tensor:
        branches = [getattr(self, f"conv_{k}b")(getattr(self, f"conv_{k}a")(x))
                    for k in self.kernel_sizes]
        return branches[0] if len(branches) == 1 else torch.cat(branches, dim=1)


class UpsampleConv(nn.Module):
    """``LeakyReLU_0.2(Conv_3(pad_1(Up_2(x))))``, Up_2 = bilinear ×2 with ``align_corners=True``.

    Shape: ``B×in×H×W → B×out×2H×2W``.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(1)
        self.conv2d = nn.Conv2d(in_channels, out_channels, 3)

    def forward(self, x: Tensor) -> Tensor:
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
        x = self.conv2d(self.reflection_pad(x))
        return F.leaky_relu(x, LEAKY_SLOPE, inplace=True)


def eca_kernel_size(channels: int, gamma: int = 2, b: int = 1) -> int:
    """ECA's adaptive 1-D kernel size: ``t = int(|(log2 C + b)/γ|)``, made odd (t or t+1)."""
    t = int(abs((math.log2(channels) + b) / gamma))
    return t if t % 2 else t + 1


class ECA(nn.Module):
    """Efficient channel attention (Wang et al., 2020).

    ``w = σ(Conv1d_k(GAP(x)))`` with the 1-D convolution (no bias, zero padding
    ``(k−1)/2``) sliding along the channel axis, ``k = eca_kernel_size(C)``
    (5 for C = 128 and 256); ``out = x ⊙ w``. Shape: ``B×C×H×W → B×C×H×W``.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        k = eca_kernel_size(channels)
        self.conv = nn.Conv1d(1, 1, kernel_size=k, padding=(k - 1) // 2, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        b, c = x.shape[:2]
        pooled = x.mean(dim=(2, 3)).view(b, 1, c)
        weight = torch.sigmoid(self.conv(pooled)).view(b, c, 1, 1)
        return x * weight


def _mlp(channels: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(), nn.Linear(hidden, channels))


class CAM(nn.Module):
    """CBAM's channel attention with two separate MLPs.

    ``w = σ(MLP_max(GMP(x)) + MLP_avg(GAP(x)))`` with each MLP
    ``Linear(C, C/r) → ReLU → Linear(C/r, C)`` (with biases); ``out = x ⊙ w``.
    Shape: ``B×C×H×W → B×C×H×W``.
    """

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        hidden = channels // reduction
        self.linear_max = _mlp(channels, hidden)
        self.linear_avg = _mlp(channels, hidden)

    def forward(self, x: Tensor) -> Tensor:
        b, c = x.shape[:2]
        logits = self.linear_max(x.amax(dim=(2, 3))) + self.linear_avg(x.mean(dim=(2, 3)))
        return x * torch.sigmoid(logits).view(b, c, 1, 1)


class SAM(nn.Module):
    """CBAM's spatial attention.

    ``a = σ(Conv_7([max_C x, mean_C x]))`` — channel-wise max first, then mean;
    one 7×7 convolution 2 → 1, zero padding 3 ("same"), no bias; ``out = x ⊙ a``.
    Shape: ``B×C×H×W → B×C×H×W``.
    """

    def __init__(self, kernel_size: int = 7) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        pooled = torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.conv(pooled))


class CBAM(nn.Module):
    """Convolutional block attention with a residual: ``out = SAM(CAM(x)) + x``.

    Shape: ``B×C×H×W → B×C×H×W``; ``reduction`` is CAM's ``r``.
    """

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        self.sam = SAM()  # registered first, as in the authors' state dict
        self.cam = CAM(channels, reduction)

    def forward(self, x: Tensor) -> Tensor:
        return self.sam(self.cam(x)) + x


class IEM(nn.Module):
    """Information extraction module: spatial gate times channel gate.

    ``a = σ(Conv_3(pad_1(x)))`` (C → C, no bias);
    ``s = σ(fc3(ReLU(fc2(ReLU(fc1(GAP(x)))))))`` with ``fc1: C→C``, ``fc2: C→C/2``,
    ``fc3: C/2→C``; ``out = x ⊙ a ⊙ s``. The pooled vector is flattened from axis 1
    (the authors' bare ``squeeze()`` would also drop a batch axis of 1).
    Shape: ``B×C×H×W → B×C×H×W``.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(1)
        self.conv1 = nn.Conv2d(channels, channels, 3, bias=False)
        self.fc1 = nn.Linear(channels, channels)
        self.fc2 = nn.Linear(channels, channels // 2)
        self.fc3 = nn.Linear(channels // 2, channels)

    def forward(self, x: Tensor) -> Tensor:
        b, c = x.shape[:2]
        spatial = torch.sigmoid(self.conv1(self.reflection_pad(x)))
        pooled = x.mean(dim=(2, 3))
        channel = torch.sigmoid(self.fc3(F.relu(self.fc2(F.relu(self.fc1(pooled))))))
        return x * spatial * channel.view(b, c, 1, 1)


class SimAM(nn.Module):
    """Parameter-free attention (Yang et al., 2021).

    Per image and channel, with ``n = H·W − 1``: ``d = (x − mean_HW x)²``,
    ``e = d / (4·(Σ_HW d / n + λ)) + 0.5``, ``out = x ⊙ σ(e)``; λ = 1e-4.
    Shape: ``B×C×H×W → B×C×H×W``.
    """

    def __init__(self, e_lambda: float = 1e-4) -> None:
        super().__init__()
        self.e_lambda = e_lambda

    def forward(self, x: Tensor) -> Tensor:
        n = x.shape[2] * x.shape[3] - 1
        centred = x - x.mean(dim=(2, 3), keepdim=True)
        d = centred * centred  # a product is faster than pow/square on CPU
        inverse_denominator = 1.0 / (4.0 * (d.sum(dim=(2, 3), keepdim=True) / n + self.e_lambda))
        energy = (d * inverse_denominator).add_(0.5)  # in place on a fresh tensor: autograd-safe
        return x * torch.sigmoid(energy)

    def extra_repr(self) -> str:
        return f"e_lambda={self.e_lambda}"
