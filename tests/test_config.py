"""The generic frozen-dataclass loader of hdrisp.config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest
import yaml

from hdrisp.config import from_dict, load_yaml, save_yaml
from hdrisp.errors import ConfigError


@dataclass(frozen=True)
class Inner:
    size: int = 3
    mode: Literal["a", "b"] = "a"


@dataclass(frozen=True)
class Outer:
    lr: float = 1.0
    sizes: tuple[int, ...] = (1, 2)
    inner: Inner = field(default_factory=Inner)


def test_yaml_exponent_without_dot_is_a_float() -> None:
    assert from_dict(Outer, yaml.safe_load("lr: 5e-5")).lr == pytest.approx(5e-5)


@pytest.mark.parametrize("data, message", [
    ({"lr": "fast"}, "lr: expected float"),
    ({"inner": {"size": 2.5}}, "inner.size: expected int"),
    ({"inner": {"mode": "c"}}, "inner.mode: must be one of"),
    ({"inner": {"colour": 1}}, "unknown key inner.colour"),
    ({"sizes": 3}, "sizes: expected a list"),
    ({"lr": True}, "lr: expected float"),
])
def test_bad_values_name_the_key(data, message, tmp_path) -> None:
    with pytest.raises(ConfigError, match=message):
        from_dict(Outer, data, path=tmp_path / "c.yaml")


def test_yaml_round_trip(tmp_path) -> None:
    cfg = Outer(lr=0.5, sizes=(4, 5, 6), inner=Inner(size=7, mode="b"))
    save_yaml(cfg, tmp_path / "c.yaml")
    assert load_yaml(Outer, tmp_path / "c.yaml") == cfg


def test_missing_and_malformed_files(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_yaml(Outer, tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("lr: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid YAML") as info:
        load_yaml(Outer, bad)
    assert info.value.path == str(bad)
