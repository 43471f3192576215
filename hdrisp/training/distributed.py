"""Where and how a training run executes: device, processes, mixed precision, determinism.

A run started by ``torchrun --nproc_per_node N -m hdrisp train ...`` finds ``WORLD_SIZE``,
``RANK`` and ``LOCAL_RANK`` in its environment; :func:`runtime_session` then joins the process
group (NCCL on CUDA, gloo on CPU), pins each process to ``cuda:LOCAL_RANK``, and the loop wraps
the model in ``DistributedDataParallel``. Only rank 0 logs, draws progress bars and writes
checkpoints. A plain ``python`` run is a world of one.

The device and precision names are resolved by :mod:`hdrisp.runtime`; on CUDA the session
also enables channels_last tensors, ``cudnn.benchmark`` and pinned host memory. In
deterministic mode it makes torch use deterministic kernels and disables cudnn autotuning.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from hdrisp.runtime import (
    Runtime,
    RuntimeConfig,
    resolve_device,
    resolve_precision,
    set_threads,
)


def torchrun_environment() -> tuple[int, int, int] | None:
    """``(rank, world_size, local_rank)`` when started by torchrun with several processes."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return None
    rank = int(os.environ.get("RANK", "0"))
    return rank, world, int(os.environ.get("LOCAL_RANK", str(rank)))


@contextlib.contextmanager
def runtime_session(cfg: RuntimeConfig, device: str | None = None,
                    precision: str | None = None) -> Iterator[Runtime]:
    """Set up this process for training and undo it afterwards.

    Joins the torchrun process group when there is one (and leaves it when this call made it),
    sets threads, determinism and cudnn flags for the duration, and yields the
    :class:`Runtime`. ``device`` and ``precision`` override ``cfg.device`` and
    ``cfg.precision``.
    """
    env = torchrun_environment()
    rank, world, local_rank = env if env else (0, 1, 0)
    dev = resolve_device(device or cfg.device, local_rank)
    created_group = False
    if env and not dist.is_initialized():
        if dev.type == "cuda":
            torch.cuda.set_device(dev)
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo",
                                rank=rank, world_size=world)
        created_group = True
    previous = (set_threads(cfg.threads), torch.are_deterministic_algorithms_enabled(),
                torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    if cfg.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    else:
        torch.backends.cudnn.benchmark = cfg.cudnn_benchmark and dev.type == "cuda"
    channels_last = cfg.channels_last == "on" or cfg.channels_last == "auto"
    runtime = Runtime(device=dev, rank=rank, world_size=world, local_rank=local_rank,
                      autocast_dtype=resolve_precision(precision or cfg.precision, dev),
                      channels_last=channels_last,
                      deterministic=cfg.deterministic)
    try:
        yield runtime
    finally:
        torch.set_num_threads(previous[0])
        torch.use_deterministic_algorithms(previous[1])
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = previous[2:]
        if created_group and dist.is_initialized():
            dist.destroy_process_group()


def wrap_model(model: torch.nn.Module, runtime: Runtime) -> torch.nn.Module:
    """``DistributedDataParallel`` around ``model`` in a distributed run, else ``model``.

    Levels finer than the one being trained leave parameters unused, hence
    ``find_unused_parameters=True``.
    """
    if not runtime.distributed:
        return model
    ids = [runtime.device.index] if runtime.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=True)


def barrier(runtime: Runtime) -> None:
    """Wait for every process (no-op in a single-process run)."""
    if runtime.distributed and dist.is_initialized():
        dist.barrier()


def broadcast_flag(flag: bool, runtime: Runtime) -> bool:
    """True on every rank when ``flag`` is true on any rank (e.g. a stop request)."""
    if not runtime.distributed:
        return flag
    tensor = torch.tensor([1.0 if flag else 0.0], device=runtime.device
                          if runtime.device.type == "cuda" else "cpu")
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return bool(tensor.item() > 0)


def mean_over_ranks(values: dict[str, float], runtime: Runtime) -> dict[str, float]:
    """The mean of each scalar over all ranks (for logging the global batch's loss)."""
    if not runtime.distributed or not values:
        return values
    keys = sorted(values)
    tensor = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64,
                          device=runtime.device if runtime.device.type == "cuda" else "cpu")
    dist.all_reduce(tensor)
    tensor /= runtime.world_size
    return dict(zip(keys, tensor.tolist(), strict=True))


__all__ = [
    "barrier", "broadcast_flag", "mean_over_ranks", "runtime_session", "torchrun_environment",
    "wrap_model",
]
