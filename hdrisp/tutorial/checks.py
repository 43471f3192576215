"""Checks for the lessons' exercises: each says what is wrong, not only that it is wrong.

A lesson asks a student to write a step of the pipeline (bilinear demosaicing, SimAM, a
training step, PSNR …) or to find a number; the cell after it calls one of these functions.
A check runs the student's code on small test inputs with known answers — computed by the
package, the reference the lesson then hands over to — and either prints ``✓ …`` or raises
:class:`~hdrisp.errors.ExerciseError` (an ``AssertionError``) naming the first thing that
differs: which pixels, which term, which common slip it looks like.

- lesson 01: :func:`check_white_balance`, :func:`check_demosaic`, :func:`check_color_matrix`,
  :func:`check_srgb_encode`, and the exercises' :func:`check_bits`, :func:`check_phase`,
  :func:`check_legacy_range`, :func:`check_read_noise`, :func:`check_grey_world_worst`;
- lesson 02: :func:`check_clipped_fraction`, :func:`check_sigma_answer`,
  :func:`check_authors_reduction`, :func:`check_shadow_sensitivity`, :func:`check_saturation`,
  :func:`check_ripple_period`;
- lesson 03: :func:`check_simam`, :func:`check_training_step`, and the exercises'
  :func:`check_from_scratch_run`, :func:`check_code_schedule`, :func:`check_hist_weight`,
  :func:`check_resumed_log`, :func:`check_training_hours`;
- lesson 04: :func:`check_psnr`, :func:`check_ssim`, :func:`check_delta_e2000`, and the
  exercises' :func:`check_closest_baseline`, :func:`check_level_psnr`,
  :func:`check_colour_not_structure`, :func:`check_develop_size`, :func:`check_piqe_ranking`;
- lesson 05: the checks of :mod:`hdrisp.tutorial.study_checks`, re-exported here.
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from hdrisp import isp, losses
from hdrisp.data import PairedRawDataset
from hdrisp.errors import ExerciseError
from hdrisp.evaluation import load_model, metrics
from hdrisp.losses import LevelLoss, level_weights
from hdrisp.models import build
from hdrisp.models.blocks import SimAM
from hdrisp.raw import bayer, read_raw
from hdrisp.raw.color import linear_to_srgb, srgb_to_linear
from hdrisp.raw.noise import noise_curve
from hdrisp.runtime import Runtime
from hdrisp.training.batch import train_step
from hdrisp.training.logs import read_csv
from hdrisp.tutorial.helpers import level_checkpoints
from hdrisp.tutorial.study_checks import (
    check_arm_results,
    check_bootstrap_interval,
    check_camera_white,
    check_chroma_spread,
    check_further_arm,
    check_inside_range,
    check_seed_width,
    check_worst_illuminant,
)

# --------------------------------------------------------------------------- helpers


def _ok(what: str) -> None:
    print(f"✓ {what}: correct")


def _array(value: Any, what: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if value is None:
        raise ExerciseError(f"{what} returned None: did you forget the `return`?")
    return np.asarray(value, dtype=np.float64)


def _same_shape(got: np.ndarray, shape: tuple[int, ...], what: str) -> None:
    if got.shape != tuple(shape):
        raise ExerciseError(f"{what} has shape {got.shape}; expected {tuple(shape)}")


def _close(a: np.ndarray, b: np.ndarray, atol: float = 1e-5) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, atol=atol, rtol=1e-5))


def _worst(got: np.ndarray, expected: np.ndarray) -> str:
    index = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
    return (f"e.g. at {tuple(int(i) for i in index)}: got {got[index]:.6g}, "
            f"expected {expected[index]:.6g}")


def _number(value: Any, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ExerciseError(f"{what} should be a number, got {value!r}") from None


# --------------------------------------------------------------------------- lesson 01


_TEST_GAINS = (2.0, 1.0, 1.5)


def check_white_balance(fn: Callable[[np.ndarray, str, Sequence[float]], np.ndarray]) -> None:
    """``fn(mosaic, cfa, gains) → mosaic``: each sample times its colour's gain, clipped at 1.

    Compared with :func:`hdrisp.isp.white_balance` on random mosaics of all four patterns.
    """
    rng = np.random.default_rng(1)
    for cfa in bayer.CFA_PATTERNS:
        mosaic = rng.uniform(0.0, 0.8, (6, 8)).astype(np.float32)
        got = _array(fn(mosaic.copy(), cfa, _TEST_GAINS), "your white balance")
        expected = isp.white_balance(isp.LinearMosaic(mosaic, cfa), _TEST_GAINS).data
        _same_shape(got, expected.shape, f"white balance of a 6×8 {cfa} mosaic")
        if _close(got, expected):
            continue
        gain_map = np.asarray(_TEST_GAINS)[bayer.cfa_colour_indices(cfa)]
        gain_map = np.tile(gain_map, (3, 4))
        if _close(got, mosaic * gain_map):
            raise ExerciseError("values above 1 are kept: clip at white (1.0) after the gains — "
                                "a saturated sample cannot be brighter than white")
        if _close(got, np.clip(mosaic / gain_map, 0, 1)):
            raise ExerciseError("you divided by the gains; white balance multiplies each "
                                "sample by its colour's gain")
        for other in bayer.CFA_PATTERNS:
            if other != cfa and _close(got, isp.white_balance(isp.LinearMosaic(mosaic, other),
                                                              _TEST_GAINS).data):
                raise ExerciseError(
                    f"on a {cfa} mosaic you applied the gains of a {other} pattern: the pattern "
                    "names the colours of mosaic[0:2, 0:2] row by row (RGGB: R at (0, 0), G at "
                    "(0, 1) and (1, 0), B at (1, 1))")
        wrong = [name for c, name in enumerate("RGB")
                 if not _close(got[bayer.colour_masks(mosaic.shape, cfa)[c]],
                               expected[bayer.colour_masks(mosaic.shape, cfa)[c]])]
        raise ExerciseError(f"wrong values at the {', '.join(wrong)} sites of a {cfa} mosaic "
                            f"with gains {_TEST_GAINS} ({_worst(got, expected)})")
    _ok("white balance on the mosaic (all four patterns, clipped at white)")


def _site_classes(shape: tuple[int, int], cfa: str) -> dict[str, tuple[int, np.ndarray]]:
    """Name → (output channel, mask) of every kind of missing sample of a bilinear demosaic."""
    masks = bayer.colour_masks(shape, cfa)
    rows = np.arange(shape[0])[:, None] % 2
    index = bayer.cfa_colour_indices(cfa)
    red_row = int(np.argwhere(index == 0)[0][0])
    in_red_row = np.broadcast_to(rows == red_row, shape)
    return {
        "green at red sites (mean of the 4 green neighbours: up, down, left, right)":
            (1, masks[0]),
        "green at blue sites (mean of the 4 green neighbours)": (1, masks[2]),
        "red at green sites of red rows (mean of the 2 red neighbours, left and right)":
            (0, masks[1] & in_red_row),
        "red at green sites of blue rows (mean of the 2 red neighbours, above and below)":
            (0, masks[1] & ~in_red_row),
        "red at blue sites (mean of the 4 diagonal red neighbours)": (0, masks[2]),
        "blue at green sites of blue rows (mean of the 2 blue neighbours, left and right)":
            (2, masks[1] & ~in_red_row),
        "blue at green sites of red rows (mean of the 2 blue neighbours, above and below)":
            (2, masks[1] & in_red_row),
        "blue at red sites (mean of the 4 diagonal blue neighbours)": (2, masks[0]),
    }


def check_demosaic(fn: Callable[[np.ndarray, str], np.ndarray]) -> None:
    """``fn(mosaic, cfa) → H×W×3``: bilinear demosaicing, as :func:`hdrisp.raw.bayer.demosaic`.

    Each measured sample is kept; each missing colour is the mean of the nearest samples of that
    colour (at the borders, of those that exist). Checked on all four patterns; mistakes are
    named by the kind of site where they happen, the interior first.
    """
    rng = np.random.default_rng(2)
    for cfa in bayer.CFA_PATTERNS:
        mosaic = rng.uniform(0.0, 1.0, (10, 12)).astype(np.float32)
        got = _array(fn(mosaic.copy(), cfa), "your demosaic")
        expected = bayer.demosaic(mosaic, cfa, "bilinear").astype(np.float64)
        _same_shape(got, expected.shape, f"the demosaic of a 10×12 {cfa} mosaic (H×W×3)")
        if _close(got, expected):
            continue
        if _close(got[..., ::-1], expected):
            raise ExerciseError("the channels come out as B, G, R: return them as R, G, B")
        masks = bayer.colour_masks(mosaic.shape, cfa)
        for c, name in enumerate(("red", "green", "blue")):
            if not _close(got[..., c][masks[c]], mosaic[masks[c]].astype(np.float64)):
                raise ExerciseError(
                    f"the measured {name} samples changed ({cfa}): a bilinear demosaic keeps "
                    f"every measured value in its own channel and only fills in the other two")
        interior = np.zeros(mosaic.shape, bool)
        interior[1:-1, 1:-1] = True
        for label, (c, mask) in _site_classes(mosaic.shape, cfa).items():
            where = mask & interior
            if not _close(got[..., c][where], expected[..., c][where]):
                diff = np.where(where, np.abs(got[..., c] - expected[..., c]), -1)
                r, k = np.unravel_index(np.argmax(diff), diff.shape)
                raise ExerciseError(
                    f"{cfa}: wrong {label} — e.g. at row {r}, column {k}: got "
                    f"{got[r, k, c]:.4f}, expected {expected[r, k, c]:.4f}")
        raise ExerciseError(
            f"{cfa}: the interior is right, the border pixels are not "
            f"({_worst(got, expected)}). At a border some neighbours do not exist: average only "
            "those that do — e.g. convolve the mask of each colour with the same kernel and "
            "divide (a normalised convolution, zero padding)")
    _ok("bilinear demosaicing (all four patterns, borders included)")


_TEST_MATRIX = np.array([[1.82, -0.96, 0.15], [-0.23, 1.77, -0.54], [-0.02, -0.47, 1.49]])


def check_color_matrix(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
    """``fn(rgb, matrix) → rgb``: each pixel ``M · (r, g, b)ᵀ``, negative results set to 0
    (as :func:`hdrisp.isp.camera_to_srgb`)."""
    rng = np.random.default_rng(3)
    rgb = rng.uniform(0.0, 1.0, (4, 5, 3)).astype(np.float32)
    got = _array(fn(rgb.copy(), _TEST_MATRIX.copy()), "your colour matrix")
    expected = isp.camera_to_srgb(rgb, _TEST_MATRIX).astype(np.float64)
    _same_shape(got, expected.shape, "the result for a 4×5×3 image")
    if _close(got, expected):
        _ok("camera RGB → linear sRGB with the colour matrix")
        return
    product = rgb.astype(np.float64) @ _TEST_MATRIX.T
    if _close(got, rgb @ _TEST_MATRIX) or _close(got, np.clip(rgb @ _TEST_MATRIX, 0, None)):
        raise ExerciseError("you multiplied by the transposed matrix: a pixel is a column "
                            "(r, g, b)ᵀ and the output is M · pixel — for an H×W×3 array that "
                            "is rgb @ M.T")
    if _close(got, product):
        raise ExerciseError("negative values are kept: set them to 0 (colours the camera saw "
                            "that linear sRGB cannot show; the sRGB curve is not defined below 0)")
    raise ExerciseError(f"wrong colours ({_worst(got, expected)})")


def check_srgb_encode(fn: Callable[[np.ndarray], np.ndarray]) -> None:
    """``fn(linear) → encoded``: clip to [0, 1], then the piecewise sRGB curve
    (12.92·x up to 0.0031308, else 1.055·x^(1/2.4) − 0.055), as :func:`hdrisp.isp.encode_srgb`."""
    x = np.concatenate([np.linspace(-0.1, 1.3, 141), np.linspace(0, 0.01, 21)]).astype(np.float32)
    got = _array(fn(x.copy()), "your sRGB curve")
    expected = isp.encode_srgb(x).astype(np.float64)
    _same_shape(got, expected.shape, "the curve of a 1-D array")
    if _close(got, expected):
        _ok("the sRGB transfer curve (with clipping to [0, 1])")
        return
    xc = np.clip(x.astype(np.float64), 0, 1)
    if _close(got, linear_to_srgb(x.astype(np.float64))):
        raise ExerciseError("values outside [0, 1] are not clipped: clip the linear values to "
                            "[0, 1] first (the display cannot go beyond white)")
    if _close(got, xc ** (1 / 2.2), atol=1e-4):
        raise ExerciseError("that is a pure power 1/2.2: sRGB is piecewise — a straight line "
                            "12.92·x up to x = 0.0031308, then 1.055·x^(1/2.4) − 0.055")
    if _close(got, 1.055 * xc ** (1 / 2.4) - 0.055):
        raise ExerciseError("the linear segment near black is missing: below x = 0.0031308 "
                            "the curve is 12.92·x (a pure power has an infinite slope at 0)")
    if _close(got, srgb_to_linear(xc)):
        raise ExerciseError("that decodes (sRGB → linear); encode instead: linear → sRGB")
    raise ExerciseError(f"wrong curve ({_worst(got, expected)})")


def check_bits(raw, bits: Any) -> None:
    """Exercise 01.1: the number of bits the raw's white level needs."""
    answer = _number(bits, "bits")
    expected = math.ceil(math.log2(raw.white_level + 1))
    if answer == expected:
        _ok(f"a white level of {raw.white_level:g} needs {expected} bits")
        return
    if answer == 16:
        raise ExerciseError("16 is the size of the uint16 array numpy stores it in, not what "
                            f"the sensor uses: how many bits does {raw.white_level:g} need?")
    raise ExerciseError(f"not {answer:g}: find the smallest n with 2ⁿ > white level "
                        f"({raw.white_level:g})")


