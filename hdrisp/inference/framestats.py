"""Tiled forward with the frame's own statistics: the untiled network's output, tile by tile.

RawTonemapNet and PyNET take global statistics of their activations: the instance
norms' per-channel means and variances, the global average and max poolings of
ECA, CAM and IEM, SimAM's spatial mean and variance. Between two such statistics
the network is *local*: convolutions, poolings, the ×2 upsampling and element-wise
maths, each output pixel depending on a small neighbourhood. :func:`frame_forward`
computes exactly what the untiled forward computes while holding activations only
for a tile (a strip of the frame) at a time:

1. :func:`lower` traces the model with ``torch.fx`` (its blocks are leaves) into a
   graph of nodes: local ops (:class:`Conv`, :class:`Pool`, :class:`Up`,
   :class:`Pointwise`, :class:`Cat`), statistics (:class:`Reduce`) and functions of
   statistics (:class:`Vec`, e.g. ECA's 1-D convolution of the pooled vector). The
   blocks' maths is written out once more here, node by node (the tests compare the
   result with the models' own forward).
2. :class:`FramePlan` orders the statistics into *passes*: pass p finishes every
   statistic whose input needs only statistics of earlier passes, the last pass
   computes the output (RawTonemapNet: 30 passes, PyNET: 63). A value that a later
   pass needs is kept as a frame-sized tensor (a *store*, written tile by tile and
   freed after its last reader); everything else lives for one tile.
3. :func:`run_plan` runs each pass over the tiles: for every tile it works out,
   backwards from the tile's core, which region of every node is needed (a
   convolution of radius r needs r more pixels around it, clamped to the frame; at the
   frame border it pads as the network pads), computes the nodes on those regions,
   adds the core to the statistics and writes the stores' cores.

Statistics: per tile, sums in float32 (for bfloat16 activations: float32 sums of
row means) and squared deviations from the tile's own mean, merged over tiles in
float64 with Chan et al.'s parallel-variance formula — no cancellation when a
channel's mean is large against its spread. The ×2 bilinear ``align_corners=True``
upsampling samples the frame at ``i·(n−1)/(2n−1)``; :class:`Up` evaluates it with the
frame's ``n`` and the tile's frame coordinates (weights computed as PyTorch
computes them), so every tile gets the frame's samples.

Cost: besides each tile's halo (the few pixels the convolutions of one pass reach
beyond its core), the work is the untiled forward's — values cross passes through
the stores, nothing is recomputed except IEM's and SAM's gate convolutions under
``keep="convs"``. Tiles are full-width strips (rows of a channels-last tensor are
contiguous: no copies to crop them); convolutions run in oneDNN with their
activation fused, zero padding inside the convolution and the frame-border rows
and columns recomputed from reflection-padded strips.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, fx, nn

from hdrisp.errors import ConfigError, InputShapeError
from hdrisp.inference.tiling import DEFAULT_TILE
from hdrisp.models import blocks

DEFAULT_STORE_BUDGET = 2 * 2**30  # bytes of frame tensors kept between passes (keep="auto")
KEEPS = ("auto", "all", "convs")
TILINGS = ("strips", "squares")

# ----------------------------------------------------------------------------- regions


class Region(NamedTuple):
    """Half-open box ``[y0, y1) × [x0, x1)`` in a node's own pixel grid."""

    y0: int
    y1: int
    x0: int
    x1: int

    def union(self, other: Region | None) -> Region:
        if other is None:
            return self
        return Region(min(self.y0, other.y0), max(self.y1, other.y1),
                      min(self.x0, other.x0), max(self.x1, other.x1))

    def expand(self, r: int, height: int, width: int) -> Region:
        """Grown by ``r`` on every side, clamped to a ``height``×``width`` frame."""
        return Region(max(0, self.y0 - r), min(height, self.y1 + r),
                      max(0, self.x0 - r), min(width, self.x1 + r))

    def contains(self, other: Region) -> bool:
        return (self.y0 <= other.y0 and other.y1 <= self.y1 and self.x0 <= other.x0
                and other.x1 <= self.x1)

    @property
    def area(self) -> int:
        return (self.y1 - self.y0) * (self.x1 - self.x0)


def crop(t: Tensor, have: Region, want: Region) -> Tensor:
    """View of ``t`` (which holds region ``have``) restricted to ``want``."""
    if not have.contains(want):
        raise AssertionError(f"region {want} is not inside {have}")
    if have == want:
        return t
    return t[:, :, want.y0 - have.y0:want.y1 - have.y0, want.x0 - have.x0:want.x1 - have.x0]


def _border_pads(out: Region, want: Region, r: int) -> tuple[int, int, int, int]:
    """Padding (left, right, top, bottom) that ``want`` (= out grown by r, clamped) lacks."""
    return (r - (out.x0 - want.x0), r - (want.x1 - out.x1),
            r - (out.y0 - want.y0), r - (want.y1 - out.y1))


# ----------------------------------------------------------------------------- graph nodes

Sizes = dict  # scale (Fraction) → (height, width) of the frame at that scale


class Node:
    """A value of the network: a frame-sized tensor (:class:`Spatial`) or a small vector."""

    name = ""


class Spatial(Node):
    """A 1×C×(H·s)×(W·s) tensor at scale ``s`` of the packed frame.

    Subclasses say which regions of their inputs a region of theirs needs
    (:meth:`need`) and compute a region from those (:meth:`compute`).
    """

    stored_kind = False  # kept whole for later passes under keep="convs"
    supports_out = False  # compute() can write into a given tensor (a Cat's slice)

    def __init__(self, inputs: Sequence[Spatial], scale: Fraction, channels: int,
                 vecs: Sequence[Node] = ()) -> None:
        self.inputs = tuple(inputs)
        self.vecs = tuple(vecs)
        self.scale = scale
        self.channels = channels
        self.recompute = False  # under keep="convs": recomputed rather than kept

    def need(self, out: Region, sizes: Sizes) -> list[Region]:
        """Regions of the inputs that region ``out`` of this node needs."""
        return [out for _ in self.inputs]

    def compute(self, ins: list[tuple[Tensor, Region]], out: Region, owned: list[bool],
                vecs: list, sizes: Sizes, dst: Tensor | None = None) -> Tensor:
        """This node on region ``out``.

        Args:
            ins: per input, a tensor and the region it holds (containing the needed one).
            owned: per input, whether nothing reads it after this node (it may be
                overwritten).
            vecs: the finished values of ``self.vecs``.
            dst: a tensor to write the result into (only when ``supports_out``).
        """
        raise NotImplementedError

    def work(self) -> float:
        """Rough work per pixel of this node's grid (for progress reports)."""
        return float(self.channels)


