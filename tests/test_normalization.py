"""Normalisation is a property of the data set: black level 0 and 64 read, train and evaluate
alike; one rule for PNG raws in training, evaluate and develop."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch import nn

from hdrisp import isp
from hdrisp.data import FullResolutionDataset, PairedRawDataset
from hdrisp.data.normalization import dataset_normalization, file_normalization
from hdrisp.errors import ConfigError, DatasetError
from hdrisp.raw.normalization import Normalization

SPAN = 1023 - 64  # signal range of a black-64 10-bit raw, DN


@pytest.fixture(scope="module")
def twin_sets(tmp_path_factory) -> dict[int, Path]:
    """The same scenes, noise and targets written with black level 0 and with 64, from the
    narrow sensor: the only difference between the twins is then the pedestal and the noise
    clipped at 0 in the black-0 set. With the default camera (whose white balance divides red
    and blue by up to 2.3, so more dark samples clip at 0) the same 30-step runs end 0.8 dB
    apart (measured), which is the data's difference, not the normalisation's. For the same
    reason the training crops keep their photographed colours (``train_hue_shift=None``): with
    version 4's shift, whose chroma boost darkens some channels further, they end 0.63 dB
    apart (measured)."""
    from hdrisp.synth import generate_dataset

    base = tmp_path_factory.mktemp("black")
    return {black: generate_dataset(base / f"black{black}", n_train=16, n_test=4, patch=64,
                                    seed=11, n_full=1, full_size=(64, 96), black_level=black,
                                    sensor="narrow", train_hue_shift=None)
            for black in (0, 64)}


def test_levels_and_legacy_values_and_their_way_back() -> None:
    dn = np.array([[64, 576, 0, 1023], [1023, 64, 500, 2]], dtype=np.uint16)
    levels = Normalization("levels", black_level=64)
    np.testing.assert_allclose(levels.normalize(dn),
                               np.clip((dn.astype(float) - 64) / SPAN, 0, 1), rtol=1e-6)
    legacy = Normalization("legacy")
    np.testing.assert_allclose(legacy.normalize(dn), dn / 1020.0, rtol=1e-6)
    assert float(legacy.normalize(dn).max()) == pytest.approx(1023 / 1020)  # not clipped
    # back to black 0 / white 1 for the baselines, and forth again
    np.testing.assert_allclose(legacy.to_unit(legacy.normalize(dn)), dn / 1023.0, atol=1e-6)
    np.testing.assert_allclose(legacy.from_unit(dn / 1023.0), dn / 1020.0, atol=1e-6)
    pedestal = Normalization("legacy", black_level=(60, 61, 62, 63))
    expected = np.clip((dn - np.tile([[60, 61], [62, 63]], (1, 2))) / (1023 - np.tile(
        [[60, 61], [62, 63]], (1, 2))), 0, 1)
    np.testing.assert_allclose(pedestal.to_unit(pedestal.normalize(dn)), expected, atol=1e-6)
    assert Normalization.from_dict(levels.to_dict()) == levels
    with pytest.raises(ConfigError, match="unknown normalization 'linear'"):
        Normalization("linear")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="white level 64 must be above"):
        Normalization("levels", black_level=64, white_level=64)


def test_dataset_json_states_the_normalization(twin_sets, tmp_path: Path) -> None:
    assert json.loads((twin_sets[0] / "dataset.json").read_text())["normalization"] == {
        "mode": "legacy", "black_level": 0.0, "white_level": 1023.0}
    assert dataset_normalization(twin_sets[64]) == Normalization("levels", 64.0, 1023.0)
    assert dataset_normalization(tmp_path) == Normalization("legacy")  # no dataset.json
    # a set written before the entry existed: its parameters say the black level
    (tmp_path / "dataset.json").write_text(json.dumps(
        {"normalization": "raw PNGs hold digital numbers with black level 64 ...",
         "parameters": {"black_level": 64.0, "white_level": 1023}}))
    assert dataset_normalization(tmp_path) == Normalization("levels", 64.0, 1023.0)
    (tmp_path / "dataset.json").write_text(json.dumps({"normalization": {"mode": "gamma"}}))
    with pytest.raises(DatasetError, match="normalization: unknown normalization 'gamma'") \
            as info:
        PairedRawDataset(tmp_path, "train")
    assert info.value.path == str(tmp_path / "dataset.json")


def test_black_0_and_black_64_sets_read_into_the_same_inputs(twin_sets) -> None:
    zero = PairedRawDataset(twin_sets[0], "train", 0)
    pedestal = PairedRawDataset(twin_sets[64], "train", 0)
    assert (zero.normalization.mode, pedestal.normalization.mode) == ("legacy", "levels")
    ignored = PairedRawDataset(twin_sets[64], "train", 0, normalization="legacy")  # the old way
    for index in range(len(zero)):
        (a, target_a), (b, target_b) = zero[index], pedestal[index]
        assert torch.equal(target_a, target_b)
        # the same signal quantised on 1023 and on 959 steps: within one step of 959 once
        # legacy's 1023/1020 is taken out, and no bias
        assert float((a * 1020 / 1023 - b).abs().max()) <= 1 / SPAN
        assert abs(float((a * 1020 / 1023 - b).mean())) <= 0.05 / SPAN
        # what reading the black-64 set as if black were 0 did: the pedestal stays in
        old = ignored[index][0]
        inside = (b > 0) & (b < 1)
        torch.testing.assert_close((old * 1020)[inside], (b * SPAN + 64)[inside], rtol=0,
                                   atol=1e-3)
        assert float((old - a).mean()) > 30 * (1 / SPAN)
    mosaic = cv2.imread(str(twin_sets[64] / "train/raw/3.png"), cv2.IMREAD_UNCHANGED)
    expected = np.clip((mosaic[0::2, 0::2].astype(np.float64) - 64) / SPAN, 0, 1)
    np.testing.assert_allclose(pedestal[3][0][2].numpy(), expected, atol=1e-6)  # R plane


def test_the_baselines_see_the_same_mosaic_for_both_black_levels(twin_sets) -> None:
    zero = PairedRawDataset(twin_sets[0], "test", 0)
    pedestal = PairedRawDataset(twin_sets[64], "test", 0)
    raw0, raw64 = zero[1][0].numpy(), pedestal[1][0].numpy()
    unit0 = isp.from_packed(raw0, zero.normalization).data
    unit64 = isp.from_packed(raw64, pedestal.normalization).data
    assert np.abs(unit0 - unit64).max() <= 2 / SPAN
    mosaic = cv2.imread(str(twin_sets[64] / "test/raw/1.png"), cv2.IMREAD_UNCHANGED)
    np.testing.assert_allclose(unit64, np.clip((mosaic - 64.0) / SPAN, 0, 1), atol=1e-6)
    for name in ("classical", "mertens"):
        a = isp.run_baseline(name, isp.from_packed(raw0, zero.normalization)).astype(int)
        b = isp.run_baseline(name, isp.from_packed(raw64, pedestal.normalization)).astype(int)
        assert np.abs(a - b).mean() < 1.0, name  # 8-bit levels
        old = isp.run_baseline(name, isp.from_packed(raw64 * SPAN / 1020 + 64 / 1020))
        assert np.abs(a - old.astype(int)).mean() > 4.0, name  # black left in: washed out


class Recorder(nn.Module):
    """Keeps the packed input it is given; returns (R, mean green, B), nearest ×2."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x.detach().clone())
        rgb = torch.stack([x[:, 2], (x[:, 1] + x[:, 3]) / 2, x[:, 0]], dim=1)
        return nn.functional.interpolate(rgb, scale_factor=2, mode="nearest")