def check_phase(cfa: str, rows: int, columns: int, answer: Any) -> None:
    """Exercise 01.2: the pattern of a ``cfa`` mosaic after cropping ``rows`` rows and
    ``columns`` columns off its top-left corner."""
    block = np.array(list(bayer.check_cfa(cfa))).reshape(2, 2)
    expected = "".join(np.roll(block, (-(rows % 2), -(columns % 2)), (0, 1)).ravel())
    given = str(answer).upper()
    if given == expected:
        _ok(f"{cfa} cropped by {rows} row(s) and {columns} column(s) is {expected}")
        return
    hint = ("cropping an even number changes nothing" if rows % 2 == 0 and columns % 2 == 0
            else "read the new top-left 2×2 block row by row")
    raise ExerciseError(f"not {given}: {hint}")


def check_legacy_range(raw, legacy_black: Any, legacy_max: Any) -> None:
    """Exercise 01.3: where ``DN / 1020`` puts the black level and the brightest sample."""
    black = float(np.mean(raw.black_level)) / bayer.LEGACY_SCALE
    top = float(raw.mosaic.max()) / bayer.LEGACY_SCALE
    for name, value, expected in (("legacy_black", legacy_black, black),
                                  ("legacy_max", legacy_max, top)):
        got = _number(value, name)
        if not math.isclose(got, expected, rel_tol=1e-3):
            raise ExerciseError(f"{name} = {got:.4g} is not what DN / 1020 gives: divide the "
                                "raw digital numbers, black level included — no subtraction")
    _ok(f"black sits at {black:.2f} and the brightest sample at {top:.2f}: a network trained "
        "on [0, 1] inputs sees values it never met")


