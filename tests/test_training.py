"""Staged training: determinism, exact resume after SIGKILL, DDP on gloo, safety nets.

Runs use the real network at levels 4 and 3 (their outputs are 1/8 and 1/4 of the packed
input), the real per-level loss with the perceptual term off, and the tiny synthetic set
(64×64 raw patches), on the CPU with one thread, in deterministic mode.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from hdrisp.cli import main
from hdrisp.config import from_dict, to_dict
from hdrisp.data.samplers import EpochSampler, PatchPairs
from hdrisp.errors import CheckpointError, ConfigError
from hdrisp.training import (
    TrainConfig,
    TrainingError,
    components,
    load_checkpoint,
    load_config,
    replace,
    train_level,
    train_schedule,
)
from hdrisp.training.checkpoint import capture_rng_state, restore_rng_state, save_checkpoint
from hdrisp.training.logs import read_csv

ROOT = Path(__file__).resolve().parents[1]
LOSS_COLUMNS = ("loss", "mse", "hist")


def mini(**sections) -> TrainConfig:
    """A two-level schedule small enough for a unit test (8 training pairs, batch 2)."""
    data = {
        "name": "mini",
        "levels": [{"level": 4, "batch": 2, "steps": 6, "patch": 64},
                   {"level": 3, "batch": 2, "steps": 3, "patch": 64}],
        "data": {"augment": True, "workers": 0},
        "loss": {"perceptual": "off"},
        "optimizer": {"lr": 1e-3},
        "runtime": {"device": "cpu", "deterministic": True, "threads": 1, "seed": 3,
                    "precision": "fp32"},
        "validation": {"max_images": 2, "batch": 2, "images": 1},
        "checkpoint": {"every_steps": 0},
        "logging": {"progress": False, "tensorboard": "off"},
    }
    for name, value in sections.items():
        data[name] = {**data[name], **value} if isinstance(value, dict) else value
    return from_dict(TrainConfig, data)


def losses(csv_path: Path, columns=LOSS_COLUMNS) -> list[tuple[float, ...]]:
    return [tuple(float(r[c]) for c in columns) for r in read_csv(csv_path)]


def weights(path: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(path)["model"]


def assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f"{len(different)} tensors differ, e.g. {different[:3]}"


# ----------------------------------------------------------------------------- the loop


def test_seeded_two_level_run_logs_the_same_losses_twice(tiny_synthetic, tmp_path):
    cfg = mini()
    first = train_schedule(cfg, out=tmp_path / "a", data_root=tiny_synthetic)
    second = train_schedule(cfg, out=tmp_path / "b", data_root=tiny_synthetic)
    for level, steps in ((4, 6), (3, 3)):
        logged = losses(first[level].folder / "train_log.csv")
        assert len(logged) == steps
        assert all(math.isfinite(v) for row in logged for v in row)
        assert logged == losses(second[level].folder / "train_log.csv")
        assert_same_weights(weights(first[level].last), weights(second[level].last))
    # the losses move: the run is really training, not replaying a constant
    assert len({row[0] for row in losses(first[4].folder / "train_log.csv")}) == 6
    # level 3 started from level 4's final checkpoint
    info = yaml.safe_load((first[3].folder / "run_info.yaml").read_text())
    assert info["init"] == str(first[4].last)
    # another seed gives other batches and other losses
    other = train_level(mini(runtime={"seed": 4}), 4, out=tmp_path / "c",
                        data_root=tiny_synthetic)
    assert losses(other.folder / "train_log.csv") != losses(first[4].folder / "train_log.csv")


def test_loader_workers_do_not_change_the_batches(tiny_synthetic, tmp_path):
    """Every item draws its crop and flips from (seed, epoch, index) alone, so two loader
    worker processes feed exactly what the main process would."""
    cfg = mini(levels=[{"level": 4, "batch": 2, "steps": 3, "patch": 48}])
    main_process = train_level(cfg, 4, out=tmp_path / "w0", data_root=tiny_synthetic)
    workers = train_level(replace(cfg, data={"workers": 2}), 4, out=tmp_path / "w2",
                          data_root=tiny_synthetic)
    assert losses(main_process.folder / "train_log.csv") == \
        losses(workers.folder / "train_log.csv")


CHILD = """
import os, signal, sys, time
import torch
torch.set_num_threads(1)
from hdrisp.config import from_dict
from hdrisp.training import TrainConfig, train_level
cfg = from_dict(TrainConfig, {cfg!r})
kill_at, delay = {kill_at!r}, {delay!r}