class Input(Spatial):
    """The packed frame."""

    stored_kind = True

    def __init__(self, channels: int) -> None:
        super().__init__((), Fraction(1), channels)


_ONEDNN: dict[str, object] = {"op": None}
if torch.backends.mkldnn.is_available():
    try:
        _ONEDNN["op"] = torch.ops.mkldnn._convolution_pointwise
    except (AttributeError, RuntimeError):  # an older or a oneDNN-less build
        pass
_ONEDNN_ACT = {None: ("none", []), "leaky_relu": ("leaky_relu", [blocks.LEAKY_SLOPE]),
               "sigmoid": ("sigmoid", [])}


class Conv(Spatial):
    """Stride-1 convolution and an optional activation, with the network's border padding.

    ``mode``: ``"reflect"`` (ReflectionPad2d before the convolution, as ConvLayer and
    UpsampleConv) or ``"zeros"`` (the convolution's own zero padding, as SAM).
    ``act``: None, ``"leaky_relu"`` (slope 0.2) or ``"sigmoid"``; on the CPU fused into
    the oneDNN convolution.
    """

    stored_kind = True

    def __init__(self, x: Spatial, conv: nn.Conv2d, mode: str, act: str | None = None) -> None:
        super().__init__((x,), x.scale, conv.out_channels)
        kh, kw = conv.kernel_size
        if (conv.stride != (1, 1) or conv.dilation != (1, 1) or conv.groups != 1 or kh != kw
                or kh % 2 == 0):
            raise NotImplementedError("only stride-1, undilated, ungrouped convolutions with "
                                      "odd square kernels")
        if mode == "zeros" and conv.padding != (kh // 2, kw // 2):
            raise NotImplementedError("a zero-padded convolution must keep the size")
        if mode == "reflect" and conv.padding != (0, 0):
            raise NotImplementedError("a reflection-padded convolution pads itself by zero")
        self.radius = kh // 2
        self.mode = mode
        self.act = act
        self.weight = conv.weight
        self.bias = conv.bias
        self._cast_key: tuple | None = None
        self._cast: tuple[Tensor, Tensor | None] = (conv.weight, conv.bias)

    def need(self, out, sizes):
        h, w = sizes[self.scale]
        return [out.expand(self.radius, h, w)]

    def compute(self, ins, out, owned, vecs, sizes, dst=None):
        (t, have), = ins
        h, w = sizes[self.scale]
        r = self.radius
        want = out.expand(r, h, w)
        pad = _border_pads(out, want, r)
        if not any(pad):  # inside the frame: the halo is there
            return self._conv(crop(t, have, want), 0, 0)
        if self.mode == "reflect" and out.area < 4096:
            return self._padded(t, have, out, h, w)
        # Zero padding inside the convolution costs nothing (a padded copy of the whole
        # tile would cost as much as the convolution in bfloat16). For "reflect" the rows
        # and columns within r of the frame border are then recomputed from thin
        # reflection-padded strips.
        py, px = max(pad[2:]), max(pad[:2])
        got = Region(want.y0 - py + r, want.y1 + py - r, want.x0 - px + r, want.x1 + px - r)
        y = crop(self._conv(crop(t, have, want), py, px), got, out)
        if self.mode == "reflect":
            strips = []
            if pad[2]:
                strips.append(Region(out.y0, min(out.y1, r), out.x0, out.x1))
            if pad[3]:
                strips.append(Region(max(out.y0, h - r), out.y1, out.x0, out.x1))
            if pad[0]:
                strips.append(Region(out.y0, out.y1, out.x0, min(out.x1, r)))
            if pad[1]:
                strips.append(Region(out.y0, out.y1, max(out.x0, w - r), out.x1))
            for strip in strips:
                crop(y, out, strip).copy_(self._padded(t, have, strip, h, w))
        return y

    def cast(self, dtype: torch.dtype, device: torch.device) -> tuple[Tensor, Tensor | None]:
        """The weights in ``dtype`` on ``device`` (cached; redone if the weights change)."""
        key = (dtype, device, self.weight._version,
               None if self.bias is None else self.bias._version)
        if self._cast_key != key:
            self._cast = (self.weight.detach().to(device, dtype),
                          None if self.bias is None else self.bias.detach().to(device, dtype))
            self._cast_key = key
        return self._cast

    def _conv(self, x: Tensor, py: int, px: int, transposed: bool = False) -> Tensor:
        weight, bias = self.cast(x.dtype, x.device)
        if transposed:
            weight = weight.transpose(2, 3)
        op = _ONEDNN["op"]
        if x.device.type == "cpu" and op is not None:
            # oneDNN directly: the activation is fused, and small inputs are not sent to
            # PyTorch's non-oneDNN fallback (very slow in bfloat16)
            act, scalars = _ONEDNN_ACT[self.act]
            try:
                return op(x, weight, bias, [py, px], [1, 1], [1, 1], 1, act, scalars, "")
            except RuntimeError as exc:
                warnings.warn(f"oneDNN convolution failed ({str(exc).splitlines()[0]}); "
                              "using torch's", stacklevel=2)
                _ONEDNN["op"] = None
        y = F.conv2d(x, weight, bias, padding=(py, px))
        if self.act == "leaky_relu":
            return F.leaky_relu_(y, blocks.LEAKY_SLOPE)
        if self.act == "sigmoid":
            return y.sigmoid_()
        return y

    def _padded(self, t: Tensor, have: Region, out: Region, h: int, w: int) -> Tensor:
        """The convolution on ``out`` with the network's padding at the frame border.

        A tall, narrow region (a column strip) is computed transposed: oneDNN's
        bfloat16 convolutions are very slow on inputs a few pixels wide.
        """
        r = self.radius
        want = out.expand(r, h, w)
        x = crop(t, have, want)
        pad = _border_pads(out, want, r)
        if any(pad):
            x = F.pad(x, pad, mode="reflect") if self.mode == "reflect" else F.pad(x, pad)
        if x.shape[3] < 16 < x.shape[2]:
            xt = x.transpose(2, 3).contiguous(memory_format=torch.channels_last)
            return self._conv(xt, 0, 0, transposed=True).transpose(2, 3)
        return self._conv(x.contiguous(memory_format=torch.channels_last), 0, 0)

    def work(self):
        return float(self.weight.numel())


class Pool(Spatial):
    """2×2 max pooling (the scale halves)."""

    stored_kind = True

    def __init__(self, x: Spatial) -> None:
        super().__init__((x,), x.scale / 2, x.channels)

    def need(self, out, sizes):
        return [Region(2 * out.y0, 2 * out.y1, 2 * out.x0, 2 * out.x1)]

    def compute(self, ins, out, owned, vecs, sizes, dst=None):
        (t, have), = ins
        return F.max_pool2d(crop(t, have, self.need(out, sizes)[0]), 2)


def up_weights(n: int, k0: int, k1: int) -> tuple[Tensor, Tensor]:
    """Weights on the later sample of the frame's ×2 ``align_corners=True`` upsampling.

    Along an axis of ``n`` samples, output 2k lies between inputs k−1 and k, output 2k+1
    between k and k+1. Returned for k in [k0, k1): the fractional parts of their source
    positions, computed as PyTorch computes them (float32 ``scale·i`` with
    ``scale = (n−1)/(2n−1)`` in float32).
    """
    scale = torch.tensor(float(n - 1), dtype=torch.float32) / (2 * n - 1)
    k = torch.arange(k0, k1, dtype=torch.float32)
    even, odd = scale * (2 * k), scale * (2 * k + 1)
    return even - torch.floor(even), odd - torch.floor(odd)


def _axis_up(t: Tensor, dim: int, start: int, n: int, k0: int, k1: int) -> Tensor:
    """×2 along ``dim`` of ``t`` (frame samples [start, start+len)): outputs 2·k0 … 2·k1−1."""
    m = k1 - k0
    lam_e, lam_o = up_weights(n, k0, k1)
    shape = [1] * t.dim()
    shape[dim] = m
    lam_e = lam_e.to(t.device, t.dtype).view(shape)
    lam_o = lam_o.to(t.device, t.dtype).view(shape)
    oshape = list(t.shape)
    oshape[dim] = m
    oshape.insert(dim + 1, 2)
    out = torch.empty(oshape, dtype=t.dtype, device=t.device)
    ev, od = out.select(dim + 1, 0), out.select(dim + 1, 1)
    cur = t.narrow(dim, k0 - start, m)
    if k0 == 0:  # output 0 is sample 0 (weight 0 on the missing sample −1)
        ev.narrow(dim, 0, 1).copy_(cur.narrow(dim, 0, 1))
        if m > 1:
            torch.lerp(t.narrow(dim, -start, m - 1), cur.narrow(dim, 1, m - 1),
                       lam_e.narrow(dim, 1, m - 1), out=ev.narrow(dim, 1, m - 1))
    else:
        torch.lerp(t.narrow(dim, k0 - 1 - start, m), cur, lam_e, out=ev)
    if k1 == n:  # the last output is the last sample
        od.narrow(dim, m - 1, 1).copy_(cur.narrow(dim, m - 1, 1))
        if m > 1:
            torch.lerp(cur.narrow(dim, 0, m - 1), t.narrow(dim, k0 + 1 - start, m - 1),
                       lam_o.narrow(dim, 0, m - 1), out=od.narrow(dim, 0, m - 1))
    else:
        torch.lerp(cur, t.narrow(dim, k0 + 1 - start, m), lam_o, out=od)
    oshape = list(t.shape)
    oshape[dim] = 2 * m
    return out.view(oshape)


class Up(Spatial):
    """Bilinear ×2 with ``align_corners=True``, sampled where the frame's upsampling samples."""

    stored_kind = True

    def __init__(self, x: Spatial) -> None:
        super().__init__((x,), x.scale * 2, x.channels)

    @staticmethod
    def _pairs(out: Region) -> tuple[int, int, int, int]:
        """Input samples k whose output pairs (2k, 2k+1) cover ``out``: rows, then columns."""
        return out.y0 // 2, -(-out.y1 // 2), out.x0 // 2, -(-out.x1 // 2)

    def need(self, out, sizes):
        h, w = sizes[self.inputs[0].scale]
        ky0, ky1, kx0, kx1 = self._pairs(out)
        return [Region(max(0, ky0 - 1), min(h, ky1 + 1), max(0, kx0 - 1), min(w, kx1 + 1))]

    def compute(self, ins, out, owned, vecs, sizes, dst=None):
        (t, have), = ins
        h, w = sizes[self.inputs[0].scale]
        ky0, ky1, kx0, kx1 = self._pairs(out)
        x = t.permute(0, 2, 3, 1)  # N H W C, the channels-last storage order
        x = _axis_up(x, 2, have.x0, w, kx0, kx1)  # columns first: the smaller tensor
        x = _axis_up(x, 1, have.y0, h, ky0, ky1)
        return crop(x.permute(0, 3, 1, 2), Region(2 * ky0, 2 * ky1, 2 * kx0, 2 * kx1), out)

    def work(self):
        return 4.0 * self.channels


class Pointwise(Spatial):
    """Element-wise function of same-scale inputs and vectors.

    ``fn(xs, vecs, owned)`` (or ``fn(xs, vecs, owned, dst)`` with ``supports_out``) gets
    the inputs cropped to the output region.
    """

    def __init__(self, inputs: Sequence[Spatial], vecs: Sequence[Node], fn: Callable,
                 channels: int, name: str = "", supports_out: bool = False) -> None:
        super().__init__(inputs, inputs[0].scale, channels, vecs)
        self.fn = fn
        self.name = name
        self.supports_out = supports_out

    def compute(self, ins, out, owned, vecs, sizes, dst=None):
        xs = [crop(t, have, out) for t, have in ins]
        if dst is not None:
            return self.fn(xs, vecs, owned, dst)
        return self.fn(xs, vecs, owned)


class Cat(Spatial):
    """Concatenation along channels (inputs that support it write straight into its buffer)."""

    def __init__(self, inputs: Sequence[Spatial]) -> None:
        super().__init__(inputs, inputs[0].scale, sum(x.channels for x in inputs))
        self.name = "cat"
        if any(x.scale != self.scale for x in inputs):
            raise NotImplementedError("concatenation of feature maps of different sizes")

    def compute(self, ins, out, owned, vecs, sizes, dst=None):
        return torch.cat([crop(t, have, out) for t, have in ins], dim=1)

    def offset(self, x: Spatial) -> int:
        """The first channel of input ``x`` in the concatenation."""
        return sum(i.channels for i in self.inputs[:self.inputs.index(x)])

    def work(self):
        return 0.5 * self.channels


def channel_sum(t: Tensor) -> Tensor:
    """Per-channel float32 sum of a 1×C×h×w tensor.

    float32 (or any tensor off the CPU): PyTorch's summation (cascaded on the CPU).
    Lower precisions on the CPU: float32 sums of row means (avg_pool2d accumulates in
    float32 and reads the tensor once; each row mean is rounded to the tensor's dtype,
    relative error 2⁻⁹ in bfloat16, which averages out over the rows).
    """
    if t.dtype == torch.float32 or t.device.type != "cpu":
        return t.sum(dim=(0, 2, 3), dtype=torch.float32)
    rows = F.avg_pool2d(t, (1, t.shape[3]))
    return rows.float().sum(dim=(0, 2, 3)) * t.shape[3]


class Reduce(Node):
    """Per-channel statistics of a spatial node over the whole frame (one image).

    ``kinds``: ``"moments"`` (mean and the sum of squared deviations ``m2``), ``"mean"``,
    ``"max"``. Each tile contributes its core: a float32 mean, the squared deviations
    from that tile mean (no cancellation), merged over tiles in float64 by Chan et
    al.'s formula.
    """

    def __init__(self, x: Spatial) -> None:
        self.input = x
        self.kinds: set[str] = set()
        self.start()

    def start(self) -> None:
        self.n = 0
        self.mean = self.m2 = self.sum = self.max = None

    def accumulate(self, t: Tensor) -> None:
        n_t = t.shape[2] * t.shape[3]
        if self.kinds & {"moments", "mean"}:
            s_t = channel_sum(t)
            if "moments" in self.kinds:
                mean_t = s_t / n_t
                d = F.batch_norm(t, mean_t, torch.ones_like(mean_t), None, None, False, 0.0,
                                 0.0)  # t − mean_t in t's dtype, computed in float32
                m2_t = channel_sum(d.mul_(d)).double()
                mean_t = mean_t.double()
                if self.mean is None:
                    self.mean, self.m2 = mean_t, m2_t
                else:
                    n = self.n + n_t
                    delta = mean_t - self.mean
                    self.mean = self.mean + delta * (n_t / n)
                    self.m2 = self.m2 + m2_t + delta * delta * (self.n * n_t / n)
            else:
                s_t = s_t.double()
                self.sum = s_t if self.sum is None else self.sum + s_t
        if "max" in self.kinds:
            m = F.max_pool2d(t, tuple(t.shape[2:])).amax(dim=(0, 2, 3)).float()
            self.max = m if self.max is None else torch.maximum(self.max, m)
        self.n += n_t

    def finish(self) -> dict:
        """``{"n", "mean", "m2", "var"}`` (moments), ``{"n", "mean"}``, plus ``"max"``."""
        out: dict = {"n": self.n}
        if "moments" in self.kinds:
            out["mean"], out["m2"], out["var"] = self.mean, self.m2, self.m2 / self.n
        elif "mean" in self.kinds:
            out["mean"] = self.sum / self.n
        if "max" in self.kinds:
            out["max"] = self.max
        return out


class Vec(Node):
    """A function of finished statistics or other vectors: ``fn(*values)``."""

    def __init__(self, inputs: Sequence[Node], fn: Callable) -> None:
        self.inputs = tuple(inputs)
        self.fn = fn


# ----------------------------------------------------------------------------- element-wise maths


def _norm_params(s: dict, inst: nn.InstanceNorm2d) -> tuple:
    return (s["mean"].float(), s["var"].float(), inst.weight.detach().float(),
            inst.bias.detach().float(), inst.eps)


def _norm(xs, vs, owned):
    """Instance normalisation with the frame's statistics (one batch_norm pass)."""
    (x,), ((mean, var, weight, bias, eps),) = xs, vs
    return F.batch_norm(x, mean, var, weight, bias, False, 0.0, eps)


def _norm_lrelu(xs, vs, owned):
    return F.leaky_relu_(_norm(xs, vs, owned), blocks.LEAKY_SLOPE)


def _lrelu(xs, vs, owned):
    (x,) = xs
    if owned[0]:
        return F.leaky_relu_(x, blocks.LEAKY_SLOPE)
    return F.leaky_relu(x, blocks.LEAKY_SLOPE)


def _sigmoid(xs, vs, owned):
    (x,) = xs
    return x.sigmoid_() if owned[0] else torch.sigmoid(x)


def _scale(xs, vs, owned):
    """``x ⊙ w`` for a per-channel gate ``w`` (ECA, CAM)."""
    (x,), (w,) = xs, vs
    w = w.view(1, -1, 1, 1).to(x.dtype)
    return x.mul_(w) if owned[0] else x * w


def _add(xs, vs, owned):
    a, b = xs
    if owned[0]:
        return a.add_(b)
    if owned[1]:
        return b.add_(a)
    return a + b


def _channel_pool(xs, vs, owned):
    """SAM's input: [max over channels, mean over channels]."""
    (x,) = xs
    return torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)


