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
from hdrisp.study import REFERENCE_ARM
from hdrisp.tutorial.results import expected_numbers
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
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and re.search(r"you\s+will\s+learn", first.source)
    exercises = [i for i, c in enumerate(notebook.cells)
                 if c.cell_type == "markdown" and "## Exercises" in c.source]
    assert len(exercises) == 1, "one '## Exercises' section, at the end"
    tail = notebook.cells[exercises[0]:]
    assert "Hint" in "\n".join(c.source for c in tail if c.cell_type == "markdown")
    assert tail[-1].cell_type == "code" and "checks.check_" in tail[-1].source, (
        "the last exercise ends with its check")
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell must be tagged"
    # hosted notebooks (Colab, Binder): the parameters cell says how to install hdrisp
    assert re.search(r"^# %pip install .*hdrisp", code[0].source, re.M)
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


def _every_check_passed(run, notebook) -> None:
    """Each ``checks.check_…`` call of the lesson printed its ✓ (solutions pass their checks)."""
    source = nbformat.read(NOTEBOOKS_DIR / Path(run.notebook).name, as_version=4)
    calls = sum(len(re.findall(r"checks\.check_\w+\(", c.source)) for c in source.cells
                if c.cell_type == "code")
    assert calls and _outputs_text(notebook).count("✓") == calls


def test_notebook_01_runs(tmp_path, smoke_parameters):
    (run,) = run_notebooks(["01"], tmp_path / "out", parameters=smoke_parameters,
                           env=KERNEL_ENV)
    notebook = _executed(run)
    text = _outputs_text(notebook)
    assert "shot-noise slope a: measured" in text
    assert "Canon EOS" in text  # the camera raw shipped as package data, no reference folder
    _every_check_passed(run, notebook)


def test_notebook_02_runs_and_shows_the_explorer(tmp_path, smoke_parameters):
    (run,) = run_notebooks(["02"], tmp_path / "out", parameters=smoke_parameters, env=KERNEL_ENV)
    assert run.notebook == (tmp_path / "out" / "02_histogram_loss_derivation.ipynb").resolve()
    notebook = _executed(run)
    text = _outputs_text(notebook)
    assert "application/vnd.jupyter.widget-view+json" in text  # the live explorer was built
    assert "largest difference" in text
    _every_check_passed(run, notebook)


def test_notebooks_03_then_04_share_the_run(tmp_path, smoke_parameters):
    runs = run_notebooks(["03", "04"], tmp_path / "out", parameters=smoke_parameters,
                         env=KERNEL_ENV)
    executed = [_executed(run) for run in runs]
    for run, notebook in zip(runs, executed, strict=True):
        _every_check_passed(run, notebook)
    training, evaluation = (_outputs_text(notebook) for notebook in executed)
    levels = sorted(p.parent.name for p in (tmp_path / "run").glob("level*/last.pt"))
    assert levels == ["level0", "level1", "level2", "level3", "level4"]
    assert "level 0: 2 steps" in training
    assert f"evaluating {tmp_path / 'run' / 'level0' / 'last.pt'} (level 0)" in evaluation
    assert (tmp_path / "run" / "evaluation" / "metrics.md").is_file()
    expected = expected_numbers(NOTEBOOKS_DIR / "results" / "tutorial.json")
    for text in (training, evaluation):  # a smoke run is flagged; the full run's numbers quoted
        assert "SMOKE RUN" in text and expected in text


