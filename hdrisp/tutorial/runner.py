"""Execute the tutorial notebooks with papermill and convert them to HTML.

Used by the test suite (every notebook in smoke mode) and by ``hdrisp demo``.
Each notebook's first code cell is tagged ``parameters`` and defines ``SMOKE``,
``DATA_DIR``, ``RUN_DIR`` and ``DEVICE``; papermill injects the values given
here after it. Notebooks run with their own folder as working directory (as in
JupyterLab), so relative paths given here are made absolute first.

``exercises=False`` runs each lesson up to its ``## Exercises`` heading (what ``hdrisp demo``
shows: the exercises of lessons 03 and 04 train and score runs of their own, minutes that
belong to the student); the test suite runs the lessons whole.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hdrisp.errors import NotebookError

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
PATH_PARAMETERS = ("DATA_DIR", "RUN_DIR")  # made absolute before they reach the kernel
EXERCISES_HEADING = "## Exercises"
EXERCISES_LEFT_OUT = ("**The exercises are not run here.** `hdrisp demo` runs each lesson up "
                      "to this point; open the lesson (`make lab`) to do them, with the same "
                      "`RUN_DIR`.")


@dataclass(frozen=True)
class ExecutedNotebook:
    """One executed notebook: its name, the executed copy, its HTML and the time taken."""

    name: str
    notebook: Path
    html: Path | None
    seconds: float


def find_notebooks(names: Sequence[str] | None = None,
                   notebooks_dir: str | os.PathLike | None = None) -> list[Path]:
    """The ``.ipynb`` files to run, in order.

    Args:
        names: notebook stems (``"02_histogram_loss_derivation"``) or their number prefix
            (``"02"``); every notebook of the folder when None.
        notebooks_dir: folder holding the notebooks; the checkout's ``notebooks/`` if None.

    Raises:
        NotebookError: the folder or a named notebook does not exist.
    """
    folder = Path(notebooks_dir) if notebooks_dir is not None else NOTEBOOKS_DIR
    available = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not available:
        raise NotebookError("no tutorial notebooks (NN_name.ipynb) here; run from a checkout "
                          "of hdrisp or pass notebooks_dir", path=folder)
    if names is None:
        return available
    chosen = []
    for name in names:
        stem = Path(name).stem
        hits = [p for p in available if p.stem == stem or p.stem.split("_", 1)[0] == stem]
        if len(hits) != 1:
            known = ", ".join(p.stem for p in available)
            raise NotebookError(f"no single notebook matches {name!r}; known: {known}", path=folder)
        chosen.append(hits[0])
    return chosen


def absolute_paths(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with the folder parameters (:data:`PATH_PARAMETERS`) made absolute, so a
    kernel started elsewhere finds them; an empty one keeps meaning "the default".

    Examples:
        >>> absolute_paths({"DATA_DIR": "", "RUN_DIR": "/runs/x", "SMOKE": True})
        {'DATA_DIR': '', 'RUN_DIR': '/runs/x', 'SMOKE': True}
    """
    return {key: str(Path(value).resolve()) if key in PATH_PARAMETERS and value else value
            for key, value in params.items()}


@contextlib.contextmanager
def _environment(env: Mapping[str, str] | None) -> Iterator[None]:
    """Set environment variables (inherited by the kernel) for the duration of the block."""
    saved = {key: os.environ.get(key) for key in (env or {})}
    os.environ.update(env or {})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def without_exercises(source: str | os.PathLike, destination: str | os.PathLike) -> Path:
    """Write a copy of the notebook ``source`` cut before its first markdown cell that starts
    with ``## Exercises``, ending in a note saying so (the whole notebook when it has none).

    Returns:
        ``destination``.
    """
    import nbformat

    notebook = nbformat.read(os.fspath(source), as_version=4)
    for k, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith(EXERCISES_HEADING):
            notebook.cells = [*notebook.cells[:k],
                              nbformat.v4.new_markdown_cell(EXERCISES_LEFT_OUT)]
            break
    destination = Path(destination)
    nbformat.write(notebook, os.fspath(destination))
    return destination