def _gate(xs, vs, owned):
    """``x ⊙ a`` for SAM's one-channel gate ``a`` (sigmoid already applied)."""
    x, a = xs
    return x * a


def _gate_scale(xs, vs, owned, dst=None):
    """``x ⊙ a ⊙ s``: IEM's spatial gate ``a`` (sigmoid already applied), channel gate s."""
    x, a = xs
    (s,) = vs
    s = s.view(1, -1, 1, 1).to(x.dtype)
    if dst is not None:
        return torch.mul(a, x, out=dst).mul_(s)
    return a.mul_(x).mul_(s) if owned[1] else (a * x).mul_(s)


def _simam_params(s: dict, lam: float) -> tuple[Tensor, Tensor]:
    """SimAM's mean and ``4·(Σd/n + λ)`` (n = H·W − 1), as batch_norm's mean and variance."""
    return s["mean"].float(), (4.0 * (s["m2"] / (s["n"] - 1) + lam)).float()


def _simam(xs, vs, owned):
    """``x ⊙ σ((x − μ)²/(4·(σ² + λ)) + ½)``: u = (x − μ)/√(4·(σ² + λ)), then σ(u² + ½)·x."""
    (x,), ((mean, var),) = xs, vs
    u = F.batch_norm(x, mean, var, None, None, False, 0.0, 0.0)
    half = torch.tensor(0.5, dtype=x.dtype, device=x.device)
    torch.addcmul(half, u, u, out=u)
    return u.sigmoid_().mul_(x)