def callback(event, info):
    if event == "step":
        time.sleep(delay)
        if info["step"] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

train_level(cfg, 4, out={out!r}, data_root={data!r}, resume=True, callbacks=[callback])
"""


def run_child(cfg: TrainConfig, out: Path, data: Path, kill_at: int | None = None,
              delay: float = 0.0) -> subprocess.Popen:
    code = CHILD.format(cfg=to_dict(cfg), kill_at=kill_at, delay=delay, out=str(out),
                        data=str(data))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize("kill_at", [3, 4], ids=["mid-epoch", "after-epoch-checkpoint"])
def test_sigkill_then_resume_ends_with_the_weights_of_an_uninterrupted_run(
        tiny_synthetic, tmp_path, kill_at):
    # 8 steps = 2 epochs of 4; a checkpoint every 2 steps: killed at step 3, the run
    # repeats step 3 from the step-2 checkpoint; killed at 4, it goes on from step 4
    cfg = mini(levels=[{"level": 4, "batch": 2, "steps": 8, "patch": 64}],
               checkpoint={"every_steps": 2})
    reference = train_level(cfg, 4, out=tmp_path / "whole", data_root=tiny_synthetic)
    child = run_child(cfg, tmp_path / "killed", tiny_synthetic, kill_at=kill_at)
    output, _ = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, output
    stopped = load_checkpoint(tmp_path / "killed" / "level4" / "last.pt")
    assert stopped["step"] == 2 * (kill_at // 2) and not stopped["finished"]
    assert len(read_csv(tmp_path / "killed" / "level4" / "train_log.csv")) == kill_at
    resumed = train_level(cfg, 4, out=tmp_path / "killed", data_root=tiny_synthetic,
                          resume=True)
    assert resumed.steps == 8
    assert_same_weights(weights(reference.last), weights(resumed.last))
    whole, again = load_checkpoint(reference.last), load_checkpoint(resumed.last)
    for key, state in whole["optimizer"]["state"].items():
        assert torch.equal(state["exp_avg_sq"], again["optimizer"]["state"][key]["exp_avg_sq"])
    assert losses(reference.folder / "train_log.csv") == losses(resumed.folder / "train_log.csv")


def test_sigkill_at_a_random_moment_then_resume(tiny_synthetic, tmp_path):
    """Killed from outside at an arbitrary time (maybe while writing a checkpoint), and
    provably before the run ended: 0.25 s per step leaves at least 1.5 s of the 8 steps
    after the second logged row, against a random wait of at most 0.5 s."""
    cfg = mini(levels=[{"level": 4, "batch": 2, "steps": 8, "patch": 64}],
               checkpoint={"every_steps": 1})
    reference = train_level(cfg, 4, out=tmp_path / "whole", data_root=tiny_synthetic)
    child = run_child(cfg, tmp_path / "killed", tiny_synthetic, delay=0.25)
    log = tmp_path / "killed" / "level4" / "train_log.csv"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (log.is_file() and len(read_csv(log)) >= 2):
        time.sleep(0.02)
    time.sleep(random.uniform(0.0, 0.5))
    child.send_signal(signal.SIGKILL)
    output, _ = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, output  # killed, not finished on its own
    last = tmp_path / "killed" / "level4" / "last.pt"
    assert len(read_csv(log)) < 8
    assert not last.is_file() or not load_checkpoint(last)["finished"]
    resumed = train_level(cfg, 4, out=tmp_path / "killed", data_root=tiny_synthetic,
                          resume=True)
    assert resumed.steps == 8
    assert_same_weights(weights(reference.last), weights(resumed.last))
    assert not list((tmp_path / "killed" / "level4").glob(".*.tmp"))


PAPER_ROWS = {4: ({"mse": 1.0, "hist": 0.25}, "off"),
              0: ({"mse": 10.0, "hist": 0.25, "vgg": 1.0, "ssim": 0.4}, "efficientnet-lite0")}


@pytest.fixture(scope="module")
def narrow_synthetic(tmp_path_factory) -> Path:
    """tiny_synthetic's pairs from the narrow sensor (generator versions 1-2), on which the
    DDP comparison's tolerances were measured. On the default one-camera set the same test
    matches every logged term to 1e-5 but Adam's level-0 first moment only to 2e-3 relative:
    the amplification of summation-order rounding its docstring describes is larger there
    (measured 2026-11-29); the gradients of a wrong data split or reduction differ by far more."""
    from hdrisp.synth import generate_dataset

    out = tmp_path_factory.mktemp("narrow")
    generate_dataset(out, n_train=8, n_test=4, patch=64, seed=7, workers=1, n_full=1,
                     full_size=(128, 192), sensor="narrow")
    return out


@pytest.mark.slow  # ~25 s at level 4, ~60 s at level 0: torchrun starts two interpreters
@pytest.mark.parametrize("level", [4, 0])
def test_two_gloo_processes_match_one_process_with_the_same_global_batch(narrow_synthetic,
                                                                         tmp_path, level):
    """torchrun, 2 processes × batch 2, against 1 process × batch 4: one epoch (2 steps),
    with every term of the paper's row of the level on: MSE + 0.25·Hist at level 4, and
    10·MSE + 0.25·Hist + perceptual + 0.4·(1 − SSIM) at level 0, the perceptual term by the
    offline EfficientNet-Lite0 substitute (VGG-19's ImageNet weights are not installable).

    What DDP must get right is the gradient of every step: the global batch split over the
    ranks and the averaging, and the histogram term composed over the whole global batch
    (the authors' reduction is a square root of a sum over the batch, not a mean). Adam's
    first steps are close to lr·sign(gradient), so weights whose true gradient is ~0 (conv
    biases feeding an instance norm) take full-size steps of random sign from rounding noise
    that depends on the summation order, and the next gradient is sensitive to them: the 4×4
    instance norms of level 4 on these tiny patches, and at level 0 the SSIM term, whose
    gradient moves by 4e-4 (relative) after a step of 1e-9. A learning rate of 1e-12, below
    float32's resolution for almost every weight, keeps that amplification out, so the second
    step's gradient is taken at the same weights and the comparison measures the gradients
    of both batches themselves. Tolerances:
    every logged term 1e-5 relative; Adam's moments after two steps (0.09·g1 + 0.1·g2 and the
    squares) 1e-4 relative L2 (seen ≤ 3e-6; a wrong data split gives ~1, the per-process
    histogram term 0.15 at level 4 and 6e-4 at level 0, where the perceptual and SSIM
    gradients dominate, besides logging a histogram value √2 too large); weights 1e-7.
    """
    weights, perceptual = PAPER_ROWS[level]
    levels = [{"level": level, "batch": 4, "steps": 2, "patch": 64}]
    cfg = mini(levels=levels, data={"augment": False}, optimizer={"lr": 1e-12},
               loss={"perceptual": perceptual})
    path = tmp_path / "ddp.yaml"
    path.write_text(yaml.safe_dump(to_dict(cfg)))
    from hdrisp.models import build

    torch.manual_seed(0)  # both runs start from the same weights (a level 0 needs --init)
    init = tmp_path / "init.pt"
    torch.save(build("rawtonemap", level=level).state_dict(), init)
    single = train_level(cfg, level, out=tmp_path / "one", data_root=narrow_synthetic, init=init)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "hdrisp", "train", "--config", str(path), "--data", str(narrow_synthetic),
         "--out", str(tmp_path / "two"), "--levels", str(level), "--init", str(init)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    two = tmp_path / "two" / f"level{level}"
    info = yaml.safe_load((two / "run_info.yaml").read_text())
    assert info["processes"] == 2 and info["batch_per_process"] == 2
    assert info["loss"]["weights"] == weights  # every term of the row is on
    columns = ("loss", *weights)
    one_losses = losses(single.folder / "train_log.csv", columns)
    two_losses = losses(two / "train_log.csv", columns)
    assert len(two_losses) == 2 and two_losses[0] != two_losses[1]
    np.testing.assert_allclose(two_losses, one_losses, rtol=1e-5)
    a, b = load_checkpoint(single.last), load_checkpoint(two / "last.pt")
    for moment in ("exp_avg", "exp_avg_sq"):
        pairs = [(s[moment], b["optimizer"]["state"][k][moment])
                 for k, s in a["optimizer"]["state"].items()]
        difference = math.sqrt(sum(float(((x - y) ** 2).sum()) for x, y in pairs))
        size = math.sqrt(sum(float((x ** 2).sum()) for x, _ in pairs))
        assert difference <= 1e-4 * size, (moment, difference / size)
    assert max(float((a["model"][k] - b["model"][k]).abs().max()) for k in a["model"]) <= 1e-7


# ----------------------------------------------------------------------------- safety


def test_nonfinite_loss_stops_and_keeps_the_last_good_checkpoint(tiny_synthetic, tmp_path,
                                                                 monkeypatch):
    real = components.build_loss

    def poisoned(config, level):
        loss = real(config, level)
        calls = {"n": 0}

        def forward(pred, target):
            calls["n"] += 1
            terms = type(loss).forward(loss, pred, target)
            if calls["n"] == 3:
                terms = {**terms, "hist": terms["hist"] * math.nan}
                terms["loss"] = terms["loss"] + terms["hist"]
            return terms

        loss.forward = forward
        return loss

    monkeypatch.setattr(components, "build_loss", poisoned)
    cfg = mini(checkpoint={"every_steps": 1})
    with pytest.raises(TrainingError) as info:
        train_level(cfg, 4, out=tmp_path, data_root=tiny_synthetic)
    message = info.value.problem
    assert "level 4, step 3: the loss is not finite (loss=nan, hist=nan)" in message
    assert str(tmp_path / "level4" / "last.pt") in message and "(step 2)" in message
    kept = load_checkpoint(tmp_path / "level4" / "last.pt")
    assert kept["step"] == 2
    assert all(torch.isfinite(t).all() for t in kept["model"].values())


def test_out_of_memory_suggests_a_smaller_batch(tiny_synthetic, tmp_path, monkeypatch):
    real = components.build_model

    def hungry(config, level):
        model = real(config, level)

        def forward(x, return_all=False):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

        model.forward = forward
        return model

    monkeypatch.setattr(components, "build_model", hungry)
    cfg = mini(levels=[{"level": 4, "batch": 4, "steps": 2, "patch": 64}])
    with pytest.raises(TrainingError, match=r"ran out of memory with batch 4 .* try "
                                            r"levels\[0\]\.batch: 2"):
        train_level(cfg, 4, out=tmp_path, data_root=tiny_synthetic)


def test_ctrl_c_saves_a_checkpoint_then_stops(tiny_synthetic, tmp_path):
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN in a shell's background job

    def press_ctrl_c(event, info):
        if event == "step" and info["step"] == 2:
            os.kill(os.getpid(), signal.SIGINT)

    cfg = mini()
    with pytest.raises(KeyboardInterrupt):
        train_level(cfg, 4, out=tmp_path, data_root=tiny_synthetic, callbacks=[press_ctrl_c])
    saved = load_checkpoint(tmp_path / "level4" / "last.pt")
    assert saved["step"] == 3 and not saved["finished"]  # the step in flight completes
    assert signal.getsignal(signal.SIGINT) is before  # the caller's handler is back
    done = train_level(cfg, 4, out=tmp_path, data_root=tiny_synthetic, resume=True)
    assert done.steps == 6 and load_checkpoint(done.last)["finished"]


def test_an_existing_run_needs_resume_and_a_finished_level_is_skipped(tiny_synthetic,
                                                                     tmp_path):
    cfg = mini(levels=[{"level": 4, "batch": 2, "steps": 1, "patch": 64}])
    first = train_level(cfg, 4, out=tmp_path, data_root=tiny_synthetic)
    with pytest.raises(TrainingError, match="already has a checkpoint; pass --resume"):
        train_level(cfg, 4, out=tmp_path, data_root=tiny_synthetic)
    stamp = first.last.stat().st_mtime_ns
    again = train_level(cfg, 4, out=tmp_path, data_root=tiny_synthetic, resume=True)
    assert again.steps == 1 and first.last.stat().st_mtime_ns == stamp
    changed = mini(levels=[{"level": 4, "batch": 4, "steps": 2, "patch": 64}])
    (tmp_path / "level4" / "last.pt").rename(tmp_path / "level4" / "keep.pt")
    save_checkpoint(tmp_path / "level4" / "last.pt", model=torch.nn.Linear(1, 1), level=4,
                    epoch=0, step=1, config=to_dict(cfg))
    with pytest.raises(TrainingError, match=r"levels\[0\]\.batch was 2 and is now 4"):
        train_level(changed, 4, out=tmp_path, data_root=tiny_synthetic, resume=True)


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder``: its bytes and modification time."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_refusing_an_existing_run_changes_nothing_in_it(tiny_synthetic, tmp_path, capsys):
    cfg = mini(levels=[{"level": 4, "batch": 2, "steps": 2, "patch": 64}])
    out = tmp_path / "run"
    train_schedule(cfg, out=out, data_root=tiny_synthetic)
    (out / "level4" / ".last.pt.stale.tmp").write_bytes(b"left by a kill")
    before = _snapshot(out)
    changed = mini(levels=[{"level": 4, "batch": 2, "steps": 3, "patch": 64}],
                   optimizer={"lr": 2e-3})
    with pytest.raises(TrainingError, match="already has a checkpoint; pass --resume"):
        train_schedule(changed, out=out, data_root=tiny_synthetic)
    assert _snapshot(out) == before
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(to_dict(changed)))
    for extra in ([], ["--resume"]):  # refused as new, and refused as a resume that differs
        status = main(["train", "--config", str(path), "--data", str(tiny_synthetic),
                       "--out", str(out), *extra])
        assert status == 2
        assert _snapshot(out) == before, extra
    err = capsys.readouterr().err
    assert "levels[0].steps was 2 and is now 3; optimizer.lr was 0.001 and is now 0.002" in err


def test_resume_names_every_setting_that_changes_the_result(tiny_synthetic, tmp_path):
    cfg = mini(levels=[{"level": 4, "batch": 2, "steps": 2, "patch": 64}])
    train_level(cfg, 4, out=tmp_path, data_root=tiny_synthetic)
    changed = mini(levels=[{"level": 4, "batch": 4, "epochs": 1, "patch": 48, "lr": 5e-4,
                            "weights": {"hist": 0.5}}],
                   loss={"schedule": "code"}, runtime={"seed": 9},
                   data={"transpose": False, "normalization": "levels"},
                   optimizer={"betas": [0.5, 0.9]})
    with pytest.raises(TrainingError) as info:
        train_level(changed, 4, out=tmp_path, data_root=tiny_synthetic, resume=True)
    named = [part.split(" was ")[0] for part in
             info.value.problem.removeprefix("cannot resume: ").split(" (")[0].split("; ")]
    assert named == ["levels[0].batch", "levels[0].epochs", "levels[0].steps",
                     "levels[0].patch", "levels[0].weights", "levels[0].lr",
                     "data.transpose", "data.normalization", "loss.schedule",
                     "optimizer.betas", "runtime.seed"]
    assert "levels[0].lr was 0.001 and is now 0.0005" in info.value.problem
    assert "levels[0].weights was null and is now {'hist': 0.5}" in info.value.problem
    # what does not change the result may change: workers, logging, validation
    same = replace(cfg, data={"workers": 1}, logging={"every_steps": 2},
                   validation={"images": 0})
    assert train_level(same, 4, out=tmp_path, data_root=tiny_synthetic, resume=True).steps == 2


def test_tensorboard_on_without_the_package_is_a_config_error(tiny_synthetic, tmp_path,
                                                                monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import fails
    cfg = mini(logging={"tensorboard": "on"})
    with pytest.raises(ConfigError, match="logging.tensorboard: on, but tensorboard is not "
                                          "installed"):
        train_level(cfg, 4, out=tmp_path, data_root=tiny_synthetic)


def test_a_level_below_4_needs_the_previous_levels_checkpoint(tiny_synthetic, tmp_path):
    with pytest.raises(TrainingError, match="starts from level 4's final checkpoint"):
        train_schedule(mini(), out=tmp_path, levels="3", data_root=tiny_synthetic)


# ----------------------------------------------------------------------------- the command


def test_train_command_writes_the_run_folder(tiny_synthetic, tmp_path, capsys):
    cfg = mini(levels=[{"level": 4, "batch": 2, "steps": 5, "patch": 64}],
               validation={"images": 2})
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(to_dict(cfg)))
    out = tmp_path / "run"
    status = main(["train", "--config", str(path), "--data", str(tiny_synthetic), "--out",
                   str(out), "--levels", "4", "--device", "cpu"])
    assert status == 0
    assert "level 4: 5 steps, PSNR" in capsys.readouterr().out
    level = out / "level4"
    for name in ("last.pt", "best.pt", "config.yaml", "run_info.yaml", "train_log.csv",
                 "val_log.csv", "loss_curves.png"):
        assert (level / name).is_file(), name
    resolved = load_config(level / "config.yaml")
    assert resolved.data.root == str(tiny_synthetic) and resolved.levels == cfg.levels
    rows = read_csv(level / "train_log.csv")
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4, 5]
    assert {"loss", "mse", "hist", "lr", "images_per_s"} <= rows[0].keys()
    val = read_csv(level / "val_log.csv")  # epochs end at steps 4 and (level end) 5
    assert [int(r["step"]) for r in val] == [4, 5]
    assert 0 < float(val[-1]["psnr"]) < 60 and 0 <= float(val[-1]["hist"]) <= 1
    assert "ms_ssim" not in val[-1]  # 4×4 outputs are far too small for five scales
    assert len(list((level / "val_images").glob("*.png"))) == 4
    # the checkpoint loads with weights_only and fits the model registry's loader
    state = torch.load(level / "last.pt", weights_only=True)
    assert {"model", "optimizer", "level", "epoch", "step", "config", "rng"} <= state.keys()
    assert state["level"] == 4 and state["step"] == 5 and state["finished"]
    from hdrisp.models import build, load_weights

    load_weights(build("rawtonemap", level=4), level / "last.pt")


# ----------------------------------------------------------------------------- the parts


def test_two_rank_samplers_cover_the_single_rank_batches():
    data = list(range(10))
    one = list(EpochSampler(data, 1, 0, seed=5))
    ranks = [list(EpochSampler(data, 2, r, seed=5)) for r in (0, 1)]
    for step in range(2):  # global batch 4 = 2 per rank
        single = {i for _, i in one[4 * step:4 * step + 4]}
        split = {i for r in ranks for _, i in r[2 * step:2 * step + 2]}
        assert single == split
    later = EpochSampler(data, 1, 0, seed=5)
    later.set_epoch(1)
    later.set_start(3)
    epoch1 = [i for _, i in later]
    assert len(later) == 7 and len(epoch1) == 7
    assert epoch1 != [i for _, i in one][3:]  # another epoch, another order


class Ramp:
    """Packed raw whose value is its (row, col) position; the target is its exact
    downsampled copy at the level's scale, so a correct crop keeps them aligned."""

    def __init__(self, level: int, side: int = 32) -> None:
        self.level, self.side = level, side

    def __len__(self) -> int:
        return 3

    def __getitem__(self, index):
        rows = torch.arange(self.side, dtype=torch.float32)[:, None].expand(self.side,
                                                                           self.side)
        raw = torch.stack([rows, rows.T, rows * 0 + index, rows * 0])
        step = 2 ** (self.level - 1) if self.level >= 1 else 1
        target = raw[:3, ::step, ::step] if self.level >= 1 else \
            raw[:3].repeat_interleave(2, 1).repeat_interleave(2, 2)
        return raw, target


@pytest.mark.parametrize("level", [4, 3, 1, 0])
def test_patch_crops_keep_raw_and_target_aligned(level):
    pairs = PatchPairs(Ramp(level), level, patch=32, seed=1)
    state = torch.get_rng_state()
    seen = set()
    for epoch in range(6):
        raw, target = pairs[(epoch, 2)]
        assert raw.shape == (4, 16, 16)
        scale = 2.0 ** (1 - level)
        assert target.shape == (3, round(16 * scale), round(16 * scale))
        top, left = int(raw[0, 0, 0]), int(raw[1, 0, 0])
        assert top % 8 == 0 and left % 8 == 0
        expected = Ramp(level)[2][1][:, round(top * scale):, round(left * scale):]
        assert torch.equal(target, expected[:, :target.shape[1], :target.shape[2]])
        assert torch.equal(pairs[(epoch, 2)][0], raw)  # reproducible
        seen.add((top, left))
    assert len(seen) > 1  # epochs draw different crops
    assert torch.equal(torch.get_rng_state(), state)  # the global stream is untouched


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    model = torch.nn.Linear(3, 2)
    path = tmp_path / "last.pt"
    save_checkpoint(path, model=model, level=4, epoch=0, step=1, config={"a": 1})

    def torn(obj, handle):
        handle.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", torn)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model=model, level=4, epoch=0, step=2, config={"a": 1})
    assert load_checkpoint(path)["step"] == 1
    assert not list(tmp_path.glob(".*.tmp"))


def test_bad_checkpoint_files_raise_checkpoint_error(tmp_path):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read checkpoint") as info:
        load_checkpoint(broken)
    assert info.value.path == str(broken)
    plain = tmp_path / "plain.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), plain)
    with pytest.raises(CheckpointError, match="not an hdrisp training checkpoint"):
        load_checkpoint(plain)
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "missing.pt")


