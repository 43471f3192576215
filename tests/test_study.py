"""The reproduction study: illuminant gains, the cast set, the arms' configs, the statistics,
the report against the committed results, and ``hdrisp study --smoke`` end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from hdrisp.cli import main
from hdrisp.errors import ConfigError, DatasetError
from hdrisp.losses import level_weights
from hdrisp.study import (
    ARMS,
    REFERENCE_ARM,
    build_cast_set,
    cast_mosaic,
    design,
    load_cast_set,
    report,
    stats,
)
from hdrisp.study.illuminants import (
    AVERAGE_CAMERA,
    DEFAULT_ILLUMINANTS,
    ILLUMINANTS,
    cast_gains,
    check_illuminants,
)
from hdrisp.study.results import COLUMNS as RESULT_COLUMNS
from hdrisp.study.results import build_results, read_csv, write_csv
from hdrisp.study.scoring import chroma_spread
from hdrisp.training import load_config

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "notebooks" / "results" / "study.csv"
REPORT = ROOT / "REPRODUCTION.md"


# --------------------------------------------------------------------------- illuminants


def test_gains_grow_warmer_as_the_colour_temperature_falls():
    order = sorted(ILLUMINANTS, key=lambda n: -ILLUMINANTS[n].cct)
    gains = [cast_gains(n) for n in order]
    assert gains[order.index("D65")] == (1.0, 1.0, 1.0)
    assert all(g[1] == 1.0 for g in gains)
    reds, blues = [g[0] for g in gains], [g[2] for g in gains]
    assert reds == sorted(reds) and blues == sorted(blues, reverse=True)
    # tungsten: about twice the red, half the blue, with the average synthetic sensor
    assert cast_gains("A")[0] == pytest.approx(1.85, abs=0.01)
    assert cast_gains("A")[2] == pytest.approx(0.50, abs=0.01)
    # bare sRGB primaries exaggerate the cast (a sensor's channels overlap more)
    assert cast_gains("A", np.eye(3))[0] > cast_gains("A", AVERAGE_CAMERA)[0]


def test_illuminant_lists_are_checked():
    assert check_illuminants(DEFAULT_ILLUMINANTS) == DEFAULT_ILLUMINANTS
    for bad in (["D65"], ["A", "F11"], ["D65", "D65"], ["D65", "X"]):
        with pytest.raises(ConfigError):
            check_illuminants(bad)


# --------------------------------------------------------------------------- cast set


def test_cast_mosaic_scales_each_colour_and_keeps_clipped_samples():
    mosaic = np.array([[100, 300, 100, 300], [300, 400, 300, 1023]], np.uint16)  # RGGB
    out = cast_mosaic(mosaic, (2.0, 1.0, 0.5))
    assert out[0, 0] == 200 and out[0, 2] == 200            # R doubled
    assert (out[0, 1], out[1, 0]) == (300, 300)             # G kept
    assert out[1, 1] == 200                                 # B halved
    assert out[1, 3] == 1023                                # clipped at white stays white
    assert cast_mosaic(np.full((2, 2), 700, np.uint16), (2.0, 1.0, 1.0))[0, 0] == 1023
    with_black = cast_mosaic(np.full((2, 2), 164, np.uint16), (2.0, 1.0, 1.0), black_level=64)
    assert with_black[0, 0] == 264                          # (164 − 64)·2 + 64
    four = cast_mosaic(np.full((2, 2), 164, np.uint16), (2.0, 1.0, 1.0),
                       black_level=(64, 0, 0, 0))               # per 2×2 position
    assert four[0, 0] == 264 and four[1, 1] == 164
    with pytest.raises(DatasetError):
        cast_mosaic(np.zeros((2, 2), np.float32), (1.0, 1.0, 1.0))


@pytest.fixture(scope="module")
def cast(tiny_synthetic: Path, tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("cast") / "cast_set"
    return tiny_synthetic, build_cast_set(tiny_synthetic, out, illuminants=("D65", "F11", "A"),
                                          scenes=2)


def test_cast_set_is_one_scene_under_several_gains_with_one_target(cast):
    source, cast_set = cast
    manifest = {p["raw"]: p for p in json.loads((source / "manifest.json").read_text())["pairs"]}
    assert cast_set.scenes == 2 and len(cast_set.items) == 6
    for scene in range(cast_set.scenes):
        items = cast_set.scene_items(scene)
        assert [i.illuminant for i in items] == ["D65", "F11", "A"]
        assert len({i.source_raw for i in items}) == 1
        src_raw = cv2.imread(str(source / items[0].source_raw), cv2.IMREAD_UNCHANGED)
        src_target = (source / items[0].source_target).read_bytes()
        sensor = manifest[items[0].source_raw]["sensor"]
        for item in items:
            # one target: the scene's own, byte for byte
            assert (cast_set.root / "test" / "groundtruth" / f"{item.index}.jpg"
                    ).read_bytes() == src_target
            raw = cv2.imread(str(cast_set.root / item.raw), cv2.IMREAD_UNCHANGED)
            assert raw.dtype == np.uint16 and raw.shape == src_raw.shape
            # the gains are the scene's own camera's, recorded with the as-shot balance
            expected = cast_gains(item.illuminant, np.asarray(sensor["cam_from_srgb"]))
            assert item.gains == pytest.approx(expected) and item.camera == "recorded"
            assert item.as_shot_wb == pytest.approx(
                (sensor["wb"][0] / expected[0], 1.0, sensor["wb"][2] / expected[2]))
            if item.illuminant == "D65":
                assert np.array_equal(raw, src_raw)
                continue
            np.testing.assert_array_equal(raw[0::2, 1::2], src_raw[0::2, 1::2])  # greens
            for plane, gain in ((np.s_[0::2, 0::2], item.gains[0]),
                                (np.s_[1::2, 1::2], item.gains[2])):
                before, after = src_raw[plane].astype(float), raw[plane].astype(float)
                ok = (before > 20) & (before * gain < 1000)  # neither dark nor clipped
                assert ok.sum() > 40  # enough samples of the 1024 to check the gain on
                np.testing.assert_allclose(after[ok], before[ok] * gain, atol=0.51)
            assert item.gains[0] > 1 > item.gains[2]  # warmer than daylight


def test_cast_set_is_reused_when_current_and_rebuilt_when_not(cast, tmp_path):
    source, cast_set = cast
    stamp = (cast_set.root / "dataset.json").stat().st_mtime_ns
    again = build_cast_set(source, cast_set.root, illuminants=("D65", "F11", "A"), scenes=2)
    assert (cast_set.root / "dataset.json").stat().st_mtime_ns == stamp
    assert again.items == cast_set.items
    other = tmp_path / "other"
    shutil.copytree(cast_set.root, other)
    rebuilt = build_cast_set(source, other, illuminants=("D65", "A"), scenes=1)
    assert [i.illuminant for i in rebuilt.items] == ["D65", "A"]
    assert sorted(p.name for p in (other / "test" / "raw").iterdir()) == ["0.png", "1.png"]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError, match="holds no cast set"):
        build_cast_set(source, foreign, scenes=1)
    assert load_cast_set(other).illuminants == ("D65", "A")


def test_cast_set_is_a_paired_set_the_loaders_read(cast):
    from hdrisp.data import PairedRawDataset

    _, cast_set = cast
    data = PairedRawDataset(cast_set.root, "test", level=0)
    assert len(data) == len(cast_set.items)
    raw, target = data[0]
    assert tuple(raw.shape) == (4, 32, 32) and tuple(target.shape) == (3, 64, 64)


@pytest.fixture(scope="module")
def black64(tmp_path_factory) -> Path:
    """A small synthetic set whose raws sit on a black level of 64 (``levels`` normalisation)."""
    from hdrisp.synth import generate_dataset

    return generate_dataset(tmp_path_factory.mktemp("black64"), n_train=1, n_test=2, patch=64,
                            seed=5, workers=1, n_full=0, black_level=64)


def test_cast_set_states_its_sources_normalisation(black64, tmp_path):
    """Readers of a cast set take its raws' levels as the source's readers do: its dataset.json
    has the source's ``normalization`` entry (without it a black-64 set was read as legacy)."""
    from hdrisp.data import PairedRawDataset
    from hdrisp.data.normalization import dataset_normalization
    from hdrisp.raw.normalization import Normalization
    from hdrisp.synth.dataset import dataset_normalization_entry

    cast_set = build_cast_set(black64, tmp_path / "cast", illuminants=("D65", "A"), scenes=1)
    marker = json.loads((cast_set.root / "dataset.json").read_text())
    assert marker["normalization"] == dataset_normalization_entry(64)
    assert dataset_normalization(cast_set.root) == Normalization("levels", 64.0, 1023.0)
    # the D65 rendering is the source raw: the network gets the very same input from both
    d65 = next(i for i in cast_set.items if i.illuminant == "D65")
    source = PairedRawDataset(black64, "test", level=0)[0][0]
    rendering = PairedRawDataset(cast_set.root, "test", level=0)[d65.index][0]
    assert torch.equal(rendering, source)  # was up to 0.063 apart (the pedestal, ÷1020)
    # re-lit under tungsten, the greens (gain 1) still read as the source's ([B, Gb, R, Gr])
    tungsten = next(i for i in cast_set.items if i.illuminant == "A")
    relit = PairedRawDataset(cast_set.root, "test", level=0)[tungsten.index][0]
    assert torch.equal(relit[[1, 3]], source[[1, 3]])


