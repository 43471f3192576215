"""Checks for lesson 05 (the reproduction study), re-exported by :mod:`hdrisp.tutorial.checks`.

As every check of the course: run the student's answer on inputs with a known answer (the
package's :mod:`hdrisp.study`), print ``✓ …`` or raise :class:`~hdrisp.errors.ExerciseError`
naming the likely slip.

- the lesson: :func:`check_camera_white` (an illuminant's white seen by a camera),
  :func:`check_chroma_spread`, :func:`check_bootstrap_interval` (seeds, then images);
- the exercises: :func:`check_further_arm`, :func:`check_arm_results`,
  :func:`check_seed_width`, :func:`check_inside_range`, :func:`check_worst_illuminant`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from hdrisp.errors import ExerciseError
from hdrisp.raw.color import XYZ_TO_SRGB
from hdrisp.study import ARMS, CastSet
from hdrisp.study.design import Arm
from hdrisp.study.illuminants import AVERAGE_CAMERA, ILLUMINANTS, camera_response, white_xyz
from hdrisp.study.scoring import chroma_spread
from hdrisp.study.stats import bootstrap_interval


def _ok(what: str) -> None:
    print(f"✓ {what}: correct")


def _vector(value: Any, what: str) -> np.ndarray:
    if value is None:
        raise ExerciseError(f"{what} returned None: did you forget the `return`?")
    return np.asarray(value, dtype=np.float64).ravel()


def _number(value: Any, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ExerciseError(f"{what} should be a number, got {value!r}") from None


# --------------------------------------------------------------------------- the lesson


def _cameras() -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(5)
    mixed = 0.7 * np.eye(3) + 0.3 * rng.dirichlet(np.ones(3), size=3)
    return [("the average synthetic camera", np.asarray(AVERAGE_CAMERA)),
            ("a camera with sRGB primaries", np.eye(3)), ("a random synthetic camera", mixed)]


def check_camera_white(fn: Callable[[str, np.ndarray], np.ndarray]) -> None:
    """``fn(name, camera) → (R, G, B)``: illuminant ``name``'s white seen by ``camera`` (linear
    sRGB → camera RGB), normalised so that green is 1 (:func:`~hdrisp.study.illuminants.
    camera_response`), for every illuminant and three cameras."""
    for label, camera in _cameras():
        for name, light in ILLUMINANTS.items():
            got = _vector(fn(name, camera.copy()), "your camera_white")
            expected = camera_response(light.xy, camera)
            if got.shape != (3,):
                raise ExerciseError(f"camera_white({name!r}) has {got.size} values; give the "
                                    "three camera channels (R, G, B)")
            if np.allclose(got, expected, rtol=1e-6, atol=1e-9):
                continue
            raw = camera @ XYZ_TO_SRGB @ white_xyz(light.xy)
            if np.allclose(got / got[1], expected, rtol=1e-6) and abs(got[1] - 1) > 1e-6:
                raise ExerciseError("the right colour, not normalised: divide by the green "
                                    "value so that G = 1 (a camera exposes for luminance)")
            if np.allclose(got, raw, rtol=1e-6):
                raise ExerciseError("divide by the green value at the end, so that G = 1")
            srgb = XYZ_TO_SRGB @ white_xyz(light.xy)
            if np.allclose(got, srgb / srgb[1], rtol=1e-6) and not np.allclose(
                    camera, np.eye(3)):
                raise ExerciseError(f"for {label} the camera matrix is missing: the camera "
                                    "sees linear sRGB through `camera @ ...`")
            direct = camera @ white_xyz(light.xy)
            if np.allclose(got, direct / direct[1], rtol=1e-6):
                raise ExerciseError("the camera matrix takes linear sRGB, not XYZ: convert "
                                    "with XYZ_TO_SRGB first")
            raise ExerciseError(f"{name} through {label}: got {np.round(got, 4)}, expected "
                                f"{np.round(expected, 4)} — XYZ of a white is "
                                "(x/y, 1, (1 − x − y)/y)")
    _ok("the camera's response to every illuminant's white (three cameras)")


def check_chroma_spread(fn: Callable[[np.ndarray], float]) -> None:
    """``fn(means) → float``: RMS distance of N (a*, b*) rows from their centroid."""
    rng = np.random.default_rng(7)
    cases = [np.array([[0.0, 3.0], [0.0, -3.0], [4.0, 0.0], [-4.0, 0.0]]),
             np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]),
             rng.normal(0, 5, size=(5, 2)) + np.array([10.0, -20.0])]
    for means in cases:
        got = _number(fn(means.copy()), "your chroma spread")
        expected = chroma_spread(means)
        if math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9):
            continue
        centred = means - means.mean(axis=0)
        slips = {
            "no square root: that is the mean squared distance":
                (centred ** 2).sum(axis=1).mean(),
            "measure from the centroid (their mean), not from the origin":
                math.sqrt((means ** 2).sum(axis=1).mean()),
            "that is the sum of the per-axis standard deviations; take the distance in the "
            "a*b* plane": means.std(axis=0).sum(),
            "that is the largest distance; take the root of the *mean* squared distance":
                math.sqrt((centred ** 2).sum(axis=1).max()),
            "divide by N (the renderings), not N − 1":
                math.sqrt((centred ** 2).sum(axis=1).sum() / (len(means) - 1)),
        }
        for message, value in slips.items():
            if math.isclose(got, value, rel_tol=1e-6, abs_tol=1e-9):
                raise ExerciseError(message)
        raise ExerciseError(f"for {means.tolist()} got {got:.6g}, expected {expected:.6g}")
    _ok("the chroma spread (RMS distance from the centroid)")


def check_bootstrap_interval(fn: Callable[[np.ndarray, np.random.Generator], Sequence[float]]
                             ) -> None:
    """``fn(diffs, rng) → (low, high)``: the 95 % interval of the mean of an S×N array,
    resampling seeds and then images. Tested where seed noise dominates (an images-only
    bootstrap is far too narrow) and where it is absent."""
    rng = np.random.default_rng(11)
    seedy = np.array([[-1.0], [0.0], [1.2]]) + rng.normal(0.3, 0.05, size=(3, 40))
    plain = rng.normal(0.3, 0.5, size=(3, 40))
    for name, diffs in (("strong seed noise", seedy), ("no seed noise", plain)):
        got = _vector(fn(diffs.copy(), np.random.default_rng(0)), "your bootstrap interval")
        if got.size != 2:
            raise ExerciseError(f"return (low, high), got {got.size} values")
        low, high = sorted(got)
        ref_low, ref_high = bootstrap_interval(diffs, n=4000)
        width, ref_width = high - low, ref_high - ref_low
        if not low <= diffs.mean() <= high:
            raise ExerciseError(f"{name}: [{low:.3g}, {high:.3g}] does not contain the mean "
                                f"difference {diffs.mean():.3g}: take percentiles of the "
                                "resampled *means*")
        if width < 0.5 * ref_width:
            raise ExerciseError(f"{name}: your interval is {width:.3g} wide, the two-level "
                                f"bootstrap's {ref_width:.3g}: resample the seeds too — with "
                                "images alone, the differences between seeds are ignored")
        if width > 1.6 * ref_width:
            raise ExerciseError(f"{name}: your interval is {width:.3g} wide, expected about "
                                f"{ref_width:.3g}: a 95 % interval is the 2.5th to 97.5th "
                                "percentile of the resampled means (not of the differences)")
    _ok("the two-level bootstrap interval (seeds, then images)")


# --------------------------------------------------------------------------- exercises


def check_further_arm(arm: Any, histogram: Mapping[str, Any]) -> None:
    """Exercises 05.1-2: ``arm`` is a new :class:`~hdrisp.study.design.Arm` whose histogram
    settings are ``histogram``, with everything else the reference's."""
    if not isinstance(arm, Arm):
        raise ExerciseError(f"expected an Arm (hdrisp.study.design.Arm), got "
                            f"{type(arm).__name__}")
    if arm.name in ARMS:
        raise ExerciseError(f"{arm.name!r} is a built-in arm's name; choose a new one")
    if dict(arm.histogram or {}) != dict(histogram):
        raise ExerciseError(f"its histogram settings are {arm.histogram}; give "
                            f"histogram={dict(histogram)}")
    if (arm.schedule, arm.hist_scale, arm.direct) != ("paper", 1.0, False):
        raise ExerciseError("change only the histogram: keep schedule 'paper', hist_scale 1 and "
                            "direct False, so that the reference arm is its comparison")
    _ok(f"the arm {arm.name!r} changes only {dict(histogram)}")


