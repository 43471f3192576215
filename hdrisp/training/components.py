"""Building what one level trains with, from a :class:`TrainConfig`: model, loss, data."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from hdrisp.config import to_dict
from hdrisp.data import PairedRawDataset
from hdrisp.data.samplers import EpochSampler, PatchPairs, collate_pairs
from hdrisp.errors import ConfigError
from hdrisp.losses import LevelLoss
from hdrisp.models import build
from hdrisp.runtime import Runtime
from hdrisp.synth import ensure_default_dataset
from hdrisp.training.config import TrainConfig


def resolve_data_root(config: TrainConfig, data_root: str | os.PathLike | None = None) -> Path:
    """``data_root``, else ``config.data.root``, else the synthetic default set (built on first
    use by :func:`hdrisp.synth.ensure_default_dataset`, with a progress bar when
    ``logging.progress``)."""
    root = data_root if data_root is not None else config.data.root
    if root is not None:
        return Path(root)
    return Path(ensure_default_dataset(progress=config.logging.progress))


def build_model(config: TrainConfig, level: int) -> nn.Module:
    """The configured network, set to ``level`` (parameters from the current torch seed)."""
    return build(config.model.name, level=level, instance_norm=config.model.instance_norm)


def build_loss(config: TrainConfig, level: int) -> nn.Module:
    """The level's total loss (``hdrisp.losses.LevelLoss``) with the level's weight overrides
    and the configured histogram (``loss.histogram``)."""
    row = config.schedule(level)
    return LevelLoss(level, schedule=config.loss.schedule, weights=row.weights,
                     perceptual=config.loss.perceptual, vgg_weights=config.loss.vgg_weights,
                     histogram=to_dict(config.loss.histogram))


def _paired(root: Path, split: str, level: int, config: TrainConfig, *, augment: bool,
            patch: int | None, limit: int | None):
    cls = _cached_dataset_class() if config.data.cache else PairedRawDataset
    return cls(root, split, level, layout=config.data.layout, augment=augment, patch=patch,
               transpose=config.data.transpose, normalization=config.data.normalization,
               limit=limit)


@functools.cache
def _cached_dataset_class() -> type:
    """``PairedRawDataset`` that decodes each pair once and keeps it (``data.cache``)."""
    class CachedPairedRawDataset(PairedRawDataset):
        """Keeps the decoded (mosaic, target) of every pair read; crops and resizing still run
        per item, so augmentation is unchanged."""

        def load(self, index: int):
            cache = self.__dict__.setdefault("_decoded", {})
            if index not in cache:
                cache[index] = super().load(index)
            return cache[index]

    return CachedPairedRawDataset


def build_train_set(config: TrainConfig, level: int, root: Path) -> PatchPairs:
    """Training pairs of ``level``, each drawn reproducibly per (seed, epoch, item).

    With ``data.augment`` the dataset cuts random phase-preserving crops of the level's
    ``patch`` with flips and transposition; without it, :class:`PatchPairs` cuts plain random
    crops of that size (none when ``patch`` is None).
    """
    patch = config.schedule(level).patch
    augment = config.data.augment
    base = _paired(root, config.data.train_split, level, config, augment=augment,
                   patch=patch if augment else None, limit=config.data.train_limit)
    return PatchPairs(base, level, patch=None if augment else patch, seed=config.runtime.seed)


def build_val_set(config: TrainConfig, level: int, root: Path) -> PatchPairs:
    """The first ``validation.max_images`` pairs of the validation split, centre-cropped to
    ``validation.crop`` (raw pixels) when set."""
    base = _paired(root, config.data.val_split, level, config, augment=False,
                   patch=config.validation.crop, limit=config.validation.max_images)
    return PatchPairs(base, level, seed=config.runtime.seed)


def train_loader(dataset: PatchPairs, config: TrainConfig, level: int, runtime: Runtime
                 ) -> tuple[DataLoader, EpochSampler, int]:
    """A loader over ``dataset`` for this process, its sampler, and the steps per epoch.

    The level's ``batch`` is global: each of the ``world_size`` processes loads
    ``batch / world_size`` items per step. An epoch is ``len(dataset) // batch`` steps.
    """
    row = config.schedule(level)
    key = f"levels[{config.levels.index(row)}].batch"
    if row.batch % runtime.world_size:
        raise ConfigError(f"{key}: batch {row.batch} does not split over "
                          f"{runtime.world_size} processes")
    steps_per_epoch = len(dataset) // row.batch
    if steps_per_epoch == 0:
        raise ConfigError(f"{key}: batch {row.batch} is larger than the training set "
                          f"({len(dataset)} pairs)")
    sampler = EpochSampler(dataset, num_replicas=runtime.world_size, rank=runtime.rank,
                           seed=config.runtime.seed)
    workers = config.data.workers
    loader = DataLoader(dataset, batch_size=row.batch // runtime.world_size, sampler=sampler,
                        num_workers=workers, collate_fn=collate_pairs, drop_last=True,
                        pin_memory=runtime.pin_memory, persistent_workers=False,
                        generator=torch.Generator().manual_seed(config.runtime.seed))
    return loader, sampler, steps_per_epoch


def val_loader(dataset: PatchPairs, config: TrainConfig, runtime: Runtime) -> DataLoader:
    """A loader over the validation pairs in their stored order."""
    return DataLoader(dataset, batch_size=config.validation.batch, shuffle=False,
                      num_workers=config.data.workers, collate_fn=collate_pairs,
                      pin_memory=runtime.pin_memory)


__all__ = ["build_loss", "build_model", "build_train_set", "build_val_set",
           "resolve_data_root", "train_loader", "val_loader"]