@pytest.mark.slow
def test_notebooks_03_and_04_run_in_full_mode(tmp_path, notebook_data_dir):
    """Lessons 03 and 04 end to end in full mode: the tutorial config trained for real (every
    core, measured), every exercise's check passing, no smoke banner, the held-out table."""
    parameters = {"DATA_DIR": str(notebook_data_dir), "RUN_DIR": str(tmp_path / "run"),
                  "DEVICE": "cpu"}
    runs = run_notebooks(["03", "04"], tmp_path / "out", smoke=False, parameters=parameters)
    executed = [_executed(run) for run in runs]
    for run, notebook in zip(runs, executed, strict=True):
        _every_check_passed(run, notebook)
        text = _outputs_text(notebook)
        assert "SMOKE RUN" not in text
        assert expected_numbers(NOTEBOOKS_DIR / "results" / "tutorial.json") in text
    training, evaluation = (_outputs_text(notebook) for notebook in executed)
    from hdrisp.training import load_config

    assert f"level 0: {load_config('tiny').schedule(0).steps} steps" in training
    assert "given" in evaluation and "greyworld" in evaluation

    # the real ColorChecker DNG developed by the network this lesson trained: a learned ISP
    # must be no worse than the classical pipeline at as-shot white balance (issue #16)
    from hdrisp.evaluation.chart import load_chart
    from hdrisp.evaluation.chart_report import CLASSICAL, chart_rows, develop_chart, shortfalls
    from hdrisp.tutorial import helpers, sample_raw_file

    level, weights = helpers.finest_checkpoint(tmp_path / "run")
    assert level == 0
    rows = {row.label: row for row in chart_rows(
        develop_chart(sample_raw_file(), {"network": weights}),
        load_chart(Path(__file__).parent / "data" / "colorchecker_canon550d.json"))}
    classical = rows[CLASSICAL].score
    assert (classical.mean_delta_e, classical.mean_hue_error) == pytest.approx((14.7, 27.4),
                                                                               abs=0.1)
    unmet = shortfalls(rows["network"], rows[CLASSICAL])
    if unmet:  # known and open: README, "What to expect from the tutorial network"
        pytest.xfail("the tutorial network on the real ColorChecker: " + "; ".join(unmet))


# lessons with solution cells: every lesson
WITH_SOLUTIONS = [p for p in NOTEBOOKS if '"solution"' in p.read_text(encoding="utf-8")]


