"""Training checkpoints: one dict, written atomically, read with ``weights_only=True``.

A checkpoint holds everything needed to continue a level exactly where it stopped::

    {"format": "hdrisp-checkpoint", "version": 1,
     "model": state dict (CPU tensors), "optimizer": optimiser state dict (CPU tensors),
     "scaler": GradScaler state or None, "level": int, "epoch": int (current epoch, 0-based),
     "step": int (optimiser steps done in this level), "step_in_epoch": int (batches of the
     current epoch already consumed), "finished": bool (the level is complete),
     "best": float or None (best validation value so far), "config": plain dict,
     "rng": {"torch": uint8 tensor, "cuda": [uint8 tensors], "numpy": {...}, "python": [...]},
     "extra": plain dict}

Only plain containers, numbers, strings and tensors are stored, so loading with
``weights_only=True`` reads it back. The file is first written to a temporary file beside the
target, flushed to disk, then moved over the target with ``os.replace``: a run killed at any
moment leaves either the old or the new checkpoint, never a torn one.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hdrisp.errors import CheckpointError

FORMAT = "hdrisp-checkpoint"
VERSION = 1
REQUIRED_KEYS = ("model", "level", "epoch", "step", "config")


def to_cpu(obj: Any) -> Any:
    """The nested dict/list/tuple structure with every tensor detached and on the CPU (CPU
    tensors are shared, not copied: the caller serialises them at once)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_cpu(v) for v in obj)
    return obj


def capture_rng_state() -> dict:
    """The state of every random generator training touches, as weights_only-safe values."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"kind": str(kind), "keys": torch.from_numpy(keys.astype(np.int64)),
                  "pos": int(pos), "has_gauss": int(has_gauss), "cached": float(cached)},
        "python": {"version": int(version), "internal": list(internal), "gauss": gauss},
        "cuda": [],
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = [s.cpu() for s in torch.cuda.get_rng_state_all()]
    return state


def restore_rng_state(state: dict) -> None:
    """Put back the generator states of :func:`capture_rng_state`."""
    torch.set_rng_state(state["torch"].to(torch.uint8))
    np_state = state["numpy"]
    np.random.set_state((np_state["kind"], np_state["keys"].numpy().astype(np.uint32),
                         np_state["pos"], np_state["has_gauss"], np_state["cached"]))
    py = state["python"]
    random.setstate((py["version"], tuple(py["internal"]), py["gauss"]))
    cuda = state.get("cuda") or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.to(torch.uint8) for s in cuda])


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save`` to a temporary file beside ``path``, fsync, then ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; use the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove_stale_temporaries(folder: str | os.PathLike) -> int:
    """Delete temporary files a killed :func:`atomic_torch_save` left in ``folder``."""
    count = 0
    for tmp in Path(folder).glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
        count += 1
    return count


def save_checkpoint(path: str | os.PathLike, *, model: torch.nn.Module, level: int, epoch: int,
                    step: int, config: dict, optimizer: torch.optim.Optimizer | None = None,
                    scaler: Any = None, step_in_epoch: int = 0, finished: bool = False,
                    best: float | None = None, extra: dict | None = None) -> Path:
    """Write a training checkpoint atomically (see the module docstring for its keys).

    ``model`` may be wrapped (DistributedDataParallel): its inner module's state is saved.
    ``config`` must be a plain dict (``hdrisp.config.to_dict``).
    """
    inner = getattr(model, "module", model)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "model": to_cpu(inner.state_dict()),
        "optimizer": None if optimizer is None else to_cpu(optimizer.state_dict()),
        "scaler": None if scaler is None or not scaler.is_enabled() else scaler.state_dict(),
        "level": int(level),
        "epoch": int(epoch),
        "step": int(step),
        "step_in_epoch": int(step_in_epoch),
        "finished": bool(finished),
        "best": None if best is None else float(best),
        "config": config,
        "rng": capture_rng_state(),
        "extra": extra or {},
    }
    return atomic_torch_save(payload, path)


def trained_on_other_data(state: dict, fingerprint: str | None) -> bool:
    """True when a checkpoint records a data set (``extra["dataset_sha256"]``) other than
    ``fingerprint`` (:func:`hdrisp.data.normalization.dataset_fingerprint`); False when
    either is unknown."""
    was = state.get("extra", {}).get("dataset_sha256")
    return was is not None and fingerprint is not None and was != fingerprint


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` (onto the CPU, weights_only).

    Raises:
        CheckpointError: the file is missing, unreadable, or not an hdrisp checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError("checkpoint not found", path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"cannot read checkpoint ({first})", path) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError("not an hdrisp training checkpoint (a plain state dict? load it "
                              "with hdrisp.models.load_weights)", path)
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise CheckpointError(f"checkpoint lacks {', '.join(missing)}", path)
    if data.get("version", 0) > VERSION:
        raise CheckpointError(f"checkpoint version {data['version']} is newer than this hdrisp "
                              f"reads ({VERSION}); update hdrisp", path)
    return data


__all__ = [
    "atomic_torch_save", "capture_rng_state", "load_checkpoint", "remove_stale_temporaries",
    "restore_rng_state", "save_checkpoint", "to_cpu",
]