def check_read_noise(raw, read_noise_dn: Any, tile: int = 16) -> None:
    """Exercise 01.4: the read noise (σ in DN) of ``raw``, from :func:`hdrisp.raw.noise
    .noise_curve` with ``tile``×``tile`` tiles and the black level subtracted."""
    fit = noise_curve(raw.mosaic, raw.cfa, raw.black_level, raw.white_level, tile=tile)
    expected = math.sqrt(max(fit.intercept, 0.0))
    got = _number(read_noise_dn, "read_noise_dn")
    if math.isclose(got, expected, rel_tol=0.15):
        _ok(f"read noise ≈ {expected:.1f} DN (variance {fit.intercept:.0f} DN²)")
        return
    if math.isclose(got, fit.intercept, rel_tol=0.15):
        raise ExerciseError("that is the variance b (DN²); the noise is its square root")
    if math.isnan(got) or got < 0:
        raise ExerciseError("no real square root: the intercept you used is negative — did the "
                            "black level get subtracted from the tile means?")
    raise ExerciseError(f"{got:.3g} DN is off: fit with the black level subtracted and "
                        f"{tile}×{tile} tiles, then take √b")


def grey_world_errors(data_root: str | os.PathLike, n_pairs: int) -> list[float]:
    """For the first ``n_pairs`` training pairs of a synthetic set: the largest |log| ratio
    between grey-world gains (:func:`hdrisp.isp.grey_world_gains`) and the generator's."""
    root = Path(data_root)
    pairs = [p for p in json.loads((root / "manifest.json").read_text())["pairs"]
             if p["split"] == "train"][:n_pairs]
    errors = []
    for pair in pairs:
        raw = read_raw(root / pair["raw"])
        gains = np.asarray(isp.grey_world_gains(isp.LinearMosaic(raw.normalized(), raw.cfa)))
        truth = np.asarray(pair["sensor"]["wb"], dtype=np.float64)
        errors.append(float(np.abs(np.log(gains / truth)).max()))
    return errors


