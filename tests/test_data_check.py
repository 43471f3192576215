"""The data set validator catches each injected fault and names its file; the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from hdrisp.cli import main
from hdrisp.data import check as chk
from hdrisp.data import check_dataset
from hdrisp.errors import DatasetError


@pytest.fixture
def dataset(tiny_synthetic: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny synthetic set, free to break."""
    return Path(shutil.copytree(tiny_synthetic, tmp_path / "set"))


def _only_problem(root: Path) -> chk.Problem:
    report = check_dataset(root)
    assert len(report.problems) == 1, [str(p) for p in report.problems]
    return report.problems[0]


def test_clean_set_passes_with_a_summary(dataset: Path) -> None:
    report = check_dataset(dataset)
    assert report.ok, [str(p) for p in report.problems]
    rows = {s.name: s for s in report.splits}
    assert rows["train"].pairs == 8 and rows["test"].pairs == 4
    assert rows["train"].raw_size == "64×64" and rows["train"].target_size == "64×64"
    assert rows["test/full_resolution"].pairs == 2  # the PNG and the DNG of one frame
    assert 0 < rows["train"].raw_max <= 1023
    assert "OK: no problems" in str(report)


def test_missing_target(dataset: Path) -> None:
    (dataset / "train/groundtruth/3.jpg").unlink()
    problem = _only_problem(dataset)
    assert problem.kind == chk.MISSING_TARGET
    assert problem.path == str(dataset / "train/raw/3.png")


def test_extra_unpaired_file(dataset: Path) -> None:
    shutil.copy(dataset / "test/groundtruth/0.jpg", dataset / "test/groundtruth/17.jpg")
    problem = _only_problem(dataset)
    assert problem.kind == chk.UNPAIRED and problem.path.endswith("test/groundtruth/17.jpg")
    (dataset / "test/groundtruth/17.jpg").unlink()
    (dataset / "train/raw/readme.txt").write_text("notes")
    problem = _only_problem(dataset)
    assert problem.kind == chk.UNEXPECTED and problem.path.endswith("train/raw/readme.txt")


def test_wrong_size_raw_and_target(dataset: Path, tiny_synthetic: Path) -> None:
    raw = cv2.imread(str(dataset / "train/raw/2.png"), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(dataset / "train/raw/2.png"), raw[:48])
    report = check_dataset(dataset)
    assert {p.kind for p in report.problems} == {chk.WRONG_SIZE}
    assert {Path(p.path).name for p in report.problems} == {"2.png", "2.jpg"}  # both named
    shutil.copy(tiny_synthetic / "train/raw/2.png", dataset / "train/raw/2.png")
    target = cv2.imread(str(dataset / "test/groundtruth/1.jpg"))
    cv2.imwrite(str(dataset / "test/groundtruth/1.jpg"), cv2.resize(target, (32, 32)))
    problem = _only_problem(dataset)
    assert problem.kind == chk.WRONG_SIZE and problem.path.endswith("test/groundtruth/1.jpg")
    assert "32×32" in problem.message and "64×64" in problem.message


def test_eight_bit_raw(dataset: Path) -> None:
    cv2.imwrite(str(dataset / "train/raw/0.png"), np.full((64, 64), 90, np.uint8))
    problem = _only_problem(dataset)
    assert problem.kind == chk.EIGHT_BIT and problem.path.endswith("train/raw/0.png")


def test_colour_picture_as_raw(dataset: Path) -> None:
    cv2.imwrite(str(dataset / "train/raw/0.png"), np.zeros((64, 64, 3), np.uint16))
    assert _only_problem(dataset).kind == chk.NOT_MOSAIC


def test_corrupt_files(dataset: Path) -> None:
    png = dataset / "train/raw/6.png"
    png.write_bytes(png.read_bytes()[:200])  # truncated
    jpg = dataset / "test/groundtruth/2.jpg"
    jpg.write_bytes(b"\xff\xd8\xff garbage")
    report = check_dataset(dataset)
    assert sorted((p.kind, Path(p.path).name) for p in report.problems) == [
        (chk.UNREADABLE, "2.jpg"), (chk.UNREADABLE, "6.png")]


def test_values_above_white_level(dataset: Path) -> None:
    raw = cv2.imread(str(dataset / "test/raw/3.png"), cv2.IMREAD_UNCHANGED)
    raw[5, 7] = 1500
    cv2.imwrite(str(dataset / "test/raw/3.png"), raw)
    problem = _only_problem(dataset)
    assert problem.kind == chk.OVER_WHITE and "1500" in problem.message
    assert check_dataset(dataset, white_level=4095).ok