@pytest.mark.parametrize("black", [0, 64])
def test_develop_reads_a_png_raw_exactly_as_training_does(twin_sets, tmp_path, black) -> None:
    from hdrisp.inference import Developer

    root = twin_sets[black]
    png = root / "test" / "raw" / "2.png"
    trained_on = PairedRawDataset(root, "test", 0)
    assert file_normalization(png) == trained_on.normalization
    model = Recorder()
    # per-tile statistics: the recorder is not a network frame statistics can trace
    Developer(model, tile=64, overlap=16, stats="tile", device="cpu",
              precision="fp32").develop_file(
        png, tmp_path)
    seen = model.inputs[0][0, :, :32, :32]
    torch.testing.assert_close(seen, trained_on[2][0], rtol=0, atol=0)
    # a full frame: its PNG (the set's rule) and its DNG (its own levels) agree
    frames = [FullResolutionDataset(root, suffixes=[s])[0]["raw"] for s in (".png", ".dng")]
    if black == 0:  # legacy ÷1020 for the PNG, ÷1023 for the DNG's own levels
        torch.testing.assert_close(frames[0] * 1020 / 1023, frames[1], rtol=0, atol=1e-6)
    else:
        torch.testing.assert_close(frames[0], frames[1], rtol=0, atol=0)
    assert file_normalization(root / "test/full_resolution/0.dng") == Normalization("levels")