@pytest.mark.parametrize("mode", ["levels", "legacy"])
def test_study_baselines_read_a_set_as_the_evaluation_does(black64, tmp_path, mode):
    """The study's classical rows equal ``evaluate``'s, name for name, on a set whose
    dataset.json states black level 64 (they unpacked the raw as black 0, ÷1020: on the second
    pair grey-world's PSNR was 9.71 dB for ``levels`` and 6.85 for ``legacy``, against the
    evaluation's 9.68)."""
    from hdrisp import isp
    from hdrisp.evaluation import evaluate
    from hdrisp.study import scoring

    root = tmp_path / "set"
    shutil.copytree(black64, root)
    marker = json.loads((root / "dataset.json").read_text())
    marker["normalization"] = {"mode": mode, "black_level": 64.0, "white_level": 1023.0}
    (root / "dataset.json").write_text(json.dumps(marker))
    report_ = evaluate(root, random_weights=True, baselines=("classical", "greyworld"),
                       out_dir=tmp_path / "eval", limit=2, progress=False)
    for name in ("classical", "greyworld"):
        develop = scoring.baseline(name)
        study = scoring.score_test(develop, root, crop=None, limit=2)
        ours = [r for r in report_.per_image if r["method"] == name]
        for metric in ("psnr", "delta_e2000"):
            assert [r[metric] for r in study] == pytest.approx([r[metric] for r in ours],
                                                                abs=1e-9), (name, metric)
        assert develop.given == {report_.given[name]}
    assert report_.given["classical"] == "as-shot WB + colour matrix"
    assert set(scoring.BASELINES) == set(isp.BASELINES) - {"libraw"}