def check_grey_world_worst(data_root: str | os.PathLike, n_pairs: int, answer: Any) -> None:
    """Exercise 01.5: the index (among the first ``n_pairs`` training pairs) where grey world
    misses the generator's white balance most."""
    errors = grey_world_errors(data_root, n_pairs)
    expected = int(np.argmax(errors))
    given = int(_number(answer, "worst_pair"))
    if given == expected:
        _ok(f"pair {expected}: grey world is off by a factor {math.exp(errors[expected]):.2f}")
        return
    if not 0 <= given < len(errors):
        raise ExerciseError(f"pair {given} is not among the first {n_pairs}")
    raise ExerciseError(f"pair {given} is off by a factor {math.exp(errors[given]):.2f}; one of "
                        f"the others is off by more (compare |log(grey-world / camera)| over R "
                        "and B)")


# --------------------------------------------------------------------------- lesson 02


def check_clipped_fraction(image: torch.Tensor, gains: Sequence[float], answer: Any) -> None:
    """Exercise 02.1: the fraction of lit pixels (min channel > 0.02) whose u_R does *not*
    move by log(g_R/g_G) when ``image`` (scaled so its maximum is 1) gets ``gains`` and is
    clamped to [0, 1]."""
    eps = 1e-6
    bright = image / image.max()
    cast = (bright * torch.tensor(list(gains)).view(1, 3, 1, 1)).clamp(0, 1)

    def u_r(img: torch.Tensor) -> torch.Tensor:
        return torch.log(img[:, 0] + eps) - torch.log(img[:, 1] + eps)

    lit = bright.min(1).values > 0.02
    shift = (u_r(cast) - u_r(bright))[lit]
    expected = float((torch.abs(shift - math.log(gains[0] / gains[1])) > 1e-3).float().mean())
    got = _number(answer, "stuck_fraction")
    if math.isclose(got, expected, abs_tol=0.01):
        _ok(f"{100 * expected:.1f} % of the lit pixels no longer translate: those with a clipped "
            "channel")
        return
    if math.isclose(got, 1 - expected, abs_tol=0.01):
        raise ExerciseError("that is the fraction that *does* move; the question asks for the "
                            "pixels that stopped moving")
    raise ExerciseError(f"{got:.3f} is off: scale by 1/max, multiply by the gains, clamp to "
                        "[0, 1], and count the lit pixels whose u_R shift differs from "
                        "log(g_R/g_G) by more than 1e-3")


def check_sigma_answer(errors: Mapping[float, float], answer: Any) -> None:
    """Exercise 02.2: ``errors`` maps σ → max |log(found / ideal)| of the recovered gains after
    the same number of steps; ``answer`` is the σ that ended closer."""
    if len(errors) < 2:
        raise ExerciseError("run the recovery for both σ = 0.005 and σ = 0.2")
    values = {float(k): _number(v, f"error for σ = {k}") for k, v in errors.items()}
    best = min(values, key=values.get)
    got = _number(answer, "closer_sigma")
    if got != best:
        raise ExerciseError(f"your own runs say σ = {best:g} ended closer "
                            f"({values[best]:.3f} against {max(values.values()):.3f})")
    if best != 0.2 or values[best] > 0.05:
        raise ExerciseError(f"σ = 0.2 should get within 5 % of the ideal gains in 60 steps "
                            f"(yours: {values.get(0.2, float('nan')):.3f}); measure the error as "
                            "max |log(found / ideal)| over R and B, with G = 1")
    _ok("σ = 0.2: a wide kernel's votes reach across bins, so the loss slopes smoothly towards "
        "the answer; σ = 0.005 makes each vote a spike and the slope a staircase")


def check_authors_reduction(fn: Callable[[float, int], float]) -> None:
    """Exercise 02.3: ``fn(d, B)``, the authors' composed Hellinger loss of a batch of B
    identical pairs whose per-image distance is d."""
    rng = torch.Generator().manual_seed(4)
    pred = torch.rand(1, 3, 8, 8, generator=rng)
    pred = pred / pred.sum()
    target = torch.rand(1, 3, 8, 8, generator=rng)
    target = target / target.sum()
    d = float(losses.hellinger_distance(pred, target, reduction="mean", safe=False))
    for batch in (1, 2, 5, 10, 50):
        expected = float(losses.hellinger_distance(pred.repeat(batch, 1, 1, 1),
                                                   target.repeat(batch, 1, 1, 1),
                                                   reduction="authors", safe=False))
        got = _number(fn(d, batch), f"your formula for B = {batch}")
        if not math.isclose(got, expected, rel_tol=1e-4):
            raise ExerciseError(f"for B = {batch}: got {got:.6g}, the package gives "
                                f"{expected:.6g} (d = {d:.6g}). Write the sum over the batch "
                                "inside the square root, then divide by √2 and by B")
    _ok("the authors' composition is d/√B: the term's weight shrinks as the batch grows")


def check_shadow_sensitivity(image: torch.Tensor, crushed: torch.Tensor, with_weight: Any,
                             without_weight: Any) -> None:
    """Exercise 02.4: the Hellinger distance between the histograms of ``image`` and of
    ``crushed`` (its darkest pixels set to exact black), with and without the intensity
    weight."""
    black = float((crushed.amax(1) == 0).float().mean())
    if black < 0.2:
        raise ExerciseError(f"only {100 * black:.0f} % of the crushed image's pixels are exactly "
                            "black: set the darkest 30 % (by their brightest channel) to 0")
    for name, value, flag in (("with_weight", with_weight, True),
                              ("without_weight", without_weight, False)):
        expected = float(losses.hellinger_distance(
            losses.rgbuv_histogram(crushed, intensity_scale=flag),
            losses.rgbuv_histogram(image, intensity_scale=flag), reduction="mean"))
        got = _number(value, name)
        if not math.isclose(got, expected, rel_tol=0.02, abs_tol=1e-4):
            raise ExerciseError(f"{name} = {got:.4f}; the package gives {expected:.4f}: build "
                                "both histograms with intensity_scale="
                                f"{flag} and take hellinger_distance(..., reduction='mean')")
    _ok("with the weight, crushed shadows barely move the histogram: a black pixel weighs √ε")


