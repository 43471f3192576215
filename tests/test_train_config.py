"""Training configs: the shipped schedules match TRAINING.md; bad files fail naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hdrisp.cli import main
from hdrisp.config import from_dict, to_dict
from hdrisp.errors import ConfigError
from hdrisp.training import TrainConfig, load_config, parse_levels, replace, with_steps
from hdrisp.training.components import build_loss

CONFIGS = Path(__file__).resolve().parents[1] / "hdrisp" / "configs"  # shipped in the wheel

MINIMAL = {"name": "t", "levels": [{"level": 4, "batch": 2, "steps": 3}]}


def write(tmp_path: Path, data: dict, name: str = "cfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def with_change(section: str, key: str, value: object) -> dict:
    data = {**MINIMAL, "levels": [dict(MINIMAL["levels"][0])]}
    if section == "levels":
        data["levels"][0][key] = value
    else:
        data[section] = {key: value}
    return data


@pytest.mark.parametrize("name, column", [("paper", "paper"), ("paper_code", "code")])
def test_paper_schedules_match_training_md(name: str, column: str) -> None:
    cfg = load_config(CONFIGS / f"{name}.yaml")
    rows = {r.level: (r.batch, r.epochs, r.steps) for r in cfg.levels}
    # TRAINING.md: batch 50/35/25/15/10, epochs 15/20/25/33/60 for levels 4..0, Adam 5e-5
    assert rows == {4: (50, 15, None), 3: (35, 20, None), 2: (25, 25, None),
                    1: (15, 33, None), 0: (10, 60, None)}
    assert cfg.optimizer.name == "adam"
    assert cfg.optimizer.lr == pytest.approx(5e-5)
    assert all(cfg.lr(level) == pytest.approx(5e-5) for level in rows)
    assert cfg.loss.schedule == column
    assert cfg.model.name == "rawtonemap"


def test_tiny_config_is_a_small_cpu_schedule() -> None:
    cfg = load_config(CONFIGS / "tiny.yaml")
    assert sorted(r.level for r in cfg.levels) == [0, 1, 2, 3, 4]
    for row in cfg.levels:
        assert row.steps is not None and row.steps <= 1000
        assert row.patch is not None and row.patch <= 256
    assert cfg.runtime.device in ("auto", "cpu")


def test_round_trip_through_a_plain_dict() -> None:
    cfg = load_config(CONFIGS / "paper.yaml")
    assert from_dict(TrainConfig, to_dict(cfg)) == cfg


@pytest.mark.parametrize("data, named", [
    ({**MINIMAL, "bogus": 1}, "unknown key bogus"),
    ({**MINIMAL, "runtime": {"sead": 1}}, "unknown key runtime.sead"),
    ({**MINIMAL, "levels": [{"level": 4, "batch": 2, "steps": 3, "epoch": 2}]},
     "unknown key levels[0].epoch"),
    (with_change("levels", "batch", 0), "levels[0].batch: must be >= 1"),
    (with_change("levels", "batch", "ten"), "levels[0].batch"),
    (with_change("levels", "level", 5), "levels[0].level: must be one of 0..4"),
    (with_change("levels", "epochs", 2), "levels[0]: give exactly one of epochs and steps"),
    (with_change("levels", "patch", 100), "levels[0].patch: must be a positive multiple of 16"),
    (with_change("levels", "lr", -1.0), "levels[0].lr: must be > 0"),
    (with_change("levels", "weights", {"hist": -1}), "levels[0].weights.hist: must be a number"),
    (with_change("levels", "weights", {"l2": 1}), "levels[0].weights.l2: unknown loss term"),
    (with_change("loss", "perceptual", "vgg16"), "loss.perceptual: must be one of"),
    (with_change("loss", "histogram", {"kernel": "box"}), "loss.histogram.kernel: must be one"),
    (with_change("loss", "histogram", {"sigma": 0}), "loss.histogram.sigma: must be > 0"),
    (with_change("runtime", "precision", "fp8"), "runtime.precision: must be one of"),
    (with_change("runtime", "device", "tpu"), "runtime.device"),
    (with_change("optimizer", "lr", "fast"), "optimizer.lr: expected float"),
    (with_change("optimizer", "name", "sgd"), "optimizer.name"),
    (with_change("validation", "crop", 50), "validation.crop"),
    (with_change("checkpoint", "every_steps", -1), "checkpoint.every_steps"),
    (with_change("data", "layout", "kodak"), "data.layout"),
    ({**MINIMAL, "levels": [{"level": 4, "batch": 2, "steps": 3},
                            {"level": 4, "batch": 2, "steps": 3}]},
     "levels[1].level: level 4 appears twice"),
    ({"name": "t", "levels": []}, "levels: at least one level"),
    ({"levels": MINIMAL["levels"]}, "name"),
])
def test_bad_config_raises_config_error_naming_key_and_file(tmp_path: Path, data: dict,
                                                             named: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert named in info.value.problem
    assert info.value.path == str(path)


def test_the_histogram_of_the_colour_term_is_configurable() -> None:
    cfg = load_config(CONFIGS / "paper.yaml")
    assert cfg.loss.histogram.kernel == "inverse-quadratic" and cfg.loss.histogram.sigma == 0.02
    rbf = replace(cfg, loss={"histogram": {"kernel": "rbf", "sigma": 0.05}})
    hist = build_loss(rbf, 4).hist
    assert hist.hist_kwargs["kernel"] == "rbf" and hist.hist_kwargs["sigma"] == 0.05
    assert build_loss(cfg, 4).hist.hist_kwargs["kernel"] == "inverse-quadratic"


def test_with_steps_shortens_every_level_for_a_smoke_run() -> None:
    cfg = with_steps(load_config(CONFIGS / "paper.yaml"), 2, patch=64, val_images=3)
    assert [(r.level, r.batch, r.steps, r.epochs, r.patch) for r in cfg.levels] == [
        (4, 50, 2, None, 64), (3, 35, 2, None, 64), (2, 25, 2, None, 64), (1, 15, 2, None, 64),
        (0, 10, 2, None, 64)]
    assert cfg.validation.max_images == 3 and cfg.loss == load_config(CONFIGS / "paper.yaml").loss


def test_schedule_of_a_level_the_config_lacks() -> None:
    cfg = from_dict(TrainConfig, MINIMAL)
    assert cfg.schedule(4).batch == 2
    with pytest.raises(ConfigError, match="no schedule for level 0"):
        cfg.schedule(0)


@pytest.mark.parametrize("text, levels", [("4:0", [4, 3, 2, 1, 0]), ("0:4", [4, 3, 2, 1, 0]),
                                          ("2", [2]), ("3:2", [3, 2])])
def test_parse_levels(text: str, levels: list[int]) -> None:
    assert parse_levels(text) == levels


@pytest.mark.parametrize("text", ["5:0", "a:b", "4:3:2", ""])
def test_parse_levels_rejects(text: str) -> None:
    with pytest.raises(ConfigError, match="--levels"):
        parse_levels(text)


def test_cli_reports_a_bad_config_in_one_line(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, with_change("levels", "batch", 0))
    assert main(["train", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {path}: levels[0].batch: must be >= 1, got 0"


def test_cli_reports_a_missing_config(tmp_path: Path, capsys) -> None:
    assert main(["train", "--config", str(tmp_path / "nope.yaml")]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_shipped_configs_are_found_by_name_from_any_folder(tmp_path: Path, monkeypatch) -> None:
    from hdrisp.training import config_names, config_path

    monkeypatch.chdir(tmp_path)  # no checkout around: names still resolve (package data)
    assert set(config_names()) >= {"tiny", "paper", "paper_code"}
    for name in config_names():
        assert config_path(name) == CONFIGS / f"{name}.yaml"
        assert config_path(f"{name}.yaml") == CONFIGS / f"{name}.yaml"
        assert load_config(name).name == name
    mine = write(tmp_path, MINIMAL, "tiny.yaml")  # a file of that name here wins: a path is a path
    assert config_path("tiny.yaml") == Path("tiny.yaml") and load_config("tiny.yaml").name == "t"
    assert config_path(mine) == mine
    with pytest.raises(ConfigError, match="no shipped config is called 'tiny2'"):
        config_path("tiny2")
    with pytest.raises(ConfigError, match="config file not found"):
        config_path(tmp_path / "sub" / "tiny.yaml")


def test_cli_train_takes_a_config_name(capsys) -> None:
    # an impossible level fails after the name resolved, before anything trains
    assert main(["train", "--config", "tiny", "--levels", "7"]) == 2
    assert "--levels: expected LEVEL or FROM:TO" in capsys.readouterr().err