def test_study_baselines_get_each_renderings_as_shot_balance(black64, tmp_path):
    """On the cast set, ``classical`` is told each rendering's light (its as-shot white balance)
    and ``greyworld`` is not; a network's input is the packed raw alone, normalised as the set
    says."""
    from hdrisp import isp
    from hdrisp.data import PairedRawDataset
    from hdrisp.study import scoring

    cast_set = build_cast_set(black64, tmp_path / "cast", illuminants=("D65", "A"), scenes=2)
    seen = []
    scoring.score_cast(lambda packed, mosaic: seen.append((packed, mosaic)) or
                       np.full((64, 64, 3), 0.5, np.float32), cast_set, crop=None)
    data = PairedRawDataset(cast_set.root, "test", level=0)
    for item, (packed, mosaic) in zip(cast_set.items, seen, strict=True):
        assert torch.equal(packed, data[item.index][0])
        assert mosaic.wb == pytest.approx(item.as_shot_wb)
        np.testing.assert_allclose(mosaic.color_matrix @ np.asarray(item.cam_from_srgb),
                                   np.eye(3), atol=1e-5)
        assert isp.baseline_inputs("classical", mosaic) == "as-shot WB + colour matrix"
    a = next(i for i in cast_set.items if i.illuminant == "A")
    d65 = next(i for i in cast_set.items if i.illuminant == "D65" and i.scene == a.scene)
    assert a.as_shot_wb[0] < d65.as_shot_wb[0]  # tungsten: less red gain than daylight


def test_chroma_spread_is_the_rms_distance_from_the_centroid():
    assert chroma_spread(np.array([[1.0, 1.0], [1.0, 1.0]])) == 0.0
    assert chroma_spread(np.array([[0.0, 3.0], [0.0, -3.0], [4.0, 0.0], [-4.0, 0.0]])) == \
        pytest.approx(np.sqrt(12.5))


# --------------------------------------------------------------------------- design


@pytest.fixture(scope="module")
def tiny():
    return load_config("tiny")