def check_saturation(sweep: Sequence[float], distances: Sequence[float], answer: Any) -> None:
    """Exercise 02.5: the smallest warmth of ``sweep`` where the distance first reaches 95 %
    of its largest value over the sweep."""
    values = np.asarray(distances, dtype=np.float64)
    warmth = np.asarray(sweep, dtype=np.float64)
    positive = warmth > 0
    reached = positive & (values >= 0.95 * values[positive].max())
    expected = float(warmth[reached].min())
    got = _number(answer, "saturates_at")
    if math.isclose(got, expected, abs_tol=1e-6):
        _ok(f"the distance is within 5 % of its ceiling from warmth {expected:.3g}")
        return
    raise ExerciseError(f"{got:.3g} is not the smallest positive warmth of your sweep whose "
                        "distance reaches 95 % of the sweep's largest value")


def check_ripple_period(answer: Any, bins: int = 64, bounds: tuple[float, float] = (-3, 3)
                        ) -> None:
    """Exercise 02.6: the period, in log-gain, of the ripple of a uniform image's histogram peak
    as its red gain grows: the bin spacing (bounds[1] − bounds[0]) / (bins − 1)."""
    expected = (bounds[1] - bounds[0]) / (bins - 1)
    got = _number(answer, "period")
    if math.isclose(got, expected, rel_tol=0.1):
        _ok(f"≈ {expected:.4f}: the bin spacing — the vote peaks each time u crosses a centre")
        return
    if math.isclose(got, expected / 2, rel_tol=0.1):
        raise ExerciseError("that is half a period: measure from one maximum to the next")
    raise ExerciseError(f"{got:.4g}: sweep log g_R finely (steps of 0.002 or less), record the "
                        "largest bin of the R projection, and measure the spacing of its maxima")


# --------------------------------------------------------------------------- lesson 03


def check_simam(fn: Callable[[torch.Tensor], torch.Tensor], e_lambda: float = 1e-4) -> None:
    """``fn(x) → x · σ(e)``: SimAM, as :class:`hdrisp.models.blocks.SimAM` (λ = 1e-4)."""
    x = torch.randn(2, 3, 5, 6, generator=torch.Generator().manual_seed(5))
    got = fn(x.clone())
    if not isinstance(got, torch.Tensor):
        raise ExerciseError(f"return a tensor, got {type(got).__name__}")
    expected = SimAM(e_lambda)(x)
    if got.shape != expected.shape:
        raise ExerciseError(f"output shape {tuple(got.shape)}; SimAM keeps the input's shape "
                            f"{tuple(x.shape)}")
    if torch.allclose(got, expected, atol=1e-6):
        _ok("SimAM")
        return
    mean = x.mean((2, 3), keepdim=True)
    d = (x - mean) ** 2
    n = x.shape[2] * x.shape[3] - 1

    def with_(n_=n, lam=e_lambda, half=0.5, dims=(2, 3)) -> torch.Tensor:
        dd = (x - x.mean(dims, keepdim=True)) ** 2
        return x * torch.sigmoid(dd / (4 * (dd.sum(dims, keepdim=True) / n_ + lam)) + half)

    if torch.allclose(got, with_(n_=n + 1), atol=1e-6):
        raise ExerciseError("the variance divides by H·W; SimAM uses n = H·W − 1")
    if torch.allclose(got, with_(lam=0.0), atol=1e-6):
        raise ExerciseError("λ is missing from the denominator: 4·(Σd/n + λ)")
    if torch.allclose(got, with_(half=0.0), atol=1e-6):
        raise ExerciseError("the energy needs + 0.5: e = d / (4·(Σd/n + λ)) + 0.5")
    if torch.allclose(got, with_(dims=(1, 2, 3)), atol=1e-6):
        raise ExerciseError("the statistics are per image *and channel*: mean and sum over H "
                            "and W only (dims 2 and 3)")
    energy = d / (4 * (d.sum((2, 3), keepdim=True) / n + e_lambda)) + 0.5
    if torch.allclose(got, torch.sigmoid(energy), atol=1e-6):
        raise ExerciseError("that is the attention map σ(e); SimAM returns x · σ(e)")
    if torch.allclose(got, x * energy, atol=1e-6):
        raise ExerciseError("x · e: the energy goes through a sigmoid first, x · σ(e)")
    raise ExerciseError(f"wrong output ({_worst(got.detach().numpy(), expected.numpy())})")


