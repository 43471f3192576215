"""The suite runs on any clone: its data lives in tests/data, and under $CI a skip fails."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import DATA, REAL_DNG

MAX_BYTES = 6 * 1024 * 1024


def test_every_file_of_tests_data_is_documented_with_its_checksum() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `([^`]+)` \|.*\| (?:`([0-9a-f]{64})`|—) \|$", readme, re.M))
    files = sorted(p.name for p in DATA.iterdir() if p.name != "README.md")
    assert sorted(listed) == files
    for name in files:
        data = (DATA / name).read_bytes()
        assert len(data) <= MAX_BYTES, name
        if listed[name]:
            assert hashlib.sha256(data).hexdigest() == listed[name], name
    # the real DNG lives once in the repository, as the lessons' package data, with its licence
    assert hashlib.sha256(REAL_DNG.read_bytes()).hexdigest() == (
        "592dba160b03770752667847f60ef07e9d96c17bf841e78e2b0cb5cbc5616edd")
    assert "Syoyo Fujita" in (REAL_DNG.parent / "LICENSE.tinydng").read_text()


def test_real_raw_files_add_extra_raws_without_duplicates(tmp_path, monkeypatch) -> None:
    import conftest

    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "copy.DNG").write_bytes(REAL_DNG.read_bytes())  # same bytes: listed once
    (extra / "other.nef").write_bytes(b"not really a raw")
    (extra / "notes.txt").write_text("not a raw")
    monkeypatch.setenv("HDRISP_EXTRA_RAWS", f"{extra}{os.pathsep}{tmp_path / 'absent'}")
    monkeypatch.setenv("HDRISP_SHARED", str(tmp_path / "no-shared"))
    assert conftest.extra_raw_files() == [extra / "copy.DNG", extra / "other.nef"]
    files = conftest.all_raw_files(REAL_DNG)
    assert files == [REAL_DNG, extra / "other.nef"]
    monkeypatch.delenv("HDRISP_EXTRA_RAWS")
    assert conftest.extra_raw_files() == []  # nothing extra: no skip, just the DNG


SAMPLE_TESTS = '''
import pytest

def test_skips():
    pytest.skip("playwright is missing")

def test_skips_for_an_allowed_reason():
    pytest.skip("this machine has CUDA")

@pytest.mark.xfail(reason="known")
def test_expected_failure():
    assert False

def test_passes():
    pass
'''


def _run_sample(tmp_path: Path, ci: str | None) -> str:
    (tmp_path / "test_sample.py").write_text(SAMPLE_TESTS)
    (tmp_path / "test_module_skip.py").write_text(
        'import pytest\npytest.importorskip("no_such_module_hdrisp")\n')
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider",
         "-p", "no:xdist", "-rA", "--continue-on-collection-errors", "-o", "addopts=",
         "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    return proc.stdout + proc.stderr


def test_under_ci_a_skip_fails_unless_its_reason_is_allowed(tmp_path) -> None:
    out = _run_sample(tmp_path, "true")
    summary = out.strip().splitlines()[-1]
    assert "1 failed, 1 passed, 1 skipped, 1 xfailed, 1 error" in summary, out
    assert "skipped under CI: playwright is missing" in out
    assert "skipped under CI: could not import 'no_such_module_hdrisp'" in out
    assert "SKIPPED [1] test_sample.py:8: this machine has CUDA" in out


def test_outside_ci_skips_are_reported_with_their_reason(tmp_path) -> None:
    out = _run_sample(tmp_path, "0")
    summary = out.strip().splitlines()[-1]
    assert "1 passed, 3 skipped, 1 xfailed" in summary, out
    assert "playwright is missing" in out
