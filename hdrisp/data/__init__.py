"""Datasets, phase-preserving augmentation, the data set validator and Zurich preparation.

- :mod:`~hdrisp.data.layout`: the paper and Zurich folder layouts, pair listing;
- :mod:`~hdrisp.data.augment`: crops and flips that keep the Bayer phase;
- :mod:`~hdrisp.data.normalization`: a data set's normalisation (``dataset.json``) and the
  rule for a single raw file;
- :mod:`~hdrisp.data.datasets`: :class:`PairedRawDataset`, :class:`FullResolutionDataset`;
- :mod:`~hdrisp.data.check`: :func:`check_dataset`;
- :mod:`~hdrisp.data.zurich`: :func:`prepare_zurich`.
"""

from hdrisp.data.augment import Augmentation, apply_augmentation, sample_augmentation
from hdrisp.data.check import DatasetReport, Problem, check_dataset
from hdrisp.data.datasets import (
    FullResolutionDataset,
    PairedRawDataset,
    read_target,
    resize_target,
    target_size_for_level,
)
from hdrisp.data.layout import LAYOUTS, Layout, get_layout, list_pairs
from hdrisp.data.zurich import prepare_zurich

__all__ = [
    "LAYOUTS",
    "Augmentation",
    "DatasetReport",
    "FullResolutionDataset",
    "Layout",
    "PairedRawDataset",
    "Problem",
    "apply_augmentation",
    "check_dataset",
    "get_layout",
    "list_pairs",
    "prepare_zurich",
    "read_target",
    "resize_target",
    "sample_augmentation",
    "target_size_for_level",
]
