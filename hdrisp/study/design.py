"""The study's design: its arms, its sizes, and how each arm's training config is derived.

Every arm is the *same* staged schedule (the config given, the shipped ``tiny`` by default)
with one thing changed, trained once per seed:

==========  =========================================================================
arm         what changes (everything else is the config's)
==========  =========================================================================
hist_x0     the histogram term's weight is 0 at every level (MSE, SSIM, VGG only)
hist_x1     nothing: the paper's table (hist 0.25 at every level). The reference arm.
hist_x2     the histogram weight doubled (0.5) at every level
code        the authors' code column at levels 1 and 0 (1·MSE, MS-SSIM); the levels above
            are identical to hist_x1's, so this arm starts from hist_x1's checkpoint there
direct      level 0 only, from random weights, for as many steps as give the staged run's
            network FLOPs (convolutions and matrix products, ``torch.utils.flop_counter``)
==========  =========================================================================

A seed fixes the initial weights and the order and crops of the training patches, so two arms
with one seed start from the same weights and see the same patches: their difference is the
arm's effect plus the way that effect interacts with one particular run, and comparing arms
seed by seed (paired) removes the rest of the run-to-run noise.

Sizes (:data:`SIZES`): ``smoke`` (seconds: a plumbing check, not evidence), ``tutorial`` (the
config's schedule shortened to ``fraction`` of its steps, so that the whole study fits a laptop
CPU in about 20 minutes) and ``full`` (the config as written: ``paper`` on GPUs).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from hdrisp.config import to_dict
from hdrisp.data.layout import get_layout, list_pairs
from hdrisp.errors import ConfigError
from hdrisp.losses import level_weights
from hdrisp.models import build
from hdrisp.raw import read_raw
from hdrisp.study.illuminants import DEFAULT_ILLUMINANTS, check_illuminants
from hdrisp.training.config import TrainConfig, replace


@dataclass(frozen=True)
class Arm:
    """One arm of the study.

    Attributes:
        name: folder name and CSV key.
        label: for tables and figures.
        question: what comparing it with the reference arm asks.
        schedule: the loss column, ``"paper"`` or ``"code"``.
        hist_scale: multiplies the histogram weight of every level.
        direct: train level 0 only, from random weights, with the staged run's FLOPs.
        shares_with: an arm whose identical coarse levels this one starts from.
        histogram: ``loss.histogram`` settings of this arm (e.g. ``{"kernel": "rbf"}``);
            None keeps the config's.

    Examples:
        A further arm (lesson 05's exercise): the RBF kernel instead of the inverse-quadratic.

        >>> rbf = Arm("rbf", "RBF kernel", "does the kernel matter?", histogram={"kernel": "rbf"})
        >>> [a.name for a in select_arms(["hist_x0", rbf])]
        ['hist_x0', 'hist_x1', 'rbf']
    """

    name: str
    label: str
    question: str
    schedule: str = "paper"
    hist_scale: float = 1.0
    direct: bool = False
    shares_with: str | None = None
    histogram: dict | None = None


ARMS: dict[str, Arm] = {a.name: a for a in (
    Arm("hist_x0", "hist ×0", "does the histogram term matter at all?", hist_scale=0.0),
    Arm("hist_x1", "hist ×1 (paper)", "the paper's table: the reference arm"),
    Arm("hist_x2", "hist ×2", "does more histogram weight help further?", hist_scale=2.0),
    Arm("code", "code schedule", "the authors' code (1·MSE, MS-SSIM) at levels 1 and 0",
        schedule="code", shares_with="hist_x1"),
    Arm("direct", "level 0 only", "staged training against level 0 alone, same FLOPs",
        direct=True),
)}
"""The study's arms, in the order they run (an arm runs after the one it shares with)."""

REFERENCE_ARM = "hist_x1"


@dataclass(frozen=True)
class StudySize:
    """How big a study is.

    Attributes:
        name: ``"smoke"``, ``"tutorial"`` or ``"full"``.
        fraction: each level's steps (or epochs) are multiplied by it (None: the smoke
            schedule, 1 step of 2 patches at levels 4 and 0).
        seeds: the seeds of every arm.
        illuminants: the cast set's renderings.
        cast_scenes: scenes of the cast set (the test split's first ones; None: all).
        test_limit: test pairs scored (None: all).
        eval_crop: centre crop of the evaluation pairs, raw pixels (None: whole).
        overrides: sections of the runs' config changed at this size (``validation``: the
            study scores the arms itself, per-level validation only draws the loss curves;
            ``logging``: no loss-curve figures for the smoke size's one-step levels).
    """

    name: str
    fraction: float | None
    seeds: tuple[int, ...]
    illuminants: tuple[str, ...]
    cast_scenes: int | None
    test_limit: int | None
    eval_crop: int | None
    overrides: dict = field(default_factory=dict)


SIZES: dict[str, StudySize] = {s.name: s for s in (
    StudySize("smoke", None, (0, 1), ("D65", "F11", "A"), 3, 4, 64,
              {"validation": {"max_images": 2, "crop": 64, "batch": 2, "images": 0},
               "logging": {"curves": False}, "checkpoint": {"every_steps": 0}}),
    StudySize("tutorial", 0.15, (0, 1, 2), DEFAULT_ILLUMINANTS, 12, None, 128,
              {"validation": {"max_images": 4, "images": 0}}),
    StudySize("full", 1.0, (0, 1, 2), DEFAULT_ILLUMINANTS, 60, None, None),
)}

TUTORIAL_CONFIGS = ("tiny",)
"""Configs whose default study size is ``tutorial`` (any other config: ``full``)."""


def default_size(config: TrainConfig) -> str:
    """``"tutorial"`` for the CPU tutorial schedule, ``"full"`` for any other config."""
    return "tutorial" if config.name in TUTORIAL_CONFIGS else "full"


def study_size(name: str, *, fraction: float | None = None,
               seeds: Sequence[int] | None = None,
               illuminants: Sequence[str] | None = None,
               cast_scenes: int | None = None) -> StudySize:
    """The size called ``name`` with some of its values replaced."""
    if name not in SIZES:
        raise ConfigError(f"unknown study size {name!r} (sizes: {', '.join(SIZES)})")
    size = SIZES[name]
    changes: dict = {}
    if fraction is not None:
        if name == "smoke":
            raise ConfigError("--fraction does not apply to the smoke size")
        if not 0 < fraction <= 1:
            raise ConfigError(f"fraction must be in (0, 1], got {fraction}")
        changes["fraction"] = float(fraction)
    if seeds is not None:
        seeds = tuple(int(s) for s in seeds)
        if len(seeds) < 2 or len(set(seeds)) != len(seeds) or min(seeds) < 0:
            raise ConfigError(f"seeds: at least two distinct seeds >= 0, got {list(seeds)}")
        changes["seeds"] = seeds
    if illuminants is not None:
        changes["illuminants"] = check_illuminants(illuminants)
    if cast_scenes is not None:
        if cast_scenes < 2:
            raise ConfigError(f"cast scenes: at least 2, got {cast_scenes}")
        changes["cast_scenes"] = int(cast_scenes)
    return dc_replace(size, **changes)


def select_arms(arms: Sequence[str | Arm] | None = None) -> tuple[Arm, ...]:
    """The arms named in ``arms`` (all of :data:`ARMS` by default; an :class:`Arm` given
    itself is a further arm), in run order: the built-in ones first, then the further ones.
    The reference arm and every arm another one shares with are always included."""
    given = list(ARMS) if arms is None else list(arms)
    extra = {a.name: a for a in given if isinstance(a, Arm) and a.name not in ARMS}
    names = {a.name if isinstance(a, Arm) else a for a in given}
    unknown = names - set(ARMS) - set(extra)
    if unknown:
        raise ConfigError(f"unknown arm {sorted(unknown)[0]!r} (arms: {', '.join(ARMS)})")
    if any(a.shares_with and a.shares_with not in ARMS for a in extra.values()):
        raise ConfigError("a further arm can share levels only with a built-in arm")
    names.add(REFERENCE_ARM)
    known = {**ARMS, **extra}
    names |= {known[n].shares_with for n in list(names) if known[n].shares_with}
    return tuple(arm for name, arm in known.items() if name in names)


# --------------------------------------------------------------------------- configs


def shorten(config: TrainConfig, size: StudySize) -> TrainConfig:
    """``config`` at the study's size: steps (and epochs) times ``size.fraction`` (at least
    one), or the smoke schedule; ``size.overrides`` applied."""
    if size.fraction is None:
        rows = [to_dict(r) for r in config.levels if r.level in (4, 0)] or \
            [to_dict(config.levels[0])]
        levels = [{"level": r["level"], "batch": 2, "steps": 1, "patch": 64,
                   "weights": r.get("weights")} for r in rows]
        return replace(config, levels=levels, **size.overrides)
    levels = []
    for row in config.levels:
        data = to_dict(row)
        for key in ("steps", "epochs"):
            if data.get(key) is not None:
                data[key] = max(1, round(data[key] * size.fraction))
        levels.append(data)
    return replace(config, levels=levels, **size.overrides)


def _hist_weight(level: int, schedule: str, overrides: dict | None) -> float:
    return level_weights(level, schedule, overrides).get("hist", 0.0)


def arm_config(config: TrainConfig, arm: Arm, seed: int, direct_steps: int | None = None
               ) -> TrainConfig:
    """The training config of ``arm`` with ``seed``, from the (shortened) study config.

    ``direct_steps`` is required for a direct arm (see :func:`matched_direct_steps`).
    """
    levels = []
    for row in config.levels:
        data = to_dict(row)
        if arm.hist_scale != 1.0:
            weights = dict(row.weights or {})
            weights["hist"] = _hist_weight(row.level, arm.schedule, row.weights) * arm.hist_scale
            data["weights"] = weights
        levels.append(data)
    if arm.direct:
        if direct_steps is None:
            raise ConfigError(f"arm {arm.name}: the number of level-0 steps is needed")
        levels = [{**row, "steps": int(direct_steps), "epochs": None}
                  for row in levels if row["level"] == 0]
        if not levels:
            raise ConfigError("the direct arm needs a level-0 row in the config")
    loss: dict = {"schedule": arm.schedule}
    if arm.histogram is not None:
        loss["histogram"] = {**to_dict(config.loss.histogram), **arm.histogram}
    return replace(config, name=f"{config.name}-{arm.name}-seed{seed}", levels=levels,
                   loss=loss, runtime={"seed": int(seed)})


def shared_levels(config: TrainConfig, arm: Arm) -> list[int]:
    """The coarse levels (in training order) that ``arm`` takes over from
    ``arm.shares_with``: those whose loss weights are equal in both arms; the sharing stops
    at the first level where they differ."""
    if arm.shares_with is None:
        return []
    other = ARMS[arm.shares_with]
    shared = []
    for row in sorted(config.levels, key=lambda r: -r.level):
        mine = level_weights(row.level, arm.schedule, row.weights)
        theirs = level_weights(row.level, other.schedule, row.weights)
        if (arm.hist_scale, arm.histogram) != (other.hist_scale, other.histogram) \
                or mine != theirs:
            break
        shared.append(row.level)
    if len(shared) == len(config.levels):
        raise ConfigError(f"arm {arm.name} equals {other.name} at every level of this config")
    return shared


# --------------------------------------------------------------------------- compute


@functools.lru_cache(maxsize=32)
def network_flops(level: int, raw_side: int, model: str = "rawtonemap") -> int:
    """Forward FLOPs of one ``raw_side``² patch through ``model`` built for ``level``
    (convolutions and matrix products, as ``torch.utils.flop_counter`` counts them)."""
    torch_state = torch.random.get_rng_state()
    try:
        net = build(model, level=level).eval()
    finally:
        torch.random.set_rng_state(torch_state)
    x = torch.zeros(1, 4, raw_side // 2, raw_side // 2)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(x)
    return int(counter.get_total_flops())


def _train_set_shape(config: TrainConfig, data_root: Path) -> tuple[int, int]:
    """(number of training pairs used, side of the first raw) of the training split."""
    layout = get_layout(config.data.layout if config.data.layout else "auto", data_root)
    pairs = list_pairs(data_root, config.data.train_split, layout).pairs
    if config.data.train_limit is not None:
        pairs = pairs[:config.data.train_limit]
    if not pairs:
        raise ConfigError(f"no training pairs under {data_root}")
    side = min(read_raw(pairs[0][0]).shape)
    return len(pairs), side


def matched_direct_steps(config: TrainConfig, data_root: str | os.PathLike) -> tuple[int, dict]:
    """Level-0 steps whose network FLOPs equal the whole staged schedule's.

    Returns:
        (steps, details): details has ``staged_flops``, ``level0_flops_per_step`` and, per
        level, ``steps`` and ``flops_per_sample``.
    """
    pairs, side = _train_set_shape(config, Path(data_root))
    per_level, total = {}, 0
    for row in config.levels:
        steps = row.steps if row.steps is not None else row.epochs * (pairs // row.batch)
        flops = network_flops(row.level, row.patch or side, config.model.name)
        per_level[row.level] = {"steps": int(steps), "batch": row.batch,
                                "flops_per_sample": flops}
        total += steps * row.batch * flops
    zero = config.schedule(0)
    per_step = zero.batch * network_flops(0, zero.patch or side, config.model.name)
    steps = max(1, math.floor(total / per_step + 0.5))
    return steps, {"staged_flops": total, "level0_flops_per_step": per_step,
                   "levels": per_level}


__all__ = ["ARMS", "REFERENCE_ARM", "SIZES", "TUTORIAL_CONFIGS", "Arm", "StudySize",
           "arm_config", "default_size", "matched_direct_steps", "network_flops",
           "select_arms", "shared_levels", "shorten", "study_size"]
