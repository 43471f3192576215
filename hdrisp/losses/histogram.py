"""HistoGAN's differentiable RGB-uv histogram (Afifi et al., CVPR 2021), exact and fast.

The maths (HistoGAN's, as the authors' code computes it): the image is clamped to [0, 1]
and, when a side is larger than ``size``, resized to ``size``×``size`` (bilinear,
``align_corners=False``). For every pixel and each projection c ∈ {R, G, B} with partners
(c1, c2) = (G, B), (R, B), (R, G)::

    u_c = log(I_c + ε) − log(I_c1 + ε),   v_c = log(I_c + ε) − log(I_c2 + ε)
    H_c[i, j] = Σ_pixels  I_y · k(|u_c − t_i|) · k(|v_c − t_j|)

with bin centres t = linspace(bounds[0], bounds[1], bins), intensity weight
I_y = √(R² + G² + B² + ε) (or 1), and the kernel k one of

- ``"inverse-quadratic"``: 1 / (1 + d²/σ²)   (the paper's),
- ``"rbf"``:               exp(−d²/σ²),
- ``"thresholding"``:      1 if d ≤ (Δ/2) else 0, Δ = (bounds[1] − bounds[0]) / bins
  (gradient only through I_y, as in the original).

The three h×h matrices are stacked and divided by their total (+ ε) per image.

How it is made fast (the result is the same sum, to float rounding):

- Only three log-differences exist: a = log R − log G, b = log R − log B, c = log G − log B.
  u_R = a, v_R = b; u_G = −a, v_G = c; u_B = −b, v_B = −c. The centres are symmetric
  (t_{h−1−i} = −t_i), so k(|−x − t_i|) = k(|x − t_{h−1−i}|): the kernel matrix of −x is the
  kernel matrix of x with its bins reversed. Three kernel matrices K_a, K_b, K_c (not six) and
  three products K_aᵀWK_b, K_aᵀWK_c, K_bᵀWK_c; H_G and H_B are flips of the last two.
  This needs symmetric bounds (lo = −hi), as HistoGAN's (−3, 3); others are refused.
- The weight is split as √w on both sides, S_x = √w·K_x, so one matrix per log-difference
  serves every product; for the inverse-quadratic kernel S = √w / (1 + D²), D = (x − t)/σ,
  in three passes of binary ops (which torch vectorises) over a B×n×3×h chunk.
- The pixels are processed in chunks of ``chunk`` per image (all images at once, batched
  matmuls) so the kernel matrices stay in cache; nothing of size pixels×bins is kept for the
  backward pass: :class:`_KernelProducts` recomputes the chunk there and forms the gradients
  of a, b, c and w in closed form. The target's histogram needs no graph at all.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.distributed as dist

from hdrisp.errors import ConfigError, check_image_batch
from hdrisp.losses.distances import DISTANCES, hellinger_distance, hellinger_over_processes

Kernel = Literal["inverse-quadratic", "rbf", "thresholding"]
KERNELS: tuple[str, ...] = ("inverse-quadratic", "rbf", "thresholding")

#: Pixels of one image handled per chunk on the CPU (tuned on a 2-core AVX-512 machine with
#: ``benchmarks/bench_histogram.py``; any value gives the same result).
CPU_CHUNK = 256
_TINY_WEIGHT = 1e-30  # guards 1/w when eps = 0 and a pixel is black


def bin_centres(bins: int, bounds: tuple[float, float], dtype: torch.dtype,
                device: torch.device | str) -> torch.Tensor:
    """``bins`` centres evenly from ``bounds[0]`` to ``bounds[1]`` inclusive (numpy linspace)."""
    lo, hi = float(bounds[0]), float(bounds[1])
    return torch.linspace(lo, hi, bins, dtype=torch.float64).to(device=device, dtype=dtype)


class _Workspace:
    """Chunk-sized buffers, allocated once per call and reused for every chunk."""

    def __init__(self, like: torch.Tensor, bsz: int, chunk: int, bins: int) -> None:
        self._shape = (bsz, chunk, 3, bins)
        self._like = like
        self._buffers: dict[str, torch.Tensor] = {}

    def get(self, name: str, m: int) -> torch.Tensor:
        """The buffer ``name`` as B×m×3×h (a view of the first m pixels)."""
        if name not in self._buffers:
            self._buffers[name] = self._like.new_empty(self._shape)
        return self._buffers[name][:, :m]


def _pixel_terms(kernel: str, w: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-pixel forms of the weight w (B×n), shaped B×n×1×1 for broadcasting."""
    w = w.clamp_min(_TINY_WEIGHT)[..., None, None]
    if kernel == "rbf":
        return {"half_log_w": 0.5 * w.log()}
    return {"sqrt_w": w.sqrt()}


