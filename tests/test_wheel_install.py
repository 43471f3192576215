"""A class installs hdrisp from its repository (Colab, Binder, a lab image), not from a checkout.

Build the wheel, install it into a fresh virtual environment whose only other packages are the
dependencies of this one (a ``.pth`` line, so no 5.5 GB torch is installed again), and from a
temporary folder with no checkout around: resolve a config by name through the command line,
and execute lesson 03 in smoke mode — it reads the ``tiny`` config and builds its data and run
in the working folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
LESSON = "03_staged_training"


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel of this checkout, built from a copy of its sources (the checkout stays clean)."""
    src = tmp_path_factory.mktemp("src")
    shutil.copytree(ROOT / "hdrisp", src / "hdrisp",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    out = src / "dist"
    build = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                  "--no-index", "-q", "-w", out, src])
    assert build.returncode == 0, build.stderr
    (path,) = out.glob("hdrisp-*.whl")
    return path


def test_the_wheel_carries_what_the_lessons_read(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("tiny", "paper", "paper_code"):
        assert f"hdrisp/configs/{name}.yaml" in names
    assert "hdrisp/tutorial/data/canon550d_magiclantern_tinydng_colorchart.dng" in names
    assert "hdrisp/tutorial/data/LICENSE.tinydng" in names


@pytest.fixture(scope="module")
def fresh_env(wheel: Path, tmp_path_factory) -> Path:
    """A virtual environment with the wheel installed and this environment's packages visible
    (read-only, after its own site-packages); its Python, and a kernel spec pointing at it."""
    venv = tmp_path_factory.mktemp("venv") / "class"
    made = _run([sys.executable, "-m", "venv", "--without-pip", venv])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    site = Path(purelib.stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    # --target: files into the new environment only (this environment's own hdrisp, often an
    # editable install, is neither consulted nor touched)
    install = _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--target", site, wheel])
    assert install.returncode == 0, install.stderr
    kernel = _run([python, "-m", "ipykernel", "install", "--prefix", venv, "--name", "python3"])
    assert kernel.returncode == 0, kernel.stderr
    return python


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "HDRISP_DATA_DIR", "HDRISP_RUN_DIR", "VIRTUAL_ENV")}
    env.update({"HOME": str(home), "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"})
    return env


def test_hdrisp_comes_from_the_wheel_and_finds_configs_by_name(fresh_env: Path, tmp_path):
    env = _clean_env(tmp_path)
    where = _run([fresh_env, "-c", "import hdrisp, hdrisp.tutorial as t; print(hdrisp.__file__);"
                  " print(t.sample_raw_file()); print(t.config_file('tiny'))"],
                 cwd=tmp_path, env=env)
    assert where.returncode == 0, where.stderr
    site = str(fresh_env.parent.parent)
    assert all(line.startswith(site) for line in where.stdout.split()), where.stdout
    # the name resolves (then the impossible level stops it before any training)
    cli = _run([fresh_env, "-m", "hdrisp", "train", "--config", "tiny", "--levels", "9"],
               cwd=tmp_path, env=env)
    assert cli.returncode == 2 and "--levels: expected LEVEL or FROM:TO" in cli.stderr


def test_a_lesson_runs_from_a_wheel_install_in_any_folder(fresh_env: Path, tmp_path):
    """Lesson 03 in smoke mode, from a folder holding only the lesson (as a class downloads
    it); data and run land in that folder."""
    class_dir = tmp_path / "class"
    class_dir.mkdir()
    shutil.copy(ROOT / "notebooks" / f"{LESSON}.ipynb", class_dir)
    script = (
        "from hdrisp.tutorial.runner import run_notebooks\n"
        f"run_notebooks([{LESSON!r}], 'executed', notebooks_dir='.', smoke=True, html=False,\n"
        "              parameters={'DEVICE': 'cpu', 'RUN_DIR': None})\n")
    result = _run([fresh_env, "-c", script], cwd=class_dir, env=_clean_env(tmp_path),
                  timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]
    executed = json.loads((class_dir / "executed" / f"{LESSON}.ipynb").read_text())
    text = "".join(str(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", []))
    assert "config tiny" in text and "level 0: 2 steps" in text
    assert (class_dir / "data" / "synthetic_smoke" / "manifest.json").is_file()
    assert (class_dir / "runs" / "tutorial_smoke" / "level0" / "last.pt").is_file()
