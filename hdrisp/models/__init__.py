"""The networks: RawTonemapNet (the paper) and PyNET (the baseline), their blocks, weights.

``build(name, **kwargs)`` makes a model from the :data:`MODELS` registry;
``load_weights(model, path)`` fills it from a checkpoint or state-dict file.
Torch only: this package knows nothing about files of images, data or training.
"""

from __future__ import annotations

from hdrisp.errors import ConfigError
from hdrisp.models.blocks import (
    CAM,
    CBAM,
    ECA,
    IEM,
    SAM,
    ConvLayer,
    ConvMultiBlock,
    PyNETConvMultiBlock,
    SimAM,
    UpsampleConv,
)
from hdrisp.models.pynet import PyNET
from hdrisp.models.pyramid import LEVELS, PyramidNet, level_scale, level_size
from hdrisp.models.rawtonemap import RawTonemapNet
from hdrisp.models.summary import (
    BlockRow,
    LevelSummary,
    format_summary,
    model_blocks,
    model_summary,
)
from hdrisp.models.weights import fill_reference_init, load_weights

MODELS: dict[str, type[PyramidNet]] = {
    "rawtonemap": RawTonemapNet,
    "pynet": PyNET,
}


def build(name: str, **kwargs) -> PyramidNet:
    """Build the registered model ``name`` (``"rawtonemap"`` or ``"pynet"``) with ``kwargs``.

    Raises:
        ConfigError: unknown name, or keyword arguments the model does not take.

    Examples:
        >>> import torch
        >>> net = build("rawtonemap", level=2).eval()
        >>> with torch.no_grad():
        ...     out = net(torch.rand(1, 4, 64, 64))   # packed B×4×H×W in [0, 1]
        >>> tuple(out.shape)                           # level 2: half the packed size
        (1, 3, 32, 32)
    """
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; known models: {', '.join(sorted(MODELS))}")
    try:
        return MODELS[name](**kwargs)
    except TypeError as exc:
        raise ConfigError(f"model {name!r}: {exc}") from exc


__all__ = [
    "MODELS",
    "build",
    "load_weights",
    "fill_reference_init",
    "model_summary",
    "model_blocks",
    "BlockRow",
    "format_summary",
    "LevelSummary",
    "PyramidNet",
    "LEVELS",
    "level_scale",
    "level_size",
    "RawTonemapNet",
    "PyNET",
    "ConvLayer",
    "ConvMultiBlock",
    "PyNETConvMultiBlock",
    "UpsampleConv",
    "ECA",
    "CAM",
    "SAM",
    "CBAM",
    "IEM",
    "SimAM",
]
