"""Statistics of the study: seed noise, paired differences, bootstrap intervals, a sign-flip test.

A trained network is one draw from a random process (initial weights, patch order), so one run
per arm says little: two seeds of the *same* arm differ too. The study therefore trains every
arm with several seeds and reports

- per arm: the mean over seeds of the per-seed score, and the standard deviation over seeds
  (the seed noise);
- per arm against the reference arm, **paired**: the difference on the same image (test split)
  or scene (cast set) with the same seed, averaged — with a 95 % interval from a two-level
  bootstrap (seeds resampled, then images), a p-value from a sign-flip randomisation test on
  the per-image differences (averaged over seeds), the standard deviation over seeds of the
  per-seed difference, and the share of images where the arm does better.

Pairing matters because images differ far more from each other than methods do: the same hard
image is hard for every arm, and the paired difference removes that. The verdict is "better" or
"worse" only when the whole interval lies on one side of zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hdrisp.errors import ConfigError

BOOTSTRAP = 4000
FLIPS = 10000


@dataclass(frozen=True)
class Paired:
    """An arm against the reference on one metric (differences are arm − reference)."""

    diff: float
    ci_low: float
    ci_high: float
    seed_sd: float
    p_value: float
    wins: float
    verdict: str
    n_seeds: int
    n_items: int


def seed_summary(scores: np.ndarray) -> tuple[float, float]:
    """(mean, standard deviation over seeds) of an S×N array of per-item scores: each seed's
    mean over the items first. The deviation is NaN for a single seed.

    Examples:
        >>> seed_summary(np.array([[1.0, 3.0], [3.0, 5.0]]))
        (3.0, 1.4142135623730951)
    """
    scores = _matrix(scores)
    per_seed = scores.mean(axis=1)
    std = float(per_seed.std(ddof=1)) if len(per_seed) > 1 else float("nan")
    return float(per_seed.mean()), std


def bootstrap_interval(diffs: np.ndarray, *, n: int = BOOTSTRAP, level: float = 0.95,
                       seed: int = 0) -> tuple[float, float]:
    """Percentile interval of the mean of an S×N array, resampling seeds then items.

    Each bootstrap draw takes S seeds and N items with replacement, and averages the chosen
    cells (the multinomial counts make that one matrix product per draw).
    """
    diffs = _matrix(diffs)
    rng = np.random.default_rng(seed)
    s, m = diffs.shape
    ws = rng.multinomial(s, np.full(s, 1.0 / s), size=n).astype(float)
    wi = rng.multinomial(m, np.full(m, 1.0 / m), size=n).astype(float)
    means = np.einsum("bs,sn,bn->b", ws, diffs, wi) / (s * m)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def sign_flip_p(diffs: np.ndarray, *, n: int = FLIPS, seed: int = 0) -> float:
    """Two-sided p-value of "the mean difference is 0" by random sign flips of the per-item
    differences (a paired randomisation test; no normality assumed).

    Examples:
        >>> sign_flip_p(np.zeros(10))
        1.0
        >>> sign_flip_p(np.full(12, 0.5)) < 0.001
        True
    """
    d = np.asarray(diffs, float).ravel()
    observed = abs(d.mean())
    if observed == 0:
        return 1.0
    rng = np.random.default_rng(seed)
    signs = rng.choice((-1.0, 1.0), size=(n, d.size))
    extreme = np.count_nonzero(np.abs(signs @ d) / d.size >= observed - 1e-15)
    return float((1 + extreme) / (1 + n))


def paired(arm: np.ndarray, reference: np.ndarray, *, higher_is_better: bool,
           seed: int = 0) -> Paired:
    """``arm`` against ``reference``, both S×N (seed × item, the same seeds and items).

    Examples:
        >>> ref = np.array([[1.0, 2.0, 3.0, 4.0], [1.5, 2.5, 3.5, 4.5]])
        >>> result = paired(ref + 1.0, ref, higher_is_better=True)
        >>> result.diff, result.ci_low, result.verdict, result.wins
        (1.0, 1.0, 'better', 1.0)
    """
    arm, reference = _matrix(arm), _matrix(reference)
    if arm.shape != reference.shape:
        raise ConfigError(f"paired scores need equal shapes, got {arm.shape} and "
                          f"{reference.shape}")
    d = arm - reference
    low, high = bootstrap_interval(d, seed=seed)
    per_item = d.mean(axis=0)
    per_seed = d.mean(axis=1)
    sign = 1.0 if higher_is_better else -1.0
    if low > 0 or high < 0:  # the interval excludes 0: its side and the metric's direction
        verdict = "better" if sign * (low + high) > 0 else "worse"
    else:
        verdict = "no clear difference"
    return Paired(
        diff=float(d.mean()), ci_low=low, ci_high=high,
        seed_sd=float(per_seed.std(ddof=1)) if len(per_seed) > 1 else float("nan"),
        p_value=sign_flip_p(per_item, seed=seed),
        wins=float(np.mean(sign * per_item > 0)), verdict=verdict,
        n_seeds=d.shape[0], n_items=d.shape[1])


def _matrix(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, float)
    if values.ndim == 1:
        values = values[None]
    if values.ndim != 2 or values.size == 0:
        raise ConfigError(f"scores must be a non-empty seed × item array, got {values.shape}")
    return values


__all__ = ["BOOTSTRAP", "FLIPS", "Paired", "bootstrap_interval", "paired", "seed_summary",
           "sign_flip_p"]
