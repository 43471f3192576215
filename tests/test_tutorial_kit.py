"""The course kit: exercise checks name the mistake, student editions stub the solutions.

The lessons' own solutions are executed by tests/test_notebooks.py (solution and student
editions); here each check is given typical wrong answers and must say what is wrong.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import ndimage

from hdrisp import isp
from hdrisp.errors import ExerciseError
from hdrisp.raw import bayer
from hdrisp.raw.color import linear_to_srgb
from hdrisp.tutorial import checks
from hdrisp.tutorial.runner import NOTEBOOKS_DIR

nbformat = pytest.importorskip("nbformat")
editions = pytest.importorskip("hdrisp.tutorial.editions")

LESSONS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def _fails(match: str, check, *args, **kwargs) -> None:
    with pytest.raises(ExerciseError, match=match):
        check(*args, **kwargs)


# --------------------------------------------------------------------------- editions


def test_stub_keeps_the_scaffold_and_replaces_the_marked_lines():
    cell = ("def f(x):\n    \"\"\"Doc.\"\"\"\n    # BEGIN SOLUTION\n    y = 2 * x\n    return y\n"
            "    # END SOLUTION\n\n\nprint(f)")
    stub = editions.stub_source(cell)
    assert stub.splitlines() == [
        "def f(x):", '    """Doc."""', "    # YOUR CODE HERE",
        f'    raise NotImplementedError("{editions.STUB_MESSAGE}")', "", "", "print(f)"]
    assert "2 * x" not in stub
    whole = editions.stub_source("answer = 42")
    assert "42" not in whole and "NotImplementedError" in whole
    for broken in ("# BEGIN SOLUTION\nx = 1", "x = 1\n# END SOLUTION",
                   "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION"):
        with pytest.raises(ValueError):
            editions.stub_source(broken)


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_lesson_has_solutions_each_followed_by_a_check(path: Path):
    notebook = nbformat.read(path, as_version=4)
    cells = notebook.cells
    solutions = editions.solution_cells(notebook)
    assert solutions, f"{path.name} has no cell tagged 'solution'"
    for index in solutions:
        cell = cells[index]
        if cell.cell_type != "code":
            continue
        later = [i for i in solutions if i > index]
        until = later[0] if later else len(cells)
        following = [c.source for c in cells[index + 1:until] if c.cell_type == "code"]
        assert any(re.search(r"checks\.check_\w+\(|^assert ", f, re.M) for f in following), (
            f"{path.name}: the solution in cell {index} is not followed by a check")
    exercises = next(i for i, c in enumerate(cells)
                     if c.cell_type == "markdown" and "## Exercises" in c.source)
    after = [i for i in solutions if i > exercises and cells[i].cell_type == "code"]
    assert len(after) >= 5, f"{path.name}: every exercise needs a solution and a check"


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_student_edition_stubs_every_solution_and_keeps_the_rest(path: Path):
    notebook = nbformat.read(path, as_version=4)
    student = editions.student_notebook(notebook)
    assert len(student.cells) == len(notebook.cells)
    for before, after in zip(notebook.cells, student.cells, strict=True):
        if editions.is_solution(before):
            assert "exercise" in after.metadata["tags"] and not editions.is_solution(after)
            if before.cell_type == "code":
                assert "NotImplementedError" in after.source
                assert "BEGIN SOLUTION" not in after.source
            else:
                assert after.source == editions.ANSWER_PROMPT
        else:
            assert after.source == before.source
    # the original is untouched
    assert any(editions.is_solution(c) for c in notebook.cells)


def test_write_student_editions(tmp_path):
    written = editions.write_student_editions(tmp_path, LESSONS[:1])
    assert [p.name for p in written] == [LESSONS[0].name]
    student = nbformat.read(written[0], as_version=4)
    assert student.metadata["hdrisp_edition"] == "student"
    assert editions.main([str(tmp_path / "again"), str(LESSONS[0])]) == 0
    assert (tmp_path / "again" / LESSONS[0].name).is_file()


# --------------------------------------------------------------------------- lesson 01


def _wb(mosaic, cfa, gains):
    return isp.white_balance(isp.LinearMosaic(mosaic, cfa), gains).data


def test_white_balance_check():
    checks.check_white_balance(_wb)

    def unclipped(mosaic, cfa, gains):
        return mosaic * np.tile(np.asarray(gains)[bayer.cfa_colour_indices(cfa)], (3, 4))

    _fails("values above 1 are kept", checks.check_white_balance, unclipped)
    _fails("applied the gains of a RGGB pattern",
           checks.check_white_balance, lambda m, cfa, g: _wb(m, "RGGB", g))
    _fails("divided by the gains", checks.check_white_balance,
           lambda m, cfa, g: _wb(m, cfa, [1 / v for v in g]))
    _fails("returned None", checks.check_white_balance, lambda m, cfa, g: None)


def _bilinear(mosaic, cfa, normalise_borders=True, rb_kernel=None):
    kernel_g = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]], np.float32) / 4
    kernel_rb = rb_kernel if rb_kernel is not None else \
        np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 4
    masks = bayer.colour_masks(mosaic.shape, cfa).astype(np.float32)
    out = np.empty(mosaic.shape + (3,), np.float32)
    for c in range(3):
        kernel = kernel_g if c == 1 else kernel_rb
        total = ndimage.convolve(mosaic * masks[c], kernel, mode="constant")
        weight = ndimage.convolve(masks[c], kernel, mode="constant") if normalise_borders \
            else ndimage.convolve(masks[c], kernel, mode="wrap")
        out[..., c] = total / weight
    return out


def test_demosaic_check():
    checks.check_demosaic(_bilinear)
    _fails("the border pixels are not", checks.check_demosaic,
           lambda m, cfa: _bilinear(m, cfa, normalise_borders=False))
    _fails("channels come out as B, G, R", checks.check_demosaic,
           lambda m, cfa: _bilinear(m, cfa)[..., ::-1])
    wrong_diagonals = np.array([[0, 2, 0], [2, 4, 2], [0, 2, 0]], np.float32) / 4
    _fails("red at blue sites", checks.check_demosaic,
           lambda m, cfa: _bilinear(m, cfa, rb_kernel=wrong_diagonals))
    _fails(r"has shape \(10, 12\)", checks.check_demosaic, lambda m, cfa: m)

    def smoothed(m, cfa):
        return ndimage.uniform_filter(_bilinear(m, cfa), size=(3, 3, 1))

    _fails("measured .* samples changed", checks.check_demosaic, smoothed)


def test_color_matrix_and_srgb_checks():
    checks.check_color_matrix(isp.camera_to_srgb)
    _fails("transposed matrix", checks.check_color_matrix, lambda rgb, m: rgb @ m)
    _fails("negative values are kept", checks.check_color_matrix, lambda rgb, m: rgb @ m.T)
    checks.check_srgb_encode(isp.encode_srgb)
    _fails("pure power 1/2.2", checks.check_srgb_encode, lambda x: np.clip(x, 0, 1) ** (1 / 2.2))
    _fails("linear segment near black is missing", checks.check_srgb_encode,
           lambda x: 1.055 * np.clip(x, 0, 1) ** (1 / 2.4) - 0.055)
    _fails("not clipped", checks.check_srgb_encode, linear_to_srgb)


def test_lesson_01_exercise_checks(tiny_synthetic):
    from hdrisp.raw import read_raw
    from hdrisp.tutorial import sample_raw_file

    raw = read_raw(sample_raw_file())
    checks.check_bits(raw, 14)
    _fails("uint16 array", checks.check_bits, raw, 16)
    checks.check_phase("RGGB", 0, 1, "grbg")
    checks.check_phase("RGGB", 2, 2, "RGGB")
    _fails("not GBRG", checks.check_phase, "RGGB", 0, 1, "GBRG")
    checks.check_legacy_range(raw, 2056 / 1020, raw.mosaic.max() / 1020)
    _fails("no subtraction", checks.check_legacy_range, raw, 0.0, raw.mosaic.max() / 1020)
    checks.check_read_noise(raw, 13.8)
    _fails("that is the variance", checks.check_read_noise, raw, 191.0)
    _fails("intercept you used is negative", checks.check_read_noise, raw, math.nan)
    errors = checks.grey_world_errors(tiny_synthetic, 8)
    checks.check_grey_world_worst(tiny_synthetic, 8, int(np.argmax(errors)))
    _fails("one of the others is off by more", checks.check_grey_world_worst, tiny_synthetic, 8,
           int(np.argmin(errors)))


# --------------------------------------------------------------------------- lesson 03


def _simam(x, n_offset=-1, lam=1e-4, half=0.5):
    n = x.shape[2] * x.shape[3] + n_offset
    d = (x - x.mean((2, 3), keepdim=True)) ** 2
    return x * torch.sigmoid(d / (4 * (d.sum((2, 3), keepdim=True) / n + lam)) + half)


def test_simam_check():
    checks.check_simam(_simam)
    _fails("n = H·W − 1", checks.check_simam, lambda x: _simam(x, n_offset=0))
    _fails("λ is missing", checks.check_simam, lambda x: _simam(x, lam=0.0))
    _fails(r"\+ 0.5", checks.check_simam, lambda x: _simam(x, half=0.0))
    _fails("returns x · σ", checks.check_simam, lambda x: _simam(x) / x)


def _batch(level: int = 4):
    gen = torch.Generator().manual_seed(0)
    return torch.rand(2, 4, 32, 32, generator=gen), torch.rand(2, 3, 4, 4, generator=gen)


def _step(model, loss_fn, optimiser, raw, target, zero=True, update=True):
    terms = loss_fn(model(raw), target)
    if zero:
        optimiser.zero_grad()
    terms["loss"].backward()
    if update:
        optimiser.step()
    return {k: float(v.detach()) for k, v in terms.items()}


def test_training_step_check():
    raw, target = _batch()
    checks.check_training_step(_step, 4, raw, target, lr=1e-3, seed=0)
    _fails("did not move", checks.check_training_step,
           lambda *a: _step(*a, update=False), 4, raw, target, lr=1e-3)
    _fails("zero the gradients", checks.check_training_step,
           lambda *a: _step(*a, zero=False), 4, raw, target, lr=1e-3)
    _fails("as a dict", checks.check_training_step, lambda *a: 0.5, 4, raw, target, lr=1e-3)
    _fails("your loop's first step printed", checks.check_training_step, _step, 4, raw, target,
           lr=1e-3, seed=0, first_terms={"loss": 1.0, "mse": 1.0, "hist": 1.0})


def test_lesson_03_exercise_checks(tmp_path):
    from hdrisp.training import load_config, replace

    tiny = load_config("tiny")
    checks.check_code_schedule(replace(tiny, loss={"schedule": "code"}))
    _fails("set it to 'code'", checks.check_code_schedule, tiny)
    rows = [{"level": r.level, "batch": r.batch, "steps": r.steps, "patch": r.patch}
            for r in tiny.levels]
    rows[0]["weights"] = {"hist": 1.0}
    checks.check_hist_weight(replace(tiny, levels=rows), 4, 1.0)
    _fails("no weights override", checks.check_hist_weight, tiny, 4, 0.0)
    hours = 60 * 12600 * (448 / 64) ** 2 / 40 / 3600
    checks.check_training_hours(40, 64, hours)
    _fails("in minutes", checks.check_training_hours, 40, 64, hours * 60)
    _fails("each image costs", checks.check_training_hours, 40, 64, 60 * 12600 / 40 / 3600)
    log = tmp_path / "train_log.csv"
    log.write_text("step,loss\n1,0.5\n2,0.4\n3,0.3\n")
    checks.check_resumed_log(log)
    log.write_text("step,loss\n1,0.5\n2,0.4\n2,0.4\n3,0.3\n")
    _fails("jump at row 2", checks.check_resumed_log, log)
    scratch, staged = tmp_path / "scratch", tmp_path / "staged"
    _fails("train level 0 of the from-scratch run", checks.check_from_scratch_run, scratch,
           staged)
    for run, text in ((scratch, "steps: 10\ninit: a.pt\n"), (staged, "steps: 10\ninit: b.pt\n")):
        (run / "level0").mkdir(parents=True)
        (run / "level0" / "run_info.yaml").write_text(text)
    _fails("random weights", checks.check_from_scratch_run, scratch, staged)
    (scratch / "level0" / "run_info.yaml").write_text("steps: 10\ninit: null\n")
    checks.check_from_scratch_run(scratch, staged)
    (scratch / "level0" / "run_info.yaml").write_text("steps: 5\ninit: null\n")
    _fails("the staged level 0 ran 10", checks.check_from_scratch_run, scratch, staged)


# --------------------------------------------------------------------------- lesson 04


def test_psnr_and_ssim_checks():
    from hdrisp.evaluation import metrics

    checks.check_psnr(metrics.psnr)

    def batch_psnr(pred, target):
        return float(10 * torch.log10(1 / ((pred - target) ** 2).mean()))

    _fails("PSNR of the batch's mean squared error", checks.check_psnr, batch_psnr)
    _fails("peak is 1, not 255", checks.check_psnr,
           lambda p, t: float(10 * torch.log10(255**2 / ((p - t) ** 2).mean((1, 2, 3))).mean()))
    checks.check_ssim(metrics.ssim)
    _fails("reflection padding", checks.check_ssim, lambda p, t: metrics.ssim(p, t) * 0.99)


def test_delta_e2000_check():
    from hdrisp.evaluation import metrics

    checks.check_delta_e2000(metrics.ciede2000)

    def cie76(lab1, lab2):
        return np.sqrt(((np.asarray(lab1) - np.asarray(lab2)) ** 2).sum(-1))

    _fails("expected", checks.check_delta_e2000, cie76)


# --------------------------------------------------------------------------- lesson 05


def test_camera_white_check():
    from hdrisp.raw.color import XYZ_TO_SRGB
    from hdrisp.study.illuminants import ILLUMINANTS, white_xyz

    def right(name, camera):
        rgb = camera @ XYZ_TO_SRGB @ white_xyz(ILLUMINANTS[name].xy)
        return rgb / rgb[1]

    checks.check_camera_white(right)
    _fails("divide by the green", checks.check_camera_white,
           lambda n, c: c @ XYZ_TO_SRGB @ white_xyz(ILLUMINANTS[n].xy))
    _fails("camera matrix is missing", checks.check_camera_white,
           lambda n, c: right(n, np.eye(3)))
    _fails("not XYZ", checks.check_camera_white,
           lambda n, c: (lambda v: v / v[1])(c @ white_xyz(ILLUMINANTS[n].xy)))
    _fails("return", checks.check_camera_white, lambda n, c: None)


def test_chroma_spread_check():
    from hdrisp.study.scoring import chroma_spread

    checks.check_chroma_spread(chroma_spread)

    def centred(m):
        return np.asarray(m, float) - np.asarray(m, float).mean(axis=0)

    _fails("no square root", checks.check_chroma_spread,
           lambda m: (centred(m) ** 2).sum(axis=1).mean())
    _fails("centroid", checks.check_chroma_spread,
           lambda m: np.sqrt((np.asarray(m) ** 2).sum(axis=1).mean()))
    _fails("standard deviations", checks.check_chroma_spread,
           lambda m: np.asarray(m).std(axis=0).sum())
    _fails("N − 1", checks.check_chroma_spread,
           lambda m: np.sqrt((centred(m) ** 2).sum() / (len(m) - 1)))


def test_bootstrap_interval_check():
    def two_level(diffs, rng, n=2000):
        s, m = diffs.shape
        means = [diffs[rng.integers(s, size=s)][:, rng.integers(m, size=m)].mean()
                 for _ in range(n)]
        return tuple(np.quantile(means, [0.025, 0.975]))

    def images_only(diffs, rng, n=2000):
        m = diffs.shape[1]
        means = [diffs[:, rng.integers(m, size=m)].mean() for _ in range(n)]
        return tuple(np.quantile(means, [0.025, 0.975]))

    def of_the_differences(diffs, rng):
        return tuple(np.quantile(diffs, [0.025, 0.975]))

    checks.check_bootstrap_interval(two_level)
    _fails("resample the seeds too", checks.check_bootstrap_interval, images_only)
    _fails("not of the differences", checks.check_bootstrap_interval, of_the_differences)
    _fails("does not contain", checks.check_bootstrap_interval, lambda d, rng: (5.0, 6.0))


def test_further_arm_and_results_checks():
    from hdrisp.study import ARMS
    from hdrisp.study.design import Arm

    rbf = Arm("rbf", "RBF", "?", histogram={"kernel": "rbf"})
    checks.check_further_arm(rbf, {"kernel": "rbf"})
    _fails("built-in", checks.check_further_arm,
           Arm("hist_x0", "x", "?", histogram={"kernel": "rbf"}), {"kernel": "rbf"})
    _fails("give histogram", checks.check_further_arm, rbf, {"sigma": 0.1})
    _fails("change only the histogram", checks.check_further_arm,
           Arm("rbf2", "x", "?", hist_scale=2.0, histogram={"kernel": "rbf"}),
           {"kernel": "rbf"})
    _fails("expected an Arm", checks.check_further_arm, ARMS["hist_x0"].name, {})
    results = [{"kind": "paired", "method": "rbf", "set": s, "metric": "de_target",
                "verdict": "no clear difference"} for s in ("test", "cast")]
    checks.check_arm_results(results, ["rbf"])
    _fails("no paired rows for 'sigma'", checks.check_arm_results, results, ["rbf", "sigma"])


def test_seed_width_inside_range_and_worst_illuminant_checks(tmp_path, tiny_synthetic):
    from hdrisp.study import build_cast_set

    results = [{"kind": "paired", "method": "hist_x0", "set": "test", "metric": "delta_e2000",
                "ci_low": -0.5, "ci_high": 0.5, "n_seeds": 3}]
    checks.check_seed_width(results, 0.5, seeds=12)
    _fails("square root", checks.check_seed_width, results, 0.25, seeds=12)
    _fails("narrower, not wider", checks.check_seed_width, results, 2.0, seeds=12)
    cast = build_cast_set(tiny_synthetic, tmp_path / "cast", illuminants=("D65", "A"), scenes=2)
    shares = {n: float(np.mean([i.wb_in_training_range for i in cast.items
                                if i.illuminant == n])) for n in cast.illuminants}
    checks.check_inside_range(cast, shares)
    _fails("one share per illuminant", checks.check_inside_range, cast, {"D65": 1.0})
    if shares["D65"] > 0:
        _fails("not percentages", checks.check_inside_range, cast,
               {**shares, "D65": 100 * shares["D65"]})
    rows = [{"kind": "summary", "method": "classical", "set": f"cast:{n}", "metric": "de_target",
             "mean": v} for n, v in (("D65", 10.0), ("A", 14.0))]
    checks.check_worst_illuminant(rows, "classical", "A")
    _fails("smallest", checks.check_worst_illuminant, rows, "classical", "D65")
    _fails("no per-illuminant rows", checks.check_worst_illuminant, rows, "mertens", "A")


# --------------------------------------------------------------------------- slide figures


def test_slide_figures(tmp_path):
    from hdrisp.models import build
    from hdrisp.tutorial import figures

    fig = figures.architecture_figure(size=64)
    text = " ".join(t.get_text() for t in fig.axes[0].texts)
    for level in range(5):
        assert f"level {level}" in text
    assert "5,059 new params" in text              # level 0: a small head, read off the model
    assert "SimAM" in text and "CBAM" in text
    fig = figures.pyramid_figure(build("rawtonemap", level=2), torch.rand(4, 32, 32),
                                 torch.rand(3, 32, 32))
    assert [ax.get_title() for ax in fig.axes] == ["level 4  4×4", "level 3  8×8",
                                                   "level 2  16×16", "target  32×32"]
    figures.histogram_figure(np.random.default_rng(0).uniform(0.05, 1, (24, 24, 3)))
    assert figures.main([str(tmp_path), "--only", "architecture"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["architecture.png", "architecture.svg"]


def test_real_raws_figure_develops_the_chart_and_given_raws(tmp_path, tiny_synthetic,
                                                              monkeypatch):
    """``make figures``' real_raws: the shipped chart DNG and each ``--raw`` file developed by
    the run's network, the classical pipeline and LibRaw, one row each."""
    from hdrisp.evaluation import compare
    from hdrisp.models import build
    from hdrisp.tutorial import figures, sample_raw_file

    torch.manual_seed(0)
    weights = tmp_path / "w.pt"
    torch.save({"model": build("rawtonemap", level=0, instance_norm=False).state_dict()},
               weights)
    monkeypatch.setattr(figures, "synthetic_set", lambda *a, **k: tiny_synthetic)
    monkeypatch.setattr(figures, "ensure_run", lambda *a, **k: (0, weights))
    calls = []
    original = compare.compare_files
    monkeypatch.setattr(figures, "compare_files",
                        lambda raws, out, *a, **k: calls.append((list(raws), k)) or
                        original(raws, out, *a, **{**k, "max_side": 256}))
    other = tiny_synthetic / "test" / "full_resolution" / "0.dng"
    assert figures.main([str(tmp_path / "fig"), "--only", "real_raws", "--raw", str(other)]) == 0
    assert sorted(p.name for p in (tmp_path / "fig").iterdir()) == ["real_raws.png"]
    assert len(calls) == 1  # developed once
    raws, kwargs = calls[0]
    assert raws == [sample_raw_file(), str(other)]
    assert kwargs["baselines"] == ("classical", "libraw") and kwargs["level"] == 0
    import imageio.v3 as iio

    image = iio.imread(tmp_path / "fig" / "real_raws.png")
    assert image.ndim == 3 and image.shape[0] > 300