def to_html(notebook: str | os.PathLike, html_path: str | os.PathLike) -> Path:
    """Convert an executed notebook to a standalone HTML file (nbconvert's lab template)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_filename(os.fspath(notebook))
    html_path = Path(html_path)
    html_path.write_text(body, encoding="utf-8")
    return html_path


def run_notebooks(names: Sequence[str] | None = None,
                  out_dir: str | os.PathLike = "runs/notebooks", *, smoke: bool = True,
                  parameters: Mapping[str, Any] | None = None,
                  notebooks_dir: str | os.PathLike | None = None,
                  kernel_name: str = "python3", html: bool = True,
                  env: Mapping[str, str] | None = None,
                  progress: bool = False, exercises: bool = True) -> list[ExecutedNotebook]:
    """Execute notebooks in order with papermill; write executed copies and HTML.

    Args:
        names: which notebooks (see :func:`find_notebooks`); all when None.
        out_dir: where ``NN_name.ipynb`` (executed) and ``NN_name.html`` go.
        smoke: the ``SMOKE`` parameter (tiny data, a few training steps).
        parameters: further papermill parameters (``DATA_DIR``, ``RUN_DIR``, ``DEVICE``);
            ``RUN_DIR`` defaults to ``out_dir/run`` so notebook 04 finds what 03 trained.
        notebooks_dir: the folder of the source notebooks (default: the checkout's).
        kernel_name: Jupyter kernel; ``python3`` is ipykernel in the running environment (its
            kernel specs are searched first).
        html: also convert each executed notebook to HTML.
        env: environment variables for the kernels (e.g. ``{"OMP_NUM_THREADS": "1"}``).
        progress: show a progress bar of the cells of each notebook, named ``NN_name (k/n)``.
        exercises: run the exercises too; False stops each notebook at its ``## Exercises``
            heading (:func:`without_exercises`).

    Returns:
        One :class:`ExecutedNotebook` per notebook, in order.

    Raises:
        NotebookError: a notebook failed; names the cell's error and the executed copy.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    params: dict[str, Any] = {"SMOKE": bool(smoke), "RUN_DIR": str(out / "run")}
    params.update(parameters or {})
    params = absolute_paths(params)
    results = []
    kernel_env = {
        # figures inline, whatever backend the caller uses (the Makefile exports Agg)
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        # this environment's kernel specs first, so "python3" is the Python running hdrisp
        # even when the user has another "python3" kernel in ~/.local/share/jupyter
        "JUPYTER_PATH": os.pathsep.join(p for p in (str(Path(sys.prefix) / "share" / "jupyter"),
                                                    os.environ.get("JUPYTER_PATH", "")) if p),
    }
    with _environment({**kernel_env, **(env or {})}):
        sources = find_notebooks(names, notebooks_dir)
        for k, source in enumerate(sources, 1):
            executed = out / source.name
            start = time.perf_counter()
            bar = {"desc": f"{source.stem} ({k}/{len(sources)})"} if progress else False
            to_run = source if exercises else without_exercises(
                source, out / f".{source.stem}.no-exercises.ipynb")
            try:
                papermill.execute_notebook(os.fspath(to_run), os.fspath(executed),
                                           parameters=params, kernel_name=kernel_name,
                                           cwd=os.fspath(source.parent), progress_bar=bar)
            except PapermillExecutionError as exc:
                raise NotebookError(f"cell {exc.exec_count} failed with {exc.ename}: "
                                  f"{exc.evalue} (executed copy: {executed})",
                                  path=source) from exc
            finally:
                if to_run != source:
                    to_run.unlink(missing_ok=True)
            seconds = time.perf_counter() - start
            page = to_html(executed, executed.with_suffix(".html")) if html else None
            results.append(ExecutedNotebook(source.stem, executed, page, seconds))
    return results
