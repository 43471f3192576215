"""Where and how a training run executes: device, processes, mixed precision, determinism.

A run started by ``torchrun --nproc_per_node N -m hdrisp train ...`` finds ``WORLD_SIZE``,
``RANK`` and ``LOCAL_RANK`` in its environment; :func:`runtime_session` then joins the process
group (NCCL on CUDA, gloo on CPU), pins each process to ``cuda:LOCAL_RANK``, and the loop wraps
the model in ``DistributedDataParallel``. Only rank 0 logs, draws progress bars and writes
checkpoints. A plain ``python`` run is a world of one.

On CUDA the session enables autocast (bf16 where the GPU supports it, else fp16 with a
``GradScaler``), channels_last tensors, ``cudnn.benchmark`` and pinned host memory. On a CPU
with native bfloat16 instructions (AVX512-BF16, AMX) ``amp: auto`` uses bf16 autocast too: the
convolutions then run about twice as fast as in float32. In
deterministic mode it makes torch use deterministic kernels and disables cudnn autotuning.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from hdrisp.errors import ConfigError
from hdrisp.training.config import RuntimeConfig


@dataclass(frozen=True)
class Runtime:
    """The resolved execution settings of one process."""

    device: torch.device
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    amp_dtype: torch.dtype | None = None
    channels_last: bool = False
    deterministic: bool = False

    @property
    def distributed(self) -> bool:
        """True when several processes train together."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on the process that logs and writes checkpoints (rank 0)."""
        return self.rank == 0

    @property
    def pin_memory(self) -> bool:
        """Pinned host memory speeds host→GPU copies; pointless on the CPU."""
        return self.device.type == "cuda"

    @property
    def amp_name(self) -> str:
        """``"bf16"``, ``"fp16"`` or ``"off"``."""
        return {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(self.amp_dtype, "off")

    def autocast(self) -> contextlib.AbstractContextManager:
        """The autocast context of the forward pass (a no-op when mixed precision is off)."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A GradScaler, enabled only for fp16 on CUDA (bf16 needs none)."""
        enabled = self.amp_dtype == torch.float16 and self.device.type == "cuda"
        return torch.amp.GradScaler(self.device.type, enabled=enabled)


def torchrun_environment() -> tuple[int, int, int] | None:
    """``(rank, world_size, local_rank)`` when started by torchrun with several processes."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return None
    rank = int(os.environ.get("RANK", "0"))
    return rank, world, int(os.environ.get("LOCAL_RANK", str(rank)))


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``"auto"`` → ``cuda:LOCAL_RANK`` when CUDA is present, else CPU; ConfigError when the
    requested CUDA device does not exist."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"runtime.device: {name} requested but CUDA is not available "
                              "(use --device cpu)")
        if device.index is None:
            device = torch.device("cuda", local_rank)
        if device.index >= torch.cuda.device_count():
            raise ConfigError(f"runtime.device: {device} does not exist "
                              f"({torch.cuda.device_count()} GPU(s))")
    elif device.type != "cpu":
        raise ConfigError(f"runtime.device: unsupported device {name!r} (use cpu or cuda)")
    return device


def cpu_has_native_bf16() -> bool:
    """True when the CPU has bfloat16 instructions (AVX512-BF16 or AMX; Linux only), where
    oneDNN runs bf16 convolutions about twice as fast as float32. Elsewhere bf16 is emulated
    and slower, so ``amp: auto`` leaves it off."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


def resolve_amp(amp: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``amp`` on ``device`` (None: float32 throughout).

    ``"auto"``: on CUDA bf16 where supported, else fp16 (with a GradScaler); on the CPU bf16
    when it has native bf16 instructions, else off.
    """
    if amp == "off":
        return None
    if amp == "auto" and device.type != "cuda":
        return torch.bfloat16 if cpu_has_native_bf16() else None
    if amp == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if amp == "fp16" and device.type != "cuda":
        raise ConfigError("runtime.amp: fp16 needs CUDA; use bf16 or off on the CPU")
    return torch.bfloat16 if amp == "bf16" else torch.float16


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@contextlib.contextmanager
def runtime_session(cfg: RuntimeConfig, device: str | None = None) -> Iterator[Runtime]:
    """Set up this process for training and undo it afterwards.

    Joins the torchrun process group when there is one (and leaves it when this call made it),
    sets threads, determinism and cudnn flags for the duration, and yields the
    :class:`Runtime`. ``device`` overrides ``cfg.device``.
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
    previous = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(),
                torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    if cfg.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    else:
        torch.backends.cudnn.benchmark = cfg.cudnn_benchmark and dev.type == "cuda"
    channels_last = cfg.channels_last == "on" or cfg.channels_last == "auto"
    runtime = Runtime(device=dev, rank=rank, world_size=world, local_rank=local_rank,
                      amp_dtype=resolve_amp(cfg.amp, dev), channels_last=channels_last,
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
    from torch.nn.parallel import DistributedDataParallel

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
    "Runtime", "barrier", "broadcast_flag", "mean_over_ranks", "resolve_amp", "resolve_device",
    "runtime_session", "seed_everything", "torchrun_environment", "wrap_model",
]