def check_training_step(fn: Callable[..., Mapping[str, float]], level: int, raw: torch.Tensor,
                        target: torch.Tensor, *, lr: float, seed: int = 0,
                        first_terms: Mapping[str, float] | None = None) -> None:
    """``fn(model, loss_fn, optimiser, raw, target) → terms``: one training step, compared with
    :func:`hdrisp.training.batch.train_step` from the same seed on the same batch.

    Two models are built with ``seed`` (identical weights), each gets an Adam optimiser with
    ``lr`` and :class:`hdrisp.losses.LevelLoss` ``(level)``; the student's step runs on one, the
    package's on the other, twice. Terms and weights must agree after each step. When given,
    ``first_terms`` (what the student's own loop printed first) must agree too.
    """
    torch.manual_seed(seed)
    reference = build("rawtonemap", level=level)
    mine = copy.deepcopy(reference)
    start = {k: v.clone() for k, v in reference.state_dict().items()}
    loss_fn = LevelLoss(level, perceptual="off")
    runtime = Runtime.resolve("cpu", "fp32")
    opt_ref = torch.optim.Adam(reference.parameters(), lr=lr)
    opt_mine = torch.optim.Adam(mine.parameters(), lr=lr)
    scaler = runtime.grad_scaler()
    for step in (1, 2):
        expected = train_step(reference, loss_fn, opt_ref, scaler, runtime, raw, target)
        got = fn(mine, loss_fn, opt_mine, raw, target)
        if not isinstance(got, Mapping):
            raise ExerciseError(f"return the loss terms as a dict, got {type(got).__name__}")
        missing = set(expected) - set(got)
        if missing:
            raise ExerciseError(f"the terms {sorted(missing)} are missing: return every entry "
                                "of loss_fn(pred, target), as floats")
        for name in expected:
            value = _number(got[name], f"term {name!r}")
            if not math.isclose(value, expected[name], rel_tol=1e-4, abs_tol=1e-7):
                when = "first" if step == 1 else "second"
                hint = ("the weights after your first step differ, so the second loss does "
                        "too — did you zero the gradients before backward()?"
                        if step == 2 else "compute loss_fn(model(raw), target) on the batch "
                        "as given (the model in training mode)")
                raise ExerciseError(f"{when} step: {name} = {value:.6g}, the package's "
                                    f"{expected[name]:.6g}. {hint}")
        moved = any(not torch.equal(v, start[k]) for k, v in mine.state_dict().items())
        if not moved:
            raise ExerciseError("the weights did not move: call optimiser.step() after "
                                "loss.backward()")
        for (name, a), b in zip(reference.state_dict().items(), mine.state_dict().values(),
                                strict=True):
            if not torch.allclose(a, b, atol=1e-6, rtol=1e-4):
                raise ExerciseError(
                    f"after step {step} the weight {name} differs from the package's: "
                    + ("did you zero the gradients every step (optimiser.zero_grad())?"
                       if step == 2 else "backward() on the total loss terms['loss'], then "
                       "optimiser.step() — once per step"))
    if first_terms is not None:
        torch.manual_seed(seed)
        fresh = build("rawtonemap", level=level)
        first = train_step(fresh, loss_fn, torch.optim.Adam(fresh.parameters(), lr=lr),
                           runtime.grad_scaler(), runtime, raw, target)
        for name, value in first.items():
            got = _number(first_terms.get(name), f"your loop's first {name}")
            if not math.isclose(got, value, rel_tol=1e-4, abs_tol=1e-7):
                raise ExerciseError(f"your loop's first step printed {name} = {got:.6g}; the "
                                    f"package's step from seed {seed} on the same batch gives "
                                    f"{value:.6g}: build the model right after "
                                    f"torch.manual_seed({seed}) and train on this batch first")
    _ok("your training step equals hdrisp.training.batch.train_step (two steps, same seed)")


def check_from_scratch_run(scratch_dir: str | os.PathLike, staged_dir: str | os.PathLike
                           ) -> None:
    """Exercise 03.1: ``scratch_dir/level0`` trained from random weights for as many steps as
    the staged run's level 0 (``staged_dir/level0``)."""
    infos = {}
    for name, folder in (("from-scratch", scratch_dir), ("staged", staged_dir)):
        info_path = Path(folder) / "level0" / "run_info.yaml"
        if not info_path.is_file():
            raise ExerciseError(f"no {info_path}: train level 0 of the {name} run first "
                                "(train_level(config, 0, out=...))")
        infos[name] = yaml.safe_load(info_path.read_text())
    scratch, staged = infos["from-scratch"], infos["staged"]
    if scratch.get("init") is not None:
        raise ExerciseError(f"level 0 started from {scratch['init']}; the exercise starts it "
                            "from random weights (init=None)")
    if scratch.get("steps") != staged.get("steps"):
        raise ExerciseError(f"it ran {scratch.get('steps')} steps, the staged level 0 ran "
                            f"{staged.get('steps')}: give it the same level-0 row")
    _ok(f"level 0 from random weights, {scratch['steps']} steps like the staged one")


def check_code_schedule(config) -> None:
    """Exercise 03.2: a config whose loss follows the authors' code."""
    if config.loss.schedule != "code":
        raise ExerciseError(f"loss.schedule is {config.loss.schedule!r}; set it to 'code' "
                            "(replace(config, loss={'schedule': 'code'}))")
    weights = level_weights(0, "code")
    _ok(f"the code schedule: level 0 weighs {weights}")


def check_hist_weight(config, level: int, weight: float) -> None:
    """Exercise 03.3: ``config``'s row for ``level`` sets the histogram weight to ``weight``."""
    row = config.schedule(level)
    got = (row.weights or {}).get("hist")
    if got is None:
        raise ExerciseError(f"the level-{level} row has no weights override; give it "
                            f"weights={{'hist': {weight}}}")
    if float(got) != float(weight):
        raise ExerciseError(f"the level-{level} histogram weight is {got}, not {weight}")
    _ok(f"level {level} trains with hist weight {weight:g}")


def check_resumed_log(csv_path: str | os.PathLike) -> None:
    """Exercise 03.4: a training log whose steps run 1, 2, 3 … without gaps or repeats."""
    rows = read_csv(csv_path)
    steps = [int(float(r["step"])) for r in rows]
    if not steps:
        raise ExerciseError(f"{csv_path} has no rows yet: train first")
    expected = list(range(1, len(steps) + 1))
    if steps != expected:
        where = next(i for i, (a, b) in enumerate(zip(steps, expected, strict=True)) if a != b)
        raise ExerciseError(f"the steps jump at row {where}: {steps[max(0, where - 2):where + 2]}"
                            " — resuming should continue where the last checkpoint stopped")
    _ok(f"{len(steps)} steps, continuous")