def test_white_level_comes_from_dataset_json(dataset: Path, capsys) -> None:
    """Without --white-level the set's own dataset.json level is the limit; the flag wins."""
    raw = cv2.imread(str(dataset / "test/raw/3.png"), cv2.IMREAD_UNCHANGED)
    raw[5, 7] = 1500
    cv2.imwrite(str(dataset / "test/raw/3.png"), raw)
    info = json.loads((dataset / "dataset.json").read_text())
    info["normalization"] = {"mode": "levels", "black_level": 64.0, "white_level": 4095.0}
    (dataset / "dataset.json").write_text(json.dumps(info))
    report = check_dataset(dataset)
    assert report.ok and report.white_level == 4095
    assert "white level 4095 from dataset.json" in str(report)
    assert main(["data", "check", "--data", str(dataset)]) == 0
    assert main(["data", "check", "--data", str(dataset), "--white-level", "1023"]) == 1
    assert "1500" in capsys.readouterr().out
    (dataset / "dataset.json").unlink()   # no description: 10-bit data, 1023
    report = check_dataset(dataset)
    assert report.white_level == 1023 and report.white_level_source == "default"
    assert [p.kind for p in report.problems] == [chk.OVER_WHITE]


def test_corrupt_full_resolution_dng(dataset: Path) -> None:
    dng = dataset / "test/full_resolution/0.dng"
    dng.write_bytes(dng.read_bytes()[:300])
    problem = _only_problem(dataset)
    assert problem.kind == chk.UNREADABLE and problem.path == str(dng)


def test_cli_check_exit_status_and_listing(dataset: Path, capsys) -> None:
    assert main(["data", "check", "--data", str(dataset)]) == 0
    assert "OK: no problems" in capsys.readouterr().out
    (dataset / "train/groundtruth/5.jpg").unlink()
    assert main(["data", "check", "--data", str(dataset), "--layout", "paper"]) == 1
    out = capsys.readouterr().out
    assert "1 problem(s)" in out and f"{dataset / 'train/raw/5.png'}: missing target" in out
    assert main(["data", "check", "--data", str(dataset / "nowhere")]) == 2
    assert "no such data set folder" in capsys.readouterr().err


def test_cli_synth_writes_a_valid_set(tmp_path: Path, capsys) -> None:
    out = tmp_path / "synth"
    status = main(["data", "synth", "--out", str(out), "--n-train", "2", "--n-test", "1",
                   "--patch", "32", "--n-full", "1", "--full-size", "32", "48",
                   "--workers", "1"])
    assert status == 0 and "synthetic set ready" in capsys.readouterr().out
    assert check_dataset(out).ok
    with pytest.raises(SystemExit) as info:  # argparse refuses an odd mosaic size
        main(["data", "synth", "--out", str(out), "--patch", "33"])
    assert info.value.code == 2


def test_cli_check_refuses_a_set_whose_splits_share_a_source(dataset: Path, capsys) -> None:
    """A test pair cut from a training photograph (here: relabelled in the manifest) makes the
    whole set invalid: one line on stderr, exit status 2."""
    import json

    from hdrisp.synth.sources import scene_of

    path = dataset / "manifest.json"
    manifest = json.loads(path.read_text())
    train_source = next(r["view"]["source"] for r in manifest["pairs"] if r["split"] == "train")
    test_pair = next(r for r in manifest["pairs"] if r["split"] == "test")
    test_pair["view"]["source"] = train_source
    test_pair["scene"] = scene_of(train_source)
    path.write_text(json.dumps(manifest))
    with pytest.raises(DatasetError, match="both the training split and the test split"):
        check_dataset(dataset)
    assert main(["data", "check", "--data", str(dataset)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: ") and train_source in err


def test_check_source_split_treats_a_stereo_pair_as_one_scene(tmp_path: Path) -> None:
    """The two views of the stereo pair are one scene: one in each split is a leak."""
    import json

    pairs = [{"split": "train", "view": {"source": "motorcycle_left"}},
             {"split": "train", "view": {"source": "astronaut"}},
             {"split": "full_resolution", "view": {"source": "motorcycle_right"}}]
    sources = [{"name": "motorcycle_left", "scene": "motorcycle"},
               {"name": "motorcycle_right", "scene": "motorcycle"}]
    (tmp_path / "manifest.json").write_text(json.dumps({"pairs": pairs, "sources": sources}))
    problems = chk.check_source_split(tmp_path)
    assert [p.kind for p in problems] == [chk.SHARED_SOURCE]
    assert "'motorcycle'" in problems[0].message
    pairs[0]["view"]["source"] = "coffee"
    (tmp_path / "manifest.json").write_text(json.dumps({"pairs": pairs, "sources": sources}))
    assert chk.check_source_split(tmp_path) == []