def _chunk_kernel(kernel: str, x: torch.Tensor, ctr: torch.Tensor, pix: dict[str, torch.Tensor],
                  threshold: float, ws: _Workspace) -> tuple[torch.Tensor, torch.Tensor]:
    """S = √w·k(x − t) for one chunk, B×n×3×h, and D = x − t (both views of ``ws`` buffers).

    ``x`` is B×n×3 (a, b, c already divided by σ) and ``ctr`` the centres divided by σ;
    ``pix`` holds the per-pixel B×n×1×1 forms of the weight. Three passes over B×n×3×h
    (binary ops with a broadcast operand; torch vectorises these, not ternary ones).
    """
    m = x.shape[1]
    d = torch.sub(x.unsqueeze(-1), ctr, out=ws.get("d", m))
    s = ws.get("s", m)
    if kernel == "inverse-quadratic":      # √w / (1 + D²)
        torch.addcmul(torch.ones((), dtype=d.dtype, device=d.device), d, d, out=s)
        torch.div(pix["sqrt_w"], s, out=s)
    elif kernel == "rbf":                  # exp(½·log w − D²) = √w·exp(−D²)
        torch.addcmul(pix["half_log_w"], d, d, value=-1.0, out=s).exp_()
    else:                                  # √w·[|D| ≤ threshold]
        torch.mul(pix["sqrt_w"], d.abs().le_(threshold), out=s)
    return s, d


def _chunks(n: int, chunk: int) -> list[tuple[int, int]]:
    return [(i, min(i + chunk, n)) for i in range(0, n, chunk)]


