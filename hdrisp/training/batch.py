"""What happens to one batch: the training step with its guards, and the validation pass.

- :func:`train_step`: forward (under the runtime's autocast), every loss term, backward and
  the optimiser update; a non-finite loss on any process stops training with a
  :class:`~hdrisp.errors.TrainingError` naming the bad terms and the checkpoint kept, and
  running out of memory becomes a TrainingError that suggests a smaller batch. The loop
  calls it directly: ``train_schedule → LevelRun.run → LevelRun._train → train_step``.
- :func:`validate`: the same forward on held-out batches, image metrics and every loss term.
- :class:`StopRequest`: the first Ctrl-C becomes a request honoured after the current step.
"""

from __future__ import annotations

import math
import os
import signal
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from hdrisp.errors import TrainingError
from hdrisp.evaluation import metrics
from hdrisp.runtime import Runtime
from hdrisp.training.distributed import broadcast_flag, mean_over_ranks
from hdrisp.training.logs import save_side_by_side


def to_runtime(runtime: Runtime, raw: torch.Tensor,
               target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move a batch to the runtime's device; the packed input in its memory format."""
    raw = raw.to(runtime.device, non_blocking=True)
    target = target.to(runtime.device, non_blocking=True)
    if runtime.channels_last:
        raw = raw.contiguous(memory_format=torch.channels_last)
    return raw, target


@dataclass(frozen=True)
class StepContext:
    """What a failing step's message names: the level, the global batch and its config key,
    the step number, and the last checkpoint written (None: none yet)."""

    level: int = 0
    step: int = 1
    batch: int = 1
    batch_key: str = "batch"
    last_checkpoint: str | None = None
    last_step: int | None = None


def train_step(model: nn.Module, loss_fn: nn.Module, optimizer: torch.optim.Optimizer,
               scaler: torch.amp.GradScaler, runtime: Runtime, raw: torch.Tensor,
               target: torch.Tensor, *, grad_clip: float | None = None,
               context: StepContext = StepContext()) -> dict[str, float]:
    """Forward, loss, backward and update on one batch.

    Args:
        raw: packed input ``B×4×h×w`` in [0, 1] (any device; moved to the runtime's).
        target: ``B×3×H×W`` in [0, 1] at the model level's size.
        grad_clip: clip the gradients' global norm to this value (None: no clipping).
        context: what an error message names.

    Returns:
        Every loss term as a float, averaged over the processes of a distributed run.

    Raises:
        TrainingError: the loss is not finite on some process (no update is made), or the
            device ran out of memory.
    """
    try:
        raw, target = to_runtime(runtime, raw, target)
        with runtime.autocast():
            pred = model(raw)
        terms = loss_fn(pred.float().contiguous(), target)
        values = dict(zip(terms, torch.stack([torch.as_tensor(t).detach().float().reshape(())
                                              for t in terms.values()]).tolist(), strict=True))
        if broadcast_flag(not math.isfinite(values["loss"]), runtime):
            raise nonfinite_error(context, values)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(terms["loss"]).backward()
        if grad_clip:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        scaler.step(optimizer)
        scaler.update()
    except Exception as exc:
        if is_out_of_memory(exc):
            raise out_of_memory_error(context, runtime) from None
        raise
    return mean_over_ranks(values, runtime)


@torch.no_grad()
def validate(model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
             loss_fn: nn.Module, runtime: Runtime, *, image_dir: str | os.PathLike | None = None,
             n_images: int = 0, tag: str = "", progress: bool = False) -> dict[str, float]:
    """Evaluate ``model`` on ``(raw B×4×h×w, target B×3×H×W)`` batches.

    Returns the image-weighted means of: ``psnr`` (dB), ``ms_ssim`` (only when the images are
    large enough for five scales, else absent), ``hist`` (Hellinger distance of the RGB-uv
    histograms, per image) and every term of ``loss_fn`` prefixed ``loss_`` /  ``loss``.
    The first ``n_images`` predictions are written to ``image_dir`` as
    ``{tag}_{k}.png`` (prediction | target). ``progress`` shows a bar over the batches (gone
    when done). The model is put back in training mode.
    """
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
        for raw, target in tqdm(batches, desc="validation", unit="batch", leave=False,
                                dynamic_ncols=True, disable=not progress):
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


class StopRequest:
    """Turn the first Ctrl-C (SIGINT) into a request the loop honours after the current step.

    The loop then writes a checkpoint and raises ``KeyboardInterrupt``. A second Ctrl-C
    interrupts at once (the default behaviour). Outside the main thread it does nothing.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def is_out_of_memory(exc: BaseException) -> bool:
    """True for CUDA's OutOfMemoryError and the CPU allocator's failure."""
    if isinstance(exc, torch.OutOfMemoryError | MemoryError):
        return True
    return isinstance(exc, RuntimeError) and "can't allocate memory" in str(exc)


def out_of_memory_error(context: StepContext, runtime: Runtime) -> TrainingError:
    """A TrainingError that says what ran out and which smaller batch to try."""
    level, batch, key = context.level, context.batch, context.batch_key
    world_size = runtime.world_size
    where = "CUDA" if runtime.device.type == "cuda" else "the CPU"
    per_rank = batch // max(world_size, 1)
    suggestion = max(world_size, (batch // 2) // world_size * world_size)
    advice = (f"try {key}: {suggestion}" if suggestion < batch
              else "lower the level's patch or use a larger device")
    return TrainingError(f"level {level}: {where} ran out of memory with batch {batch} "
                         f"({per_rank} per process); {advice} (then --resume)")


def nonfinite_error(context: StepContext, terms: dict[str, float]) -> TrainingError:
    """A TrainingError for a NaN/inf loss that names the bad terms and the checkpoint kept."""
    level, step = context.level, context.step
    last, last_step = context.last_checkpoint, context.last_step
    bad = ", ".join(f"{k}={v}" for k, v in terms.items() if not math.isfinite(v)) or "loss"
    kept = (f"the last good checkpoint is {last} (step {last_step})" if last
            else "no checkpoint was written yet")
    return TrainingError(f"level {level}, step {step}: the loss is not finite ({bad}); training "
                         f"stopped and {kept}. Try a lower learning rate, runtime.precision: "
                         "fp32, or check the data for broken pairs")


__all__ = ["StepContext", "StopRequest", "is_out_of_memory", "nonfinite_error",
           "out_of_memory_error", "to_runtime", "train_step", "validate"]