def test_a_png_outside_any_data_set_is_read_the_authors_way(twin_sets, tmp_path) -> None:
    alone = tmp_path / "a" / "b" / "c" / "d" / "frame.png"
    alone.parent.mkdir(parents=True)
    shutil.copy(twin_sets[64] / "test/raw/0.png", alone)
    assert file_normalization(alone) == Normalization("legacy")


@pytest.mark.slow  # ~2 min: two level-0 trainings of 30 steps, four evaluations
def test_black_0_and_black_64_sets_train_and_evaluate_alike(twin_sets, tmp_path) -> None:
    """Same seed, same steps: both runs learn and reach level-0 PSNRs within 0.3 dB; each
    model scores the same on both sets, and so do the baselines.

    The network alone could not tell a pedestal left in: its instance norms remove a
    constant offset, and a black-64 set read the old way (÷1020) trains to within 0.05 dB
    too. What the pedestal broke is caught by the inputs and the baselines (tests above and
    the baselines' scores here).
    """
    from hdrisp.config import from_dict
    from hdrisp.evaluation import evaluate
    from hdrisp.training import TrainConfig, train_level
    from hdrisp.training.logs import read_csv

    cfg = from_dict(TrainConfig, {
        "name": "black", "levels": [{"level": 0, "batch": 4, "steps": 30, "patch": 64}],
        "data": {"augment": True, "workers": 0, "cache": True},
        "loss": {"perceptual": "off"}, "optimizer": {"lr": 1e-3},
        "runtime": {"device": "cpu", "deterministic": True, "threads": 1, "seed": 3,
                    "precision": "fp32"},
        "validation": {"max_images": 4, "batch": 4, "images": 0},
        "logging": {"progress": False, "tensorboard": "off"}})
    runs = {black: train_level(cfg, 0, out=tmp_path / f"run{black}", data_root=root)
            for black, root in twin_sets.items()}
    for run in runs.values():
        logged = [float(row["loss"]) for row in read_csv(run.folder / "train_log.csv")]
        assert np.mean(logged[-8:]) < 0.9 * np.mean(logged[:8])  # it learns (-15 % measured)
    psnr = {black: run.validation["psnr"] for black, run in runs.items()}
    assert abs(psnr[0] - psnr[64]) <= 0.3, psnr
    scores: dict[tuple[int, int], dict[str, dict[str, float]]] = {}
    for model, run in runs.items():
        for data, root in twin_sets.items():
            report = evaluate(root, run.last, out_dir=tmp_path / f"eval{model}_{data}",
                              baselines=("classical", "mertens"), progress=False)
            scores[model, data] = {m.split(" L0")[0]: s for m, s in report.summary.items()}
    for model in runs:
        a, b = scores[model, 0], scores[model, 64]
        assert a.keys() == b.keys() == {"RawTonemapNet", "classical", "mertens"}
        for method in a:
            assert abs(a[method]["psnr"] - b[method]["psnr"]) <= 0.05, (model, method)
            assert abs(a[method]["delta_e2000"] - b[method]["delta_e2000"]) <= 0.1
    assert scores[0, 0]["RawTonemapNet"]["psnr"] == pytest.approx(psnr[0], abs=0.05)


# --------------------------------------------------------------------------- per-pair levels


@pytest.fixture(scope="module")
def cameras_set(tmp_path_factory) -> Path:
    """A set of several real cameras: each raw quantised to its camera's 10-14-bit levels."""
    from hdrisp.synth import generate_dataset

    return generate_dataset(tmp_path_factory.mktemp("cameras") / "set", n_train=8, n_test=2,
                            patch=64, n_full=1, full_size=(64, 96), workers=1,
                            sensor="cameras", progress=False)


def test_a_set_of_several_cameras_reads_each_raw_with_its_own_levels(cameras_set) -> None:
    info = json.loads((cameras_set / "dataset.json").read_text())
    assert info["normalization"]["mode"] == "levels" and info["normalization"]["per_pair"]
    records = json.loads((cameras_set / "manifest.json").read_text())["pairs"]
    whites = {r["sensor"]["white_level"] for r in records}
    assert len(whites) >= 3 and max(whites) > 4095 and min(whites) <= 4095  # 10/12 and 14-bit
    train = PairedRawDataset(cameras_set, "train", level=0)
    assert train.normalization.per_pair
    by_raw = {r["raw"]: r["sensor"] for r in records}
    for i, (raw_path, _) in enumerate(train.pairs):
        sensor = by_raw[raw_path.relative_to(cameras_set).as_posix()]
        dn = cv2.imread(str(raw_path), cv2.IMREAD_UNCHANGED).astype(np.float64)
        assert dn.max() <= sensor["white_level"]
        black, white = sensor["black_level"], sensor["white_level"]
        expected = np.clip((dn - black) / (white - black), 0, 1)
        mosaic, _ = train.load(i)
        np.testing.assert_allclose(mosaic, expected, atol=1e-6)
    frame = cameras_set / "test" / "full_resolution" / "0.png"
    rule = file_normalization(frame)  # develop's and evaluate's frames: the same rule
    sensor = by_raw["test/full_resolution/0.png"]
    assert (rule.black_level, rule.white_level) == (sensor["black_level"],
                                                    sensor["white_level"])
    assert not rule.per_pair


