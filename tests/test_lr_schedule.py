"""The learning-rate schedule within a level: constant, or linear warm-up then half cosine."""

from __future__ import annotations

import math

import pytest

from hdrisp.config import from_dict
from hdrisp.errors import ConfigError
from hdrisp.training.config import OptimizerConfig, TrainConfig, load_config, lr_factor


def test_constant_is_one_everywhere() -> None:
    constant = OptimizerConfig()
    assert {lr_factor(constant, s, 50) for s in range(50)} == {1.0}


def test_cosine_warms_up_linearly_peaks_and_decays_to_final_lr() -> None:
    cosine = OptimizerConfig(lr_schedule="cosine", warmup=0.1, final_lr=0.05)
    factors = [lr_factor(cosine, s, 200) for s in range(200)]
    warm = factors[:20]
    assert warm == pytest.approx([(s + 1) / 20 for s in range(20)])  # linear, ends at 1
    decay = factors[20:]
    assert decay[0] == 1.0 and decay[-1] == pytest.approx(0.05)
    assert all(a >= b for a, b in zip(decay, decay[1:], strict=False))  # never rises again
    middle = 20 + (199 - 20) // 2
    assert factors[middle] == pytest.approx(0.05 + 0.95 * 0.5 * (1 + math.cos(
        math.pi * (middle - 20) / 179)))
    assert min(factors) > 0


def test_cosine_without_warmup_starts_at_the_full_rate() -> None:
    cosine = OptimizerConfig(lr_schedule="cosine")
    assert lr_factor(cosine, 0, 10) == 1.0 and lr_factor(cosine, 9, 10) == 0.0
    assert lr_factor(cosine, 0, 1) == 1.0  # a one-step level takes the full rate


def test_the_factor_depends_only_on_the_step() -> None:
    """What makes a resumed level continue on the same curve."""
    cosine = OptimizerConfig(lr_schedule="cosine", warmup=0.2, final_lr=0.1)
    first = [lr_factor(cosine, s, 37) for s in range(37)]
    again = [lr_factor(cosine, s, 37) for s in reversed(range(37))][::-1]
    assert first == again


@pytest.mark.parametrize(("key", "value"), [("warmup", 1.0), ("warmup", -0.1),
                                            ("final_lr", 1.5), ("lr_schedule", "step")])
def test_bad_schedule_values_are_config_errors(key: str, value: object) -> None:
    data = {"name": "x", "levels": [{"level": 4, "batch": 2, "steps": 2}],
            "optimizer": {key: value}}
    with pytest.raises(ConfigError):
        from_dict(TrainConfig, data)


def test_shipped_configs_load_with_the_schedule_fields() -> None:
    for name in ("tiny", "paper", "paper_code"):
        cfg = load_config(name)
        assert cfg.optimizer.lr_schedule in ("constant", "cosine")