_ACTIVATIONS = {_lrelu: "leaky_relu", _sigmoid: "sigmoid"}

# ----------------------------------------------------------------------------- lowering


class _Builder:
    """Turns the model's blocks into nodes: one method per supported block type.

    Each method mirrors the block's ``forward`` in :mod:`hdrisp.models.blocks`.
    """

    def __init__(self) -> None:
        self.reduces: dict[int, Reduce] = {}
        self.nodes: list[Node] = []

    def add(self, node):
        self.nodes.append(node)
        return node

    def reduce(self, x: Spatial, *kinds: str) -> Reduce:
        """The statistics node of ``x`` (one per value, whatever it is asked for)."""
        r = self.reduces.get(id(x))
        if r is None:
            r = self.reduces[id(x)] = self.add(Reduce(x))
        r.kinds.update(kinds)
        return r

    def conv_layer(self, m: blocks.ConvLayer, x: Spatial) -> Spatial:
        if m.instance is None:
            return self.add(Conv(x, m.conv2d, "reflect", "leaky_relu" if m.relu else None))
        c = self.add(Conv(x, m.conv2d, "reflect"))
        stats = self.reduce(c, "moments")
        params = self.add(Vec([stats], lambda s, inst=m.instance: _norm_params(s, inst)))
        return self.add(Pointwise([c], [params], _norm_lrelu if m.relu else _norm,
                                  c.channels, "norm"))

    def upsample_conv(self, m: blocks.UpsampleConv, x: Spatial) -> Spatial:
        return self.add(Conv(self.add(Up(x)), m.conv2d, "reflect", "leaky_relu"))

    def eca(self, m: blocks.ECA, x: Spatial) -> Spatial:
        stats = self.reduce(x, "mean")
        w = self.add(Vec([stats], lambda s, m=m: torch.sigmoid(
            m.conv(s["mean"].float().view(1, 1, -1))).view(-1)))
        return self.add(Pointwise([x], [w], _scale, x.channels, "eca"))

    def cam(self, m: blocks.CAM, x: Spatial) -> Spatial:
        stats = self.reduce(x, "mean", "max")
        w = self.add(Vec([stats], lambda s, m=m: torch.sigmoid(
            m.linear_max(s["max"].float()[None]) + m.linear_avg(s["mean"].float()[None]))[0]))
        return self.add(Pointwise([x], [w], _scale, x.channels, "cam"))

    def sam(self, m: blocks.SAM, x: Spatial) -> Spatial:
        p = self.add(Pointwise([x], [], _channel_pool, 2, "pool"))
        a = self.add(Conv(p, m.conv, "zeros", "sigmoid"))
        a.recompute = True
        return self.add(Pointwise([x, a], [], _gate, x.channels, "gate"))

    def cbam(self, m: blocks.CBAM, x: Spatial) -> Spatial:
        s = self.sam(m.sam, self.cam(m.cam, x))
        return self.add(Pointwise([s, x], [], _add, x.channels, "add"))

    def iem(self, m: blocks.IEM, x: Spatial) -> Spatial:
        stats = self.reduce(x, "mean")
        s = self.add(Vec([stats], lambda st, m=m: torch.sigmoid(m.fc3(F.relu(m.fc2(F.relu(
            m.fc1(st["mean"].float()[None]))))))[0]))
        a = self.add(Conv(x, m.conv1, "reflect", "sigmoid"))
        a.recompute = True
        return self.add(Pointwise([x, a], [s], _gate_scale, x.channels, "gate",
                                  supports_out=True))

    def simam(self, m: blocks.SimAM, x: Spatial) -> Spatial:
        stats = self.reduce(x, "moments")
        v = self.add(Vec([stats], lambda s, lam=m.e_lambda: _simam_params(s, lam)))
        return self.add(Pointwise([x], [v], _simam, x.channels, "simam"))

    def maxpool(self, m: nn.MaxPool2d, x: Spatial) -> Spatial:
        if (m.kernel_size not in (2, (2, 2)) or m.stride not in (2, (2, 2))
                or m.padding not in (0, (0, 0)) or m.dilation not in (1, (1, 1)) or m.ceil_mode):
            raise NotImplementedError("only 2×2 max pooling")
        return self.add(Pool(x))

    LEAVES = {
        blocks.ConvLayer: "conv_layer",
        blocks.UpsampleConv: "upsample_conv",
        blocks.ECA: "eca",
        blocks.CBAM: "cbam",
        blocks.CAM: "cam",
        blocks.SAM: "sam",
        blocks.IEM: "iem",
        blocks.SimAM: "simam",
        nn.MaxPool2d: "maxpool",
    }

    def function(self, target, args, kwargs) -> Spatial:
        if target is torch.cat:
            xs = list(args[0])
            dim = kwargs.get("dim", args[1] if len(args) > 1 else 0)
            if dim not in (1, -3):
                raise NotImplementedError("concatenation along channels only")
            return self.add(Cat(xs))
        if target is torch.sigmoid:
            return self.add(Pointwise([args[0]], [], _sigmoid, args[0].channels, "sigmoid"))
        if target in (operator.add, torch.add) and not kwargs:
            a, b = args
            if not (isinstance(a, Spatial) and isinstance(b, Spatial)) or a.scale != b.scale:
                raise NotImplementedError("addition of two feature maps of one size only")
            return self.add(Pointwise([a, b], [], _add, a.channels, "add"))
        raise NotImplementedError(f"function {getattr(target, '__name__', target)}")


