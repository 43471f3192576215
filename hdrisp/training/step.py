"""One optimisation step, as the loop runs it (and as benchmarks/bench_train.py times it)."""

from __future__ import annotations

import math

import torch
from torch import nn

from hdrisp.training.distributed import Runtime, broadcast_flag


def to_runtime(runtime: Runtime, raw: torch.Tensor,
               target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move a batch to the runtime's device; the packed input in its memory format."""
    raw = raw.to(runtime.device, non_blocking=True)
    target = target.to(runtime.device, non_blocking=True)
    if runtime.channels_last:
        raw = raw.contiguous(memory_format=torch.channels_last)
    return raw, target

def training_step(model: nn.Module, loss_fn: nn.Module, optimizer: torch.optim.Optimizer,
                  scaler: torch.amp.GradScaler, runtime: Runtime, raw: torch.Tensor,
                  target: torch.Tensor, grad_clip: float | None = None
                  ) -> tuple[dict[str, float], bool]:
    """Forward, loss, backward and update on one batch.

    Args:
        raw: packed input ``B×4×h×w`` in [0, 1] (any device; moved to the runtime's).
        target: ``B×3×H×W`` in [0, 1] at the model level's size.

    Returns:
        ``(terms, finite)``: every loss term as a float, and whether the total was finite
        on every process. When it was not, no update is made.
    """
    raw, target = to_runtime(runtime, raw, target)
    with runtime.autocast():
        pred = model(raw)
    terms = loss_fn(pred.float().contiguous(), target)
    values = dict(zip(terms, torch.stack([torch.as_tensor(t).detach().float().reshape(())
                                          for t in terms.values()]).tolist(), strict=True))
    if broadcast_flag(not math.isfinite(values["loss"]), runtime):
        return values, False
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(terms["loss"]).backward()
    if grad_clip:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    scaler.step(optimizer)
    scaler.update()
    return values, True


__all__ = ["training_step"]