def test_tutorial_size_shortens_whatever_tiny_yaml_says(tiny):
    size = design.SIZES["tutorial"]
    short = design.shorten(tiny, size)
    assert [r.level for r in short.levels] == [r.level for r in tiny.levels]
    for old, new in zip(tiny.levels, short.levels, strict=True):
        assert (new.batch, new.patch) == (old.batch, old.patch)
        assert new.steps == max(1, round(old.steps * size.fraction))
    assert design.default_size(tiny) == "tutorial"
    assert design.default_size(load_config("paper")) == "full"
    paper = design.shorten(load_config("paper"), design.SIZES["full"])
    assert [r.epochs for r in paper.levels] == [15, 20, 25, 33, 60]


def test_arms_change_only_what_they_say(tiny):
    def hist(cfg, level):
        row = cfg.schedule(level)
        return level_weights(level, cfg.loss.schedule, row.weights).get("hist", 0.0)

    base = design.shorten(tiny, design.SIZES["tutorial"])
    configs = {name: design.arm_config(base, arm, 1, direct_steps=77)
               for name, arm in ARMS.items()}
    for level in (4, 3, 2, 1, 0):
        assert hist(configs["hist_x0"], level) == 0.0
        assert hist(configs["hist_x1"], level) == 0.25
        assert hist(configs["hist_x2"], level) == 0.5
        assert hist(configs["code"], level) == 0.25
    assert configs["hist_x1"].levels == base.levels  # the reference is the config itself
    assert configs["code"].loss.schedule == "code"
    assert {c.runtime.seed for c in configs.values()} == {1}
    direct = configs["direct"]
    assert [(r.level, r.steps) for r in direct.levels] == [(0, 77)]
    assert design.shared_levels(base, ARMS["code"]) == [4, 3, 2]
    smoke = design.shorten(tiny, design.SIZES["smoke"])
    assert [r.level for r in smoke.levels] == [4, 0]
    assert design.shared_levels(smoke, ARMS["code"]) == [4]
    assert [a.name for a in design.select_arms(["code"])] == ["hist_x1", "code"]
    with pytest.raises(ConfigError, match="unknown arm"):
        design.select_arms(["nope"])


def test_direct_arm_gets_the_staged_runs_flops(tiny, tiny_synthetic, monkeypatch):
    flops = {4: 1.0, 3: 2.0, 2: 3.0, 1: 5.0, 0: 4.0}
    monkeypatch.setattr(design, "network_flops", lambda level, side, model: flops[level])
    base = design.shorten(tiny, design.SIZES["tutorial"])
    steps, detail = design.matched_direct_steps(base, tiny_synthetic)
    staged = sum(r.steps * r.batch * flops[r.level] for r in base.levels)
    assert detail["staged_flops"] == staged
    assert steps == int(staged / (base.schedule(0).batch * flops[0]) + 0.5)


def test_network_flops_grow_with_the_patch_and_the_level():
    assert design.network_flops(0, 64) > design.network_flops(4, 64)
    assert design.network_flops(0, 128) == pytest.approx(4 * design.network_flops(0, 64),
                                                         rel=0.01)


# --------------------------------------------------------------------------- statistics


def test_paired_comparison_sees_a_real_difference_and_not_noise():
    rng = np.random.default_rng(3)
    images = rng.normal(20, 3, size=40)           # images differ far more than methods
    seeds = rng.normal(0, 0.05, size=(3, 1))
    reference = images + seeds + rng.normal(0, 0.05, size=(3, 40))
    better = reference + 0.3 + rng.normal(0, 0.05, size=(3, 40))
    result = stats.paired(better, reference, higher_is_better=True)
    assert result.verdict == "better" and result.ci_low < 0.3 < result.ci_high
    assert result.p_value < 0.01 and result.wins > 0.9
    assert stats.paired(better, reference, higher_is_better=False).verdict == "worse"
    same = images + rng.normal(0, 0.05, size=(3, 40))
    assert stats.paired(same, reference, higher_is_better=True).verdict == \
        "no clear difference"
    # unpaired, the image spread would swamp the 0.3 difference: the seed means show it
    assert np.std(images) > 10 * 0.3


def test_bootstrap_interval_is_reproducible_and_covers_the_mean():
    data = np.arange(12.0).reshape(3, 4)
    low, high = stats.bootstrap_interval(data)
    assert (low, high) == stats.bootstrap_interval(data)
    assert low < data.mean() < high