def test_rng_states_survive_a_weights_only_round_trip(tmp_path):
    random.random()
    np.random.randn(3)
    path = tmp_path / "rng.pt"
    torch.save(capture_rng_state(), path)
    expected = (torch.rand(3), np.random.rand(3), random.random(), random.gauss(0, 1))
    restore_rng_state(torch.load(path, weights_only=True))
    again = (torch.rand(3), np.random.rand(3), random.random(), random.gauss(0, 1))
    assert torch.equal(expected[0], again[0])
    assert np.array_equal(expected[1], again[1])
    assert expected[2:] == again[2:]


def test_cosine_schedule_logs_its_rates_and_resumes_exactly_after_sigkill(tiny_synthetic,
                                                                          tmp_path):
    """The rate of each step is lr × lr_factor(step) (logged), and a run killed mid-level
    resumes on the same curve: same weights and losses as an uninterrupted run."""
    from hdrisp.training.config import lr_factor

    cfg = mini(levels=[{"level": 4, "batch": 2, "steps": 8, "patch": 64}],
               checkpoint={"every_steps": 2},
               optimizer={"lr_schedule": "cosine", "warmup": 0.25, "final_lr": 0.1})
    reference = train_level(cfg, 4, out=tmp_path / "whole", data_root=tiny_synthetic)
    rates = [float(r["lr"]) for r in read_csv(reference.folder / "train_log.csv")]
    expected = [1e-3 * lr_factor(cfg.optimizer, s, 8) for s in range(8)]
    assert rates == pytest.approx(expected, rel=1e-6)
    assert rates[0] < rates[1] == pytest.approx(1e-3) and rates[-1] == pytest.approx(1e-4)
    child = run_child(cfg, tmp_path / "killed", tiny_synthetic, kill_at=3)
    output, _ = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, output
    resumed = train_level(cfg, 4, out=tmp_path / "killed", data_root=tiny_synthetic,
                          resume=True)
    assert_same_weights(weights(reference.last), weights(resumed.last))
    assert losses(reference.folder / "train_log.csv") == losses(resumed.folder / "train_log.csv")