def test_a_14_bit_and_a_10_bit_raw_of_one_scene_read_alike() -> None:
    """The same signal quantised by a 14-bit camera (black 2048) and a 10-bit one (black 64)
    reads within half a step of each once normalised by its own levels."""
    from hdrisp.synth.unprocess import quantize

    signal = np.random.default_rng(4).uniform(0.0, 1.0, (32, 32)).astype(np.float32)
    rule = Normalization("levels", per_pair=True)
    read = {white: rule.with_levels(black, white).normalize(quantize(signal, black, white))
            for black, white in ((2048, 15831), (64, 1023))}
    half14, half10 = 0.5 / (15831 - 2048), 0.5 / (1023 - 64)
    assert np.abs(read[15831] - signal).max() <= half14 + 1e-6
    assert np.abs(read[1023] - signal).max() <= half10 + 1e-6
    assert np.abs(read[15831] - read[1023]).max() <= half14 + half10 + 1e-6
    # read with the 10-bit rule, the 14-bit raw would be nonsense: the rule matters
    assert np.abs(Normalization("levels", 64, 1023).normalize(
        quantize(signal, 2048, 15831)) - signal).mean() > 0.3


def test_a_per_pair_set_without_a_raws_levels_names_the_file(cameras_set, tmp_path) -> None:
    copy = shutil.copytree(cameras_set, tmp_path / "set")
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["pairs"] = [r for r in manifest["pairs"] if r["raw"] != "train/raw/0.png"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    train = PairedRawDataset(copy, "train", level=0)
    with pytest.raises(DatasetError, match="records none") as info:
        train.load(0)
    assert Path(info.value.path).name == "0.png"
    with pytest.raises(ConfigError, match="levels"):
        Normalization("legacy", per_pair=True)
    assert Normalization.from_dict(Normalization("levels", per_pair=True).to_dict()).per_pair


def test_data_check_accepts_a_set_of_several_cameras(cameras_set) -> None:
    from hdrisp.data.check import check_dataset

    report = check_dataset(cameras_set, workers=1)
    assert report.ok, report.problems[:3]
    assert report.white_level > 4095 and "manifest.json" in report.white_level_source


def test_a_per_pair_sets_frames_are_scored_with_their_own_levels(cameras_set, tmp_path) -> None:
    """The classical row of ``evaluate_frames`` reads a 10-14-bit PNG frame with its own
    levels: it scores what the frame's DNG (which carries them) scores. Read with the
    default 10-bit levels, as before, this frame scored 8.8 dB against the DNG's 11.8 (on the
    full cameras set 7.1 against 16.6)."""
    from hdrisp.evaluation.report import evaluate_frames

    frames = cameras_set / "test" / "full_resolution"
    dng_only = shutil.copytree(cameras_set, tmp_path / "dng_only")
    (dng_only / "test" / "full_resolution" / "0.png").unlink()  # the DNG is read instead
    scores = {}
    for name, root in (("png", cameras_set), ("dng", dng_only)):
        report = evaluate_frames(root, random_weights=True, out_dir=tmp_path / name,
                                 baselines=["classical"], metrics=["psnr"], progress=False)
        scores[name] = report.summary["classical"]["psnr"]
    assert (frames / "0.png").is_file() and (frames / "0.dng").is_file()
    assert scores["png"] == pytest.approx(scores["dng"], abs=0.05), scores


def test_raw_inspect_reads_a_png_raw_with_its_sets_levels(cameras_set, capsys) -> None:
    from hdrisp.cli import main

    records = json.loads((cameras_set / "manifest.json").read_text())["pairs"]
    record = next(r for r in records if r["sensor"]["white_level"] > 4095)  # a 14-bit raw
    assert main(["raw", "inspect", str(cameras_set / record["raw"]), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    shown = shown[0] if isinstance(shown, list) else shown
    assert shown["white_level"] == record["sensor"]["white_level"]
    assert set(shown["black_level"]) == {record["sensor"]["black_level"]}
