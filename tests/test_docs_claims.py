"""What the documentation claims agrees with the code: output folders, image sizes, extras,
config comments, and no pointer to a file that a user's clone does not have."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch
import torch.nn.functional as F
import yaml
from torch import nn

from hdrisp.inference.develop import Developer
from hdrisp.raw import write_dng

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _user_facing_files() -> list[Path]:
    """Everything a user reads: the package, configs, notebooks, benchmarks and the docs."""
    files = [ROOT / name for name in ("README.md", "pyproject.toml", "Makefile",
                                      "environment.yml", "data/README.md")]
    for folder, patterns in (("hdrisp", ("*.py", "*.yaml")),
                             ("notebooks", ("*.py", "*.ipynb", "*.md")),
                             ("benchmarks", ("*.py", "*.md"))):
        files += [p for pattern in patterns for p in (ROOT / folder).rglob(pattern)
                  if ".ipynb_checkpoints" not in p.parts]
    return [p for p in files if p.is_file()]


def test_no_user_facing_file_points_outside_the_clone() -> None:
    pointers = re.compile(r"\.\./shared|shared/(raw|reference)|TRAINING\.md|ARCHITECTURE\.md"
                          r"|DESIGN\.md")
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in _user_facing_files()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if pointers.search(line)]
    assert not found, "\n".join(found)


def test_every_extra_a_message_or_page_names_exists() -> None:
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
                 ["optional-dependencies"])
    named = {m for path in _user_facing_files()
             for m in re.findall(r"hdrisp\[([a-z0-9_,-]+)\]|'\.\[([a-z0-9_,-]+)\]'",
                                 path.read_text(encoding="utf-8"))}
    names = {n for pair in named for group in pair if group for n in group.split(",")}
    assert names and names <= extras, names - extras


def test_the_configs_lr_comment_is_true(tmp_path) -> None:
    from hdrisp.training import load_config

    for name in ("paper.yaml", "paper_code.yaml"):
        text = (ROOT / "hdrisp" / "configs" / name).read_text()
        line = next(x for x in text.splitlines() if x.strip().startswith("lr:"))
        assert "works too" in line and "as a string" not in line
        assert yaml.safe_load("lr: 5e-5")["lr"] == "5e-5"  # YAML 1.1 itself reads a string
        dotless = tmp_path / name
        dotless.write_text(text.replace("lr: 5.0e-5", "lr: 5e-5"))
        shipped = load_config(ROOT / "hdrisp" / "configs" / name)
        assert load_config(dotless).optimizer.lr == shipped.optimizer.lr == pytest.approx(5e-5)


def test_the_notebooks_readme_names_where_demo_writes() -> None:
    from hdrisp.cli import build_parser

    parser = build_parser()
    demo_out = parser.parse_args(["demo"]).out
    readme = (ROOT / "notebooks" / "README.md").read_text()
    assert f"`{demo_out}/notebooks/`" in readme


class _Preview(nn.Module):
    """Packed [B, Gb, R, Gr] → RGB, nearest ×2 (an image of the packed input's size × 2)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rgb = torch.stack([x[:, 2], (x[:, 1] + x[:, 3]) / 2, x[:, 0]], dim=1)
        return F.interpolate(rgb, scale_factor=2, mode="nearest")


@pytest.mark.parametrize("cfa,size", [("RGGB", (46, 70)), ("GRBG", (46, 68)),
                                      ("GBRG", (44, 70)), ("BGGR", (44, 68))])
def test_develop_output_size_per_pattern_is_as_documented(tmp_path, cfa, size) -> None:
    """develop_file's docstring: an odd last row/column goes; non-RGGB patterns lose their
    first and last column (GRBG), row (GBRG) or both (BGGR)."""
    rng = np.random.default_rng(0)
    dng = write_dng(tmp_path / "f.dng", rng.integers(0, 1024, (46, 70), dtype=np.uint16),
                    cfa, 0, 1023)
    out = Developer(_Preview(), tile=None, device="cpu").develop_file(dng, tmp_path / "out")
    assert iio.imread(out).shape[:2] == size


def test_the_instructors_guide_covers_every_lesson() -> None:
    """notebooks/INSTRUCTORS.md: linked, objectives and measured times for every lesson, the
    paper named, a CPU-only class install that points at files the clone has."""
    guide = (ROOT / "notebooks" / "INSTRUCTORS.md").read_text(encoding="utf-8")
    for page in ("README.md", "notebooks/README.md"):
        assert "INSTRUCTORS.md" in (ROOT / page).read_text(encoding="utf-8"), page
    lessons = sorted(p.stem.split("_", 1)[0] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    assert lessons, "no lessons found"
    for number in lessons:
        assert f"After **{number} ·" in guide, f"no learning objectives for lesson {number}"
        assert re.search(rf"^\| {number} ·.*\d", guide, re.M), f"no measured time for {number}"
    assert "TIMES" not in guide, "a placeholder is left in the guide"
    assert "RAW to Tone-mapped HDR Camera ISP" in guide
    assert "--index-url https://download.pytorch.org/whl/cpu" in guide
    assert "environment.yml" in guide and (ROOT / "environment.yml").is_file()
