"""Torch datasets over paired raw/target folders and over full-resolution frames.

The authors' conventions: the raw input is the packed RGGB mosaic, 4×h×w with
channels [B, Gb, R, Gr], normalised as the data set's ``dataset.json`` states
(:mod:`hdrisp.data.normalization`): the authors' ÷1020 (``legacy``, no black subtraction;
the default of sets without one) or ``levels`` (black subtracted, divided by
white − black). The target is the 8-bit RGB picture divided by 255 and, for
pyramid level L, resized with PIL's bicubic filter to side × scale / 2 with
scale = 1 / 2^(L − 1): 448 → 448, 224, 112, 56, 28 for L = 0 … 4.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from hdrisp.data.augment import (
    Augmentation,
    apply_augmentation,
    default_patch,
    sample_augmentation,
)
from hdrisp.data.layout import RAW_SUFFIXES, get_layout, list_pairs, sort_key
from hdrisp.data.normalization import (
    file_normalization,
    pair_levels,
    resolve_normalization,
    rule_for_file,
)
from hdrisp.errors import DatasetError, HdrispError
from hdrisp.models.pyramid import level_size
from hdrisp.raw import RawImage
from hdrisp.raw.bayer import pack, rggb_offset
from hdrisp.raw.normalization import Normalization


def target_size_for_level(side: int, level: int) -> int:
    """Target side at pyramid ``level`` for a full-resolution (raw) ``side``: the network's
    output side for the packed input of side/2 (:func:`hdrisp.models.pyramid.level_size`;
    448 → 448, 224, 112, 56, 28)."""
    return level_size(side // 2, level)


def read_target(path: str | os.PathLike) -> np.ndarray:
    """uint8 H×W×3 RGB of a target picture. Raises DatasetError naming the file."""
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except (OSError, ValueError, SyntaxError) as exc:
        raise DatasetError(f"unreadable target picture ({exc})", path) from None


def read_mosaic(path: str | os.PathLike, normalization: Normalization | None = None, *,
                crop_odd: bool = False) -> RawImage:
    """Read a raw file (PNG raw or camera raw) as a RawImage; DatasetError naming the file.

    A PNG raw gets the levels of ``normalization`` (default: black 0, white 1023); a camera
    raw keeps its own.
    """
    try:
        return (normalization or Normalization()).read(path, crop_odd=crop_odd)
    except HdrispError as exc:
        raise DatasetError(exc.problem, path) from None


def resize_target(target: np.ndarray, level: int) -> np.ndarray:
    """Resize a uint8 H×W×3 target for ``level`` (PIL bicubic) → float32 3×h×w in [0, 1]."""
    h, w = target.shape[:2]
    size = (target_size_for_level(w, level), target_size_for_level(h, level))
    image = Image.fromarray(target)
    if size != image.size:
        image = image.resize(size, Image.BICUBIC)
    return np.asarray(image, dtype=np.float32).transpose(2, 0, 1) / np.float32(255.0)


class PairedRawDataset(Dataset):
    """(packed raw, target) pairs of one split of a paper- or Zurich-layout data set.

    Args:
        root: the data set's folder (holding ``train/`` and ``test/``).
        split: ``"train"`` or ``"test"`` (any sub-folder name works).
        level: pyramid level 0-4; sets the target's size (module docstring).
        layout: ``"paper"``, ``"zurich"`` or ``"auto"``.
        augment: random phase-preserving crops, flips and transposition (see
            :mod:`hdrisp.data.augment`); the random numbers come from torch's generator,
            so ``torch.manual_seed`` and DataLoader worker seeding make them reproducible.
        transpose: let ``augment`` transpose square crops (which swaps the two green
            photosites between the packed Gb and Gr channels; :mod:`hdrisp.data.augment`).
        patch: side of the (square) crop in mosaic pixels, even. Default: no crop without
            ``augment``; with it, the largest multiple of 16 below side − 1 (432 for 448),
            since a flip needs one pixel of room to keep the Bayer phase.
        normalization: ``"auto"`` (default): what the set's ``dataset.json`` states, else
            ``"legacy"`` (÷1020, the authors'); ``"legacy"`` or ``"levels"`` override its mode.
            The resolved :class:`~hdrisp.raw.normalization.Normalization` is
            :attr:`normalization`.
        black_level, white_level: the PNG raws' levels in DN (PNG raws carry none), overriding
            the set's (default: the set's, else 0 and 1023).
        on_error: ``"raise"`` (default): a missing or unreadable file raises DatasetError
            naming it. ``"skip"``: unpaired files are left out at construction and a pair
            that fails to load is replaced by the next one; both are counted in
            :attr:`skipped` (per process).
        limit: use only the first ``limit`` pairs.

    Items:
        ``(raw, target)``: float32 tensors 4×h×w (h = H/2) and 3×H'×W' (H' for the level).

    Examples:
        >>> import tempfile
        >>> from hdrisp.synth import generate_dataset
        >>> root = generate_dataset(tempfile.mkdtemp(), n_train=2, n_test=1, patch=64,
        ...                         n_full=0, workers=1, progress=False)
        >>> raw, target = PairedRawDataset(root, "train", level=1)[0]
        >>> tuple(raw.shape), tuple(target.shape)       # level 1: target = packed size
        ((4, 32, 32), (3, 32, 32))
    """

    def __init__(self, root: str | os.PathLike, split: str = "train", level: int = 0,
                 layout: str = "paper", augment: bool = False, *, patch: int | None = None,
                 transpose: bool = True, normalization: str = "auto",
                 black_level: float | None = None, white_level: float | None = None,
                 on_error: str = "raise", limit: int | None = None) -> None:
        if on_error not in ("raise", "skip"):
            raise DatasetError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        target_size_for_level(2, level)  # validates the level
        self.root, self.split, self.level = Path(root), split, level
        self.layout = get_layout(layout, root)
        self.augment, self.patch, self.transpose = augment, patch, transpose
        try:
            self.normalization = resolve_normalization(root, normalization, black_level,
                                                       white_level)
            # per-pair levels (a set of several cameras): each raw's own, read once
            self._levels = pair_levels(root) if self.normalization.per_pair else None
        except HdrispError as exc:
            raise DatasetError(exc.problem, exc.path or root) from None
        self.on_error = on_error
        self.skipped: list[tuple[str, str]] = []
        listing = list_pairs(self.root, split, self.layout)
        broken = listing.missing_target + listing.missing_raw
        if broken and on_error == "raise":
            kind = "target" if listing.missing_target else "raw file"
            raise DatasetError(f"no matching {kind} for this file ({len(broken)} unpaired "
                               "file(s); `hdrisp data check` lists them all)", broken[0])
        self.skipped += [(str(p), "unpaired") for p in broken]
        self.pairs = listing.pairs[:limit] if limit is not None else listing.pairs
        if not self.pairs:
            raise DatasetError(f"no pairs in split {split!r}",
                               self.root / split / self.layout.raw_dir)

    def __len__(self) -> int:
        return len(self.pairs)

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Pair ``index`` before cropping: float32 H×W normalised mosaic, uint8 H×W×3 target."""
        raw_path, target_path = self.pairs[index]
        rule = rule_for_file(self.normalization, self.root, raw_path, self._levels)
        raw = read_mosaic(raw_path, rule)
        if raw.cfa != "RGGB":
            raise DatasetError(f"{raw.cfa} mosaic; paired sets hold RGGB data", raw_path)
        target = read_target(target_path)
        if target.shape[:2] != raw.shape:
            raise DatasetError(f"target is {target.shape[0]}×{target.shape[1]} (H×W) but its "
                               f"raw {raw_path.name} is {raw.shape[0]}×{raw.shape[1]} "
                               "(they must match)", target_path)
        return rule.apply(raw), target

    def _augmentation(self, shape: tuple[int, int]) -> Augmentation | None:
        """The crop/flips for one item: random with ``augment``, else a centred crop or none."""
        if self.augment:
            crop = ((self.patch, self.patch) if self.patch is not None
                    else (default_patch(shape[0]), default_patch(shape[1])))
            seed = int(torch.randint(0, 2**62, ()).item())
            return sample_augmentation(np.random.default_rng(seed), shape, crop,
                                       transpose=self.transpose)
        if self.patch is None or (self.patch, self.patch) == shape:
            return None
        if self.patch > min(shape) or self.patch % 2:
            raise DatasetError(f"patch {self.patch} must be even and fit in {shape}")
        # centred, on even offsets
        top, left = (shape[0] - self.patch) // 4 * 2, (shape[1] - self.patch) // 4 * 2
        return Augmentation(top, left, self.patch, self.patch)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        for attempt in range(len(self.pairs)):
            i = (index + attempt) % len(self.pairs)
            try:
                mosaic, target = self.load(i)
                break
            except DatasetError as exc:
                if self.on_error == "raise":
                    raise
                self.skipped.append((str(exc.path), exc.problem))
        else:
            raise DatasetError("every pair failed to load", self.root / self.split)
        aug = self._augmentation(mosaic.shape)
        if aug is not None:
            mosaic, target = apply_augmentation(mosaic, target, aug)
        raw = torch.from_numpy(pack(mosaic, "RGGB"))
        return raw, torch.from_numpy(resize_target(target, self.level))


class FullResolutionDataset(Dataset):
    """Full frames (PNG raws or any camera raw) with their targets when there are any.

    Args:
        root: a data set's folder (frames in ``test/<full_dir>/``) or a folder of frames.
        layout: ``"paper"``, ``"zurich"`` or ``"auto"`` (for a data set's folder).
        level: pyramid level for the targets' size.
        suffixes: which file types count as frames, in order of preference when one frame
            exists in several (the synthetic set writes each as ``.png`` and ``.dng``).
            Default: ``.png`` first, then every camera raw type.
        normalization: ``"auto"`` (the rule of :func:`hdrisp.data.normalization.file_normalization`:
            a PNG raw as its set's ``dataset.json`` states, else ÷1020; a camera raw with its
            own black/white levels), ``"legacy"`` or ``"levels"``.
        multiple: crop the packed frame (top-left, so the phase is kept) to a multiple of this.

    Items:
        dict with ``raw`` (float32 4×h×w), ``name`` (file stem), ``path`` (str), ``cfa`` and,
        when ``groundtruth/{name}.jpg`` exists, ``target`` (float32 3×H×W for the level).
    """

    def __init__(self, root: str | os.PathLike, *, layout: str = "paper", level: int = 0,
                 suffixes: Sequence[str] | None = None, normalization: str = "auto",
                 multiple: int = 1) -> None:
        root = Path(root)
        lay = get_layout(layout, root) if (root / "test").is_dir() else get_layout(layout)
        folder = root / "test" / lay.full_dir if (root / "test").is_dir() else root
        if not folder.is_dir():
            raise DatasetError("no full-resolution folder", folder)
        order = [s.lower() for s in (suffixes or [".png", *sorted(RAW_SUFFIXES - {".png"})])]
        chosen: dict[str, Path] = {}
        for p in sorted(folder.iterdir(), key=sort_key):
            suffix = p.suffix.lower()
            if not p.is_file() or p.name.startswith(".") or suffix not in order:
                continue
            best = chosen.get(p.stem)
            if best is None or order.index(suffix) < order.index(best.suffix.lower()):
                chosen[p.stem] = p
        self.files = sorted(chosen.values(), key=sort_key)
        if not self.files:
            raise DatasetError(f"no frames ({', '.join(order)}) in this folder", folder)
        self.folder, self.level, self.multiple = folder, level, max(1, int(multiple))
        self.target_dir = folder / lay.full_target_dir if lay.full_target_dir else None
        self.normalization = normalization

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict:
        path = self.files[index]
        rule = file_normalization(path)
        if self.normalization != "auto":
            rule = Normalization(self.normalization, rule.black_level,  # type: ignore[arg-type]
                                 rule.white_level)
        raw = read_mosaic(path, rule, crop_odd=True)
        packed = pack(rule.apply(raw), raw.cfa)
        h = packed.shape[1] // self.multiple * self.multiple
        w = packed.shape[2] // self.multiple * self.multiple
        if h == 0 or w == 0:
            raise DatasetError(f"frame smaller than {self.multiple} packed pixels", path)
        item = {"raw": torch.from_numpy(np.ascontiguousarray(packed[:, :h, :w])),
                "name": path.stem, "path": str(path), "cfa": raw.cfa}
        target_path = self.target_dir / f"{path.stem}.jpg" if self.target_dir else None
        if target_path is not None and target_path.is_file():
            target = read_target(target_path)
            if target.shape[:2] != raw.shape:
                raise DatasetError(f"target is {target.shape[0]}×{target.shape[1]} (H×W) but "
                                   f"the frame is {raw.shape[0]}×{raw.shape[1]}", target_path)
            dr, dc = rggb_offset(raw.cfa)
            target = target[dr: dr + 2 * h, dc: dc + 2 * w]
            item["target"] = torch.from_numpy(resize_target(np.ascontiguousarray(target),
                                                            self.level))
        return item
