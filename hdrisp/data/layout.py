"""Where the files of a paired data set live, and how a pair's two files are found.

Two layouts (each described in ``data/README.md``):

- ``"paper"``: ``{split}/raw/{i}.png`` with ``{split}/groundtruth/{i}.jpg``, and full frames
  in ``test/full_resolution/`` (targets, when there are any, in its ``groundtruth/``);
- ``"zurich"`` (Zurich RAW-to-RGB): ``{split}/huawei_raw/{i}.png`` with
  ``{split}/canon/{i}.jpg``, and full frames in ``test/huawei_full_resolution/``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hdrisp.errors import DatasetError

RAW_SUFFIXES = frozenset({".png", ".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw",
                          ".orf", ".rw2", ".raf", ".pef", ".srw", ".raw", ".3fr", ".iiq"})


@dataclass(frozen=True)
class Layout:
    """Folder names of a paired data set's layout."""

    name: str
    raw_dir: str
    target_dir: str
    full_dir: str
    raw_suffix: str = ".png"
    target_suffix: str = ".jpg"
    full_target_dir: str | None = "groundtruth"


LAYOUTS: dict[str, Layout] = {
    "paper": Layout("paper", "raw", "groundtruth", "full_resolution"),
    "zurich": Layout("zurich", "huawei_raw", "canon", "huawei_full_resolution"),
}


def get_layout(name: str | Layout, root: str | os.PathLike | None = None) -> Layout:
    """The :class:`Layout` called ``name``; ``"auto"`` detects it from ``root``'s folders."""
    if isinstance(name, Layout):
        return name
    if name == "auto":
        if root is None:
            raise DatasetError("layout 'auto' needs the data set's root folder")
        for layout in LAYOUTS.values():
            if any((Path(root) / split / layout.raw_dir).is_dir() for split in ("train", "test")):
                return layout
        raise DatasetError("no known layout found (expected train/raw or train/huawei_raw)",
                           root)
    if name not in LAYOUTS:
        raise DatasetError(f"unknown layout {name!r}; expected one of {sorted(LAYOUTS)} or auto")
    return LAYOUTS[name]


def sort_key(path: Path) -> tuple:
    """Numeric stems in numeric order (2 before 10), then other names alphabetically."""
    return (0, int(path.stem), "") if path.stem.isdigit() else (1, 0, path.name)


def visible_files(folder: Path) -> list[Path]:
    """Regular files of a folder, hidden ones (``.name``) left out, in :func:`sort_key` order."""
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")),
                  key=sort_key)


@dataclass(frozen=True)
class PairListing:
    """The pairs of a split, and the files that do not form a pair."""

    pairs: list[tuple[Path, Path]]
    missing_target: list[Path]  # raw files without a target
    missing_raw: list[Path]  # target files without a raw file
    unexpected: list[Path]  # files with a suffix that does not belong in the folder


def list_pairs(root: str | os.PathLike, split: str, layout: Layout) -> PairListing:
    """Match the raw and target files of ``root/split`` by stem.

    Raises:
        DatasetError: when ``root/split`` has no raw folder at all.
    """
    base = Path(root) / split
    raw_dir, target_dir = base / layout.raw_dir, base / layout.target_dir
    if not raw_dir.is_dir():
        raise DatasetError(f"no {layout.raw_dir}/ folder: not a {layout.name}-layout split",
                           raw_dir)
    raws: dict[str, Path] = {}
    targets: dict[str, Path] = {}
    unexpected: list[Path] = []
    for folder, suffix, found in ((raw_dir, layout.raw_suffix, raws),
                                  (target_dir, layout.target_suffix, targets)):
        for p in visible_files(folder):
            if p.suffix.lower() == suffix:
                found[p.stem] = p
            else:
                unexpected.append(p)
    pairs = [(raws[s], targets[s]) for s in raws if s in targets]
    return PairListing(
        pairs=pairs,
        missing_target=[raws[s] for s in raws if s not in targets],
        missing_raw=[targets[s] for s in targets if s not in raws],
        unexpected=unexpected,
    )
