"""hdrisp: a learned camera ISP from 10-bit Bayer RAW to a tone-mapped HDR look.

Layers, bottom to top (each module imports only those below it):

- ``errors``, ``config``              exceptions and frozen dataclass configs
- ``raw``, ``dng``, ``bayer``, ``color``, ``rawstats``
                                      raw file I/O, DNG writer, mosaic operations (numpy)
- ``losses``, ``metrics``             RGB-uv histogram, distances, perceptual/SSIM terms
- ``models``                          RawTonemapNet (the paper) and PyNET (baseline)
- ``synth``, ``isp``                  synthetic paired data; classical ISP and tone maps
- ``data``                            torch datasets and the dataset validator
- ``tiling``, ``develop``             overlapping blended tiles; full-resolution develop
- ``metrics``, ``evaluation``, ``compare``  metric tables and the paper-style figure
- ``training``                        staged level-by-level training
- ``viz``, ``widgets``, ``tutorial``, ``notebook_runner``, ``cli``
                                      figures, ipywidgets, notebook helpers, the ``hdrisp`` command
"""

from hdrisp.errors import (
    CheckpointError,
    ConfigError,
    DatasetError,
    HdrispError,
    RawFormatError,
)

__version__ = "0.1.0"

__all__ = [
    "HdrispError",
    "RawFormatError",
    "DatasetError",
    "CheckpointError",
    "ConfigError",
    "__version__",
]
