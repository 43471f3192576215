"""Feeding training batches in a reproducible, resumable order.

Two pieces make a run repeatable and exactly resumable, with any number of loader workers and
processes:

- :class:`EpochSampler` is a ``DistributedSampler`` (the same shuffled order for a given seed
  and epoch, split over ranks by striding) that yields ``(epoch, index)`` keys and can start
  part-way through an epoch. Rank r of W takes positions r, r+W, ... of the epoch's order, so
  W processes with batch B/W see, step by step, the same samples as one process with batch B.
- :class:`PatchPairs` wraps a paired dataset (``(raw 4×h×w, target 3×H×W)`` items, the target
  at the level's scale) and cuts random patches from it. Every random choice of item
  ``(epoch, index)`` — the crop and the wrapped dataset's own augmentation — is drawn from
  generators seeded by ``(seed, epoch, index)`` only, never from a global stream.

Patch sides are in raw (Bayer) pixels: a raw patch of side p is a packed input of side p/2 and
a level-L target of side p·2^(−L). Crops start on a 16-raw-pixel grid so that every level's
target is cut at whole pixels.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, DistributedSampler

from hdrisp.errors import DatasetError
from hdrisp.models.pyramid import level_scale

GRID = 8  # packed pixels: crops start at multiples of 8 (16 raw pixels)


def _sample_seed(seed: int, epoch: int, index: int) -> int:
    """A 63-bit seed that depends only on (seed, epoch, index)."""
    words = np.random.SeedSequence([seed, epoch, index]).generate_state(2, np.uint32)
    return (int(words[0]) << 31) ^ int(words[1])


class EpochSampler(DistributedSampler):
    """``DistributedSampler`` yielding ``(epoch, index)`` keys, resumable mid-epoch.

    Args:
        dataset: the training dataset (only its length is used).
        num_replicas, rank: the distributed world (1 and 0 for a single process).
        seed: shuffling seed; epoch e uses ``torch.randperm`` seeded with ``seed + e``.
    """

    def __init__(self, dataset: Any, num_replicas: int = 1, rank: int = 0, seed: int = 0,
                 shuffle: bool = True) -> None:
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=shuffle,
                         seed=seed, drop_last=False)
        self.start = 0

    def set_start(self, start: int) -> None:
        """Skip the first ``start`` positions of this rank's order (resuming mid-epoch)."""
        self.start = int(start)

    def __iter__(self):
        order = list(super().__iter__())
        epoch = self.epoch
        return iter([(epoch, int(i)) for i in order[self.start:]])

    def __len__(self) -> int:
        return max(0, self.num_samples - self.start)


class PatchPairs(Dataset):
    """Random (or centre) patches of a paired dataset, drawn reproducibly.

    Args:
        base: dataset of ``(raw 4×h×w float32, target 3×H×W float32)`` for ``level``.
        level: pyramid level of the targets (sets their scale).
        patch: raw-side patch size (multiple of 16), or None for whole items.
        seed: base seed of every per-item generator.
        centre: take the centred patch instead of a random one (validation).

    Items are addressed by ``(epoch, index)`` (from :class:`EpochSampler`) or a plain index
    (epoch 0). Returns ``(raw 4×p/2×p/2, target 3×s×s)`` with ``s = p/2 · 2^(1−level)``.
    """

    def __init__(self, base: Any, level: int, patch: int | None = None, seed: int = 0,
                 centre: bool = False) -> None:
        self.base = base
        self.level = level
        self.patch = patch
        self.seed = seed
        self.centre = centre

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, key: int | tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        epoch, index = key if isinstance(key, tuple) else (0, key)
        item_seed = _sample_seed(self.seed, epoch, index)
        with _seeded_global_generators(item_seed):
            raw, target = self.base[index]
        raw, target = torch.as_tensor(raw), torch.as_tensor(target)
        if self.patch is None:
            return raw, target
        return self._crop(raw, target, np.random.default_rng(item_seed), index)

    def _crop(self, raw: torch.Tensor, target: torch.Tensor, rng: np.random.Generator,
              index: int) -> tuple[torch.Tensor, torch.Tensor]:
        side = self.patch // 2
        scale = level_scale(self.level)
        h, w = raw.shape[-2:]
        if side > h or side > w:
            raise DatasetError(f"patch {self.patch} (raw pixels) is larger than pair {index} "
                               f"({2 * h}×{2 * w} raw); lower the level's patch")
        if round(h * scale) != target.shape[-2] or round(w * scale) != target.shape[-1]:
            raise DatasetError(f"pair {index}: target {tuple(target.shape[-2:])} does not match "
                               f"raw {2 * h}×{2 * w} at level {self.level}")
        if self.centre:
            y = (h - side) // 2 // GRID * GRID
            x = (w - side) // 2 // GRID * GRID
        else:
            y = GRID * int(rng.integers(0, (h - side) // GRID + 1))
            x = GRID * int(rng.integers(0, (w - side) // GRID + 1))
        ty, tx, ts = round(y * scale), round(x * scale), round(side * scale)
        return (raw[..., y:y + side, x:x + side].contiguous(),
                target[..., ty:ty + ts, tx:tx + ts].contiguous())


class _seeded_global_generators:
    """Seed python/numpy/torch global generators for one item, restoring them afterwards, so a
    wrapped dataset's augmentation depends only on the item and not on the global stream."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __enter__(self) -> None:
        self.saved = (random.getstate(), np.random.get_state(), torch.get_rng_state())
        random.seed(self.seed)
        np.random.seed(self.seed % 2**32)
        torch.manual_seed(self.seed)

    def __exit__(self, *exc: object) -> None:
        random.setstate(self.saved[0])
        np.random.set_state(self.saved[1])
        torch.set_rng_state(self.saved[2])


def collate_pairs(batch: list[tuple[torch.Tensor, torch.Tensor]]
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack ``(raw, target)`` items into ``(B×4×h×w, B×3×H×W)``; DatasetError when sizes
    differ (set the level's ``patch`` so that every item has the same size)."""
    raws, targets = zip(*batch, strict=True)
    sizes = {tuple(r.shape) for r in raws}
    if len(sizes) > 1:
        raise DatasetError(f"training pairs of different sizes {sorted(sizes)[:3]} in one batch; "
                           "set the level's patch so that they are cropped to one size")
    return torch.stack(raws), torch.stack(targets)


__all__ = ["EpochSampler", "PatchPairs", "collate_pairs"]