class _Tracer(fx.Tracer):
    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return type(m) in _Builder.LEAVES or super().is_leaf_module(m, qualname)


def _fuse_activations(nodes: list[Node], output: Spatial) -> tuple[list[Node], Spatial]:
    """Fold a sigmoid / leaky ReLU into the convolution it follows when nothing else reads it."""
    readers: dict[int, int] = {}
    for n in nodes:
        for i in (n.inputs if isinstance(n, Spatial) else ()):
            readers[id(i)] = readers.get(id(i), 0) + 1
        if isinstance(n, Reduce):
            readers[id(n.input)] = readers.get(id(n.input), 0) + 1
    replaced: dict[int, Spatial] = {}
    kept = []
    for n in nodes:
        if isinstance(n, Spatial):
            n.inputs = tuple(replaced.get(id(i), i) for i in n.inputs)
        elif isinstance(n, Reduce):
            n.input = replaced.get(id(n.input), n.input)
        act = _ACTIVATIONS.get(getattr(n, "fn", None))
        if (act and isinstance(n, Pointwise) and isinstance(n.inputs[0], Conv)
                and n.inputs[0].act is None and readers.get(id(n.inputs[0])) == 1):
            n.inputs[0].act = act
            replaced[id(n)] = n.inputs[0]
            continue
        kept.append(n)
    return kept, replaced.get(id(output), output)