class _KernelProducts(torch.autograd.Function):
    """Unnormalised RGB-uv histograms from the log-differences and the weights.

    Inputs: ``x`` B×N×3 = (a, b, c)/σ, ``w`` B×N (> 0). Output B×3×h×h (H_R, H_G, H_B).
    The backward recomputes each chunk's kernel matrices instead of storing them.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, w: torch.Tensor, ctr: torch.Tensor, kernel: str,
                threshold: float, chunk: int) -> torch.Tensor:
        bsz, n, _ = x.shape
        h = ctr.numel()
        chunk = min(chunk, n)
        ws = _Workspace(x, bsz, chunk, h)
        h_ab_ac = x.new_zeros(bsz, h, 2 * h)  # [K_aᵀWK_b | K_aᵀWK_c]
        h_bc = x.new_zeros(bsz, h, h)         # K_bᵀWK_c
        for i0, i1 in _chunks(n, chunk):
            s, _ = _chunk_kernel(kernel, x[:, i0:i1], ctr, _pixel_terms(kernel, w[:, i0:i1]),
                                 threshold, ws)
            s = s.reshape(bsz, i1 - i0, 3 * h)
            h_ab_ac.baddbmm_(s[:, :, :h].mT, s[:, :, h:])
            h_bc.baddbmm_(s[:, :, h:2 * h].mT, s[:, :, 2 * h:])
        ctx.save_for_backward(x, w, ctr)
        ctx.kernel, ctx.threshold, ctx.chunk = kernel, threshold, chunk
        return torch.stack((h_ab_ac[:, :, :h], h_ab_ac[:, :, h:].flip(1), h_bc.flip(1, 2)), 1)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x = ctx.saved_tensors[0]
        with torch.autocast(device_type=x.device.type, enabled=False):   # keep float32 matmuls
            return _KernelProducts._backward(ctx, grad.to(x.dtype))

    @staticmethod
    def _backward(ctx, grad: torch.Tensor):
        x, w, ctr = ctx.saved_tensors
        kernel = ctx.kernel
        bsz, n, _ = x.shape
        h = ctr.numel()
        g_r = grad[:, 0]
        g_g = grad[:, 1].flip(1)      # gradient of K_aᵀWK_c (undo the forward's flip)
        g_b = grad[:, 2].flip(1, 2)   # gradient of K_bᵀWK_c
        # ∂L/∂S_a = S_b·G_Rᵀ + S_c·G_Gᵀ,  ∂L/∂S_b = S_a·G_R + S_c·G_Bᵀ,  ∂L/∂S_c = S_a·G_G + S_b·G_B
        g_a_rows = torch.cat((g_r.mT, g_g.mT), 1).contiguous()   # multiplies [S_b S_c]
        g_c_rows = torch.cat((g_g, g_b), 1).contiguous()         # multiplies [S_a S_b]
        g_b_mt = g_b.mT.contiguous()
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_x = torch.zeros_like(x) if need_x and kernel != "thresholding" else None
        grad_w = torch.zeros_like(w) if need_w else None
        ws = _Workspace(x, bsz, ctx.chunk, h)
        p_buf = [x.new_empty(bsz, ctx.chunk, h) for _ in range(3)]
        for i0, i1 in _chunks(n, ctx.chunk):
            m = i1 - i0
            wc = w[:, i0:i1]
            pix = _pixel_terms(kernel, wc)
            s, d = _chunk_kernel(kernel, x[:, i0:i1], ctr, pix, ctx.threshold, ws)
            s3 = s.reshape(bsz, m, 3 * h)
            # ∂L/∂S per projection, each in its own contiguous buffer (a strided bmm output
            # would be computed elsewhere and copied)
            p_a, p_b, p_c = (buf[:, :m] for buf in p_buf)
            torch.bmm(s3[:, :, h:], g_a_rows, out=p_a)
            torch.bmm(s3[:, :, :h], g_r, out=p_b)
            p_b.baddbmm_(s3[:, :, 2 * h:], g_b_mt)
            torch.bmm(s3[:, :, :2 * h], g_c_rows, out=p_c)
            w_sum = wc.new_zeros(bsz, m) if grad_w is not None else None
            for k, q in enumerate((p_a, p_b, p_c)):
                s_k, d_k = s[:, :, k], d[:, :, k]
                q.mul_(s_k)                       # ∂L/∂S·S
                if w_sum is not None:
                    w_sum += q.sum(-1)
                if grad_x is not None:            # x is over σ already; autograd applies 1/σ
                    if kernel == "inverse-quadratic":   # ∂S/∂x = −2·D·S² / √w
                        grad_x[:, i0:i1, k] = q.mul_(s_k).mul_(d_k).sum(-1)
                    else:                               # rbf: ∂S/∂x = −2·D·S
                        grad_x[:, i0:i1, k] = q.mul_(d_k).sum(-1)
            if w_sum is not None:                 # S = √w·k  ⇒  ∂S/∂w = S / (2w)
                grad_w[:, i0:i1] = w_sum / (2.0 * wc.clamp_min(_TINY_WEIGHT))
            if grad_x is not None:
                scale = -2.0 / pix["sqrt_w"][..., 0] if kernel == "inverse-quadratic" else -2.0
                grad_x[:, i0:i1] *= scale
        return grad_x, grad_w, None, None, None, None


def _bilinear_taps(n_in: int, n_out: int, dtype: torch.dtype, device: torch.device
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Source indices i0, i1 and weight of i1 for each output position, as PyTorch's bilinear
    resize with ``align_corners=False`` computes them (in the image's dtype)."""
    scale = torch.tensor(n_in / n_out, dtype=dtype, device=device)
    src = (scale * (torch.arange(n_out, dtype=dtype, device=device) + 0.5) - 0.5).clamp_min(0)
    i0 = src.floor().long().clamp_max(n_in - 1)
    i1 = (i0 + 1).clamp_max(n_in - 1)
    return i0, i1, (src - i0.to(dtype)).clamp(0.0, 1.0)