def check_training_hours(images_per_second: float, patch: int, answer: Any, *,
                         epochs: int = 60, pairs: int = 12600, side: int = 448) -> None:
    """Exercise 03.5: hours for the paper's level 0 (``epochs`` passes over ``pairs`` raw
    patches of ``side``²) at a speed measured on ``patch``² patches, the cost taken as
    proportional to the pixels."""
    per_image = (side / patch) ** 2 / images_per_second
    expected = epochs * pairs * per_image / 3600
    got = _number(answer, "hours")
    if math.isclose(got, expected, rel_tol=0.02):
        _ok(f"{expected:,.0f} h on this machine")
        return
    unscaled = epochs * pairs / images_per_second / 3600
    if math.isclose(got, unscaled, rel_tol=0.02):
        raise ExerciseError(f"your speed was measured on {patch}×{patch} patches; the paper's "
                            f"are {side}×{side}: each image costs ({side}/{patch})² times more")
    if math.isclose(got, expected * 60, rel_tol=0.02):
        raise ExerciseError("that is in minutes; give hours")
    raise ExerciseError(f"{got:.4g} h: time = epochs × pairs × (pixels per pair / pixels per "
                        "measured image) / (images per second)")


# --------------------------------------------------------------------------- lesson 04


def _image_pairs() -> list[tuple[torch.Tensor, torch.Tensor]]:
    gen = torch.Generator().manual_seed(6)
    target = torch.rand(2, 3, 24, 20, generator=gen)
    noisy = (target + 0.05 * torch.randn(2, 3, 24, 20, generator=gen)).clamp(0, 1)
    noisy[1] = (target[1] * 0.8 + 0.1).clamp(0, 1)  # the second image: a tone change
    return [(noisy, target), (noisy[:1], target[:1]), (target.flip(-1), target)]


def check_psnr(fn: Callable[[torch.Tensor, torch.Tensor], float]) -> None:
    """``fn(pred, target) → dB``: the mean over the batch of each image's 10·log10(1/MSE),
    as :func:`hdrisp.evaluation.metrics.psnr`."""
    for pred, target in _image_pairs():
        got = _number(fn(pred.clone(), target.clone()), "your PSNR")
        expected = metrics.psnr(pred, target)
        if math.isclose(got, expected, rel_tol=1e-5):
            continue
        mse = ((pred - target) ** 2).mean()
        per_image = ((pred - target) ** 2).mean((1, 2, 3))
        if math.isclose(got, float(10 * torch.log10(1 / mse)), rel_tol=1e-5):
            raise ExerciseError("that is the PSNR of the batch's mean squared error; hdrisp "
                                "(like most papers) averages the PSNR of each image")
        for peak_squared in (255.0**2, 255.0):
            if math.isclose(got, float(10 * torch.log10(peak_squared / per_image).mean()),
                            rel_tol=1e-3):
                raise ExerciseError("the images are in [0, 1], so the peak is 1, not 255")
        if math.isclose(got, float(20 * torch.log10(1 / per_image).mean()), rel_tol=1e-3):
            raise ExerciseError("10·log10(peak²/MSE), or 20·log10(peak/√MSE): not 20·log10 of "
                                "the MSE")
        raise ExerciseError(f"B = {pred.shape[0]}: got {got:.4f} dB, expected {expected:.4f}")
    _ok("PSNR")


def check_ssim(fn: Callable[[torch.Tensor, torch.Tensor], float]) -> None:
    """``fn(pred, target) → SSIM``: Gaussian window 11, σ 1.5, C1 = 0.01², C2 = 0.03², local
    statistics on the image reflected by 5 pixels, the SSIM map averaged over pixels, channels
    and images — :func:`hdrisp.evaluation.metrics.ssim`."""
    for pred, target in _image_pairs():
        got = _number(fn(pred.clone(), target.clone()), "your SSIM")
        expected = metrics.ssim(pred, target)
        if math.isclose(got, expected, abs_tol=1e-5):
            continue
        raise ExerciseError(
            f"B = {pred.shape[0]}: got {got:.6f}, expected {expected:.6f}. Check, in order: the "
            "window (11×11, σ = 1.5, normalised to sum 1), reflection padding of 5 pixels so "
            "the map has the image's size, σ² = E[x²] − E[x]² (clamped at 0), C1 = (0.01)², "
            "C2 = (0.03)², and the mean over every pixel, channel and image")
    _ok("SSIM")


