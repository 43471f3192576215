"""The tutorial notebooks: committed clean and paired, and every one runs in smoke mode.

Execution goes through :func:`hdrisp.tutorial.runner.run_notebooks` (papermill, the
``python3`` kernel of this environment), as ``hdrisp demo`` does.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from hdrisp.errors import HdrispError
from hdrisp.tutorial.runner import NOTEBOOKS_DIR, find_notebooks, run_notebooks

nbformat = pytest.importorskip("nbformat")
jupytext = pytest.importorskip("jupytext")

EXPECTED = ("01_bayer_data_inspection", "02_histogram_loss_derivation", "03_staged_training",
            "04_qualitative_evaluation", "05_reproduction_study")
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
PARAMETERS = ("SMOKE", "DATA_DIR", "RUN_DIR", "DEVICE")
# the kernels run beside another test worker on two cores: one thread each
KERNEL_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _ids(paths):
    return [p.stem for p in paths]


def test_the_lessons_are_there():
    assert tuple(p.stem for p in NOTEBOOKS) == EXPECTED
    for path in NOTEBOOKS:
        assert path.with_suffix(".py").is_file(), f"{path.name} has no py:percent twin"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_without_outputs(path: Path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {index} holds outputs"
            assert cell.execution_count is None, f"{path.name}: cell {index} was executed"
    assert notebook.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_ipynb_and_py_percent_are_in_sync(path: Path):
    def cells(nb):
        return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", ())))
                for c in nb.cells]

    paired, script = jupytext.read(path), jupytext.read(path.with_suffix(".py"))
    assert cells(paired) == cells(script), (
        f"{path.name} and its .py differ: run `jupytext --sync notebooks/{path.stem}.py`")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_structure_parameters_goals_and_exercises(path: Path):
    notebook = nbformat.read(path, as_version=4)
    first, last = notebook.cells[0], notebook.cells[-1]
    assert first.cell_type == "markdown" and re.search(r"you\s+will\s+learn", first.source)
    assert last.cell_type == "markdown" and "## Exercises" in last.source
    assert "Hint" in last.source
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell must be tagged"
    tree = ast.parse(code[0].source)
    assigned = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                if isinstance(t, ast.Name)}
    assert set(PARAMETERS) <= assigned
    for name in PARAMETERS:
        assert f'"HDRISP_{name}"' in code[0].source, f"{name} should default to $HDRISP_{name}"


def test_find_notebooks_by_number_and_refuses_unknown_names():
    assert [p.stem for p in find_notebooks(["02", "01_bayer_data_inspection"])] == [
        "02_histogram_loss_derivation", "01_bayer_data_inspection"]
    with pytest.raises(HdrispError, match="no single notebook matches '07'"):
        find_notebooks(["07"])


def _outputs_text(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(json.dumps(output.get("data", {})))
    return "\n".join(parts)


def _executed(run) -> object:
    notebook = nbformat.read(run.notebook, as_version=4)
    errors = [o for c in notebook.cells for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    assert run.html is not None and run.html.stat().st_size > 10_000
    return notebook


@pytest.fixture(scope="session")
def notebook_data_dir(tmp_path_factory) -> Path:
    """One data folder for every notebook test, shared by the xdist workers of a run (the
    synthetic set is built once, under hdrisp.synth's own lock)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if base.name.startswith("popen-gw") else base
    return shared / "notebook-data"


@pytest.fixture
def smoke_parameters(tmp_path: Path, notebook_data_dir: Path) -> dict:
    return {"DATA_DIR": str(notebook_data_dir), "RUN_DIR": str(tmp_path / "run"),
            "DEVICE": "cpu"}


def test_notebook_01_runs(tmp_path, smoke_parameters, request):
    parameters = dict(smoke_parameters)
    try:  # the real colour-chart DNG when the reference folder is there
        parameters["RAW_FILE"] = str(request.getfixturevalue("real_dng"))
    except pytest.skip.Exception:
        pass
    (run,) = run_notebooks(["01"], tmp_path / "out", parameters=parameters, env=KERNEL_ENV)
    text = _outputs_text(_executed(run))
    assert "shot-noise slope a: measured" in text
    if "RAW_FILE" in parameters:
        assert "Canon EOS" in text


def test_notebook_02_runs_and_shows_the_explorer(tmp_path, smoke_parameters):
    (run,) = run_notebooks(["02"], tmp_path / "out", parameters=smoke_parameters, env=KERNEL_ENV)
    assert run.notebook == (tmp_path / "out" / "02_histogram_loss_derivation.ipynb").resolve()
    text = _outputs_text(_executed(run))
    assert "application/vnd.jupyter.widget-view+json" in text  # the live explorer was built
    assert "largest difference" in text


def test_notebooks_03_then_04_share_the_run(tmp_path, smoke_parameters):
    runs = run_notebooks(["03", "04"], tmp_path / "out", parameters=smoke_parameters,
                         env=KERNEL_ENV)
    training, evaluation = (_outputs_text(_executed(run)) for run in runs)
    levels = sorted(p.parent.name for p in (tmp_path / "run").glob("level*/last.pt"))
    assert levels == ["level0", "level1", "level2", "level3", "level4"]
    assert "level 0: 2 steps" in training
    assert f"evaluating {tmp_path / 'run' / 'level0' / 'last.pt'} (level 0)" in evaluation
    assert (tmp_path / "run" / "evaluation" / "metrics.md").is_file()


def test_notebook_05_runs_the_smoke_study_and_labels_it(tmp_path, smoke_parameters):
    (run,) = run_notebooks(["05"], tmp_path / "out", parameters=smoke_parameters, env=KERNEL_ENV)
    text = _outputs_text(_executed(run))
    assert "SMOKE RUN" in text and "tungsten gains by hand" in text
    assert "mean paired difference by hand" in text
    study = tmp_path / "run" / "study"
    assert (study / "results.csv").is_file()
    assert (study / "cast_set" / "cast_manifest.json").is_file()


def test_a_failing_notebook_names_its_cell(tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    params = nbformat.v4.new_code_cell("SMOKE = False")
    params.metadata["tags"] = ["parameters"]
    notebook.cells = [params, nbformat.v4.new_code_cell("assert SMOKE is True\n1 / 0")]
    nbformat.write(notebook, folder / "01_broken.ipynb")
    with pytest.raises(HdrispError, match="ZeroDivisionError") as caught:
        run_notebooks(None, tmp_path / "out", notebooks_dir=folder, html=False)
    assert "01_broken.ipynb" in str(caught.value)
    assert (tmp_path / "out" / "01_broken.ipynb").is_file()  # kept for the post-mortem


# --------------------------------------------------------------------------- hdrisp.tutorial


def test_tutorial_env_flag_and_default_folders(monkeypatch, tmp_path):
    from hdrisp import tutorial

    for text, expected in (("1", True), ("Yes", True), ("0", False), ("", False)):
        monkeypatch.setenv("HDRISP_SMOKE", text)
        assert tutorial.env_flag("HDRISP_SMOKE") is expected
    monkeypatch.delenv("HDRISP_SMOKE")
    assert tutorial.env_flag("HDRISP_SMOKE", default=True) is True
    assert tutorial.run_dir(tmp_path / "mine") == tmp_path / "mine"
    assert tutorial.run_dir("", smoke=True).parts[-2:] == ("runs", "tutorial_smoke")
    assert tutorial.config_file("tiny").name == "tiny.yaml"
    with pytest.raises(HdrispError, match="no such training config"):
        tutorial.config_file("no_such_schedule")


def test_tutorial_finds_the_finest_finished_level(tmp_path):
    from hdrisp import tutorial
    from hdrisp.errors import CheckpointError

    with pytest.raises(CheckpointError, match="train first"):
        tutorial.finest_checkpoint(tmp_path)
    for level in (4, 3, 2):
        (tmp_path / f"level{level}").mkdir()
        (tmp_path / f"level{level}" / "last.pt").write_bytes(b"")
    (tmp_path / "level1").mkdir()  # started, nothing written yet
    assert sorted(tutorial.level_checkpoints(tmp_path)) == [2, 3, 4]
    assert tutorial.finest_checkpoint(tmp_path) == (2, tmp_path / "level2" / "last.pt")


def test_tutorial_smoke_config_keeps_every_level_but_few_steps():
    from hdrisp import tutorial
    from hdrisp.training import load_config

    tiny = load_config(tutorial.config_file("tiny"))
    smoke = tutorial.smoke_config(tiny, steps=3)
    assert [r.level for r in smoke.levels] == [r.level for r in tiny.levels]
    assert {(r.steps, r.batch, r.patch) for r in smoke.levels} == {(3, 2, 64)}
    assert smoke.optimizer == tiny.optimizer and smoke.loss == tiny.loss


def test_tutorial_device_choice():
    torch = pytest.importorskip("torch")
    from hdrisp import tutorial

    assert tutorial.pick_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert tutorial.pick_device("auto").type == expected
    if not torch.cuda.is_available():
        with pytest.raises(HdrispError, match="no CUDA device"):
            tutorial.pick_device("cuda")