def test_the_course_lessons_have_solutions():
    assert [p.stem[:2] for p in WITH_SOLUTIONS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", WITH_SOLUTIONS, ids=_ids(WITH_SOLUTIONS))
def test_student_edition_runs_up_to_its_first_exercise(path: Path, tmp_path, smoke_parameters):
    """``make student``'s edition: no error of ours before the first stub, which then says what
    to do (the solution edition, the lesson itself, runs every check in the tests above)."""
    from hdrisp.tutorial.editions import STUB_MESSAGE, write_student_editions

    write_student_editions(tmp_path / "student", [path])
    with pytest.raises(HdrispError, match="NotImplementedError"):
        run_notebooks([path.stem], tmp_path / "out", notebooks_dir=tmp_path / "student",
                      parameters=smoke_parameters, env=KERNEL_ENV, html=False)
    executed = nbformat.read(tmp_path / "out" / path.name, as_version=4)
    errors = [(i, o) for i, c in enumerate(executed.cells) for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    stubs = [i for i, c in enumerate(executed.cells)
             if c.cell_type == "code" and "exercise" in c.metadata.get("tags", [])]
    assert len(errors) == 1 and len(stubs) >= 1
    (index, error), = errors
    assert stubs[0] <= index < (stubs[1] if len(stubs) > 1 else len(executed.cells)), (
        f"the first error is in cell {index}, not at the first exercise (cell {stubs[0]})")
    assert error["ename"] == "NotImplementedError" and STUB_MESSAGE in error["evalue"]


def test_notebook_05_runs_the_smoke_study_and_labels_it(tmp_path, smoke_parameters):
    (run,) = run_notebooks(["05"], tmp_path / "out", parameters=smoke_parameters, env=KERNEL_ENV)
    notebook = _executed(run)
    text = _outputs_text(notebook)
    assert "SMOKE RUN" in text and "tungsten gains by hand" in text
    assert "mean paired difference by hand" in text
    study = tmp_path / "run" / "study"
    assert (study / "results.csv").is_file()
    assert (study / "cast_set" / "cast_manifest.json").is_file()
    # exercise 3 added two arms to the same study: only they trained
    assert (study / "rbf" / "seed0" / "level0" / "last.pt").is_file()
    assert (study / "sigma_0.1" / "seed1" / "level0" / "last.pt").is_file()
    _every_check_passed(run, notebook)


@pytest.mark.parametrize("study", ["", "smoke"], ids=["committed-results", "runs-its-study"])
def test_notebook_05_exercise_3_studies_under_run_dir(study, tmp_path, monkeypatch):
    """Lesson 05's exercise 3 writes under RUN_DIR: into the lesson's own study when it ran one,
    else (full mode, the committed results read) into a folder of its own beside it — it went
    to runs/study/tiny_exercise of the checkout whatever RUN_DIR said. The lesson's cells run
    with the data set and run_study stubbed: nothing is built or trained."""
    import types

    import hdrisp.study
    from hdrisp import tutorial

    run_dir, calls = tmp_path / "run", []

    def run_study(plan, out, **kwargs):
        calls.append((plan, Path(out)))
        return types.SimpleNamespace(results=[], meta={})

    monkeypatch.setattr(hdrisp.study, "run_study", run_study)
    monkeypatch.setattr(tutorial, "synthetic_set", lambda *a, **k: tmp_path / "data")
    for name, value in {"SMOKE": "0", "DATA_DIR": str(tmp_path / "data"), "DEVICE": "cpu",
                        "RUN_DIR": str(run_dir), "CONFIG": "", "STUDY": study}.items():
        monkeypatch.setenv(f"HDRISP_{name}", value)
    monkeypatch.chdir(NOTEBOOKS_DIR)  # where the lesson finds results/study.csv
    cells = [c.source for c in jupytext.read(NOTEBOOKS_DIR / "05_reproduction_study.py").cells
             if c.cell_type == "code"]
    wanted = [cells[0], *(c for c in cells if "study_dir = " in c or c.startswith("if run_it:")
                          or " = Arm(" in c or "extra = run_study(" in c)]
    namespace: dict = {}
    for source in wanted:
        code = "\n".join(line for line in source.splitlines() if not line.startswith("%"))
        exec(compile(code, "05_reproduction_study", "exec"), namespace)
    *lesson, (plan, out) = calls
    assert {"rbf", "sigma_0.1", REFERENCE_ARM} <= {a.name for a in plan.arms}
    if study:
        assert [o for _, o in lesson] == [out] == [run_dir / "study"]
    else:
        assert lesson == [] and out == run_dir / "study_exercise"


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
    with pytest.raises(HdrispError, match="no shipped config is called 'no_such_schedule'"):
        tutorial.config_file("no_such_schedule")
    from hdrisp.raw import read_raw

    sample = read_raw(tutorial.sample_raw_file())  # package data: the real camera raw
    assert sample.cfa == "RGGB" and sample.white_level == 15000


def test_tutorial_finds_the_finest_finished_level(tmp_path):
    import torch

    from hdrisp import tutorial
    from hdrisp.errors import CheckpointError
    from hdrisp.training.checkpoint import save_checkpoint

    with pytest.raises(CheckpointError, match="train first"):
        tutorial.finest_checkpoint(tmp_path)

    def write(level: int, finished: bool, name: str = "last.pt") -> None:
        save_checkpoint(tmp_path / f"level{level}" / name, model=torch.nn.Linear(1, 1),
                        level=level, epoch=1, step=5, config={}, finished=finished)

    write(4, finished=False)
    with pytest.raises(CheckpointError, match=r"no finished level here \(level 4 started"):
        tutorial.finest_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="no finished level"):  # no smoke run over it
        tutorial.ensure_run(tmp_path, tmp_path / "no-data")
    write(4, finished=True)
    write(3, finished=True)
    write(3, finished=False, name="best.pt")  # a best.pt saved mid-way, of a finished level
    write(2, finished=False)  # half-trained: never the final one
    (tmp_path / "level1").mkdir()  # started, nothing written yet
    assert sorted(tutorial.level_checkpoints(tmp_path)) == [2, 3, 4]
    assert tutorial.finished_levels(tmp_path) == [3, 4]
    assert tutorial.finest_checkpoint(tmp_path) == (3, tmp_path / "level3" / "last.pt")
    assert tutorial.finest_checkpoint(tmp_path, "best.pt") == (3, tmp_path / "level3" /
                                                               "best.pt")
    assert tutorial.ensure_run(tmp_path, tmp_path / "no-data") == (3, tmp_path / "level3" /
                                                                   "last.pt")


def test_tutorial_smoke_config_keeps_every_level_but_few_steps():
    from hdrisp import tutorial
    from hdrisp.training import load_config

    tiny = load_config(tutorial.config_file("tiny"))
    smoke = tutorial.smoke_config(tiny, steps=3)
    assert [r.level for r in smoke.levels] == [r.level for r in tiny.levels]
    assert {(r.steps, r.batch, r.patch) for r in smoke.levels} == {(3, 2, 64)}
    assert smoke.optimizer == tiny.optimizer and smoke.loss == tiny.loss


def test_tutorial_device_choice():
    import torch

    from hdrisp import tutorial

    assert tutorial.pick_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert tutorial.pick_device("auto").type == expected
    if not torch.cuda.is_available():
        with pytest.raises(HdrispError, match="no CUDA device"):
            tutorial.pick_device("cuda")