def check_arm_results(results: Sequence[dict], names: Sequence[str]) -> None:
    """Exercise 05.3: the study's results hold paired comparisons of every arm in ``names``
    on both sets."""
    for name in names:
        rows = [r for r in results if r["kind"] == "paired" and r["method"] == name]
        sets = {r["set"] for r in rows}
        if sets != {"test", "cast"}:
            raise ExerciseError(f"no paired rows for {name!r} on "
                                f"{', '.join(sorted({'test', 'cast'} - sets))}: add the arm to "
                                "the study's arms and run it")
    verdicts = {n: next(r["verdict"] for r in results if r["kind"] == "paired" and
                        r["method"] == n and r["metric"] == "de_target") for n in names}
    _ok("paired results for " + ", ".join(f"{n} (ΔE00 to target: {v})"
                                          for n, v in verdicts.items()))


def _width(results: Sequence[dict]) -> tuple[float, int]:
    row = next((r for r in results if r["kind"] == "paired" and r["method"] == "hist_x0"
                and r["set"] == "test" and r["metric"] == "delta_e2000"), None)
    if row is None:
        raise ExerciseError("these results have no hist_x0 row on the test split")
    return row["ci_high"] - row["ci_low"], int(row["n_seeds"])


def check_seed_width(results: Sequence[dict], answer: Any, seeds: int) -> None:
    """Exercise 05.4: the interval of hist ×0 − hist ×1 (ΔE00, test) with ``seeds`` seeds,
    predicted from the results' width as shrinking with one over √seeds."""
    width, now = _width(results)
    expected = width * math.sqrt(now / seeds)
    got = _number(answer, "the predicted width")
    if math.isclose(got, expected, rel_tol=0.02):
        _ok(f"about {expected:.3g} wide with {seeds} seeds (now {width:.3g} with {now})")
        return
    if math.isclose(got, width * now / seeds, rel_tol=0.02):
        raise ExerciseError("the width shrinks with the square root of the number of seeds, "
                            "not in proportion")
    if math.isclose(got, width * math.sqrt(seeds / now), rel_tol=0.02):
        raise ExerciseError("more seeds make the interval narrower, not wider")
    raise ExerciseError(f"{got:.4g}: width × √(seeds now / seeds then), with the width "
                        "ci_high − ci_low of the CSV's row")


