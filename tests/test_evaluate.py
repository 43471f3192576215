"""``evaluate`` writes its tables; ``compare`` writes its figure; the figure's crop logic."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from hdrisp.cli import main
from hdrisp.errors import HdrispError
from hdrisp.evaluation.compare import comparison_figure, pick_crop, save_figure


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def evaluation(tiny_synthetic: Path, tmp_path_factory: pytest.TempPathFactory):
    from hdrisp.evaluation import evaluate

    out = tmp_path_factory.mktemp("evaluation")
    return evaluate(tiny_synthetic, random_weights=True, out_dir=out, progress=False)


def test_evaluate_writes_a_table_per_method(evaluation, tiny_synthetic: Path) -> None:
    from hdrisp.evaluation.metrics import FULL_REFERENCE

    paths = evaluation.paths
    rows = _read_csv(paths["csv"])
    methods = [r["method"] for r in rows]
    # libraw needs a camera file: left out, noted
    assert methods == ["RawTonemapNet L0 (random weights)", "classical", "greyworld",
                       "reinhard", "drago", "mantiuk", "mertens"]
    n_test = len(list((tiny_synthetic / "test" / "raw").glob("*.png")))
    assert evaluation.n_images == n_test == 4
    for row in rows:
        assert row["images"] == "4"
        for name in ("psnr", "ssim", "delta_e2000", "hellinger"):
            assert math.isfinite(float(row[name])), (row["method"], name)
        assert row["ms_ssim"] == "nan"  # 64×64 patches are too small for 5 scales
        assert 5.0 < float(row["psnr"]) < 60.0
        assert -1.0 < float(row["ssim"]) <= 1.0
    per_image = _read_csv(paths["per_image"])
    assert len(per_image) == 4 * len(rows)
    assert list(per_image[0]) == ["method", "index", *FULL_REFERENCE]
    for row in rows:  # the summary is the mean of the per-image values
        values = [float(r["psnr"]) for r in per_image if r["method"] == row["method"]]
        assert float(row["psnr"]) == pytest.approx(np.mean(values), rel=1e-5)
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert ("| method | psnr ↑ | ssim ↑ | ms_ssim ↑ | delta_e2000 ↓ | lowfreq_delta_e ↓ |"
            " hellinger ↓ | s/image | given |") in markdown
    assert "libraw: not run" in markdown and "ms_ssim: n/a" in markdown
    assert markdown.count("**") >= 2 * 4  # a best value per scored column is bold


def test_evaluate_scores_the_baselines_against_the_targets(evaluation, tiny_synthetic: Path
                                                           ) -> None:
    """Recompute one baseline's PSNR for one pair by hand, from the files (grey-world: it
    ignores the manifest's metadata; tests/test_fair_baselines.py checks the classical row
    that uses it)."""
    import imageio.v3 as iio

    from hdrisp import isp
    from hdrisp.raw import read_raw

    raw = read_raw(tiny_synthetic / "test" / "raw" / "0.png")
    target = iio.imread(tiny_synthetic / "test" / "groundtruth" / "0.jpg").astype(np.float64)
    developed = isp.run_baseline("greyworld", isp.as_linear_mosaic(raw)).astype(np.float64)
    mse = np.mean((developed - target) ** 2) / 255.0**2
    expected = 10 * np.log10(1.0 / mse)
    row = next(r for r in evaluation.per_image if r["method"] == "greyworld" and r["index"] == 0)
    # the dataset scales by 1020 and the baseline un-scales to 1023: ≤ 1 LSB differences
    assert row["psnr"] == pytest.approx(expected, abs=0.1)


class Oracle(torch.nn.Module):
    """A "network" whose output is the target of the pair it is given (found by the packed
    raw's bytes), plus ``shift``."""

    def __init__(self, targets: dict[bytes, torch.Tensor], shift: float) -> None:
        super().__init__()
        self.targets, self.shift = targets, shift
        self.register_buffer("anchor", torch.zeros(1))  # gives the tiling a device

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.targets[x[0].float().numpy().tobytes()] + self.shift).clamp(0, 1)[None]


