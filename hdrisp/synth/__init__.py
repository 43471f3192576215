"""Synthetic paired data: bundled photographs → (10-bit Bayer raw, "HDR look" target).

The paper's data set is private and Zurich RAW-to-RGB cannot be fetched everywhere, so
every command and notebook can run on a set generated here (numpy + OpenCV, no torch):

- :mod:`~hdrisp.synth.sources`: the bundled photographs, their random crops and the
  colour shift of training crops (:class:`HueShift`);
- :mod:`~hdrisp.synth.unprocess`: sRGB → raw "unprocessing" (Brooks et al., CVPR 2019),
  with every sampled parameter kept;
- :mod:`~hdrisp.synth.hdr_look`: the target's classical tone-mapping operator;
- :mod:`~hdrisp.synth.dataset`: :func:`generate_dataset` writes a set in the paper's layout;
- :mod:`~hdrisp.synth.cache`: :func:`ensure_default_dataset` builds the default set once.
"""

from hdrisp.synth.cache import default_data_dir, ensure_default_dataset
from hdrisp.synth.dataset import SyntheticPair, generate_dataset, synthesize_pair
from hdrisp.synth.hdr_look import HDRLook, hdr_look, hdr_look_of_view
from hdrisp.synth.sources import (
    SOURCES,
    TEST_SCENES,
    HueShift,
    load_sources,
    split_sources,
)
from hdrisp.synth.unprocess import SensorParams, sample_sensor, unprocess

__all__ = [
    "SOURCES",
    "TEST_SCENES",
    "HDRLook",
    "HueShift",
    "SensorParams",
    "SyntheticPair",
    "default_data_dir",
    "ensure_default_dataset",
    "generate_dataset",
    "hdr_look",
    "hdr_look_of_view",
    "load_sources",
    "sample_sensor",
    "split_sources",
    "synthesize_pair",
    "unprocess",
]
