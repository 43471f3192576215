"""hdrisp: a learned camera ISP from Bayer RAW to a tone-mapped HDR look.

A folder is a layer; each imports only the layers above it in this list:

- ``errors``, ``config``, ``runtime``  every exception; YAML → frozen dataclasses; device,
                                        precision, threads, seed
- ``raw``        file I/O, DNG writer, Bayer maths, colour, inspection stats (numpy)
- ``isp``        the classical pipeline and tone-mapping baselines
- ``synth``      synthetic paired sets (unprocessing, the "HDR look" targets)
- ``data``       datasets, augmentation, samplers, validator, Zurich preparation
- ``models``     blocks, RawTonemapNet, PyNET, registry, weights (torch only)
- ``losses``     RGB-uv histogram, distances, perceptual, SSIM, the per-level loss
- ``training``   staged level-by-level training: schedule, one level, one batch, checkpoints
- ``inference``  tiling and full-resolution develop
- ``evaluation`` metrics (reusing the loss maths), the evaluate report, the comparison figure
- ``study``      the reproduction study: arms × seeds trained and scored, the colour-constancy
                 cast set, paired statistics, the claims of REPRODUCTION.md
- ``tutorial``   the lessons' helpers, exercise checks, student editions, slide figures,
                 notebook runner and widgets
- ``cli``        the ``hdrisp`` command (thin: parse, call one function, print)
"""

from hdrisp.errors import (
    BaselineUnavailable,
    CheckpointError,
    ConfigError,
    DatasetError,
    ExerciseError,
    HdrispError,
    InputShapeError,
    MetricNotApplicable,
    NotebookError,
    OutputError,
    RawFormatError,
    TrainingError,
    WeightsUnavailableError,
    WidgetValueError,
)

__version__ = "0.1.0"

__all__ = [
    "BaselineUnavailable", "CheckpointError", "ConfigError", "DatasetError", "ExerciseError",
    "HdrispError", "InputShapeError", "MetricNotApplicable", "NotebookError", "OutputError",
    "RawFormatError", "TrainingError", "WeightsUnavailableError", "WidgetValueError",
    "__version__",
]