def lower(model: nn.Module) -> tuple[Input, Spatial, list[Node]]:
    """Trace ``model`` at its current level into frame-statistics nodes (topological order).

    Returns:
        ``(input node, output node, nodes)``.

    Raises:
        NotImplementedError: the model uses a module or function this module cannot
            run with frame statistics (its message names it).
    """
    had = "check_input" in model.__dict__
    model.check_input = lambda x: None  # the frame's shape is checked by the caller
    try:
        graph = _Tracer().trace(model, concrete_args={"return_all": False})
    except (TypeError, fx.proxy.TraceError) as exc:
        raise NotImplementedError(f"cannot trace the model: {exc}") from None
    finally:
        if not had:
            del model.check_input
    b = _Builder()
    env: dict[fx.Node, object] = {}
    inp = out = None

    def value(a):
        return fx.node.map_arg(a, lambda n: env[n])

    for n in graph.nodes:
        if n.op == "placeholder":
            env[n] = None
            if inp is None:
                inp = env[n] = b.add(Input(getattr(model, "IN_CHANNELS", 4)))
        elif n.op == "call_function" and n.target in (operator.eq, torch._assert):
            env[n] = None  # fx's guard on the specialised ``return_all``
        elif n.op == "call_module":
            mod = model.get_submodule(n.target)
            method = _Builder.LEAVES.get(type(mod))
            if method is None:
                raise NotImplementedError(f"module {n.target} ({type(mod).__name__})")
            before = len(b.nodes)
            env[n] = getattr(b, method)(mod, *value(n.args), **value(n.kwargs))
            for node in b.nodes[before:]:
                node.name = f"{n.target}.{node.name}" if node.name else n.target
        elif n.op == "call_function":
            env[n] = b.function(n.target, value(n.args), value(n.kwargs))
        elif n.op == "output":
            out = value(n.args[0])
        else:
            raise NotImplementedError(f"graph node {n.op} {n.target}")
    if not isinstance(out, Spatial):
        raise NotImplementedError("the model must return one image tensor")
    nodes, out = _fuse_activations(b.nodes, out)
    return inp, out, nodes


# ----------------------------------------------------------------------------- planning


@dataclass
class Pass:
    """One sweep over the tiles."""

    index: int
    compute: list[Spatial]          # nodes computed tile by tile, topological order
    reduces: list[Reduce]           # statistics this pass finishes
    stores: list[Spatial] = field(default_factory=list)  # kept whole for later passes
    frees: list[Spatial] = field(default_factory=list)   # stores not needed after it
    output: Spatial | None = None
    finest: Fraction = Fraction(1)  # the largest scale among its nodes
    work: float = 0.0               # rough work per packed pixel


class FramePlan:
    """The passes of an exact frame-statistics forward of ``model`` at its current level.

    ``keep``: ``"all"`` keeps every value a later pass needs as a frame tensor (least
    work); ``"convs"`` keeps only the outputs of convolutions, poolings and upsamplings
    and recomputes element-wise values and the IEM/SAM gate convolutions from them
    (less memory for RawTonemapNet: 0.85 vs 1.36 GiB in bfloat16 at 12 MP).

    Raises:
        NotImplementedError: from :func:`lower`.
    """

    def __init__(self, model: nn.Module, keep: str = "all") -> None:
        if keep not in ("all", "convs"):
            raise ConfigError(f"keep must be 'all' or 'convs', got {keep!r}")
        self.keep = keep
        self.level = getattr(model, "level", None)
        self.align = int(getattr(model, "INPUT_MULTIPLE", 8))
        self.min_size = int(getattr(model, "MIN_INPUT_SIZE", 2 * self.align))
        self.input, self.output, self.nodes = lower(model)
        nodes = self.nodes
        order = {id(n): i for i, n in enumerate(nodes)}
        ready: dict[int, int] = {}  # the pass after which a node can be computed
        pass_of: dict[int, int] = {}
        for n in nodes:
            if isinstance(n, Reduce):
                ready[id(n)] = pass_of[id(n)] = ready[id(n.input)] + 1
            elif isinstance(n, Vec):
                ready[id(n)] = max((ready[id(i)] for i in n.inputs), default=0)
            else:
                ready[id(n)] = max([ready[id(i)] for i in n.inputs]
                                   + [ready[id(v)] for v in n.vecs], default=0)
        n_passes = ready[id(self.output)] + 1
        computed_in: dict[int, int] = {id(self.input): 0}
        stores_of: dict[int, list[Spatial]] = {0: [self.input]}
        last_use: dict[int, int] = {}
        self.passes: list[Pass] = []
        for p in range(1, n_passes + 1):
            reduces = [n for n in nodes if isinstance(n, Reduce) and pass_of[id(n)] == p]
            roots = [r.input for r in reduces] + ([self.output] if p == n_passes else [])
            members: dict[int, Spatial] = {}
            stack = list(roots)
            while stack:
                n = stack.pop()
                if id(n) in members:
                    continue
                q = computed_in.get(id(n))
                if q is not None and q < p and (q == 0 or keep == "all"
                                                or (n.stored_kind and not n.recompute)):
                    if n not in stores_of.setdefault(q, []):  # computed before: keep it
                        stores_of[q].append(n)
                    last_use[id(n)] = p
                    continue
                members[id(n)] = n
                stack.extend(n.inputs)
            for n in members.values():
                computed_in.setdefault(id(n), p)
            self.passes.append(Pass(p, sorted(members.values(), key=lambda n: order[id(n)]),
                                    reduces, output=self.output if p == n_passes else None))
        for ps in self.passes:
            ps.stores = list(stores_of.get(ps.index, []))
            ps.frees = [n for n in nodes if isinstance(n, Spatial) and n is not self.input
                        and last_use.get(id(n)) == ps.index]
            ps.finest = max([n.scale for n in ps.compute] + [r.input.scale for r in ps.reduces])
            ps.work = sum(n.work() * float(n.scale) ** 2 for n in ps.compute) + 1.0
        self.vecs = [n for n in nodes if isinstance(n, Vec)]
        self.ready = ready

    def store_bytes(self, height: int, width: int, itemsize: int) -> int:
        """Peak bytes of the stores and the float32 output for a packed H×W frame."""
        live: dict[int, int] = {}
        peak = 0
        for ps in self.passes:
            for n in ps.stores:
                if n is not self.input:
                    live[id(n)] = int(n.channels * height * width * n.scale ** 2) * itemsize
            out = 0
            if ps.output is not None:
                out = int(ps.output.channels * height * width * ps.output.scale ** 2) * 4
            peak = max(peak, sum(live.values()) + out)
            for n in ps.frees:
                live.pop(id(n), None)
        return peak

    def describe(self) -> str:
        """One line per pass: its finest scale, nodes, statistics and stores."""
        lines = []
        for ps in self.passes:
            kept = ", ".join(f"{n.name or type(n).__name__}@{n.scale}×{n.channels}"
                             for n in ps.stores)
            lines.append(f"pass {ps.index:2d}: ×{ps.finest} {len(ps.compute):2d} nodes, "
                         f"{len(ps.reduces)} statistics; keeps [{kept}]")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- execution