def _rows():
    rows = []
    rng = np.random.default_rng(0)
    for method, seeds, shift in (("hist_x1", (0, 1), 0.0), ("hist_x0", (0, 1), 1.0),
                                 ("classical", (None,), 5.0)):
        for seed in seeds:
            for i in range(6):
                rows.append({"method": method, "seed": seed, "set": "test", "index": i,
                             "psnr": 20 + i - shift + rng.normal(0, 0.01), "ssim": 0.5,
                             "delta_e2000": 5 + shift, "hellinger": 0.1})
            for s in range(3):
                rows.append({"method": method, "seed": seed, "set": "cast_scene", "scene": s,
                             "chroma_spread": 1 + shift, "de_between": 2 + shift,
                             "de_target": 3 + shift})
                for name in ("D65", "A"):
                    rows.append({"method": method, "seed": seed, "set": "cast", "index": s,
                                 "scene": s, "illuminant": name, "de_target": 3 + shift})
    return rows


def test_results_table_and_its_csv_round_trip(tmp_path):
    results = build_results(_rows(), [ARMS["hist_x1"], ARMS["hist_x0"]], ["classical"],
                            ("D65", "A"))
    summary = {(r["set"], r["method"], r["metric"]): r for r in results
               if r["kind"] == "summary"}
    assert summary[("test", "classical", "psnr")]["std"] is None
    assert summary[("test", "hist_x0", "psnr")]["n_seeds"] == 2
    assert ("cast:A", "hist_x0", "de_target") in summary
    paired = {(r["set"], r["metric"]): r for r in results if r["kind"] == "paired"}
    assert {r["method"] for r in results if r["kind"] == "paired"} == {"hist_x0"}
    assert paired[("test", "psnr")]["verdict"] == "worse"
    assert paired[("cast", "de_between")]["diff"] == pytest.approx(1.0)
    write_csv(tmp_path / "r.csv", results, RESULT_COLUMNS)
    back = read_csv(tmp_path / "r.csv")
    assert [(r["kind"], r["set"], r["method"], r["metric"]) for r in back] == \
        [(r["kind"], r["set"], r["method"], r["metric"]) for r in results]
    assert back[0]["n_seeds"] == results[0]["n_seeds"]


# --------------------------------------------------------------------------- the report


def test_every_claim_has_a_source_status_and_commands():
    ids = [c.id for c in report.CLAIMS]
    assert len(ids) == len(set(ids)) >= 10
    for claim in report.CLAIMS:
        assert claim.claim and claim.source and claim.evidence and claim.commands
        assert claim.status in (report.VERIFIED, report.SYNTHETIC, report.NOT_HERE)
        for arm, set_name, metrics in claim.study:
            assert arm in ARMS and arm != REFERENCE_ARM and set_name in ("test", "cast")
            assert metrics
    assert {"colour-constancy", "paper-vs-code", "no-reference-quality"} <= set(ids)


def test_smoke_results_are_never_shown_as_findings():
    results = build_results(_rows(), [ARMS["hist_x1"], ARMS["hist_x0"]], ["classical"],
                            ("D65", "A"))
    claim = next(c for c in report.CLAIMS if c.id == "colour-constancy")
    smoke = report.claim_status(claim, results, {"smoke": True, "size": "smoke"})
    assert smoke.startswith("not measured yet") and "plumbing" in smoke
    full = report.claim_status(claim, results, {"smoke": False, "size": "tutorial"})
    assert full.startswith(report.SYNTHETIC) and "hist ×0" in full


def test_reproduction_md_matches_the_committed_study_results():
    """REPRODUCTION.md's generated tables are what `hdrisp study report` makes from
    notebooks/results/study.csv (rewrite them with that command after a new study)."""
    from hdrisp.study import load_results

    results, meta = load_results(RESULTS)
    assert results, "no committed study results"
    assert report.update_report(REPORT, results, meta, check=True), \
        "REPRODUCTION.md is out of date: run `hdrisp study report`"
    text = REPORT.read_text(encoding="utf-8")
    for claim in report.CLAIMS:
        assert f"| {claim.claim.replace('|', chr(92) + '|')} |" in text
    if meta.get("smoke"):
        assert "smoke run" in text


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def smoke_data(tmp_path_factory) -> Path:
    from hdrisp.synth import generate_dataset

    return generate_dataset(tmp_path_factory.mktemp("study_data"), n_train=8, n_test=4,
                            patch=128, seed=3, workers=1, n_full=0)