def check_inside_range(cast: CastSet, answer: Mapping[str, Any]) -> None:
    """Exercise 05.5: illuminant → share of its renderings whose as-shot white balance lies in
    the training set's range (``wb_in_training_range`` in ``cast_manifest.json``)."""
    expected = {}
    for name in cast.illuminants:
        flags = [i.wb_in_training_range for i in cast.items if i.illuminant == name
                 and i.wb_in_training_range is not None]
        expected[name] = float(np.mean(flags)) if flags else float("nan")
    if set(answer) != set(expected):
        raise ExerciseError(f"give one share per illuminant of the cast set: "
                            f"{', '.join(expected)}")
    for name, value in expected.items():
        got = _number(answer[name], f"the share of {name}")
        if math.isnan(value) or math.isclose(got, value, abs_tol=1e-6):
            continue
        if math.isclose(got, 100 * value, abs_tol=1e-4):
            raise ExerciseError("give shares between 0 and 1, not percentages")
        raise ExerciseError(f"{name}: got {got:.3g}, the manifest says {value:.3g}")
    _ok(", ".join(f"{n} {v:.0%}" for n, v in expected.items()) + " inside the training range")


def check_worst_illuminant(results: Sequence[dict], method: str, answer: Any) -> None:
    """Exercise 05.6: the illuminant under which ``method``'s ΔE00 to the target is largest."""
    scores = {r["set"].split(":", 1)[1]: r["mean"] for r in results
              if r["kind"] == "summary" and r["method"] == method
              and r["set"].startswith("cast:") and r["metric"] == "de_target"}
    if not scores:
        raise ExerciseError(f"the results have no per-illuminant rows for {method!r}")
    worst = max(scores, key=scores.get)
    if answer == worst:
        _ok(f"{method} is furthest from the target under {worst} "
            f"(ΔE00 {scores[worst]:.2f}; best {min(scores, key=scores.get)})")
        return
    if answer == min(scores, key=scores.get):
        raise ExerciseError("that is the illuminant with the *smallest* ΔE00; the largest is "
                            "the worst")
    raise ExerciseError(f"{answer!r}: ΔE00 to target per illuminant is "
                        f"{ {n: round(v, 2) for n, v in scores.items()} }")


__all__ = ["check_arm_results", "check_bootstrap_interval", "check_camera_white",
           "check_chroma_spread", "check_further_arm", "check_inside_range",
           "check_seed_width", "check_worst_illuminant"]
