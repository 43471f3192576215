"""The default synthetic set, built on first use and cached with its parameters.

``ensure_default_dataset()`` is what ``make demo``, the notebooks and the tests' smoke runs
call: it returns the folder at once when a complete set with the same parameters is
there, and (re)builds it otherwise. Building happens in a temporary sibling folder that
replaces the old one only when complete, under a lock, so an interrupted or concurrent
build never leaves a half-written set behind (a failed build removes its temporary folder).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from hdrisp.errors import DatasetError, check_output_dir
from hdrisp.synth.dataset import (
    DEFAULT_SET,
    GENERATOR,
    SMOKE_SET,
    dataset_parameters,
    generate_dataset,
)
from hdrisp.synth.hdr_look import HDRLook
from hdrisp.synth.sources import available_sources
from hdrisp.synth.unprocess import DEFAULT_BLACK_LEVEL


def default_data_dir() -> Path:
    """Where data sets live by default.

    ``$HDRISP_DATA_DIR`` when set; else the ``data/`` folder of the source checkout the
    package runs from (git-ignored there); else ``./data``.
    """
    env = os.environ.get("HDRISP_DATA_DIR")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "hdrisp").is_dir():
        return checkout / "data"
    return Path.cwd() / "data"


def _wanted(spec: dict) -> dict:
    return dataset_parameters(spec["n_train"], spec["n_test"], spec["patch"], spec["seed"],
                       spec["n_full"], spec["full_size"], DEFAULT_BLACK_LEVEL, HDRLook(),
                       available_sources())


def is_current(root: Path, parameters: dict) -> bool:
    """True when ``root`` holds a complete synthetic set made with ``parameters``."""
    try:
        info = json.loads((root / "dataset.json").read_text())
    except (OSError, ValueError):
        return False
    if info.get("generator") != GENERATOR or info.get("parameters") != parameters:
        return False
    counts = {"train/raw": parameters["n_train"], "test/raw": parameters["n_test"]}
    return all(len(list((root / sub).glob("*.png"))) == n for sub, n in counts.items())


def _is_synthetic(root: Path) -> bool:
    try:
        return json.loads((root / "dataset.json").read_text()).get("generator") == GENERATOR
    except (OSError, ValueError, AttributeError):
        return False


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive file lock (POSIX); a no-op where fcntl is missing."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_default_dataset(root: str | os.PathLike | None = None, smoke: bool = False, *,
                           workers: int | None = None, progress: bool = False) -> Path:
    """Return the default synthetic set, building it first if needed.

    Args:
        root: its folder (default ``default_data_dir()/synthetic``, or ``.../synthetic_smoke``
            with ``smoke``).
        smoke: the small set for quick runs: 48 train / 12 test pairs of 128×128 and one
            256×384 frame, instead of 600 / 60 pairs of 448×448 and two 896×1344 frames.
        workers: processes for a build (default: up to 4, one per core).
        progress: show a progress bar while building.

    Returns:
        The folder, holding a complete set whose ``dataset.json`` matches the parameters.
    """
    spec = SMOKE_SET if smoke else DEFAULT_SET
    if root is None:
        root = default_data_dir() / ("synthetic_smoke" if smoke else "synthetic")
    root = Path(root)
    wanted = _wanted(spec)
    if is_current(root, wanted):
        return root
    check_output_dir(root.parent)  # an unwritable place fails now, not after the build
    with _lock(root.parent / ".locks" / f"{root.name}.lock"):  # a folder: git-ignored
        if is_current(root, wanted):  # built meanwhile by another process
            return root
        if root.is_dir() and any(root.iterdir()) and not _is_synthetic(root):
            raise DatasetError("holds something other than a synthetic set; refusing to "
                               "replace it (pass another root)", root)
        building = root.parent / f".{root.name}.building-{os.getpid()}"
        if building.exists():
            shutil.rmtree(building)
        n_workers = workers or max(1, min(4, os.cpu_count() or 1))
        try:
            generate_dataset(building, spec["n_train"], spec["n_test"], spec["patch"],
                             spec["seed"], n_workers, spec["n_full"], tuple(spec["full_size"]),
                             progress=progress)
        except BaseException:  # failed or interrupted: leave no half-built folder behind
            shutil.rmtree(building, ignore_errors=True)
            raise
        old = root.parent / f".{root.name}.old-{os.getpid()}"
        if root.exists():
            os.replace(root, old)
        os.replace(building, root)
        if old.exists():
            shutil.rmtree(old)
    return root
