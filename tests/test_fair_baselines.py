"""Fair baselines: the classical rows get the raw's as-shot white balance and colour matrix
(recorded per pair for the synthetic set, read from the file for a DNG); grey-world is a
separate row; the tables say what each row was given."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from hdrisp import isp
from hdrisp.evaluation.metrics import delta_e2000
from hdrisp.synth.unprocess import WHITE_LEVEL, SensorParams, unprocess


def _warm_scene(size: int = 96) -> np.ndarray:
    """A textured scene under a strong warm cast (orange wall, brown floor): grey-world
    would neutralise it."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:size, 0:size] / size
    base = np.stack([0.85 - 0.2 * y, 0.55 - 0.25 * y, 0.25 - 0.15 * y], axis=-1)
    texture = 0.08 * np.sin(12 * x)[..., None] + 0.03 * rng.standard_normal((size, size, 1))
    return np.clip((base + texture) * 255, 0, 255).astype(np.uint8)


def test_as_shot_classical_beats_grey_world_on_a_strong_cast() -> None:
    srgb = _warm_scene()
    params = SensorParams(highlight_gain=1.0,
                          cam_from_srgb=((0.8, 0.15, 0.05), (0.1, 0.8, 0.1), (0.05, 0.2, 0.75)),
                          wb=(2.2, 1.0, 1.7), exposure=0.6, shot_noise=1e-5, read_noise=1e-7)
    mosaic_dn, _ = unprocess(srgb, params, np.random.default_rng(1))
    bare = isp.LinearMosaic(mosaic_dn.astype(np.float32) / WHITE_LEVEL)
    tagged = isp.LinearMosaic(bare.data, wb=params.wb, color_matrix=params.color_matrix)
    target = torch.from_numpy(srgb.astype(np.float32) / 255).permute(2, 0, 1)[None]

    def score(name: str, mosaic: isp.LinearMosaic) -> float:
        img = isp.run_baseline(name, mosaic, as_uint8=False)
        return delta_e2000(torch.from_numpy(img).permute(2, 0, 1)[None], target)

    as_shot, grey = score("classical", tagged), score("greyworld", tagged)
    assert as_shot + 10 < grey, (as_shot, grey)  # measured: 22.9 against 34.7
    # without metadata the classical row falls back to grey-world: the same picture
    assert score("classical", bare) == pytest.approx(grey, abs=1e-6)
    assert isp.baseline_inputs("classical", tagged) == "as-shot WB + colour matrix"
    assert isp.baseline_inputs("greyworld", tagged).startswith("grey-world WB")


def test_the_real_dng_is_developed_with_its_as_shot_white_balance(real_dng: Path) -> None:
    import rawpy

    from hdrisp.raw import read_raw

    raw = read_raw(real_dng)
    with rawpy.imread(str(real_dng)) as rp:
        camera = np.asarray(rp.camera_whitebalance[:3], dtype=np.float64)
    assert raw.wb is not None and raw.color_matrix is not None
    np.testing.assert_allclose(raw.wb, camera / camera[1], rtol=1e-4)
    mosaic = isp.as_linear_mosaic(raw)
    assert isp.white_balance_gains(mosaic) == pytest.approx(tuple(camera / camera[1]), rel=1e-4)
    assert isp.baseline_inputs("classical", mosaic) == "as-shot WB + colour matrix"
    assert isp.baseline_inputs("greyworld", mosaic).startswith("grey-world WB")
    # grey-world's gains are not the camera's on this chart (the rows differ)
    assert not np.allclose(isp.grey_world_gains(mosaic), raw.wb, rtol=0.02)


def test_evaluate_gives_each_synthetic_pair_its_recorded_metadata(tiny_synthetic: Path,
                                                                   tmp_path: Path) -> None:
    """The classical row's result for pair 0 is the pipeline run with the manifest's WB and
    matrix (recomputed by hand); the tables carry a "given" column."""
    import imageio.v3 as iio

    from hdrisp.data import read_pair_metadata
    from hdrisp.evaluation import evaluate
    from hdrisp.raw import read_raw

    report = evaluate(tiny_synthetic, random_weights=True, out_dir=tmp_path, limit=2,
                      baselines=("classical", "greyworld"), progress=False)
    meta = read_pair_metadata(tiny_synthetic)["test/raw/0.png"]
    mosaic = isp.as_linear_mosaic(read_raw(tiny_synthetic / "test/raw/0.png"))
    tagged = isp.LinearMosaic(mosaic.data, mosaic.cfa, meta.wb, meta.color_matrix)
    target = iio.imread(tiny_synthetic / "test/groundtruth/0.jpg").astype(np.float64)
    developed = isp.run_baseline("classical", tagged).astype(np.float64)
    expected = 10 * np.log10(255.0**2 / np.mean((developed - target) ** 2))
    row = next(r for r in report.per_image if r["method"] == "classical" and r["index"] == 0)
    assert row["psnr"] == pytest.approx(expected, abs=0.1)
    assert report.given["classical"] == "as-shot WB + colour matrix"
    assert report.given["greyworld"].startswith("grey-world WB")
    assert report.given["RawTonemapNet L0 (random weights)"] == "the raw alone"
    with report.paths["csv"].open(encoding="utf-8") as fh:
        rows = {r["method"]: r for r in csv.DictReader(fh)}
    assert rows["classical"]["given"] == "as-shot WB + colour matrix"
    markdown = report.paths["markdown"].read_text(encoding="utf-8")
    assert any(line.startswith("| method |") and line.endswith("| given |")
               for line in markdown.splitlines())


def test_evaluate_frames_scores_whole_held_out_frames(tiny_synthetic: Path,
                                                      tmp_path: Path) -> None:
    from hdrisp.evaluation import evaluate_frames

    report = evaluate_frames(tiny_synthetic, random_weights=True, out_dir=tmp_path,
                             baselines=("classical", "greyworld"), progress=False,
                             save_images=True)
    assert report.n_images == 1 and "lowfreq_delta_e" in report.metrics
    assert report.given["classical"] == "as-shot WB + colour matrix"
    for method in ("classical", "greyworld", "RawTonemapNet L0 (random weights)"):
        assert 0 < report.summary[method]["lowfreq_delta_e"] < 100, method
    assert (tmp_path / "frames_metrics.md").is_file()
    saved = {p.name for p in (tmp_path / "frames").glob("0_*.png")}
    assert {"0_classical.png", "0_greyworld.png", "0_target.png"} <= saved


def test_evaluate_command_scores_frames_and_says_what_rows_were_given(
        tiny_synthetic: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from hdrisp.cli import main

    assert main(["evaluate", "--data", str(tiny_synthetic), "--random-weights", "--limit", "1",
                 "--baselines", "classical,greyworld", "--frames", "--out",
                 str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("| given |") == 2 and "as-shot WB + colour matrix" in out
    assert (tmp_path / "frames_metrics.csv").is_file()


def test_compare_figure_footnote_names_what_each_row_was_given(tiny_synthetic: Path,
                                                                tmp_path: Path) -> None:
    from hdrisp.evaluation.report import given_note, recorded_metadata

    meta = recorded_metadata(tiny_synthetic / "test" / "raw" / "0.png")
    assert meta is not None and meta.wb is not None and meta.scene is not None
    mosaic = isp.LinearMosaic(np.zeros((4, 4), np.float32), wb=meta.wb,
                              color_matrix=meta.color_matrix)
    note = given_note(["net"], ["classical", "greyworld"], mosaic)
    assert note == ("given — net: the raw alone; classical: as-shot WB + colour matrix; "
                    "greyworld: grey-world WB, identity matrix (ignores metadata)")
