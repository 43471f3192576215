"""RawTonemapNet and PyNET: exact state-dict names, golden outputs, levels, weights, summary."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hdrisp.cli import main
from hdrisp.errors import CheckpointError, ConfigError, HdrispError, InputShapeError
from hdrisp.models import (
    MODELS,
    PyNET,
    RawTonemapNet,
    build,
    fill_reference_init,
    load_weights,
    model_summary,
)

CL = torch.channels_last
JSON_KEY = {"rawtonemap": "hdrisp_paper_model", "pynet": "pynet"}


@pytest.fixture(scope="module")
def filled_rawtonemap() -> RawTonemapNet:
    return fill_reference_init(RawTonemapNet()).eval()


@pytest.fixture(scope="module")
def filled_pynet() -> PyNET:
    return fill_reference_init(PyNET(level=4)).eval()


def _max_abs(a: torch.Tensor, b: np.ndarray) -> float:
    return float(np.abs(a.detach().numpy() - b).max())


# --- state dicts -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["rawtonemap", "pynet"])
def test_state_dict_names_shapes_and_order_equal_the_reference(name, reference_shapes):
    expected = reference_shapes[JSON_KEY[name]]
    with torch.device("meta"):
        state = build(name).state_dict()
    got = {k: list(v.shape) for k, v in state.items()}
    assert list(got.items()) == list(expected.items())
    assert sum(math.prod(s) for s in got.values()) == reference_shapes[JSON_KEY[name] + "_params"]


def test_parameter_and_key_counts_of_the_issue():
    with torch.device("meta"):
        for cls, keys, params in [(RawTonemapNet, 197, 6_473_474), (PyNET, 542, 47_554_738)]:
            state = cls().state_dict()
            assert len(state) == keys
            assert sum(t.numel() for t in state.values()) == params


def test_instance_norm_switches_remove_exactly_the_norm_keys():
    with torch.device("meta"):
        plain = RawTonemapNet(instance_norm=False).state_dict()
        full = RawTonemapNet().state_dict()
        pynet_l1 = PyNET(instance_norm_level_1=False).state_dict()
    assert set(plain) == {k for k in full if ".instance." not in k}
    dropped = {k.split(".")[0] for k in PyNET().state_dict() if k not in pynet_l1}
    assert dropped == {f"conv_l1_d{i}" for i in (5, 6, 7, 8, 9, 10, 12)}
    assert any(".instance." in k for k in pynet_l1)  # the other levels keep their norms


# --- exactness against the authors' outputs ----------------------------------------------

@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("level", [4, 2])
@pytest.mark.parametrize("suffix, input_key", [("", "model_input"), ("_b1", "model_input_b1")])
def test_rawtonemap_matches_golden(filled_rawtonemap, golden, level, suffix, input_key,
                                   channels_last):
    model = filled_rawtonemap
    model.level = level
    x = torch.from_numpy(golden[input_key])
    if channels_last:
        model = model.to(memory_format=CL)
        x = x.contiguous(memory_format=CL)
    try:
        with torch.no_grad():
            y = model(x)
    finally:
        model.to(memory_format=torch.contiguous_format)
    expected = golden[f"hdr_level{level}{suffix}"]
    assert y.shape == expected.shape
    assert _max_abs(y, expected) <= 1e-5


def test_pynet_level4_matches_golden(filled_pynet, golden):
    with torch.no_grad():
        y = filled_pynet(torch.from_numpy(golden["pynet_input"]))
    assert y.shape == golden["pynet_level4"].shape == (1, 3, 8, 8)
    # PyNET's five 512-channel levels amplify float32 rounding: a float64 run of this
    # build differs from the (float32) golden vector by 1.9e-5, our float32 run by 1.6e-5.
    # A real mistake (an eps, a concat order, align_corners) moves it by > 1e-3.
    assert _max_abs(y, golden["pynet_level4"]) <= 5e-5


def test_pynet_all_levels_from_one_pass(filled_pynet, golden):
    x = torch.from_numpy(golden["pynet_input"])
    filled_pynet.level = 0
    try:
        with torch.no_grad():
            outs = filled_pynet(x, return_all=True)
    finally:
        filled_pynet.level = 4
    assert {k: tuple(v.shape[2:]) for k, v in outs.items()} == {
        5: (4, 4), 4: (8, 8), 3: (16, 16), 2: (32, 32), 1: (64, 64), 0: (128, 128)}
    assert _max_abs(outs[4], golden["pynet_level4"]) <= 5e-5
    for out in outs.values():
        assert out.min() > 0 and out.max() < 1  # sigmoid images


# --- levels ------------------------------------------------------------------------------

def test_output_sizes_of_every_level_and_return_all():
    model = RawTonemapNet(level=0).eval()
    x = torch.rand(2, 4, 32, 48)
    with torch.no_grad():
        outs = model(x, return_all=True)
    assert {k: tuple(v.shape) for k, v in outs.items()} == {
        4: (2, 3, 4, 6), 3: (2, 3, 8, 12), 2: (2, 3, 16, 24), 1: (2, 3, 32, 48),
        0: (2, 3, 64, 96)}
    for level, out in outs.items():
        assert RawTonemapNet.output_size(32, 48, level) == tuple(out.shape[2:])


def test_setting_the_level_skips_the_levels_below(filled_rawtonemap, golden):
    model = filled_rawtonemap
    called: set[str] = set()
    hooks = [m.register_forward_hook(lambda mod, i, o, n=n: called.add(n))
             for n, m in model.named_children()]
    x = torch.from_numpy(golden["model_input"])
    try:
        model.level = 2
        with torch.no_grad():
            y2 = model(x)
            called.clear()
            model.level = 4
            y4 = model(x)
            outs = model(x, return_all=True)
    finally:
        for h in hooks:
            h.remove()
    assert "conv_l4_out" in called and "out_cbam_l4" in called
    assert not called & {"conv_t3b", "conv_l3_d3", "conv_l2_d2", "conv_l1_d2", "conv_l0_d1"}
    assert list(outs) == [4] and torch.equal(outs[4], y4)
    assert y2.shape == (2, 3, 32, 32) and y4.shape == (2, 3, 8, 8)
    assert _max_abs(y4, golden["hdr_level4"]) <= 1e-5


def test_return_all_matches_single_level_outputs(filled_rawtonemap, golden):
    model = filled_rawtonemap
    model.level = 2
    with torch.no_grad():
        outs = model(torch.from_numpy(golden["model_input"]), return_all=True)
    assert sorted(outs) == [2, 3, 4]
    assert _max_abs(outs[2], golden["hdr_level2"]) <= 1e-5
    assert _max_abs(outs[4], golden["hdr_level4"]) <= 1e-5


def test_bad_levels_are_config_errors():
    with pytest.raises(ConfigError, match="level must be one of"):
        RawTonemapNet(level=5)
    model = PyNET(level=5)  # PyNET has a fifth level
    with pytest.raises(ConfigError):
        model.level = -1
    assert model.level == 5


@pytest.mark.parametrize("cls, shape, needle", [
    (RawTonemapNet, (1, 4, 60, 64), "divisible by 8"),
    (RawTonemapNet, (1, 4, 8, 8), "at least 16"),
    (RawTonemapNet, (1, 3, 64, 64), "B×4×H×W"),
    (RawTonemapNet, (4, 64, 64), "B×4×H×W"),
    (PyNET, (1, 4, 40, 48), "divisible by 16"),
])
def test_bad_input_shapes_raise_a_clear_error(cls, shape, needle):
    with torch.device("meta"):
        model = cls()
        x = torch.empty(shape)
    with pytest.raises(InputShapeError, match=needle) as info:
        model(x)
    assert isinstance(info.value, ValueError) and isinstance(info.value, HdrispError)


def test_channels_last_model_keeps_channels_last_and_trains():
    model = RawTonemapNet(level=0).to(memory_format=CL)
    x = torch.rand(2, 4, 32, 32).contiguous(memory_format=CL)
    outs = model(x, return_all=True)
    assert all(o.is_contiguous(memory_format=CL) for o in outs.values())
    sum(o.mean() for o in outs.values()).backward()  # in-place activations are autograd-safe
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


# --- registry ----------------------------------------------------------------------------

def test_registry_builds_and_rejects_unknown_names():
    assert MODELS == {"rawtonemap": RawTonemapNet, "pynet": PyNET}
    model = build("rawtonemap", level=3, instance_norm=False)
    assert isinstance(model, RawTonemapNet) and model.level == 3
    with pytest.raises(ConfigError, match="known models: pynet, rawtonemap"):
        build("unet")
    with pytest.raises(ConfigError, match="rawtonemap"):
        build("rawtonemap", instance_norm_level_1=True)


# --- weights -----------------------------------------------------------------------------

@pytest.mark.parametrize("wrap", ["plain", "module", "compiled", "checkpoint"])
def test_load_weights_round_trip(tmp_path, filled_rawtonemap, wrap):
    state = filled_rawtonemap.state_dict()
    if wrap == "module":  # nn.DataParallel / DistributedDataParallel
        obj = {f"module.{k}": v for k, v in state.items()}
    elif wrap == "compiled":  # torch.compile inside DataParallel
        obj = {f"module._orig_mod.{k}": v for k, v in state.items()}
    elif wrap == "checkpoint":
        obj = {"model": state, "optimizer": {"state": {}, "param_groups": []}, "step": 7,
               "epoch": 1, "level": 2, "config": {"lr": 5e-5}, "rng": torch.get_rng_state()}
    else:
        obj = state
    path = tmp_path / "weights.pth"
    torch.save(obj, path)
    model = load_weights(RawTonemapNet(level=2), path)
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_wrong_shape_is_listed(tmp_path, filled_rawtonemap):
    state = dict(filled_rawtonemap.state_dict())
    state["conv_l4_out.conv2d.weight"] = torch.zeros(3, 128, 3, 3)
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError) as info:
        load_weights(RawTonemapNet(), path)
    message = str(info.value)
    assert str(path) in message
    assert "conv_l4_out.conv2d.weight (3, 128, 3, 3) (model (3, 256, 3, 3))" in message
    with pytest.raises(CheckpointError):  # shapes must fit even when not strict
        load_weights(RawTonemapNet(), path, strict=False)


def test_missing_and_unexpected_keys_are_listed(tmp_path, filled_rawtonemap):
    state = dict(filled_rawtonemap.state_dict())
    del state["conv_l0_d1.conv2d.bias"]
    state["extra.weight"] = torch.zeros(1)
    path = tmp_path / "partial.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=r"missing keys: conv_l0_d1\.conv2d\.bias.*"
                                              r"unexpected keys: extra\.weight"):
        load_weights(RawTonemapNet(), path)
    model = load_weights(RawTonemapNet(), path, strict=False)
    assert torch.equal(model.conv_l4_out.conv2d.weight, state["conv_l4_out.conv2d.weight"])


def test_other_models_checkpoint_is_recognised(tmp_path):
    path = tmp_path / "rawtonemap.pth"
    torch.save(RawTonemapNet().state_dict(), path)
    with torch.device("meta"):
        pynet = PyNET()
    with pytest.raises(CheckpointError, match="looks like a 'rawtonemap' checkpoint"):
        load_weights(pynet, path)


class _NotAllowed:  # a pickled class: weights_only loading must refuse it
    pass


def test_unreadable_files_are_checkpoint_errors(tmp_path):
    with pytest.raises(CheckpointError, match="no such weights file"):
        load_weights(RawTonemapNet(), tmp_path / "absent.pth")
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_weights(RawTonemapNet(), corrupt)
    code = tmp_path / "code.pth"
    torch.save({"model": RawTonemapNet().state_dict(), "extra": _NotAllowed()}, code)
    with pytest.raises(CheckpointError, match="cannot read"):
        load_weights(RawTonemapNet(), code)
    listing = tmp_path / "list.pth"
    torch.save([torch.zeros(1)], listing)
    with pytest.raises(CheckpointError, match="not a checkpoint dict"):
        load_weights(RawTonemapNet(), listing)


# --- summary -----------------------------------------------------------------------------

def _params_of(shapes: dict, modules: set[str]) -> int:
    return sum(math.prod(s) for k, s in shapes.items() if k.split(".")[0] in modules)


def test_summary_parameters_and_sizes(reference_shapes):
    shapes = reference_shapes["hdrisp_paper_model"]
    rows = {r.level: r for r in model_summary("rawtonemap")}
    level4 = {"conv_l1_d1", "conv_l2_d1", "conv_l3_d1", "conv_l4_d1", "conv_l4_d2", "conv_l4_d3",
              "conv_l4_d4", "out_eca1_l4", "out_eca2_l4", "out_cbam_l4", "conv_l4_out"}
    assert rows[4].parameters == _params_of(shapes, level4)
    heads = {f"conv_l{i}_out" for i in (1, 2, 3, 4)}
    assert rows[0].parameters == 6_473_474 - _params_of(shapes, heads)
    assert {lv: r.output_shape for lv, r in rows.items()} == {
        4: (3, 28, 28), 3: (3, 56, 56), 2: (3, 112, 112), 1: (3, 224, 224), 0: (3, 448, 448)}
    pynet = {r.level: r for r in model_summary("pynet")}
    pynet_heads = {f"conv_l{i}_out" for i in (1, 2, 3, 4, 5)}
    assert pynet[0].parameters == 47_554_738 - _params_of(reference_shapes["pynet"], pynet_heads)
    assert pynet[5].output_shape == (3, 14, 14)


@pytest.mark.parametrize("name, level", [("rawtonemap", 4), ("rawtonemap", 0), ("pynet", 3)])
def test_summary_macs_agree_with_torch_flop_counter(name, level):
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        model = build(name, level=level)
        x = torch.empty(1, 4, 224, 224)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    row = next(r for r in model_summary(name) if r.level == level)
    assert row.macs == counter.get_total_flops() // 2


def test_summary_cli_prints_the_table(capsys, reference_shapes):
    assert main(["model", "summary"]) == 0
    out = capsys.readouterr().out
    assert "6,473,474 parameters in 197" in out
    heads = {f"conv_l{i}_out" for i in (1, 2, 3, 4)}
    level0_params = 6_473_474 - _params_of(reference_shapes["hdrisp_paper_model"], heads)
    level0_line = next(line for line in out.splitlines() if line.strip().startswith("0 "))
    assert f"{level0_params:,}" in level0_line and "3×448×448" in level0_line
    assert main(["model", "summary", "--model", "pynet", "--size", "64"]) == 0
    assert "47,554,738" in capsys.readouterr().out


def test_summary_cli_errors(capsys):
    assert main(["model", "summary", "--model", "unet"]) == 2
    assert "unknown model 'unet'" in capsys.readouterr().err
    assert main(["model", "summary", "--size", "100"]) == 2
    assert "divisible by 8" in capsys.readouterr().err
    assert main(["model"]) == 2
    assert "summary" in capsys.readouterr().out
