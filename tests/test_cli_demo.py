"""`hdrisp demo` (without the notebooks, which tests/test_notebooks.py runs)."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np

from hdrisp.cli import main


def test_demo_inspects_and_previews_a_synthetic_dng(tiny_synthetic, tmp_path, monkeypatch,
                                                    capsys) -> None:
    import hdrisp.synth

    monkeypatch.setattr(hdrisp.synth, "ensure_default_dataset", lambda **_: tiny_synthetic)
    out = tmp_path / "demo"
    assert main(["demo", "--no-notebooks", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "pattern        RGGB" in text and "white level    1023" in text
    previews = list(out.glob("*_classical_preview.png"))
    assert len(previews) == 1
    img = iio.imread(previews[0])
    assert img.dtype == np.uint8 and img.shape == (128, 192, 3)
    assert 5 < img.mean() < 250 and img.std() > 5  # a picture, not a blank frame


def test_cli_lists_every_command(capsys) -> None:
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    for command in ("raw", "data", "model", "develop", "train", "evaluate", "compare", "study",
                    "demo"):
        assert command in out