def test_evaluate_gives_a_perfect_model_perfect_scores_and_a_shifted_one_worse(
        tiny_synthetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hdrisp.data import PairedRawDataset
    from hdrisp.evaluation import report as report_module

    test_set = PairedRawDataset(tiny_synthetic, "test", level=0)
    targets = {test_set[i][0].numpy().tobytes(): test_set[i][1] for i in range(len(test_set))}
    scores = {}
    for shift in (0.0, 0.04):
        net = Oracle(targets, shift)
        monkeypatch.setattr(report_module, "load_model", lambda *a, _net=net, **k: _net)
        result = report_module.evaluate(tiny_synthetic, random_weights=True, baselines=(),
                                        out_dir=tmp_path / f"shift{shift}", progress=False)
        assert result.n_images == 4
        scores[shift] = next(iter(result.summary.values()))
    perfect, shifted = scores[0.0], scores[0.04]
    assert perfect["psnr"] >= 60.0  # identical 8-bit images: infinite
    assert perfect["delta_e2000"] == pytest.approx(0.0, abs=1e-6)
    assert perfect["ssim"] == pytest.approx(1.0, abs=1e-6)
    assert perfect["hellinger"] == pytest.approx(0.0, abs=1e-3)
    # strictly worse in every metric, and the PSNR is the one computed here from the files
    assert shifted["psnr"] < perfect["psnr"] and shifted["ssim"] < perfect["ssim"]
    assert shifted["delta_e2000"] > 1.0 and shifted["hellinger"] > perfect["hellinger"]
    import imageio.v3 as iio

    expected = []
    for i in range(4):
        target = iio.imread(tiny_synthetic / "test" / "groundtruth" / f"{i}.jpg") / 255.0
        pred = np.round(np.clip(target + 0.04, 0, 1) * 255) / 255.0
        expected.append(10 * np.log10(1.0 / np.mean((pred - target) ** 2)))
    assert shifted["psnr"] == pytest.approx(np.mean(expected), abs=1e-3)


def test_evaluate_reads_a_zurich_layout_set(evaluation, tiny_synthetic: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture) -> None:
    """The test split in Zurich's folders (huawei_raw/, canon/) scores exactly as in the
    paper's, with --layout zurich and with auto-detection."""
    import shutil

    from hdrisp.evaluation import evaluate

    root = tmp_path / "zurich"
    shutil.copytree(tiny_synthetic / "test" / "raw", root / "test" / "huawei_raw")
    shutil.copytree(tiny_synthetic / "test" / "groundtruth", root / "test" / "canon")
    paper = {(r["method"], r["index"]): r for r in evaluation.per_image if r["index"] < 2}
    for layout in ("zurich", "auto"):
        report = evaluate(root, random_weights=True, out_dir=tmp_path / layout, layout=layout,
                          baselines=("greyworld",), limit=2, progress=False)
        assert report.n_images == 2 and len(report.per_image) == 4
        for row in report.per_image:
            expected = paper[row["method"], row["index"]]
            for name in ("psnr", "ssim", "delta_e2000", "hellinger"):
                assert row[name] == pytest.approx(expected[name], rel=1e-6), (layout, name)
    with pytest.raises(HdrispError, match="no raw/ folder: not a paper-layout split"):
        evaluate(root, random_weights=True, out_dir=tmp_path / "paper", layout="paper")
    status = main(["evaluate", "--random-weights", "--data", str(root), "--layout", "zurich",
                   "--limit", "1", "--baselines", "none", "--out", str(tmp_path / "cli")])
    assert status == 0 and "1 test pairs of zurich" in capsys.readouterr().out


def test_evaluate_command_prints_the_table(tiny_synthetic: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture) -> None:
    status = main(["evaluate", "--random-weights", "--data", str(tiny_synthetic),
                   "--out", str(tmp_path), "--limit", "2", "--baselines", "classical"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "| classical |" in printed and "2 test pairs" in printed
    assert [r["method"] for r in _read_csv(tmp_path / "metrics.csv")] == [
        "RawTonemapNet L0 (random weights)", "classical"]


def test_evaluate_scores_no_reference_metrics_on_request(tiny_synthetic: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture) -> None:
    import sys

    from hdrisp.evaluation import metrics

    status = main(["evaluate", "--random-weights", "--data", str(tiny_synthetic),
                   "--out", str(tmp_path), "--limit", "1", "--baselines", "drago",
                   "--no-reference", "piqe"])
    assert status == 0
    rows = _read_csv(tmp_path / "metrics.csv")
    assert all(0.0 <= float(r["piqe"]) <= 100.0 for r in rows)
    assert "piqe ↓" in (tmp_path / "metrics.md").read_text(encoding="utf-8")
    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "pyiqa", None)  # as on a machine without the extra
    metrics._pyiqa_model.cache_clear()
    status = main(["evaluate", "--random-weights", "--data", str(tiny_synthetic),
                   "--out", str(tmp_path), "--limit", "1", "--no-reference", "musiq"])
    metrics._pyiqa_model.cache_clear()
    assert status == 2
    assert "pip install 'hdrisp[iqa]'" in capsys.readouterr().err


def test_evaluate_needs_weights_or_random_weights(tiny_synthetic: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    from hdrisp.evaluation import evaluate

    with pytest.raises(HdrispError, match="--random-weights"):
        evaluate(tiny_synthetic, out_dir=tmp_path)
    status = main(["evaluate", "--weights", str(tmp_path / "missing.pth"),
                   "--data", str(tiny_synthetic), "--out", str(tmp_path)])
    assert status == 2
    assert "missing.pth" in capsys.readouterr().err


def test_compare_command_writes_the_figure(real_dng: Path, tmp_path: Path) -> None:
    import imageio.v3 as iio

    out = tmp_path / "fig.png"
    status = main(["compare", str(real_dng), "--random-weights", "-o", str(out),
                   "--max-side", "192", "--baselines", "classical,libraw,mertens"])
    assert status == 0
    figure = iio.imread(out)
    assert figure.ndim == 3 and figure.shape[0] > 200 and figure.shape[1] > 600
    rgb = figure[..., :3].astype(int)
    red = (rgb[..., 0] > 200) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)
    assert red.sum() > 200  # the crop boxes and the crop frames


def test_compare_on_png_raws_leaves_libraw_out(tiny_synthetic: Path, tmp_path: Path) -> None:
    import matplotlib

    from hdrisp.evaluation.compare import compare_files

    raws = sorted((tiny_synthetic / "test" / "raw").glob("*.png"))[:2]
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # keep the titles as text
        out = compare_files(raws, tmp_path / "fig.svg", random_weights=True,
                            baselines=("classical", "libraw"))
    svg = out.read_text(encoding="utf-8")
    assert "classical" in svg and "libraw" not in svg and "random weights" in svg


def test_pick_crop_finds_the_detailed_region() -> None:
    rng = np.random.default_rng(0)
    img = np.full((120, 200, 3), 0.5, np.float32)
    img[70:110, 20:60] = rng.random((40, 40, 3))
    top, left, h, w = pick_crop(img, fraction=1 / 3)
    assert (h, w) == (40, 40)
    assert abs(top - 70) <= 5 and abs(left - 20) <= 5


def test_comparison_figure_layout_and_checks(tmp_path: Path) -> None:
    images = {"a": np.zeros((30, 40, 3), np.uint8), "b": np.ones((30, 40, 3), np.float32)}
    fig = comparison_figure([images, images], crops=[(0, 0, 10, 10), None],
                            scene_titles=["one", "two"])
    assert len(fig.axes) == 8  # 2 scenes × (full + crop) × 2 methods
    assert [ax.get_title() for ax in fig.axes[:4:2]] == ["a", "b"]
    with pytest.raises(HdrispError, match="outside"):
        comparison_figure(images, crops=[(25, 0, 10, 10)])
    fig_gap = comparison_figure([images, {"b": images["b"]}])
    assert len(fig_gap.axes) == 6
    assert fig_gap.axes[4].get_subplotspec().colspan.start == 1  # "b" keeps its column
    with pytest.raises(HdrispError, match="differ in size"):
        comparison_figure({"a": np.zeros((30, 40, 3)), "b": np.zeros((20, 40, 3))})
    with pytest.raises(HdrispError, match=r"\.png"):
        save_figure(fig, tmp_path / "fig.xyz")
    assert save_figure(fig, tmp_path / "fig.pdf").stat().st_size > 1000


def test_a_network_trained_without_instance_norm_loads_for_evaluation(tmp_path) -> None:
    """`model.instance_norm: false` changes the state dict; evaluate (and develop) rebuild
    that network from the weights instead of refusing them."""
    from hdrisp.evaluation.report import load_model
    from hdrisp.models import build

    torch.manual_seed(0)
    plain = build("rawtonemap", level=4, instance_norm=False).eval()
    torch.save({"model": plain.state_dict()}, tmp_path / "noin.pt")
    loaded = load_model("rawtonemap", 4, tmp_path / "noin.pt")
    x = torch.rand(1, 4, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), plain(x), rtol=0, atol=0)
    assert not any(".instance." in k for k in loaded.state_dict())


def test_evaluate_reuses_an_identical_report_and_only_that(tiny_synthetic: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """``reuse=True`` reads back ``report.json`` when the weights' bytes, data, methods and
    metrics are those it was computed from (lesson 04 after ``hdrisp demo``), and scores again
    when any of them differs."""
    from hdrisp.evaluation import report as report_module
    from hdrisp.models import build

    torch.manual_seed(0)
    weights = tmp_path / "w.pt"
    torch.save({"model": build("rawtonemap", level=0, instance_norm=False).state_dict()},
               weights)
    args = {"out_dir": tmp_path / "eval", "baselines": ("classical",), "progress": False,
            "metrics": ("psnr", "delta_e2000")}
    first = report_module.evaluate(tiny_synthetic, weights, **args)
    assert first.paths["report"].is_file()
    scored = []
    original = report_module._Scorer.score
    monkeypatch.setattr(report_module._Scorer, "score",
                        lambda self, *a, **k: scored.append(a[0]) or original(self, *a, **k))
    again = report_module.evaluate(tiny_synthetic, weights, reuse=True, **args)
    assert scored == []
    assert again.summary == first.summary and again.per_image == first.per_image
    assert again.given == first.given and again.metrics == first.metrics
    assert again.paths["csv"] == first.paths["csv"]
    # reuse=False always scores; so does any change of metrics, methods or weights
    report_module.evaluate(tiny_synthetic, weights, **args)
    assert scored == [0, 1, 2, 3]
    report_module.evaluate(tiny_synthetic, weights, reuse=True, **{**args, "metrics": ("psnr",)})
    assert len(scored) == 8
    report_module.evaluate(tiny_synthetic, weights, reuse=True,
                           **{**args, "baselines": ("classical", "drago")})
    assert len(scored) == 12
    torch.save({"model": build("rawtonemap", level=0, instance_norm=False).state_dict()},
               weights)  # other random weights, same file name
    changed = report_module.evaluate(tiny_synthetic, weights, reuse=True, **args)
    assert len(scored) == 16
    network = next(iter(changed.summary))
    assert changed.summary[network]["psnr"] != first.summary[network]["psnr"]
    # a set without dataset.json and manifest.json (Zurich's, the paper's): never reused
    import shutil

    bare = tmp_path / "bare"
    shutil.copytree(tiny_synthetic, bare)
    (bare / "dataset.json").unlink()
    (bare / "manifest.json").unlink()
    for _ in range(2):
        report_module.evaluate(bare, weights, reuse=True, **{**args, "baselines": (),
                                                            "out_dir": tmp_path / "bare_eval"})
    assert len(scored) == 16 + 2 * 4
