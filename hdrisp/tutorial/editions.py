"""Student editions of the lessons: the solution cells replaced by stubs (``make student``).

The lessons in ``notebooks/`` are the *solution* (instructor's) editions: every cell a student
is meant to write carries the cell tag ``solution``, and each is followed by a cell that
checks it (:mod:`hdrisp.tutorial.checks` or an ``assert`` with a known answer). A student
edition keeps everything else and replaces what a solution cell solves:

- a code cell with ``# BEGIN SOLUTION`` … ``# END SOLUTION`` markers keeps its other lines
  (a function's signature and docstring, the cell's set-up) and loses the marked lines, which
  become ``# YOUR CODE HERE`` and ``raise NotImplementedError(...)`` at the marker's indent;
- a code cell without markers is replaced as a whole by that stub;
- a markdown cell tagged ``solution`` (a written answer) becomes a prompt for the answer.

The delimiters are nbgrader's (``BEGIN SOLUTION`` / ``END SOLUTION``); the cells are marked by a
plain tag rather than nbgrader's metadata, so no nbgrader is needed. A student edition runs
without errors up to its first stub, where the ``NotImplementedError`` says what to do; the
test suite executes both editions.

``python -m hdrisp.tutorial.editions OUT`` writes the student editions of every lesson to OUT.

Examples:
    >>> cell = "def double(x):\\n    # BEGIN SOLUTION\\n    return 2 * x\\n    # END SOLUTION\\n"
    >>> print(stub_source(cell))
    def double(x):
        # YOUR CODE HERE
        raise NotImplementedError("replace this line with your solution, then run the check")
"""

from __future__ import annotations

import argparse
import copy
import os
import re
from collections.abc import Sequence
from pathlib import Path

import nbformat

from hdrisp.errors import NotebookError
from hdrisp.tutorial.runner import find_notebooks

SOLUTION_TAG = "solution"
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
STUB_MESSAGE = "replace this line with your solution, then run the check"
ANSWER_PROMPT = "*Your answer here (replace this line).*"
_MARKER = re.compile(r"^(\s*)(# BEGIN SOLUTION|# END SOLUTION)\s*$")


def is_solution(cell: dict) -> bool:
    """Whether a notebook cell is tagged ``solution``."""
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def stub_source(source: str) -> str:
    """A solution code cell's source with its solution replaced by the stub (module docstring).

    Raises:
        ValueError: unbalanced markers.
    """
    lines = source.splitlines()
    if not any(_MARKER.match(line) for line in lines):
        return f'# YOUR CODE HERE\nraise NotImplementedError("{STUB_MESSAGE}")'
    out: list[str] = []
    inside = False
    for number, line in enumerate(lines, 1):
        match = _MARKER.match(line)
        if match and match.group(2) == BEGIN:
            if inside:
                raise ValueError(f"line {number}: {BEGIN} inside a solution block")
            inside, indent = True, match.group(1)
            out += [f"{indent}# YOUR CODE HERE",
                    f'{indent}raise NotImplementedError("{STUB_MESSAGE}")']
        elif match:
            if not inside:
                raise ValueError(f"line {number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN} without {END}")
    return "\n".join(out)


def student_notebook(notebook):
    """A deep copy of an nbformat notebook with every solution cell stubbed (outputs cleared)."""
    student = copy.deepcopy(notebook)
    for cell in student.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if not is_solution(cell):
            continue
        cell.source = stub_source(cell.source) if cell.cell_type == "code" else ANSWER_PROMPT
        cell.metadata["tags"] = [t for t in cell.metadata.get("tags", []) if t != SOLUTION_TAG] \
            + ["exercise"]
    student.metadata["hdrisp_edition"] = "student"
    return student


def solution_cells(notebook) -> list[int]:
    """Indices of a notebook's cells tagged ``solution``."""
    return [i for i, cell in enumerate(notebook.cells) if is_solution(cell)]


def write_student_editions(out_dir: str | os.PathLike,
                           notebooks: Sequence[str | os.PathLike] | None = None) -> list[Path]:
    """Write the student edition of each lesson (default: every lesson of ``notebooks/``).

    Returns:
        The written ``OUT/NN_name.ipynb`` files, in order.

    Raises:
        NotebookError: a lesson with unbalanced solution markers.
    """
    sources = [Path(p) for p in notebooks] if notebooks is not None else find_notebooks()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        notebook = nbformat.read(source, as_version=4)
        try:
            student = student_notebook(notebook)
        except ValueError as exc:
            raise NotebookError(f"solution markers: {exc}", path=source) from None
        target = out / source.name
        nbformat.write(student, target)
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hdrisp.tutorial.editions OUT [NOTEBOOK ...]``."""
    parser = argparse.ArgumentParser(
        prog="python -m hdrisp.tutorial.editions",
        description="Write the student editions of the lessons: cells tagged 'solution' become "
                    "stubs that say what to write; the checks after them stay.")
    parser.add_argument("out", type=Path, help="folder for the student editions")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="lessons to convert (default: every lesson of notebooks/)")
    args = parser.parse_args(argv)
    for path in write_student_editions(args.out, args.notebooks or None):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
