"""Per-epoch validation: image metrics, every loss term, and a few example PNGs."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn

from hdrisp.training.distributed import Runtime
from hdrisp.training.logs import save_side_by_side
from hdrisp.training.step import to_runtime


@torch.no_grad()
def validate(model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
             loss_fn: nn.Module, runtime: Runtime, *, image_dir: str | os.PathLike | None = None,
             n_images: int = 0, tag: str = "") -> dict[str, float]:
    """Evaluate ``model`` on ``(raw B×4×h×w, target B×3×H×W)`` batches.

    Returns the image-weighted means of: ``psnr`` (dB), ``ms_ssim`` (only when the images are
    large enough for five scales, else absent), ``hist`` (Hellinger distance of the RGB-uv
    histograms, per image) and every term of ``loss_fn`` prefixed ``loss_`` /  ``loss``.
    The first ``n_images`` predictions are written to ``image_dir`` as
    ``{tag}_{k}.png`` (prediction | target). The model is put back in training mode.
    """
    from hdrisp import metrics

    inner = getattr(model, "module", model)
    was_training = inner.training
    inner.eval()
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    seen = 0  # images evaluated so far: the index of the first image of the next batch

    def add(name: str, value: float, n: int) -> None:
        sums[name] = sums.get(name, 0.0) + float(value) * n
        counts[name] = counts.get(name, 0) + n

    try:
        for raw, target in batches:
            raw, target = to_runtime(runtime, raw, target)
            with runtime.autocast():
                pred = inner(raw)
            pred = pred.float().clamp(0, 1).contiguous()
            n = pred.shape[0]
            for name, value in loss_fn(pred, target).items():
                add("loss" if name == "loss" else f"loss_{name}", float(value), n)
            add("psnr", metrics.psnr(pred, target), n)
            add("hist", metrics.hellinger(pred, target), n)
            try:
                add("ms_ssim", metrics.ms_ssim(pred, target), n)
            except metrics.MetricNotApplicable:  # too small for five scales
                pass
            if image_dir is not None:
                for k in range(max(0, min(n, n_images - seen))):
                    save_side_by_side(Path(image_dir) / f"{tag}_{seen + k}.png",
                                      pred[k], target[k])
            seen += n
    finally:
        inner.train(was_training)
    return {name: sums[name] / counts[name] for name in sums}


__all__ = ["validate"]
