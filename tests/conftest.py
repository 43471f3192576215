"""Shared fixtures: the project's reference folder, the real raw files, a tiny synthetic set."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HDRISP_SHARED", ROOT.parent / "shared"))


@pytest.fixture(scope="session", autouse=True)
def _one_thread_per_worker():
    """Tests run two at a time (pytest-xdist) on two cores: one torch thread each."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        return
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout (or $HDRISP_SHARED); skips when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"reference folder {SHARED} is absent (it sits beside the checkout in CI)")
    return SHARED


@pytest.fixture(scope="session")
def real_dng(shared_dir: Path) -> Path:
    """The real Canon 550D colour-chart DNG of ``../shared/raw``."""
    path = shared_dir / "raw" / "canon550d_magiclantern_tinydng_colorchart.dng"
    if not path.is_file():
        pytest.skip(f"real raw file {path} is absent")
    return path


@pytest.fixture(scope="session")
def real_raw_files(shared_dir: Path) -> list[Path]:
    """Every camera raw file under ``../shared/raw`` (more may be added there)."""
    exts = {".dng", ".cr2", ".crw", ".nef", ".arw", ".orf", ".rw2", ".raf", ".pef", ".srw"}
    files = sorted(p for p in (shared_dir / "raw").glob("*") if p.suffix.lower() in exts)
    if not files:
        pytest.skip("no camera raw files under ../shared/raw")
    return files


@pytest.fixture(scope="session")
def golden(shared_dir: Path) -> dict[str, np.ndarray]:
    """Vectors computed with the authors' code (``golden_shared.npz``)."""
    path = shared_dir / "reference" / "golden_shared.npz"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


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
