"""The training configuration: small frozen dataclasses, loaded from YAML.

A :class:`TrainConfig` holds everything a staged run needs: the model, the data, the loss
column, the optimiser, the runtime (device, mixed precision, seed, determinism), validation,
checkpointing, logging, and one :class:`LevelSchedule` per pyramid level (batch, epochs or
steps, learning rate, patch size, loss-weight overrides).

Load one with :func:`load_config` (or :func:`hdrisp.config.load_yaml`): an unknown key or a bad
value raises a :class:`~hdrisp.errors.ConfigError` that names the key (``levels[2].batch``) and
the file. Units: ``patch`` and ``validation.crop`` are sides in *raw* (Bayer) pixels, so the
packed network input is half of it; ``batch`` is the *global* batch (split over the processes of
a distributed run).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from hdrisp.config import from_dict, load_yaml, to_dict
from hdrisp.errors import ConfigError
from hdrisp.losses import TERMS
from hdrisp.models.pyramid import LEVELS
from hdrisp.runtime import RuntimeConfig

#: Raw-side patch sizes must be multiples of this: the packed input (half the raw side) must be
#: divisible by 8 for the network, and crops are taken on that grid so that the level-4 target
#: (1/16 of the raw side) is cut at whole pixels.
PATCH_MULTIPLE = 16


@dataclass(frozen=True)
class ModelConfig:
    """Which network to train (``hdrisp.models.build(name, ...)``)."""

    name: str = "rawtonemap"
    instance_norm: bool = True


@dataclass(frozen=True)
class DataConfig:
    """Where the paired data is and how it is read.

    ``root`` None means the synthetic default set (built on first use). ``train_limit`` uses
    the first N training pairs only. ``cache`` keeps every decoded pair in memory (about
    1.4 MB per 448×448 pair; worth it for short runs that revisit small data sets, with
    ``workers: 0``). ``normalization``: ``auto`` reads the data set's own from its
    ``dataset.json`` (the authors' ÷1020 ``legacy`` when it has none); ``legacy`` or
    ``levels`` override its mode (:mod:`hdrisp.data.normalization`). ``transpose``: let
    ``augment`` transpose crops, which swaps the two green photosites between the packed
    Gb and Gr channels (:mod:`hdrisp.data.augment`); false keeps each green channel on its
    own photosites.
    """

    root: str | None = None
    layout: Literal["paper", "zurich"] = "paper"
    train_split: str = "train"
    val_split: str = "test"
    augment: bool = True
    transpose: bool = True
    normalization: Literal["auto", "legacy", "levels"] = "auto"
    workers: int = 0
    train_limit: int | None = None
    cache: bool = False


@dataclass(frozen=True)
class HistogramConfig:
    """The RGB-uv histogram of the colour term (:class:`hdrisp.losses.HistogramLoss`); the
    defaults are the paper's. Change them to study the term (e.g. ``kernel: rbf`` or another
    ``sigma``, as lesson 05's exercises do)."""

    kernel: Literal["inverse-quadratic", "rbf", "thresholding"] = "inverse-quadratic"
    sigma: float = 0.02
    bins: int = 64
    intensity_scale: bool = True


@dataclass(frozen=True)
class LossConfig:
    """Which loss schedule: the paper's table (``"paper"``) or the authors' code (``"code"``); the
    perceptual term: ``"auto"`` (VGG-19 when its ImageNet weights are on this machine, else
    off), ``"vgg19"`` (error without them), ``"off"``, or the ``"efficientnet-lite0"``
    substitute. ``vgg_weights`` names a local VGG-19 weights file; ``histogram`` sets the
    colour term's histogram."""

    schedule: Literal["paper", "code"] = "paper"
    perceptual: Literal["auto", "vgg19", "off", "efficientnet-lite0"] = "auto"
    vgg_weights: str | None = None
    histogram: HistogramConfig = field(default_factory=HistogramConfig)


@dataclass(frozen=True)
class OptimizerConfig:
    """Adam (the paper's) or AdamW; ``lr`` is the default for every level.

    ``lr_schedule`` shapes the learning rate within each level: ``"constant"`` (the paper's),
    or ``"cosine"``: a linear warm-up over the first ``warmup`` fraction of the level's steps,
    then a half cosine from the level's ``lr`` down to ``final_lr`` × it (warm-up then cosine
    is the "one-cycle" shape). The rate depends only on the step, so a resumed level
    continues on the same curve (:func:`lr_factor`).
    """

    name: Literal["adam", "adamw"] = "adam"
    lr: float = 5e-5
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    grad_clip: float | None = None
    lr_schedule: Literal["constant", "cosine"] = "constant"
    warmup: float = 0.0
    final_lr: float = 0.0


@dataclass(frozen=True)
class ValidationConfig:
    """Per-epoch validation on ``data.val_split``.

    ``max_images`` takes the first N pairs (None: all); ``crop`` centre-crops them to a raw-side
    size (None: whole). ``images`` prediction/target PNGs are written per validation.
    ``best_metric`` chooses ``best.pt``.
    """

    every_epochs: int = 1
    max_images: int | None = 32
    crop: int | None = None
    batch: int = 4
    images: int = 4
    best_metric: Literal["psnr", "loss"] = "psnr"


@dataclass(frozen=True)
class CheckpointConfig:
    """``last.pt`` is written at the end of every epoch, and also every ``every_steps`` steps
    when that is > 0 (a killed run resumes from the newest one)."""

    every_steps: int = 0


@dataclass(frozen=True)
class LoggingConfig:
    """Per-step CSV rows every ``every_steps`` steps; TensorBoard ``"auto"`` = when installed;
    ``progress`` the level's progress bar; ``curves`` draws ``loss_curves.png`` at the end of
    each level (about a second of CPU: worth turning off only for many very short runs)."""

    every_steps: int = 1
    tensorboard: Literal["auto", "on", "off"] = "auto"
    progress: bool = True
    curves: bool = True


@dataclass(frozen=True)
class LevelSchedule:
    """One row of the staged schedule.

    Exactly one of ``epochs`` (passes over the training set) and ``steps`` (optimiser steps)
    is given. ``lr`` None uses ``optimizer.lr``; ``patch`` (raw side, a multiple of 16) random-
    crops every pair, None uses the stored patches whole; ``weights`` overrides loss-term weights
    of that level (e.g. ``{hist: 0.5}``).
    """

    level: int
    batch: int
    epochs: int | None = None
    steps: int | None = None
    lr: float | None = None
    patch: int | None = None
    weights: dict[str, float] | None = None


@dataclass(frozen=True)
class TrainConfig:
    """A whole staged-training configuration (see the module docstring)."""

    name: str
    levels: tuple[LevelSchedule, ...]
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    smoke: bool = False
    """A plumbing run (a few steps per level): recorded in the run's ``config.yaml`` so that
    whatever loads the run (the lessons) can say its network is untrained."""

    def __post_init__(self) -> None:
        problem = _first_problem(self)
        if problem:
            raise ValueError(problem)

    def schedule(self, level: int) -> LevelSchedule:
        """The schedule row of ``level`` (ConfigError when the config has none)."""
        for row in self.levels:
            if row.level == level:
                return row
        have = ", ".join(str(r.level) for r in self.levels)
        raise ConfigError(f"levels: no schedule for level {level} (this config has {have})")

    def lr(self, level: int) -> float:
        """The learning rate of ``level`` (its own, or ``optimizer.lr``)."""
        row = self.schedule(level)
        return self.optimizer.lr if row.lr is None else row.lr


def _first_problem(cfg: TrainConfig) -> str | None:
    """The first invalid value of ``cfg`` as ``"dotted.key: problem"``, or None."""
    checks: list[tuple[bool, str]] = [
        (bool(cfg.name) and "/" not in cfg.name and cfg.name not in (".", ".."),
         f"name: must be a plain folder name, got {cfg.name!r}"),
        (len(cfg.levels) > 0, "levels: at least one level is needed"),
        (cfg.data.workers >= 0, f"data.workers: must be >= 0, got {cfg.data.workers}"),
        (cfg.data.train_limit is None or cfg.data.train_limit >= 1,
         f"data.train_limit: must be >= 1, got {cfg.data.train_limit}"),
        (cfg.optimizer.lr > 0, f"optimizer.lr: must be > 0, got {cfg.optimizer.lr}"),
        (cfg.loss.histogram.sigma > 0,
         f"loss.histogram.sigma: must be > 0, got {cfg.loss.histogram.sigma}"),
        (cfg.loss.histogram.bins >= 2,
         f"loss.histogram.bins: must be >= 2, got {cfg.loss.histogram.bins}"),
        (all(0 <= b < 1 for b in cfg.optimizer.betas),
         f"optimizer.betas: each must be in [0, 1), got {list(cfg.optimizer.betas)}"),
        (cfg.optimizer.weight_decay >= 0,
         f"optimizer.weight_decay: must be >= 0, got {cfg.optimizer.weight_decay}"),
        (cfg.optimizer.grad_clip is None or cfg.optimizer.grad_clip > 0,
         f"optimizer.grad_clip: must be > 0, got {cfg.optimizer.grad_clip}"),
        (0 <= cfg.optimizer.warmup < 1,
         f"optimizer.warmup: must be in [0, 1), got {cfg.optimizer.warmup}"),
        (0 <= cfg.optimizer.final_lr <= 1,
         f"optimizer.final_lr: must be in [0, 1] (a fraction of lr), "
         f"got {cfg.optimizer.final_lr}"),
        (_valid_device(cfg.runtime.device),
         f"runtime.device: must be auto, cpu, cuda or cuda:N, got {cfg.runtime.device!r}"),
        (cfg.runtime.seed >= 0, f"runtime.seed: must be >= 0, got {cfg.runtime.seed}"),
        (cfg.runtime.threads is None or cfg.runtime.threads >= 1,
         f"runtime.threads: must be >= 1, got {cfg.runtime.threads}"),
        (cfg.validation.every_epochs >= 1,
         f"validation.every_epochs: must be >= 1, got {cfg.validation.every_epochs}"),
        (cfg.validation.max_images is None or cfg.validation.max_images >= 1,
         f"validation.max_images: must be >= 1, got {cfg.validation.max_images}"),
        (cfg.validation.crop is None or _valid_patch(cfg.validation.crop),
         f"validation.crop: must be a positive multiple of {PATCH_MULTIPLE}, "
         f"got {cfg.validation.crop}"),
        (cfg.validation.batch >= 1, f"validation.batch: must be >= 1, got {cfg.validation.batch}"),
        (cfg.validation.images >= 0,
         f"validation.images: must be >= 0, got {cfg.validation.images}"),
        (cfg.checkpoint.every_steps >= 0,
         f"checkpoint.every_steps: must be >= 0, got {cfg.checkpoint.every_steps}"),
        (cfg.logging.every_steps >= 1,
         f"logging.every_steps: must be >= 1, got {cfg.logging.every_steps}"),
    ]
    for ok, message in checks:
        if not ok:
            return message
    seen: set[int] = set()
    for i, row in enumerate(cfg.levels):
        problem = _level_problem(row, f"levels[{i}]")
        if problem:
            return problem
        if row.level in seen:
            return f"levels[{i}].level: level {row.level} appears twice"
        seen.add(row.level)
    return None


def _level_problem(row: LevelSchedule, key: str) -> str | None:
    if row.level not in LEVELS:
        return f"{key}.level: must be one of 0..4, got {row.level}"
    if row.batch < 1:
        return f"{key}.batch: must be >= 1, got {row.batch}"
    if (row.epochs is None) == (row.steps is None):
        return f"{key}: give exactly one of epochs and steps"
    if row.epochs is not None and row.epochs < 1:
        return f"{key}.epochs: must be >= 1, got {row.epochs}"
    if row.steps is not None and row.steps < 1:
        return f"{key}.steps: must be >= 1, got {row.steps}"
    if row.lr is not None and row.lr <= 0:
        return f"{key}.lr: must be > 0, got {row.lr}"
    if row.patch is not None and not _valid_patch(row.patch):
        return f"{key}.patch: must be a positive multiple of {PATCH_MULTIPLE} (raw pixels), " \
               f"got {row.patch}"
    for term, weight in (row.weights or {}).items():
        if term not in _loss_terms():
            return f"{key}.weights.{term}: unknown loss term (terms: {', '.join(_loss_terms())})"
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            return f"{key}.weights.{term}: must be a number >= 0, got {weight!r}"
    return None


def _loss_terms() -> tuple[str, ...]:
    return TERMS


def _valid_patch(side: int) -> bool:
    return side > 0 and side % PATCH_MULTIPLE == 0


def _valid_device(device: str) -> bool:
    if device in ("auto", "cpu", "cuda"):
        return True
    head, _, index = device.partition(":")
    return head == "cuda" and index.isdigit()


def config_names() -> tuple[str, ...]:
    """The names of the configs shipped inside the package (``hdrisp/configs/*.yaml``)."""
    folder = resources.files("hdrisp") / "configs"
    return tuple(sorted(entry.name[: -len(".yaml")] for entry in folder.iterdir()
                        if entry.name.endswith(".yaml")))


def config_path(name_or_path: str | os.PathLike) -> Path:
    """A config's file: an existing path as it is, else a shipped config by name.

    ``"tiny"``, ``"paper"`` and ``"paper_code"`` (see :func:`config_names`) live inside the
    package, so they are found from a wheel install and from any working folder; a path
    that exists is used as given (a ``.yaml`` of your own).

    Raises:
        ConfigError: neither a file nor the name of a shipped config.

    Examples:
        >>> config_path("tiny").name
        'tiny.yaml'
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    stem = path.name[: -len(".yaml")] if path.name.endswith(".yaml") else path.name
    if path.parent == Path(".") and stem in config_names():  # a bare name, not a folder path
        return Path(str(resources.files("hdrisp") / "configs" / f"{stem}.yaml"))
    if path.parent == Path(".") and not path.suffix:
        raise ConfigError(f"no shipped config is called {stem!r} (shipped: "
                          f"{', '.join(config_names())}) and there is no such file", path)
    raise ConfigError(f"config file not found (or give a shipped config by name: "
                      f"{', '.join(config_names())})", path)


def load_config(name_or_path: str | os.PathLike) -> TrainConfig:
    """Read a :class:`TrainConfig` from a YAML file or a shipped config's name (``"tiny"``,
    see :func:`config_path`); ConfigError naming the key and file on error."""
    return load_yaml(TrainConfig, config_path(name_or_path))


def config_from_dict(data: dict) -> TrainConfig:
    """Build a :class:`TrainConfig` from a plain dict (as stored in checkpoints)."""
    return from_dict(TrainConfig, data)


def config_to_dict(cfg: TrainConfig) -> dict:
    """The plain, YAML/JSON-safe dict of ``cfg`` (what checkpoints store)."""
    return to_dict(cfg)


def replace(cfg: TrainConfig, **changes: object) -> TrainConfig:
    """A copy of ``cfg`` with whole sections or nested fields changed.

    ``replace(cfg, data={"root": "x"}, runtime={"device": "cpu"})`` changes only the named
    fields of each section; the result is validated like a loaded file.
    """
    data = to_dict(cfg)
    for section, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(section), dict):
            data[section] = {**data[section], **value}
        else:
            data[section] = value
    return from_dict(TrainConfig, data)


#: Settings outside the level's row that change what a level's training produces (a resumed
#: level must have the same); the row itself (batch, epochs, steps, lr, patch, weights) always.
RESULT_KEYS: tuple[str, ...] = (
    "model.name", "model.instance_norm",
    "data.layout", "data.train_split", "data.augment", "data.transpose", "data.normalization",
    "data.train_limit",
    "loss.schedule", "loss.perceptual",
    "optimizer.name", "optimizer.betas", "optimizer.weight_decay", "optimizer.grad_clip",
    "optimizer.lr_schedule", "optimizer.warmup", "optimizer.final_lr",
    "runtime.seed",
)
_ROW_KEYS = ("batch", "epochs", "steps", "patch", "weights")


def result_differences(saved: dict, config: TrainConfig, level: int
                       ) -> list[tuple[str, object, object]]:
    """``(dotted key, saved value, current value)`` for every setting that changes the result
    of training ``level`` and differs between ``saved`` (a checkpoint's plain config) and
    ``config``: the level's row (batch, epochs, steps, patch, loss weights), its learning
    rate (named ``levels[i].lr`` when a row sets it, else ``optimizer.lr``) and
    :data:`RESULT_KEYS`. Keys are those of ``config`` (``levels[i]`` = its row's index).

    Raises:
        ConfigError: ``saved`` is not a readable config.
    """
    old = from_dict(TrainConfig, saved)
    row = config.schedule(level)
    key = f"levels[{config.levels.index(row)}]"
    old_rows = [r for r in old.levels if r.level == level]
    if not old_rows:
        return [(key, None, to_dict(row))]
    old_row = old_rows[0]
    found = [(f"{key}.{name}", getattr(old_row, name), getattr(row, name))
             for name in _ROW_KEYS if getattr(old_row, name) != getattr(row, name)]
    if old.lr(level) != config.lr(level):
        lr_key = f"{key}.lr" if row.lr is not None or old_row.lr is not None else "optimizer.lr"
        found.append((lr_key, old.lr(level), config.lr(level)))
    now_plain, old_plain = to_dict(config), to_dict(old)
    for dotted in RESULT_KEYS:
        section, name = dotted.split(".")
        was, now = old_plain[section][name], now_plain[section][name]
        if was != now:
            found.append((dotted, was, now))
    return found


def with_steps(cfg: TrainConfig, steps: int, *, patch: int | None = None,
               val_images: int | None = None) -> TrainConfig:
    """A copy of ``cfg`` whose every level runs ``steps`` steps (for smoke runs and demos).

    ``patch`` (raw pixels) replaces every level's patch and ``val_images`` the number of
    validation pairs, when given.
    """
    levels = [{**to_dict(row), "steps": steps, "epochs": None,
               **({"patch": patch} if patch is not None else {})} for row in cfg.levels]
    changes: dict = {"levels": levels}
    if val_images is not None:
        changes["validation"] = {"max_images": val_images}
    return replace(cfg, **changes)


def lr_factor(optimizer: OptimizerConfig, step: int, total_steps: int) -> float:
    """The learning rate of step ``step`` (0-based) of a level of ``total_steps``, as a
    fraction of the level's ``lr`` (see :class:`OptimizerConfig`).

    Examples:
        >>> cosine = OptimizerConfig(lr_schedule="cosine", warmup=0.1, final_lr=0.05)
        >>> [round(lr_factor(cosine, s, 100), 3) for s in (0, 9, 10, 55, 99)]
        [0.1, 1.0, 1.0, 0.517, 0.05]
        >>> lr_factor(OptimizerConfig(), 50, 100)
        1.0
    """
    if optimizer.lr_schedule == "constant" or total_steps <= 1:
        return 1.0
    warm = optimizer.warmup * total_steps
    if step < warm:
        return (step + 1) / math.ceil(warm)
    span = max(1.0, total_steps - 1 - math.ceil(warm))
    t = min(1.0, max(0.0, (step - math.ceil(warm)) / span))
    return optimizer.final_lr + (1.0 - optimizer.final_lr) * 0.5 * (1.0 + math.cos(math.pi * t))


__all__ = [
    "CheckpointConfig", "DataConfig", "HistogramConfig", "LEVELS", "LevelSchedule",
    "LoggingConfig", "LossConfig", "ModelConfig", "OptimizerConfig", "RuntimeConfig",
    "TrainConfig", "ValidationConfig",
    "RESULT_KEYS", "config_from_dict", "config_names", "config_path", "config_to_dict",
    "load_config", "lr_factor", "replace", "result_differences", "with_steps",
]