def image_pixels(img: torch.Tensor, size: int | None) -> torch.Tensor:
    """B×3×H×W → B×3×N: clamped to [0, 1] and, when a side exceeds ``size``, resized to
    size×size (bilinear, ``align_corners=False``; N = size²).

    Equal to ``F.interpolate(img.clamp(0, 1), (size, size), mode="bilinear")`` up to float
    rounding, but it reads, clamps and differentiates only the 4·size² source pixels that
    the resize uses instead of all H×W (the full-size clamp, its mask and the resize's
    backward cost as much as the histogram's kernels on a 448×448 batch).
    """
    h_in, w_in = img.shape[-2:]
    if size is None or (h_in <= size and w_in <= size):
        return img.clamp(0.0, 1.0).flatten(2)
    y0, y1, wy = _bilinear_taps(h_in, size, img.dtype, img.device)
    x0, x1, wx = _bilinear_taps(w_in, size, img.dtype, img.device)
    flat = torch.stack([(ya[:, None] * w_in + xa[None, :]).flatten()
                        for ya in (y0, y1) for xa in (x0, x1)])            # 4×N source indices
    weights = torch.stack([(wa[:, None] * wb[None, :]).flatten()
                           for wa in (1 - wy, wy) for wb in (1 - wx, wx)])  # 4×N
    taps = img.flatten(2).index_select(2, flat.flatten()).clamp(0.0, 1.0)  # B×3×4N
    return (taps.view(*img.shape[:2], 4, -1) * weights).sum(2)


def _check(img: torch.Tensor, bins: int, kernel: str, sigma: float,
           bounds: tuple[float, float]) -> None:
    check_image_batch(img, "rgbuv_histogram: the image", value_range=None)  # clamped below
    if kernel not in KERNELS:
        raise ConfigError(f"rgbuv_histogram: unknown kernel {kernel!r} (one of {KERNELS})")
    if bins < 2 or sigma <= 0:
        raise ConfigError(f"rgbuv_histogram: need bins ≥ 2 and sigma > 0, got {bins}, {sigma}")
    if not (len(bounds) == 2 and float(bounds[0]) == -float(bounds[1]) and bounds[1] > 0):
        raise ConfigError(f"rgbuv_histogram: bounds must be symmetric, (−b, b) with b > 0 (the "
                         f"fast path flips kernel matrices), got {tuple(bounds)}")


def rgbuv_histogram(img: torch.Tensor, bins: int = 64, size: int | None = 150,
                    kernel: Kernel = "inverse-quadratic", sigma: float = 0.02,
                    intensity_scale: bool = True, bounds: tuple[float, float] = (-3.0, 3.0),
                    eps: float = 1e-6, chunk: int | None = None) -> torch.Tensor:
    """The RGB-uv histogram of each image of a batch (differentiable).

    Args:
        img: B×3×H×W RGB, values in [0, 1] (clamped). float32 or float64 (half types are
            computed in float32); any device.
        bins: h, bins per axis.
        size: images with a side larger than this are resized to size×size first (None: never).
        kernel: ``"inverse-quadratic"`` (the paper's), ``"rbf"`` or ``"thresholding"``.
        sigma: kernel width σ in log-chroma units.
        intensity_scale: weight each pixel by I_y = √(R² + G² + B² + ε) (else 1).
        bounds: the first and last bin centre.
        eps: ε of the logs, of I_y and of the normalisation.
        chunk: pixels per image processed at once (None: 256 on CPU, all on GPU); only speed
            and memory depend on it.

    Returns:
        B×3×bins×bins, channel c the histogram of projection c ∈ (R, G, B), rows u, columns v;
        each image's histogram sums to 1 (up to ε).

    Examples:
        >>> import torch
        >>> h = rgbuv_histogram(torch.rand(2, 3, 32, 32))
        >>> tuple(h.shape), round(float(h[0].sum()), 4)
        ((2, 3, 64, 64), 1.0)
    """
    _check(img, bins, kernel, sigma, bounds)
    dtype = torch.float64 if img.dtype == torch.float64 else torch.float32
    with torch.autocast(device_type=img.device.type, enabled=False):
        x = image_pixels(img.to(dtype), size)                       # B×3×N
        logs = torch.log(x + eps)
        lr, lg, lb = logs.unbind(1)
        diffs = torch.stack((lr - lg, lr - lb, lg - lb), 2) / sigma   # B×N×3: a, b, c over σ
        if intensity_scale:
            w = torch.sqrt((x * x).sum(1) + eps)                      # B×N
        else:
            w = torch.ones_like(lr)
        ctr = bin_centres(bins, bounds, dtype, img.device) / sigma
        threshold = (float(bounds[1]) - float(bounds[0])) / bins / 2.0 / sigma
        if chunk is None:
            chunk = CPU_CHUNK if img.device.type == "cpu" else x.shape[-1]
        hist = _KernelProducts.apply(diffs, w, ctr, kernel, threshold, max(1, int(chunk)))
        total = hist.sum((1, 2, 3), keepdim=True)
        return hist / (total + eps)


