"""``hdrisp raw inspect``: the report on good files, one error line and status 2 on bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from hdrisp.cli import main
from hdrisp.raw import write_dng


@pytest.fixture()
def known_dng(tmp_path: Path) -> Path:
    """A GBRG DNG with known channel values: Gr (blue row) at (0, 0), B (0, 1), R (1, 0), Gb."""
    mosaic = np.zeros((24, 32), dtype=np.uint16)
    mosaic[0::2, 0::2] = 300  # Gr
    mosaic[0::2, 1::2] = 400  # B
    mosaic[1::2, 0::2] = 1023  # R: every sample clipped
    mosaic[1::2, 1::2] = np.arange(12 * 16).reshape(12, 16) + 100  # Gb: 100 … 291
    return write_dng(tmp_path / "known.dng", mosaic, "GBRG", (10, 20, 30, 40), 1023,
                     wb=(2.0, 1.0, 1.25))


def test_inspect_real_dng_prints_the_facts(real_dng: Path, capsys) -> None:
    assert main(["raw", "inspect", str(real_dng)]) == 0
    out = capsys.readouterr().out
    for text in ("Canon EOS Kiss X4", "RGGB", "1734×1156", "2056 2056 2056 2056", "15000",
                 "R 2.4770", "B 1.6943"):
        assert text in out
    assert out.count("\n  R ") + out.count("\n  Gb ") + out.count("\n  Gr ") + out.count(
        "\n  B ") == 4


def test_inspect_json_numbers(known_dng: Path, capsys) -> None:
    assert main(["raw", "inspect", "--json", "--percentiles", "50", str(known_dng)]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert report["cfa"] == "GBRG" and (report["width"], report["height"]) == (32, 24)
    assert report["black_level"] == [10, 20, 30, 40] and report["white_level"] == 1023
    assert report["wb"] == pytest.approx([2.0, 1.0, 1.25], rel=1e-6)
    ch = report["channels"]
    assert ch["Gr"]["min"] == ch["Gr"]["max"] == 300 and ch["Gr"]["black"] == 10
    assert ch["B"]["max"] == 400 and ch["B"]["black"] == 20
    assert ch["R"]["clipped"] == 1.0 and ch["R"]["black"] == 30
    assert (ch["Gb"]["min"], ch["Gb"]["max"], ch["Gb"]["p50"]) == (100, 291, 195.5)
    assert ch["Gb"]["black"] == 40 and ch["Gb"]["clipped"] == 0.0
    assert report["clipped"] == 0.25


def test_bad_files_give_one_error_line_each_and_status_2(tmp_path: Path, known_dng: Path,
                                                        capsys) -> None:
    empty = tmp_path / "empty.dng"
    empty.write_bytes(b"")
    jpeg = tmp_path / "photo.dng"
    iio.imwrite(jpeg, np.zeros((32, 32, 3), np.uint8), extension=".jpg")
    truncated = tmp_path / "cut.dng"
    truncated.write_bytes(known_dng.read_bytes()[:900])
    rgb_png = tmp_path / "rgb.png"
    iio.imwrite(rgb_png, np.zeros((8, 8, 3), np.uint8))
    odd = tmp_path / "odd.png"
    iio.imwrite(odd, np.zeros((9, 8), np.uint16))
    folder = tmp_path / "folder"
    folder.mkdir()
    bad = [empty, jpeg, truncated, rgb_png, odd, folder]
    status = main(["raw", "inspect", *map(str, bad[:3]), str(known_dng), *map(str, bad[3:])])
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == len(bad)
    for line, path in zip(lines, bad, strict=True):
        assert line.startswith(f"error: {path}: ")
    assert "GBRG" in captured.out  # the good file in the middle was still inspected


def test_single_bad_file(tmp_path: Path, capsys) -> None:
    assert main(["raw", "inspect", str(tmp_path / "missing.dng")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'missing.dng'}: no such file\n"


def test_bare_raw_group_prints_its_help(capsys) -> None:
    main(["raw"])
    assert "inspect" in capsys.readouterr().out
