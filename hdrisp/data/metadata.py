"""The camera metadata recorded with each pair of a data set, for the classical baselines.

A camera's own ISP develops a raw with the raw's as-shot white balance and colour matrix.
A PNG raw carries neither, but the synthetic set records both for every pair in its
``manifest.json`` (:mod:`hdrisp.synth.dataset`). :func:`read_pair_metadata` reads them,
keyed by each raw file's path relative to the data set's folder (``"test/raw/7.png"``,
``"test/full_resolution/0.png"``), so that the evaluation can hand the classical rows what
a camera would know. Sets without a manifest (Zurich, the paper's) have none.

Examples:
    >>> import tempfile
    >>> from hdrisp.synth import generate_dataset
    >>> root = generate_dataset(tempfile.mkdtemp(), n_train=1, n_test=1, patch=32, n_full=0)
    >>> meta = read_pair_metadata(root)["test/raw/0.png"]
    >>> meta.wb[1], meta.color_matrix.shape, meta.scene in ("chelsea", "rocket")
    (1.0, (3, 3), True)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True, eq=False)
class PairMetadata:
    """What is known of one pair's camera and scene.

    Attributes:
        wb: as-shot white-balance multipliers (R, G, B), G = 1.
        color_matrix: 3×3 white-balanced camera RGB → linear sRGB.
        source: the source photograph (synthetic sets), or None.
        scene: the scene it shows (synthetic sets), or None.
    """

    wb: tuple[float, float, float] | None
    color_matrix: np.ndarray | None
    source: str | None = None
    scene: str | None = None


def read_pair_metadata(root: str | os.PathLike) -> dict[str, PairMetadata]:
    """Relative raw path → :class:`PairMetadata` for every pair and frame in
    ``root/manifest.json``; an empty dict when there is no readable manifest."""
    try:
        manifest = json.loads((Path(root) / "manifest.json").read_text())
        records = list(manifest["pairs"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    found = {}
    for record in records:
        if not isinstance(record, dict) or "raw" not in record:
            continue
        sensor = record.get("sensor") or {}
        wb = sensor.get("wb")
        matrix = sensor.get("color_matrix")
        found[str(record["raw"])] = PairMetadata(
            wb=tuple(float(v) for v in wb) if wb is not None else None,
            color_matrix=np.asarray(matrix, dtype=np.float32) if matrix is not None else None,
            source=(record.get("view") or {}).get("source"),
            scene=record.get("scene"))
    return found


def metadata_for(root: str | os.PathLike, raw_path: str | os.PathLike,
                 table: dict[str, PairMetadata]) -> PairMetadata | None:
    """The entry of ``table`` (from :func:`read_pair_metadata`) for a raw file of ``root``."""
    try:
        key = Path(raw_path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return None
    return table.get(key)


__all__ = ["PairMetadata", "metadata_for", "read_pair_metadata"]