def test_study_smoke_end_to_end(smoke_data, tmp_path, capsys):
    out = tmp_path / "study"
    status = main(["study", "--smoke", "--data", str(smoke_data), "-o", str(out),
                   "--device", "cpu"])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "plumbing check" in printed
    results = read_csv(out / "results.csv")
    methods = {r["method"] for r in results if r["kind"] == "summary"}
    assert methods == {*ARMS, "greyworld", "classical"}
    paired = {(r["method"], r["set"], r["metric"]) for r in results if r["kind"] == "paired"}
    assert ("hist_x0", "cast", "de_between") in paired and ("direct", "test", "psnr") in paired
    for name in ("per_image.csv", "results.json", "study.png", "cast_grid.png", "study.yaml"):
        assert (out / name).is_file(), name
    meta = json.loads((out / "results.json").read_text())
    assert meta["smoke"] is True and meta["seeds"] == [0, 1]
    # every arm × seed is a normal training run; the code arm starts from hist_x1's level 4
    for arm in ARMS:
        for seed in (0, 1):
            assert (out / arm / f"seed{seed}" / "level0" / "last.pt").is_file()
    assert not (out / "code" / "seed0" / "level4").exists()
    assert (out / "hist_x1" / "seed0" / "level4" / "last.pt").is_file()  # code starts here
    assert not list(out.glob("hist_x0/seed0/level*/best.pt"))           # pruned once scored
    # resuming a finished study trains nothing again
    stamp = (out / "hist_x0" / "seed0" / "level0" / "last.pt").stat().st_mtime_ns
    assert main(["study", "--smoke", "--data", str(smoke_data), "-o", str(out),
                 "--device", "cpu"]) == 0
    assert (out / "hist_x0" / "seed0" / "level0" / "last.pt").stat().st_mtime_ns == stamp
    # another plan in the same folder is refused in one line
    assert main(["study", "--smoke", "--data", str(smoke_data), "-o", str(out),
                 "--illuminants", "D65,A"]) == 2
    assert "another plan" in capsys.readouterr().err
    # publish and rewrite a copy of the report; then it checks as current
    copy = tmp_path / "REPRODUCTION.md"
    shutil.copyfile(REPORT, copy)
    csv_path = tmp_path / "results" / "study.csv"
    assert main(["study", "report", str(out), "--results", str(csv_path), "-o", str(copy)]) == 0
    assert csv_path.is_file() and csv_path.with_suffix(".json").is_file()
    assert main(["study", "report", "--results", str(csv_path), "-o", str(copy),
                 "--check"]) == 0
    assert "smoke run" in copy.read_text(encoding="utf-8")


def test_the_cast_sets_training_range_is_the_sources_own(tiny_synthetic, tmp_path) -> None:
    """``wb_in_training_range`` compares each rendering's as-shot white balance with the
    gains of the source's training pairs (the default set: one light), not a fixed box."""
    import json

    from hdrisp.study import build_cast_set
    from hdrisp.study.cast_set import WB_RANGE_TOLERANCE, training_wb_range

    manifest = json.loads((tiny_synthetic / "manifest.json").read_text())
    train = [p["sensor"]["wb"] for p in manifest["pairs"] if p["split"] == "train"]
    red, blue = sorted(w[0] for w in train), sorted(w[2] for w in train)
    (red_low, red_high), (blue_low, blue_high) = training_wb_range(tiny_synthetic)
    assert red_low * (1 + WB_RANGE_TOLERANCE) == pytest.approx(red[0])
    assert red_high / (1 + WB_RANGE_TOLERANCE) == pytest.approx(red[-1])
    assert blue_low * (1 + WB_RANGE_TOLERANCE) == pytest.approx(blue[0])
    assert blue_high / (1 + WB_RANGE_TOLERANCE) == pytest.approx(blue[-1])
    cast = build_cast_set(tiny_synthetic, tmp_path / "cast", illuminants=("D65", "A"), scenes=4)
    for item in cast.items:
        r, _, b = item.as_shot_wb
        inside = red_low <= r <= red_high and blue_low <= b <= blue_high
        assert item.wb_in_training_range is inside
    # the test scenes' own light is the training light (D65 is the raw as recorded); tungsten
    # needs far more blue gain than any training pair had
    assert all(i.wb_in_training_range for i in cast.items if i.illuminant == "D65")
    assert not any(i.wb_in_training_range for i in cast.items if i.illuminant == "A")
    assert training_wb_range(tmp_path) is None  # no manifest: unknown
