"""Shared fixtures: the test data kept in ``tests/data``, the real raw files, a tiny
synthetic set; and, under ``$CI``, a skip that CI should never see fails the test."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
# the real DNG has one home in the repository: the lessons' package data (hdrisp/tutorial/data)
SAMPLE_DATA = Path(__file__).resolve().parents[1] / "hdrisp" / "tutorial" / "data"
REAL_DNG = SAMPLE_DATA / "canon550d_magiclantern_tinydng_colorchart.dng"
RAW_SUFFIXES = {".dng", ".cr2", ".cr3", ".crw", ".nef", ".arw", ".orf", ".rw2", ".raf", ".pef",
                ".srw"}

# Skips that CI may see, each with why it is legitimate there. Under $CI (set by .ci/run and
# by CI services) every other skip fails its test: CI installs everything the suite needs,
# so a skip there means a test silently stopped running.
CI_ALLOWED_SKIPS = {
    "this machine has CUDA": "the CPU-only message of develop cannot be seen on a GPU machine",
}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _fail_unexpected_skip(report) -> None:
    """Turn ``report`` (a skip outside :data:`CI_ALLOWED_SKIPS`) into a failure under $CI."""
    if not (report.skipped and _in_ci()) or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if any(allowed in reason for allowed in CI_ALLOWED_SKIPS):
        return
    report.outcome = "failed"
    report.longrepr = (f"skipped under CI: {reason}\n(CI must run every test: install what it "
                       "needs in .ci/run, or add the reason to CI_ALLOWED_SKIPS in "
                       "tests/conftest.py with why)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_unexpected_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield  # a module skipped as a whole (e.g. pytest.importorskip at import)
    _fail_unexpected_skip(outcome.get_result())


@pytest.fixture(scope="session", autouse=True)
def _one_thread_per_worker():
    """Tests run two at a time (pytest-xdist) on two cores: one torch thread each."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        return
    torch.set_num_threads(1)


def _data_file(name: str) -> Path:
    path = DATA / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: it is part of the repository (see tests/data/README.md)")
    return path


def extra_raw_files() -> list[Path]:
    """Camera raws kept outside the repository: the files of ``$HDRISP_EXTRA_RAWS`` (folders
    or files, separated by ``os.pathsep``) and of ``raw/`` in ``$HDRISP_SHARED`` (default
    ``../shared`` beside the checkout). Absent places are ignored."""
    places = [Path(p) for p in os.environ.get("HDRISP_EXTRA_RAWS", "").split(os.pathsep) if p]
    places.append(Path(os.environ.get("HDRISP_SHARED", ROOT.parent / "shared")) / "raw")
    files: list[Path] = []
    for place in places:
        found = sorted(place.iterdir()) if place.is_dir() else [place] if place.is_file() else []
        files += [p for p in found if p.is_file() and p.suffix.lower() in RAW_SUFFIXES]
    return files


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    """``tests/data``: reference vectors, state-dict shapes and a real DNG (see its README)."""
    return DATA


@pytest.fixture(scope="session")
def real_dng() -> Path:
    """The real Canon 550D colour-chart DNG (the lessons' package data, MIT licence)."""
    if not REAL_DNG.is_file():
        pytest.fail(f"{REAL_DNG} is missing: it is part of the repository")
    return REAL_DNG


def all_raw_files(real_dng: Path) -> list[Path]:
    """``real_dng`` and every extra raw of :func:`extra_raw_files` (a file with the same bytes
    as one already listed is left out)."""
    files, seen = [], set()
    for path in [real_dng, *extra_raw_files()]:
        digest = _digest(path)
        if digest not in seen:
            seen.add(digest)
            files.append(path)
    return files


@pytest.fixture(scope="session")
def real_raw_files(real_dng: Path) -> list[Path]:
    """The DNG of ``tests/data`` and the extra raws given to this run (never fewer than one)."""
    return all_raw_files(real_dng)


@pytest.fixture(scope="session")
def golden() -> dict[str, np.ndarray]:
    """Vectors computed with the authors' code (``tests/data/golden_shared.npz``)."""
    with np.load(_data_file("golden_shared.npz")) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="session")
def reference_shapes() -> dict:
    """The authors' state-dict names and shapes (``tests/data/state_dict_shapes.json``)."""
    return json.loads(_data_file("state_dict_shapes.json").read_text())


@pytest.fixture(scope="session")
def tiny_synthetic(tmp_path_factory) -> Path:
    """A very small synthetic paired set in the paper's layout (built once per session).

    8 train and 4 test pairs of 64×64 raw patches, plus one small full-resolution frame.
    """
    from hdrisp.synth import generate_dataset

    out = tmp_path_factory.mktemp("synthetic")
    generate_dataset(out, n_train=8, n_test=4, patch=64, seed=7, workers=1, n_full=1,
                     full_size=(128, 192))
    return out
