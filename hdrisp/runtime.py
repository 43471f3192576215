"""Where and how a network runs: device, precision, threads, seed — one home for all of them.

Train, develop, evaluate, compare and the lessons resolve the same names the same way, in
YAML (``runtime.device``, ``runtime.precision``) and on the command line (``--device``,
``--precision``):

- device: ``"auto"`` (CUDA when present, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:N"``.
- precision: ``"auto"``, ``"fp32"``, ``"bf16"``, ``"fp16"`` (:data:`PRECISIONS`).
  ``"auto"`` is bf16 autocast on CUDA where supported, else fp16 (with a GradScaler when
  training); on a CPU with native bfloat16 instructions (AVX512-BF16 or AMX,
  :func:`cpu_has_native_bf16`) bf16, else fp32. Measured on the project's CPU
  (AVX512-BF16): bf16 convolutions run about twice as fast as fp32 in training, and a
  trained network's bf16 output is 59 dB PSNR from its fp32 output.
- threads: ``None`` leaves torch's default (every core); a number fixes it.

:class:`Runtime` is the resolved result for one process (its rank in a ``torchrun`` world
is filled in by :mod:`hdrisp.training.distributed`).

Examples:
    >>> import torch
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_precision("fp32", torch.device("cpu")) is None
    True
    >>> Runtime(torch.device("cpu"), autocast_dtype=torch.bfloat16).precision
    'bf16'
"""

from __future__ import annotations

import contextlib
import functools
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from hdrisp.errors import ConfigError

PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16", "fp16")
DEVICES_HELP = "auto, cpu, cuda or cuda:N"
_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class RuntimeConfig:
    """Device and numerics of a run (the ``runtime:`` section of a training config).

    ``device`` and ``precision`` as in the module docstring. ``channels_last``: ``"auto"``
    = on for CUDA and CPU. ``deterministic`` makes a run repeatable bit for bit on the same
    machine (and exactly resumable); ``threads`` fixes torch's CPU thread count (None: every
    core).
    """

    device: str = "auto"
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    channels_last: Literal["auto", "on", "off"] = "auto"
    cudnn_benchmark: bool = True
    seed: int = 0
    deterministic: bool = False
    threads: int | None = None


def resolve_device(name: str | torch.device = "auto", local_rank: int = 0) -> torch.device:
    """``"auto"`` → ``cuda:LOCAL_RANK`` when CUDA is present, else the CPU.

    Raises:
        ConfigError: an unknown device, or a CUDA device this machine does not have.
    """
    name = str(name) if name not in (None, "") else "auto"
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"unknown device {name!r}; expected {DEVICES_HELP}") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device {name!r} asked for, but this machine has no CUDA device "
                              "(use --device cpu or auto)")
        if device.index is None:
            device = torch.device("cuda", local_rank)
        if device.index >= torch.cuda.device_count():
            raise ConfigError(f"device {device} does not exist "
                              f"({torch.cuda.device_count()} GPU(s))")
    elif device.type != "cpu":
        raise ConfigError(f"unsupported device {name!r}; expected {DEVICES_HELP}")
    return device


@functools.lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """True when the CPU has bfloat16 instructions (AVX512-BF16 or AMX; read from Linux's
    ``/proc/cpuinfo``). Elsewhere oneDNN emulates bf16, slower than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``precision`` on ``device`` (None: plain float32).

    Raises:
        ConfigError: an unknown name, or fp16 on the CPU.
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown precision {precision!r}; expected one of "
                          f"{', '.join(PRECISIONS)}")
    if precision == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.bfloat16 if cpu_has_native_bf16() else None
    if precision == "fp16" and device.type != "cuda":
        raise ConfigError("precision fp16 needs CUDA; use fp32 or bf16 on the CPU")
    return _DTYPES[precision]


def precision_name(dtype: torch.dtype | None) -> str:
    """``"bf16"``, ``"fp16"`` or ``"fp32"`` for an autocast dtype (None: fp32)."""
    return {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(dtype, "fp32")


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """The autocast context for ``dtype`` on ``device`` (a no-op for float32)."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's (every device's) generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def set_threads(threads: int | None) -> int:
    """Fix torch's CPU thread count (None leaves it); returns the previous count."""
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(int(threads))
    return previous


@dataclass(frozen=True)
class Runtime:
    """The resolved execution settings of one process."""

    device: torch.device
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    autocast_dtype: torch.dtype | None = None
    channels_last: bool = False
    deterministic: bool = False

    @classmethod
    def resolve(cls, device: str | torch.device = "auto", precision: str = "auto",
                **kwargs) -> Runtime:
        """A single-process runtime from the user-facing names."""
        dev = resolve_device(device)
        return cls(dev, autocast_dtype=resolve_precision(precision, dev), **kwargs)

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
    def precision(self) -> str:
        """``"bf16"``, ``"fp16"`` or ``"fp32"``."""
        return precision_name(self.autocast_dtype)

    def autocast(self) -> contextlib.AbstractContextManager:
        """The autocast context of the forward pass (a no-op in float32)."""
        return autocast(self.device, self.autocast_dtype)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A GradScaler, enabled only for fp16 on CUDA (bf16 needs none)."""
        enabled = self.autocast_dtype == torch.float16 and self.device.type == "cuda"
        return torch.amp.GradScaler(self.device.type, enabled=enabled)


__all__ = [
    "DEVICES_HELP", "PRECISIONS", "Runtime", "RuntimeConfig", "autocast", "cpu_has_native_bf16",
    "precision_name", "resolve_device", "resolve_precision", "seed_everything", "set_threads",
]