def histogram_flops(batch: int, pixels: int, bins: int = 64, backward: bool = True) -> float:
    """Floating-point operations of the three h×N·N×h products (and their gradients)."""
    per_image = 3 * 2.0 * bins * bins * pixels
    return batch * per_image * (3.0 if backward else 1.0)


class HistogramLoss(torch.nn.Module):
    """The colour term: a distance between the RGB-uv histograms of prediction and target.

    ``forward(pred, target)`` with B×3×H×W images in [0, 1] returns a scalar. The target's
    histogram is computed without a graph. Defaults are the paper's: inverse-quadratic kernel,
    64 bins, 150×150, Hellinger distance composed as the authors' code does, in its safe form.

    Args:
        distance: a key of :data:`hdrisp.losses.distances.DISTANCES`.
        reduction: ``"authors"`` (Hellinger only), ``"mean"`` or ``"sum"`` over the batch.
        safe: Hellinger's safe square roots (finite gradients); ignored by other distances.
        across_ranks: in a distributed run (``torch.distributed`` initialised, several
            processes), compose the ``"authors"`` reduction over the global batch of every
            process (:func:`~hdrisp.losses.distances.hellinger_over_processes`), so the value
            and the gradient equal one process's with the same global batch. Every process
            must then call the loss at the same time; it is only applied while gradients are
            recorded (a ``torch.no_grad`` validation on one process stays local). The mean
            and sum reductions need nothing: ``DistributedDataParallel`` averages them right.
        The other arguments are those of :func:`rgbuv_histogram`.
    """

    def __init__(self, bins: int = 64, size: int | None = 150,
                 kernel: Kernel = "inverse-quadratic", sigma: float = 0.02,
                 intensity_scale: bool = True, bounds: tuple[float, float] = (-3.0, 3.0),
                 eps: float = 1e-6, distance: str = "hellinger", reduction: str = "authors",
                 safe: bool = True, across_ranks: bool = False) -> None:
        super().__init__()
        if distance not in DISTANCES:
            raise ConfigError(f"HistogramLoss: unknown distance {distance!r} "
                             f"(one of {sorted(DISTANCES)})")
        if reduction == "authors" and distance != "hellinger":
            raise ConfigError("HistogramLoss: reduction 'authors' exists for Hellinger only")
        self.hist_kwargs = dict(bins=bins, size=size, kernel=kernel, sigma=sigma,
                                intensity_scale=intensity_scale, bounds=tuple(bounds), eps=eps)
        self.distance, self.reduction, self.safe = distance, reduction, safe
        self.across_ranks = across_ranks

    def histogram(self, img: torch.Tensor) -> torch.Tensor:
        """B×3×bins×bins RGB-uv histograms with this loss's settings."""
        return rgbuv_histogram(img, **self.hist_kwargs)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            h_target = self.histogram(target.detach())
        h_pred = self.histogram(pred)
        if self.distance == "hellinger":
            if self.reduction == "authors" and self._over_processes():
                return hellinger_over_processes(h_pred, h_target, safe=self.safe)
            return hellinger_distance(h_pred, h_target, reduction=self.reduction,
                                      safe=self.safe)
        return DISTANCES[self.distance](h_pred, h_target, reduction=self.reduction)

    def _over_processes(self) -> bool:
        """Whether this call composes over the processes (see ``across_ranks``)."""
        if not (self.across_ranks and torch.is_grad_enabled()):
            return False
        return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1

    def extra_repr(self) -> str:
        return (f"distance={self.distance!r}, reduction={self.reduction!r}, safe={self.safe}, "
                + ", ".join(f"{k}={v!r}" for k, v in self.hist_kwargs.items()))


__all__ = ["rgbuv_histogram", "HistogramLoss", "bin_centres", "image_pixels",
           "histogram_flops", "KERNELS"]
