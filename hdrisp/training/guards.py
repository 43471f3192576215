"""Safety nets of the training loop: Ctrl-C, a diverging loss, running out of memory."""

from __future__ import annotations

import math
import signal
import threading

import torch

from hdrisp.errors import HdrispError


class TrainingError(HdrispError):
    """Training stopped on purpose: a non-finite loss, out of memory, a run that exists."""


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


def out_of_memory_error(exc: BaseException, level: int, batch: int, key: str,
                        device: torch.device, world_size: int = 1) -> TrainingError:
    """A TrainingError that says what ran out and which smaller batch to try."""
    where = "CUDA" if device.type == "cuda" else "the CPU"
    per_rank = batch // max(world_size, 1)
    suggestion = max(world_size, (batch // 2) // world_size * world_size)
    advice = (f"try {key}: {suggestion}" if suggestion < batch
              else "lower the level's patch or use a larger device")
    return TrainingError(f"level {level}: {where} ran out of memory with batch {batch} "
                         f"({per_rank} per process); {advice} (then --resume)")


def nonfinite_error(level: int, step: int, terms: dict[str, float], last: str | None,
                    last_step: int | None) -> TrainingError:
    """A TrainingError for a NaN/inf loss that names the bad terms and the checkpoint kept."""
    bad = ", ".join(f"{k}={v}" for k, v in terms.items() if not math.isfinite(v)) or "loss"
    kept = (f"the last good checkpoint is {last} (step {last_step})" if last
            else "no checkpoint was written yet")
    return TrainingError(f"level {level}, step {step}: the loss is not finite ({bad}); training "
                         f"stopped and {kept}. Try a lower learning rate, runtime.amp: off, or "
                         "check the data for broken pairs")


__all__ = ["StopRequest", "TrainingError", "is_out_of_memory", "nonfinite_error",
           "out_of_memory_error"]