def _splits(length: int, tile: int, align: int) -> list[tuple[int, int]]:
    """Split ``length`` (a multiple of ``align``) into near-equal aligned parts of ≤ ``tile``."""
    units = length // align
    n = -(-units // max(1, tile // align))
    bounds = [align * ((i * units) // n) for i in range(n + 1)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def pass_tiles(plan: FramePlan, height: int, width: int, tile: int | None, *,
               tiling: str = "strips", scale_tiles: bool = True
               ) -> list[list[tuple[int, int, int, int]]]:
    """Per pass, its tiles ``(top, bottom, left, right)`` in packed pixels.

    ``tile``: tile side in packed pixels (None: the whole frame). ``"strips"``: full-width
    strips of about ``tile²`` packed pixels, a multiple of ``plan.align`` rows;
    ``"squares"``: tiles of at most ``tile × tile``. With ``scale_tiles`` a pass whose
    finest node is at scale s < 1 gets tiles 1/s times larger (about as many pixels of
    its own grid): the coarse levels then run in one or two tiles.
    """
    if tiling not in TILINGS:
        raise ConfigError(f"tiling must be one of {TILINGS}, got {tiling!r}")
    align = plan.align
    grids = []
    for ps in plan.passes:
        t = tile or max(height, width)
        if scale_tiles and ps.finest < 1:
            t = int(t / ps.finest)
        if tiling == "strips":
            rows = max(align, (t * t // width) // align * align)
            grids.append([(a, b, 0, width) for a, b in _splits(height, rows, align)])
        else:
            grids.append([(a, b, c, d) for a, b in _splits(height, t, align)
                          for c, d in _splits(width, t, align)])
    return grids


def run_plan(plan: FramePlan, packed: Tensor, tile: int | None, *, tiling: str = "strips",
             scale_tiles: bool = True,
             progress: Callable[[float, float], None] | None = None) -> Tensor:
    """Run ``plan`` on one packed frame 1×C×H×W (H, W multiples of ``plan.align``).

    Activations are kept in ``packed``'s dtype and memory format (float32, or
    bfloat16/float16 for speed; channels-last is fastest); statistics are accumulated
    in float32/float64. Call under :func:`torch.inference_mode`. ``progress(done,
    total)`` is called after each tile with work units (floats). Returns the float32
    output 1×C'×(H·s)×(W·s).
    """
    _, _, H, W = packed.shape
    if H % plan.align or W % plan.align:
        raise InputShapeError(f"the packed frame must be a multiple of {plan.align} in each "
                              f"dimension, got {H}×{W}")
    sizes: Sizes = {n.scale: (int(H * n.scale), int(W * n.scale))
                    for n in plan.nodes if isinstance(n, Spatial)}
    dtype, device = packed.dtype, packed.device
    stores: dict[int, Tensor] = {id(plan.input): packed}
    values: dict[int, object] = {}
    out_tensor = None
    grids = pass_tiles(plan, H, W, tile, tiling=tiling, scale_tiles=scale_tiles)
    total = sum(ps.work for ps in plan.passes) * H * W
    done = 0.0
    for ps, grid in zip(plan.passes, grids, strict=True):
        members = {id(n) for n in ps.compute}
        for r in ps.reduces:
            r.start()
        store_ids = {id(n) for n in ps.stores}
        for n in ps.stores:
            if n is not plan.input:
                h, w = sizes[n.scale]
                stores[id(n)] = torch.empty(1, n.channels, h, w, dtype=dtype, device=device,
                                            memory_format=torch.channels_last)
        if ps.output is not None:
            h, w = sizes[ps.output.scale]
            out_tensor = torch.empty(1, ps.output.channels, h, w, dtype=torch.float32,
                                     device=device)
        reduce_by_input: dict[int, list[Reduce]] = {}
        for r in ps.reduces:
            reduce_by_input.setdefault(id(r.input), []).append(r)
        readers: dict[int, int] = {}  # reads of each node within this pass
        for n in ps.compute:
            for i in n.inputs:
                readers[id(i)] = readers.get(id(i), 0) + 1
        only_reader = {id(i): n for n in ps.compute for i in n.inputs if readers[id(i)] == 1}
        for y0, y1, x0, x1 in grid:
            def core(n: Spatial, y0=y0, y1=y1, x0=x0, x1=x1) -> Region:
                s = n.scale
                return Region(int(y0 * s), int(y1 * s), int(x0 * s), int(x1 * s))

            # the regions needed, from the roots (statistics, stores, output) backwards
            req: dict[int, Region] = {}
            for rid, rs in reduce_by_input.items():
                req[rid] = core(rs[0].input)
            for n in ps.stores:
                req[id(n)] = core(n).union(req.get(id(n)))
            if ps.output is not None:
                req[id(ps.output)] = core(ps.output).union(req.get(id(ps.output)))
            for n in reversed(ps.compute):
                if id(n) in req:
                    for i, r in zip(n.inputs, n.need(req[id(n)], sizes), strict=True):
                        req[id(i)] = r.union(req.get(id(i)))
            temps: dict[int, tuple[Tensor, Region]] = {}
            left = dict(readers)
            buffers: dict[int, Tensor] = {}  # concatenations that their inputs write into
            filled: dict[int, int] = {}
            for n in ps.compute:
                if id(n) not in req:
                    continue
                region = req[id(n)]
                for i in n.inputs:
                    if id(i) in members:
                        left[id(i)] -= 1
                ins, owned = [], []
                for i in n.inputs:
                    if id(i) in members:
                        ins.append(temps[id(i)])
                        owned.append(left[id(i)] == 0 and n.inputs.count(i) == 1)
                    else:
                        h, w = sizes[i.scale]
                        ins.append((stores[id(i)], Region(0, h, 0, w)))
                        owned.append(False)
                vecs = [values[id(v)] for v in n.vecs]
                dst = None
                cat = only_reader.get(id(n))
                if (n.supports_out and isinstance(cat, Cat) and id(n) not in store_ids
                        and id(n) not in reduce_by_input and req.get(id(cat)) == region
                        and cat.inputs.count(n) == 1):
                    if id(cat) not in buffers:
                        buffers[id(cat)] = torch.empty(
                            1, cat.channels, region.y1 - region.y0, region.x1 - region.x0,
                            dtype=dtype, device=device, memory_format=torch.channels_last)
                    c0 = cat.offset(n)
                    dst = buffers[id(cat)][:, c0:c0 + n.channels]
                    filled[id(cat)] = filled.get(id(cat), 0) + 1
                if isinstance(n, Cat) and filled.get(id(n)) == len(n.inputs):
                    y = buffers.pop(id(n))  # every input is already in place
                else:
                    y = n.compute(ins, region, owned, vecs, sizes, dst)
                for i in n.inputs:
                    if id(i) in members and left[id(i)] == 0:
                        temps.pop(id(i), None)
                temps[id(n)] = (y, region)
                if id(n) in reduce_by_input:
                    c = crop(y, region, core(n))
                    for r in reduce_by_input[id(n)]:
                        r.accumulate(c)
                if id(n) in store_ids:
                    c = core(n)
                    stores[id(n)][:, :, c.y0:c.y1, c.x0:c.x1] = crop(y, region, c)
                if n is ps.output:
                    c = core(n)
                    out_tensor[:, :, c.y0:c.y1, c.x0:c.x1] = crop(y, region, c)
            for rid, rs in reduce_by_input.items():  # statistics of values kept whole
                if rid not in members:
                    node = rs[0].input
                    h, w = sizes[node.scale]
                    c = crop(stores[rid], Region(0, h, 0, w), core(node))
                    for r in rs:
                        r.accumulate(c)
            done += ps.work * (y1 - y0) * (x1 - x0)
            if progress is not None:
                progress(done, total)
        for r in ps.reduces:
            values[id(r)] = r.finish()
        for v in plan.vecs:
            if id(v) not in values and plan.ready[id(v)] <= ps.index:
                values[id(v)] = v.fn(*[values[id(i)] for i in v.inputs])
        for n in ps.frees:
            stores.pop(id(n), None)
    return out_tensor


# ----------------------------------------------------------------------------- the user's form


def _pad_to_multiple(x: Tensor, align: int) -> Tensor:
    """Pad B×C×h×w at the bottom/right to multiples of ``align`` (reflection, as the
    network pads; replication where the frame is too small to reflect)."""
    pad_h, pad_w = -x.shape[-2] % align, -x.shape[-1] % align
    if pad_h == 0 and pad_w == 0:
        return x
    mode = "reflect" if pad_h < x.shape[-2] and pad_w < x.shape[-1] else "replicate"
    return F.pad(x, (0, pad_w, 0, pad_h), mode=mode)


class FrameForward:
    """Runs one network with frame statistics; plans are built once per level and reused.

    Args:
        model: a network built from :mod:`hdrisp.models.blocks` (RawTonemapNet, PyNET);
            its parameters are read when a frame runs, so weights loaded later are used.
        keep: ``"auto"`` (``"all"`` when its stores fit in ``store_budget`` bytes, else
            whichever of ``"all"``/``"convs"`` needs less), ``"all"`` or ``"convs"``
            (see :class:`FramePlan`).
        store_budget: bytes of frame tensors ``"auto"`` allows for ``"all"``.

    Raises:
        ConfigError: a bad ``keep``, or a model that cannot be run with frame statistics
            (the message names the module or function, and suggests ``stats='tile'``).
    """

    def __init__(self, model: nn.Module, *, keep: str = "auto",
                 store_budget: int = DEFAULT_STORE_BUDGET) -> None:
        if keep not in KEEPS:
            raise ConfigError(f"keep must be one of {KEEPS}, got {keep!r}")
        self.model = model
        self.keep = keep
        self.store_budget = store_budget
        self._plans: dict[tuple, FramePlan] = {}
        self.plan("all" if keep == "auto" else keep)  # traces now: fails early

    @property
    def align(self) -> int:
        """Frames are padded to a multiple of this (the network's total pooling)."""
        return int(getattr(self.model, "INPUT_MULTIPLE", 8))

    def plan(self, keep: str) -> FramePlan:
        """The (cached) plan for the model's current level."""
        key = (getattr(self.model, "level", None), keep)
        if key not in self._plans:
            try:
                self._plans[key] = FramePlan(self.model, keep)
            except NotImplementedError as exc:
                raise ConfigError(
                    f"stats='frame' runs networks built from hdrisp's blocks (RawTonemapNet, "
                    f"PyNET), not {type(self.model).__name__} ({exc}); use stats='tile'"
                ) from None
        return self._plans[key]

    def choose(self, height: int, width: int, itemsize: int) -> FramePlan:
        """The plan ``keep`` asks for, for a padded packed frame of ``height``×``width``."""
        if self.keep != "auto":
            return self.plan(self.keep)
        full = self.plan("all")
        need = full.store_bytes(height, width, itemsize)
        if need <= self.store_budget:
            return full
        lean = self.plan("convs")
        return lean if lean.store_bytes(height, width, itemsize) < need else full

    def __call__(self, packed: Tensor, tile: int | None, *, dtype: torch.dtype | None = None,
                 device: torch.device | str | None = None, tiling: str = "strips",
                 scale_tiles: bool = True,
                 progress: Callable[[float, float], None] | None = None) -> Tensor:
        """B×C×h×w packed frame (any h, w: padded here, the output cropped) → float32 output.

        ``dtype``: the activations' dtype (default float32); ``device``: where to run
        (default ``packed``'s). Runs each image of the batch separately (its own
        statistics) under :func:`torch.inference_mode`; the output is on ``packed``'s
        device.
        """
        if packed.dim() != 4:
            raise InputShapeError(f"packed must be B×C×h×w, got shape {tuple(packed.shape)}")
        device = torch.device(device) if device is not None else packed.device
        dtype = dtype or torch.float32
        height, width = packed.shape[-2:]
        padded = _pad_to_multiple(packed, self.align)
        H, W = padded.shape[-2:]
        plan = self.choose(H, W, torch.empty((), dtype=dtype).element_size())
        if min(H, W) < plan.min_size:
            raise InputShapeError(f"the network needs frames of at least {plan.min_size} "
                                  f"packed pixels, got {height}×{width}")
        outs = []
        batch = packed.shape[0]
        with torch.inference_mode():
            for b in range(batch):
                x = padded[b:b + 1].to(device, dtype).contiguous(memory_format=torch.channels_last)
                report = None
                if progress is not None:
                    def report(done, total, b=b):
                        progress(b * total + done, batch * total)
                y = run_plan(plan, x, tile, tiling=tiling, scale_tiles=scale_tiles,
                             progress=report)
                outs.append(y.to(packed.device))
            out = torch.cat(outs) if batch > 1 else outs[0]
        scale = Fraction(out.shape[-2], H)
        return out[..., : math.ceil(height * scale), : math.ceil(width * scale)]


def frame_forward(model: nn.Module, packed: Tensor, tile: int | None = DEFAULT_TILE,
                  **kwargs) -> Tensor:
    """One call: ``FrameForward(model)(packed, tile, **kwargs)`` (see :class:`FrameForward`).

    Examples:
        >>> import torch
        >>> from hdrisp.models import build
        >>> net = build("rawtonemap", level=4).eval()
        >>> x = torch.rand(1, 4, 100, 140)
        >>> out = frame_forward(net, x, tile=32)      # 100×140 is padded to 104×144
        >>> with torch.no_grad():
        ...     whole = net(torch.nn.functional.pad(x, (0, 4, 0, 4), mode="reflect"))
        >>> tuple(out.shape), bool((out - whole[..., :13, :18]).abs().max() < 1e-5)
        ((1, 3, 13, 18), True)
    """
    keep = kwargs.pop("keep", "auto")
    return FrameForward(model, keep=keep)(packed, tile, **kwargs)
