"""Long work: outputs are checked before it starts, a failure leaves no temporary files, and
every long step shows a progress bar.

The outputs here are refused because a file is in the way: CI runs as root, where folder
permissions do not stop a write, so that is the fault every machine can produce.
"""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hdrisp.cli import main
from hdrisp.errors import OutputError, check_output_dir
from hdrisp.raw import write_dng

CONFIG = Path(__file__).resolve().parents[1] / "hdrisp" / "configs" / "tiny.yaml"


def _mosaic(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 1024, (h, w), dtype=np.uint16)


def _never(*args, **kwargs):
    raise AssertionError("the long work started before the output was checked")


@pytest.fixture
def in_the_way(tmp_path: Path) -> Path:
    """A plain file where a command's output folder should go."""
    path = tmp_path / "taken"
    path.write_text("a file, not a folder")
    return path


def _one_error_line(capsys, path: Path) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path}: "), err
    return err[0]


# --------------------------------------------------------------- outputs checked first


def test_check_output_dir_creates_or_refuses(tmp_path, in_the_way) -> None:
    assert check_output_dir(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert (tmp_path / "a" / "b").is_dir()
    with pytest.raises(OutputError, match="exists and is not a folder") as caught:
        check_output_dir(in_the_way)
    assert caught.value.path == str(in_the_way)
    with pytest.raises(OutputError) as caught:  # a parent that is a file
        check_output_dir(in_the_way / "sub")
    assert caught.value.path == str(in_the_way / "sub")


def test_train_checks_its_out_before_building_the_data(in_the_way, monkeypatch, capsys) -> None:
    from hdrisp.training import components

    monkeypatch.setattr(components, "ensure_default_dataset", _never)
    assert main(["train", "--config", str(CONFIG), "--out", str(in_the_way)]) == 2
    assert _one_error_line(capsys, in_the_way).endswith("exists and is not a folder")
    assert main(["train", "--config", str(CONFIG), "--out", str(in_the_way / "run")]) == 2
    _one_error_line(capsys, in_the_way / "run")


def test_train_refuses_an_existing_run_before_building_the_data(tmp_path, monkeypatch,
                                                                capsys) -> None:
    from hdrisp.training import components

    monkeypatch.setattr(components, "ensure_default_dataset", _never)
    (tmp_path / "run" / "level2").mkdir(parents=True)
    (tmp_path / "run" / "level2" / "last.pt").write_bytes(b"a checkpoint")
    assert main(["train", "--config", str(CONFIG), "--out", str(tmp_path / "run")]) == 2
    assert "pass --resume" in _one_error_line(capsys, tmp_path / "run" / "level2")


def test_develop_checks_its_out_before_reading_a_raw(tmp_path, in_the_way, monkeypatch,
                                                     capsys) -> None:
    import hdrisp.inference.develop as develop

    monkeypatch.setattr(develop, "file_normalization", _never)
    dng = write_dng(tmp_path / "f.dng", _mosaic(32, 32), "RGGB", 0, 1023)
    assert main(["develop", str(dng), "-o", str(in_the_way), "--random-weights"]) == 2
    assert _one_error_line(capsys, in_the_way).endswith("exists and is not a folder")


@pytest.mark.parametrize("default", [None, "smoke"])
def test_data_synth_checks_its_out_before_making_pairs(in_the_way, monkeypatch, capsys,
                                                       default) -> None:
    import hdrisp.synth.dataset as dataset

    monkeypatch.setattr(dataset, "_run_all", _never)
    out = in_the_way / "synthetic"
    argv = ["data", "synth", "--out", str(out), "--n-train", "1", "--n-test", "1", "--patch",
            "16", "--n-full", "0", "--workers", "1"]
    assert main(argv + (["--default", default] if default else [])) == 2
    _one_error_line(capsys, in_the_way if default else out)


def test_demo_checks_its_out_before_building_the_data(in_the_way, monkeypatch, capsys) -> None:
    import hdrisp.synth

    monkeypatch.setattr(hdrisp.synth, "ensure_default_dataset", _never)
    assert main(["demo", "--no-notebooks", "--out", str(in_the_way)]) == 2
    assert _one_error_line(capsys, in_the_way).endswith("exists and is not a folder")


# --------------------------------------------------------------- no leftovers on failure


class _Interrupted(BaseException):
    """Stands for Ctrl-C or a kill in the middle of the work."""


@pytest.mark.parametrize("fault", [RuntimeError("boom"), _Interrupted()], ids=["error", "ctrl-c"])
def test_a_failed_default_build_leaves_no_temporary_folder(tmp_path, monkeypatch, fault) -> None:
    import hdrisp.synth.dataset as dataset
    from hdrisp.synth import cache

    spec = {"n_train": 2, "n_test": 1, "patch": 16, "seed": 0, "n_full": 0,
            "full_size": [16, 16]}
    monkeypatch.setattr(cache, "SMOKE_SET", spec)
    real_run_all = dataset._run_all

    def fail_half_way(jobs, *args):
        for k, record in enumerate(real_run_all(jobs, *args)):
            if k == 1:  # a pair is on disk already
                raise fault
            yield record

    monkeypatch.setattr(dataset, "_run_all", fail_half_way)
    with pytest.raises(type(fault)):
        cache.ensure_default_dataset(tmp_path / "smoke", smoke=True, workers=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".locks"]
    monkeypatch.setattr(dataset, "_run_all", real_run_all)  # and the next try succeeds
    root = cache.ensure_default_dataset(tmp_path / "smoke", smoke=True, workers=1)
    assert len(list((root / "train" / "raw").glob("*.png"))) == 2


def test_a_failed_synth_leaves_its_out_as_it_found_it(tmp_path, monkeypatch) -> None:
    import hdrisp.synth.dataset as dataset

    def full_disk(jobs, *args):
        (Path(jobs[0].out) / "train" / "raw" / "0.png").write_bytes(b"half a png")
        raise OSError(28, "No space left on device")
        yield

    monkeypatch.setattr(dataset, "_run_all", full_disk)
    args = dict(n_train=1, n_test=1, patch=16, n_full=0, workers=1)
    with pytest.raises(OSError, match="No space"):
        dataset.generate_dataset(tmp_path / "new", **args)
    assert not (tmp_path / "new").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(OSError, match="No space"):
        dataset.generate_dataset(tmp_path / "empty", **args)
    assert list((tmp_path / "empty").iterdir()) == []
    # a folder holding something else is refused before anything is written or removed
    (tmp_path / "mine" / "train").mkdir(parents=True)
    (tmp_path / "mine" / "train" / "keep.txt").write_text("mine")
    with pytest.raises(dataset.DatasetError, match="not empty"):
        dataset.generate_dataset(tmp_path / "mine", **args)
    assert (tmp_path / "mine" / "train" / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("fault", [ValueError("encoder failed"), _Interrupted()],
                         ids=["error", "ctrl-c"])
def test_a_failed_image_write_leaves_no_temporary_file(tmp_path, monkeypatch, fault) -> None:
    import hdrisp.inference.develop as develop

    def partial_write(path, image, **kwargs):
        Path(path).write_bytes(b"\x89PNG half")
        raise fault

    monkeypatch.setattr(develop.iio, "imwrite", partial_write)
    with pytest.raises(type(fault)):
        develop.write_image(tmp_path / "frame.png", np.zeros((4, 4, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_develop_on_a_full_disk_says_so_and_leaves_nothing(tmp_path, monkeypatch,
                                                           capsys) -> None:
    import hdrisp.inference.develop as develop

    def full_disk(path, image, **kwargs):
        Path(path).write_bytes(b"\x89PNG half")
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(develop.iio, "imwrite", full_disk)
    dng = write_dng(tmp_path / "f.dng", _mosaic(32, 48), "RGGB", 0, 1023)
    out = tmp_path / "out"
    assert main(["develop", str(dng), "-o", str(out), "--random-weights", "--device", "cpu",
                 "--compile", "off"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"error: {out / 'f.png'}: cannot write: No space left on device"
    assert list(out.iterdir()) == []


def test_a_failed_figure_save_leaves_no_temporary_file(tmp_path, monkeypatch) -> None:
    from matplotlib.figure import Figure

    from hdrisp.evaluation.compare import save_figure

    def broken(self, fname, **kwargs):
        Path(fname).write_bytes(b"half a figure")
        raise ValueError("renderer failed")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(ValueError):
        save_figure(Figure(), tmp_path / "figure.png")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------- progress bars


def test_data_check_shows_a_bar_of_the_files_read(tiny_synthetic, capsys) -> None:
    assert main(["data", "check", "--data", str(tiny_synthetic)]) == 0
    err = capsys.readouterr().err
    # 8 + 4 pairs (raw and target) and one full frame as PNG and DNG
    assert f"checking {tiny_synthetic.name}" in err and "26/26" in err


def test_compare_shows_a_bar_of_the_images_developed(tmp_path, capsys) -> None:
    dngs = [write_dng(tmp_path / f"f{i}.dng", _mosaic(64, 96, i), "RGGB", 0, 1023)
            for i in range(2)]
    out = tmp_path / "figure.png"
    assert main(["compare", *map(str, dngs), "--random-weights", "--level", "2",
                 "--baselines", "classical,reinhard", "--device", "cpu", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "compare" in err and "6/6" in err  # 2 files × (network + 2 baselines)
    assert out.stat().st_size > 1000


def test_building_the_default_set_for_training_shows_a_bar(tmp_path, monkeypatch,
                                                           capsys) -> None:
    from hdrisp.synth import cache
    from hdrisp.training import components, load_config

    monkeypatch.setattr(cache, "DEFAULT_SET", {"n_train": 3, "n_test": 1, "patch": 16,
                                               "seed": 0, "n_full": 0, "full_size": [16, 16]})
    monkeypatch.setenv("HDRISP_DATA_DIR", str(tmp_path))
    config = load_config(CONFIG)
    assert config.data.root is None and config.logging.progress
    assert components.resolve_data_root(config) == tmp_path / "synthetic"
    assert "synthetic pairs" in capsys.readouterr().err


class _Preview(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rgb = torch.stack([x[:, 2], (x[:, 1] + x[:, 3]) / 2, x[:, 0]], dim=1)
        return F.interpolate(rgb, scale_factor=2, mode="nearest")


def test_validation_shows_a_bar_when_asked(capsys) -> None:
    from hdrisp.runtime import Runtime
    from hdrisp.training.batch import validate

    batches = [(torch.rand(2, 4, 16, 16), torch.rand(2, 3, 32, 32)) for _ in range(3)]
    runtime = Runtime.resolve("cpu", "fp32")

    def loss(pred, target):
        return {"loss": F.mse_loss(pred, target)}

    quiet = validate(_Preview(), batches, loss, runtime)
    assert "validation" not in capsys.readouterr().err
    shown = validate(_Preview(), batches, loss, runtime, progress=True)
    assert "validation" in capsys.readouterr().err and shown == quiet


def _lesson(*cells):
    """A notebook with a python3 kernel, a ``parameters`` cell (``SMOKE = False``), then
    ``cells``."""
    book = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    book.cells = [nbformat.v4.new_code_cell("SMOKE = False", metadata={"tags": ["parameters"]}),
                  *cells]
    return book


def test_notebooks_run_with_a_bar_each(tmp_path, capsys) -> None:
    from hdrisp.tutorial.runner import run_notebooks

    source = tmp_path / "lessons"
    source.mkdir()
    book = _lesson(
        nbformat.v4.new_code_cell("print('smoke' if SMOKE else 'full')"))
    nbformat.write(book, source / "01_tiny.ipynb")
    (run,) = run_notebooks(None, tmp_path / "out", notebooks_dir=source, html=False,
                           progress=True)
    assert "01_tiny (1/1)" in capsys.readouterr().err
    assert run.notebook.is_file()


def test_demo_runs_the_notebooks_with_bars(tiny_synthetic, tmp_path, monkeypatch) -> None:
    import hdrisp.synth
    import hdrisp.tutorial.runner as runner

    calls = []
    monkeypatch.setattr(hdrisp.synth, "ensure_default_dataset", lambda **_: tiny_synthetic)
    monkeypatch.setattr(runner, "run_notebooks", lambda *a, **kw: calls.append(kw) or [])
    assert main(["demo", "--smoke", "--out", str(tmp_path / "demo"),
                 "--run", str(tmp_path / "run")]) == 0
    assert calls and calls[0]["progress"] is True
    assert calls[0]["exercises"] is False  # the demo stops each lesson at its exercises
    assert iio.imread(next((tmp_path / "demo").glob("*.png"))).ndim == 3


def test_notebooks_can_stop_at_the_exercises(tmp_path) -> None:
    """``exercises=False`` (what ``hdrisp demo`` runs) executes a lesson up to its
    ``## Exercises`` heading and says so; the whole lesson runs by default."""
    from hdrisp.errors import NotebookError
    from hdrisp.tutorial.runner import EXERCISES_LEFT_OUT, run_notebooks

    source = tmp_path / "lessons"
    source.mkdir()
    book = _lesson(
        nbformat.v4.new_code_cell("print('taught')"),
        nbformat.v4.new_markdown_cell("## Exercises\n\n**1 ·** ..."),
        nbformat.v4.new_code_cell("raise RuntimeError('an exercise ran')"))
    nbformat.write(book, source / "01_tiny.ipynb")
    (run,) = run_notebooks(None, tmp_path / "cut", notebooks_dir=source, html=False,
                           exercises=False)
    cells = nbformat.read(run.notebook, as_version=4).cells
    assert "taught" in cells[-2].outputs[0]["text"]
    assert cells[-1].cell_type == "markdown" and cells[-1].source == EXERCISES_LEFT_OUT
    assert not any("an exercise ran" in c.source for c in cells)
    assert sorted(p.name for p in (tmp_path / "cut").iterdir()) == ["01_tiny.ipynb"]
    with pytest.raises(NotebookError, match="an exercise ran"):
        run_notebooks(None, tmp_path / "whole", notebooks_dir=source, html=False)