def check_delta_e2000(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
    """``fn(lab1, lab2) → ΔE00`` per colour (arrays N×3 → N), as
    :func:`hdrisp.evaluation.metrics.ciede2000` (Sharma, Wu and Dalal 2005)."""
    cases = {
        "two colours that differ in hue only": ([50.0, 20.0, 0.0], [50.0, 0.0, 20.0]),
        "a neutral grey against a colour (C* = 0 in one)": ([60.0, 0.0, 0.0], [60.0, 10.0, 10.0]),
        "hues on either side of 0° (the short way round the circle)":
            ([50.0, 20.0, -1.0], [50.0, 20.0, 1.0]),
        "hues 180° and more apart": ([50.0, 30.0, 5.0], [55.0, -30.0, -5.0]),
        "blues, where the rotation term R_T matters": ([50.0, 2.6772, -79.7751],
                                                       [50.0, 0.0, -82.7485]),
        "a lightness difference only": ([40.0, 10.0, 10.0], [70.0, 10.0, 10.0]),
    }
    lab1 = np.array([a for a, _ in cases.values()])
    lab2 = np.array([b for _, b in cases.values()])
    got = _array(fn(lab1.copy(), lab2.copy()), "your ΔE00")
    expected = metrics.ciede2000(lab1, lab2)
    _same_shape(got, expected.shape, f"ΔE00 of {len(cases)} pairs")
    for (label, (a, b)), g, e in zip(cases.items(), got, expected, strict=True):
        if not math.isclose(g, e, abs_tol=1e-4):
            raise ExerciseError(f"{label}: Lab {a} vs {b} gives {g:.4f}, expected {e:.4f}")
    _ok("CIEDE2000")


def _network_label(report) -> str:
    return next(m for m in report.summary if m not in isp.BASELINES)


def check_closest_baseline(report, answer: Any) -> None:
    """Exercise 04.1: the classical method with the highest mean PSNR in ``report``
    (an :class:`~hdrisp.evaluation.EvaluationReport`)."""
    means = {name: row["psnr"] for name, row in report.summary.items()
             if name in isp.BASELINES}
    expected = max(means, key=means.get)
    if str(answer) == expected:
        _ok(f"{expected} ({means[expected]:.2f} dB)")
        return
    if str(answer) not in means:
        raise ExerciseError(f"{answer!r} is not a baseline of the report: {sorted(means)}")
    raise ExerciseError(f"{answer} scores {means[str(answer)]:.2f} dB; another baseline scores "
                        "higher in the metric table")


def level_psnr(run_dir: str | os.PathLike, data_root: str | os.PathLike, level: int,
               n_pairs: int) -> float:
    """Mean PSNR of level ``level``'s checkpoint of ``run_dir`` over the first ``n_pairs`` test
    pairs, each against its target at that level's size (plain calls, no 8-bit rounding)."""
    weights = level_checkpoints(run_dir).get(int(level))
    if weights is None:
        raise ExerciseError(f"the run has no level-{level} checkpoint")
    model = load_model("rawtonemap", level=int(level), weights=weights)
    pairs = PairedRawDataset(data_root, "test", level=int(level))
    values = []
    with torch.no_grad():
        for index in range(min(n_pairs, len(pairs))):
            raw, target = pairs[index]
            values.append(metrics.psnr(model(raw[None]).clamp(0, 1), target[None]))
    return float(np.mean(values))


def check_level_psnr(psnr_by_level: Mapping[int, float], run_dir: str | os.PathLike,
                     data_root: str | os.PathLike, n_pairs: int) -> None:
    """Exercise 04.2: each level's mean PSNR over the first ``n_pairs`` test pairs, as
    :func:`level_psnr` measures it."""
    if len(psnr_by_level) < 2:
        raise ExerciseError("measure at least two levels")
    for level, value in psnr_by_level.items():
        expected = level_psnr(run_dir, data_root, int(level), n_pairs)
        if not math.isclose(_number(value, f"level {level}"), expected, abs_tol=0.01):
            raise ExerciseError(f"level {level}: {float(value):.3f} dB, expected {expected:.3f} "
                                f"— load that level's checkpoint with level={level}, read the "
                                f"test pairs at level {level} (their targets are resized to its "
                                "output) and average the per-pair PSNR")
    _ok("PSNR per level")


def colour_not_structure(report, method: str) -> list[int]:
    """Test-pair indices where the network has the better histogram distance but the worse
    PSNR than ``method``."""
    network = _network_label(report)
    rows = {(r["method"], r["index"]): r for r in report.per_image}
    indices = sorted({r["index"] for r in report.per_image})
    return [i for i in indices
            if rows[network, i]["hellinger"] < rows[method, i]["hellinger"]
            and rows[network, i]["psnr"] < rows[method, i]["psnr"]]


def check_colour_not_structure(report, method: str, answer: Any) -> None:
    """Exercise 04.3: a test pair (index) where the network has the better histogram distance
    but the worse PSNR than ``method`` (None when there is none)."""
    found = colour_not_structure(report, method)
    if answer is None:
        if not found:
            _ok(f"no such pair against {method} in this report")
            return
        raise ExerciseError(f"there is at least one: compare the per-image rows of {method} "
                            "with the network's")
    if int(_number(answer, "pair")) in found:
        _ok(f"pair {answer}: better colours, worse PSNR than {method}")
        return
    raise ExerciseError(f"pair {answer} does not qualify (compare the network's hellinger and "
                        f"psnr with {method}'s for that pair)")


def check_develop_size(image: np.ndarray, packed_shape: Sequence[int]) -> None:
    """Exercise 04.4: a level-0 develop is twice the packed input on each side."""
    h, w = int(packed_shape[-2]), int(packed_shape[-1])
    got = tuple(np.asarray(image).shape[:2])
    if got == (2 * h, 2 * w):
        _ok(f"{got[1]}×{got[0]}: twice the packed {w}×{h}")
        return
    raise ExerciseError(f"the developed image is {got[1]}×{got[0]}; level 0 returns twice the "
                        f"packed input ({2 * w}×{2 * h})")


def check_piqe_ranking(images: Mapping[str, np.ndarray], ranking: Sequence[str]) -> None:
    """Exercise 04.5: ``ranking`` orders ``images`` from best (lowest PIQE) to worst."""
    scores = {name: metrics.piqe(torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)
                                 [None].float()) for name, img in images.items()}
    expected = sorted(scores, key=scores.get)
    if list(ranking) == expected:
        _ok(" < ".join(f"{n} ({scores[n]:.1f})" for n in expected))
        return
    if list(ranking) == expected[::-1]:
        raise ExerciseError("reversed: a *lower* PIQE is better")
    raise ExerciseError(f"not the PIQE order; the scores are "
                        f"{ {n: round(s, 1) for n, s in scores.items()} }")


__all__ = [
    "check_arm_results", "check_bootstrap_interval", "check_camera_white", "check_chroma_spread",
    "check_further_arm", "check_inside_range", "check_seed_width", "check_worst_illuminant",
    "check_authors_reduction", "check_bits", "check_clipped_fraction", "check_closest_baseline",
    "check_code_schedule", "check_color_matrix", "check_colour_not_structure",
    "check_delta_e2000", "check_demosaic", "check_develop_size", "check_from_scratch_run",
    "check_grey_world_worst", "check_hist_weight", "check_legacy_range",
    "check_level_psnr", "check_phase", "check_piqe_ranking", "check_psnr",
    "check_read_noise", "check_resumed_log", "check_ripple_period", "check_saturation",
    "check_shadow_sensitivity", "check_sigma_answer",
    "check_simam", "check_srgb_encode", "check_ssim", "check_training_hours",
    "check_training_step",
    "check_white_balance", "colour_not_structure", "grey_world_errors", "level_psnr",
]
