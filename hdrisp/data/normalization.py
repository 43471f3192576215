"""A data set's normalisation, read from its ``dataset.json``, and the one rule for a file.

A data set states how its PNG raws become the network's input in ``dataset.json``::

    {"normalization": {"mode": "levels", "black_level": 64.0, "white_level": 1023.0}, ...}

(:class:`hdrisp.raw.normalization.Normalization`; ``hdrisp data synth`` writes it). A set
without one (the paper's, Zurich's) uses the authors' ``legacy`` ÷1020. Synthetic sets
written before this entry existed stored a sentence there instead; their
``parameters.black_level`` is read then (``legacy`` for 0, ``levels`` otherwise).

Everything that reads a data set asks :func:`dataset_normalization`: training
(``data.normalization: auto``), :func:`hdrisp.evaluation.evaluate` and its classical
baselines, the data sets' classes. Single files (``develop``, ``compare``, full frames) ask
:func:`file_normalization`: a PNG raw follows the ``dataset.json`` of the set it sits in
(looked for up to three folders up: ``ROOT/test/full_resolution/x.png``), else ``legacy``;
a camera raw is always read with ``levels`` from its own metadata.

A set of several cameras (``hdrisp data synth --sensor cameras``: 10- to 14-bit raws, each
with its black level) states ``"per_pair": true``: each PNG raw is then read with its own
levels, which ``manifest.json`` records with the pair (:func:`pair_levels`,
:func:`rule_for_file`), so a 14-bit raw and a 10-bit one mean the same to the network.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from hdrisp.errors import DatasetError, HdrispError
from hdrisp.raw.normalization import NORMALIZATIONS, Normalization, camera_raw_normalization

DATASET_FILE = "dataset.json"
MANIFEST_FILE = "manifest.json"
#: how many folders above a PNG raw :func:`file_normalization` looks for ``dataset.json``
SEARCH_DEPTH = 3


def dataset_normalization(root: str | os.PathLike) -> Normalization:
    """The normalisation a data set's ``dataset.json`` states (``legacy`` without one).

    Raises:
        DatasetError: ``dataset.json`` exists but cannot be read or states an unknown mode,
            naming the file.
    """
    path = Path(root) / DATASET_FILE
    if not path.is_file():
        return Normalization("legacy")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"unreadable data set description ({exc})", path) from None
    if not isinstance(info, dict):
        raise DatasetError("the top level must be a JSON object", path)
    entry = info.get("normalization")
    try:
        if isinstance(entry, dict):
            return Normalization.from_dict(entry)
        parameters = info.get("parameters") or {}
        black = float(parameters.get("black_level", 0.0))
        white = float(parameters.get("white_level", 1023.0))
        return Normalization("legacy" if black == 0 else "levels", black, white)
    except (HdrispError, TypeError, ValueError) as exc:
        problem = getattr(exc, "problem", str(exc))
        raise DatasetError(f"normalization: {problem}", path) from None


def dataset_fingerprint(root: str | os.PathLike) -> str | None:
    """SHA-256 of the set's ``dataset.json`` (its generator, version, parameters and counts),
    or None for a set without one: what a training run records, so that a level is never
    continued on another set of the same folder (``hdrisp data synth`` rebuilt it)."""
    path = Path(root) / DATASET_FILE
    if not path.is_file():
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise DatasetError(f"unreadable data set description ({exc})", path) from None


def resolve_normalization(root: str | os.PathLike, choice: str = "auto",
                          black_level: float | None = None,
                          white_level: float | None = None) -> Normalization:
    """``choice`` ``"auto"`` → the data set's own; ``"legacy"``/``"levels"`` override its mode.

    ``black_level`` / ``white_level`` (PNG raws' levels, DN) override the data set's.
    """
    if choice != "auto" and choice not in NORMALIZATIONS:
        raise DatasetError(f"unknown normalization {choice!r}; expected auto, "
                           f"{', '.join(NORMALIZATIONS)}")
    found = dataset_normalization(root)
    mode = found.mode if choice == "auto" else choice
    # a set's per-pair levels hold while levels are read and none are given instead
    per_pair = found.per_pair and mode == "levels" and black_level is None \
        and white_level is None
    return Normalization(mode,  # type: ignore[arg-type]
                         found.black_level if black_level is None else black_level,
                         found.white_level if white_level is None else white_level, per_pair)


def pair_levels(root: str | os.PathLike) -> dict[str, tuple[float, float]]:
    """Each PNG raw's own (black, white) levels in DN, keyed by its path relative to
    ``root`` (``train/raw/0.png``), from the set's ``manifest.json``: every record's
    ``raw`` and its ``sensor``'s ``black_level`` / ``white_level`` (``hdrisp data synth``
    writes them). Empty without a manifest.

    Raises:
        DatasetError: the manifest cannot be read, naming it.
    """
    path = Path(root) / MANIFEST_FILE
    if not path.is_file():
        return {}
    try:
        records = json.loads(path.read_text(encoding="utf-8")).get("pairs", [])
        return {str(r["raw"]): (float(r["sensor"]["black_level"]),
                                float(r["sensor"]["white_level"]))
                for r in records if "raw" in r and "sensor" in r}
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise DatasetError(f"unreadable manifest ({exc})", path) from None


def rule_for_file(rule: Normalization, root: str | os.PathLike, path: str | os.PathLike,
                  levels: dict[str, tuple[float, float]] | None = None) -> Normalization:
    """``rule`` for one PNG raw of the set at ``root``: with ``per_pair``, the file's own
    levels (:func:`pair_levels`, or ``levels`` already read from it); else ``rule`` itself.

    Raises:
        DatasetError: a per-pair set's manifest records no levels for the file.
    """
    if not rule.per_pair:
        return rule
    table = pair_levels(root) if levels is None else levels
    key = Path(os.path.relpath(Path(path).resolve(), Path(root).resolve())).as_posix()
    if key not in table:
        raise DatasetError(f"the set reads each raw with its own levels, but {MANIFEST_FILE} "
                           "records none for this file", path)
    return rule.with_levels(*table[key])


def containing_dataset(path: str | os.PathLike) -> Path | None:
    """The nearest folder at most :data:`SEARCH_DEPTH` above ``path`` holding a
    ``dataset.json``, or None."""
    folder = Path(path).resolve().parent
    for candidate in [folder, *folder.parents][:SEARCH_DEPTH]:
        if (candidate / DATASET_FILE).is_file():
            return candidate
    return None


def file_normalization(path: str | os.PathLike) -> Normalization:
    """The rule for one raw file (module docstring): its data set's for a PNG raw, else
    ``levels`` from the camera raw's own metadata."""
    if Path(path).suffix.lower() != ".png":
        return camera_raw_normalization()
    root = containing_dataset(path)
    if root is None:
        return Normalization("legacy")
    return rule_for_file(dataset_normalization(root), root, path)


__all__ = ["DATASET_FILE", "MANIFEST_FILE", "containing_dataset", "dataset_fingerprint",
           "dataset_normalization",
           "file_normalization", "pair_levels", "resolve_normalization", "rule_for_file"]