def test_a_level_is_not_continued_on_a_rebuilt_data_set(tiny_synthetic, tmp_path):
    """A run records its set's dataset.json; resuming on a set rebuilt in the same folder (a
    newer generator) is refused, and ``hdrisp demo``'s helpers see it and set the run aside."""
    from hdrisp.tutorial import helpers

    data = shutil.copytree(tiny_synthetic, tmp_path / "data")
    cfg = mini(levels=[{"level": 4, "batch": 2, "steps": 2, "patch": 64}])
    run = tmp_path / "run"
    done = train_level(cfg, 4, out=run, data_root=data)
    assert load_checkpoint(done.last)["extra"]["dataset_sha256"]
    assert not helpers.trained_on_another_set(run, data)
    info = json.loads((data / "dataset.json").read_text())
    info["parameters"]["generator_version"] = 0  # as if built by another generator
    (data / "dataset.json").write_text(json.dumps(info))
    with pytest.raises(TrainingError, match="changed since this level was trained") as refused:
        train_level(cfg, 4, out=run, data_root=data, resume=True)
    assert Path(refused.value.path) == done.last
    assert helpers.trained_on_another_set(run, data)
    moved = helpers.set_aside(run)
    assert moved.name == "run.old-1" and (moved / "level4" / "last.pt").is_file()
    assert not run.exists()
