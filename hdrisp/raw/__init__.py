"""Raw files and Bayer maths: the bottom layer (numpy only; no torch, no datasets).

- :mod:`hdrisp.raw.io`      — :func:`read_raw` (camera raws through rawpy/LibRaw, PNG raws)
  and :class:`RawImage`, the mosaic with its CFA, levels, white balance and colour matrix.
- :mod:`hdrisp.raw.dng`     — :func:`write_dng`, a minimal Bayer DNG that LibRaw reads back
  bit-exact.
- :mod:`hdrisp.raw.bayer`   — CFA phases, levels, :func:`pack` / :func:`unpack` to the
  authors' ``[B, Gb, R, Gr]`` planes, demosaicing, a quick preview.
- :mod:`hdrisp.raw.normalization` — :class:`~hdrisp.raw.normalization.Normalization`, the
  authors' ÷1020 or black/white levels: how a mosaic becomes the network's input.
- :mod:`hdrisp.raw.color`   — the sRGB curve, XYZ ↔ linear sRGB, :func:`to_uint8`.
- :mod:`hdrisp.raw.stats`   — inspection numbers (per-channel statistics, clipping).
- :mod:`hdrisp.raw.noise`   — noise against signal from one frame (:func:`noise_curve`).
- :mod:`hdrisp.raw.figures` — inspection figures (matplotlib; imported on its own).

Examples:
    >>> import numpy as np
    >>> from hdrisp.raw import pack, unpack
    >>> mosaic = np.arange(16, dtype=np.uint16).reshape(4, 4)
    >>> pack(mosaic).shape            # 4 planes [B, Gb, R, Gr] of H/2 × W/2
    (4, 2, 2)
    >>> bool((unpack(pack(mosaic)) == mosaic).all())
    True
"""

from hdrisp.raw.bayer import (
    CFA_PATTERNS,
    PACKED_CHANNELS,
    demosaic,
    normalize,
    normalize_legacy,
    pack,
    preview,
    unpack,
)
from hdrisp.raw.color import linear_to_srgb, srgb_to_linear, to_uint8
from hdrisp.raw.dng import write_dng
from hdrisp.raw.io import (
    ZURICH_BLACK_LEVEL,
    ZURICH_CFA,
    ZURICH_WHITE_LEVEL,
    RawImage,
    read_raw,
)

__all__ = [
    "CFA_PATTERNS", "PACKED_CHANNELS", "RawImage", "ZURICH_BLACK_LEVEL", "ZURICH_CFA",
    "ZURICH_WHITE_LEVEL", "demosaic", "linear_to_srgb", "normalize", "normalize_legacy", "pack",
    "preview", "read_raw", "srgb_to_linear", "to_uint8", "unpack", "write_dng",
]
