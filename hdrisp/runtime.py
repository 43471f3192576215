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
- threads: a number fixes torch's CPU thread count. ``None`` (the default) starts with every
  core and keeps measuring (:class:`ThreadTuner`): on a machine that other jobs keep busy,
  OpenMP threads wait on each other and a step with every core can be many times *slower*
  than with one (measured on the project's 2-core CPU under a load of 8: 16 s against 1.3 s
  per step), so training times a few steps at each count now and then and uses the faster.

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
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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
    core, re-measured against fewer while training, see :class:`ThreadTuner`).
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


DEFAULT_THREADS = torch.get_num_threads()
_TUNERS: dict[int, ThreadTuner] = {}  # one per process (see ThreadTuner.for_runtime)
"""torch's own CPU thread count when hdrisp was imported: the machine's cores (or
``OMP_NUM_THREADS``), whatever a tuner has set since."""


@dataclass
class ThreadTuner:
    """Chooses torch's CPU thread count by measuring steps, not by guessing.

    With every core busy, OpenMP threads spin and wait for each other: on a shared machine
    a training step with all cores can be much slower than with one. The tuner times
    ``probe_steps`` steps at each of ``candidates`` (all cores first, then fewer), keeps the
    fastest (the minimum of each probe, robust to a stray slow step), uses it for
    ``reprobe_s`` seconds, then probes again, so it follows the machine's load as it changes;
    each probe that confirms the choice doubles the wait (up to ``max_reprobe_s``), and a count
    whose first probe step takes ``give_up`` times the last step at the choice is not probed
    further, since a probe's steps on a losing count are the tuner's cost.
    On an idle machine the cost is a few steps at one thread a minute.

    Call :meth:`before_step` before and :meth:`after_step` after each timed unit of work.
    ``clock`` (seconds) can be replaced to test the re-probing.

    Examples:
        >>> tuner = ThreadTuner(candidates=(2, 1), probe_steps=1, apply=False)
        >>> for seconds in (1.0, 0.25):          # 2 threads: 1 s a step; 1 thread: 0.25 s
        ...     _ = tuner.before_step(); tuner.after_step(seconds)
        >>> tuner.before_step(), tuner.choice
        (1, 1)
    """

    candidates: tuple[int, ...]
    probe_steps: int = 2
    reprobe_s: float = 60.0
    max_reprobe_s: float = 600.0
    give_up: float = 3.0
    apply: bool = True
    choice: int | None = None
    log: list[tuple[float, dict[int, float], int]] = field(default_factory=list)
    clock: Callable[[], float] = time.perf_counter
    _queue: list[int] = field(default_factory=list)
    _times: dict[int, list[float]] = field(default_factory=dict)
    _current: int = 0
    _chosen_at: float = 0.0
    _interval: float = 60.0
    _last: float | None = None

    def __post_init__(self) -> None:
        self._interval = self.reprobe_s

    @classmethod
    def for_runtime(cls, threads: int | None, device: torch.device,
                    deterministic: bool = False) -> ThreadTuner | None:
        """The tuner for a level: None when the count is fixed (``threads`` set, a CUDA
        device, deterministic mode, or a single core).

        One tuner serves every level a process trains (its choice carries over: a short
        level need not pay for its own probe); :meth:`new_level` drops a probe that a level
        left unfinished, so that no probe compares steps of two levels.
        """
        if threads or device.type != "cpu" or deterministic:
            return None
        cores = DEFAULT_THREADS  # not the current count: a previous level's tuner set that
        if cores <= 1:
            return None
        if cores not in _TUNERS:
            _TUNERS[cores] = cls(candidates=tuple(dict.fromkeys((cores, max(1, cores // 2), 1))))
            _TUNERS[cores].quick_probe()  # a choice before the first step: short levels too
        tuner = _TUNERS[cores]
        tuner.new_level()
        if tuner.apply and tuner.choice is not None:  # someone may have changed it between levels
            torch.set_num_threads(tuner.choice)
        return tuner

    def new_level(self) -> None:
        """Forget an unfinished probe (its steps were another level's); keep the choice."""
        self._queue, self._times = [], {}

    def quick_probe(self, measure: Callable[[int], float] | None = None, reps: int = 3) -> int:
        """Choose a count before training starts: time a small convolution (forward and
        backward, :func:`_conv_seconds`) ``reps`` times at each candidate after one untimed
        warm-up, keep the fastest by the minimum, and use it until the first in-training probe
        (``reprobe_s`` later). A level too short to probe (a smoke run's two steps) thus does
        not run on a count that a busy machine makes many times slower. ``measure(threads)``
        replaces the timing (tests). Returns the choice."""
        measure = measure or _conv_seconds
        best = {}
        for count in self.candidates:
            measure(count)  # warm-up: allocations, thread pool start
            best[count] = min(measure(count) for _ in range(reps))
        self.choice = min(best, key=lambda c: (best[c], -c))
        self._queue, self._times = [], {}
        self._chosen_at = self.clock()
        self.log.append((self._chosen_at, best, self.choice))
        if self.apply:
            torch.set_num_threads(self.choice)
        return self.choice

    def _start_probe(self) -> None:
        self._queue = [c for c in self.candidates for _ in range(self.probe_steps)]
        self._times = {}

    def before_step(self) -> int:
        """Set (and return) the thread count for the coming step."""
        if not self._queue and (self.choice is None
                                or self.clock() - self._chosen_at > self._interval):
            self._start_probe()
        self._current = self._queue[0] if self._queue else self.choice
        if self.apply and torch.get_num_threads() != self._current:
            torch.set_num_threads(self._current)
        return self._current

    def after_step(self, seconds: float) -> None:
        """Record how long the step took at the count :meth:`before_step` set."""
        if not self._queue:
            self._last = seconds  # a step at the chosen count: the probes' yardstick
            return
        count = self._queue.pop(0)
        self._times.setdefault(count, []).append(seconds)
        if count != self.choice and self._last and seconds > self.give_up * self._last:
            # clearly slower than the choice (threads fighting for busy cores): its other
            # probe steps would only cost time
            self._queue = [c for c in self._queue if c != count]
        if not self._queue:
            best = {c: min(v) for c, v in self._times.items()}
            previous, self.choice = self.choice, min(best, key=lambda c: (best[c], -c))
            # a probe runs steps on the losing counts (on a busy machine, many times slower):
            # while the choice holds, probe half as often each time (up to max_reprobe_s)
            self._interval = (min(2 * self._interval, self.max_reprobe_s)
                              if previous == self.choice else self.reprobe_s)
            self._chosen_at = self.clock()
            self.log.append((self._chosen_at, best, self.choice))

    def summary(self) -> str:
        """The measurements in words, e.g. ``"2 threads (2 of 3 probes; last: 2: 0.24 s, ...)"``."""
        if not self.log:
            return f"{self.choice or self.candidates[0]} threads (not measured yet)"
        _, best, choice = self.log[-1]
        probes = ", ".join(f"{c}: {t:.2f} s" for c, t in best.items())
        usual = statistics.mode(c for _, _, c in self.log)
        wins = sum(c == usual for _, _, c in self.log)
        return (f"{usual} threads ({wins} of {len(self.log)} probes; last: "
                f"{probes})")


def _conv_seconds(threads: int) -> float:
    """Seconds of one forward and backward pass of a 3×3 convolution (32 → 32 channels) on a
    4×32×96×96 batch with ``threads`` CPU threads (a few milliseconds on an idle core)."""
    torch.set_num_threads(threads)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(4, 32, 96, 96, generator=generator)
    w = torch.randn(32, 32, 3, 3, generator=generator, requires_grad=True)
    start = time.perf_counter()
    torch.nn.functional.conv2d(x, w, padding=1).square().mean().backward()
    return time.perf_counter() - start


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
    "DEFAULT_THREADS", "DEVICES_HELP", "PRECISIONS", "Runtime", "RuntimeConfig", "ThreadTuner",
    "autocast", "cpu_has_native_bf16",
    "precision_name", "resolve_device", "resolve_precision", "seed_everything", "set_threads",
]
