"""Full-resolution inference: tiled forward passes and developing raw files into images.

- :mod:`hdrisp.inference.tiling` — :func:`tiled_forward` over overlapping, blended tiles.
- :mod:`hdrisp.inference.develop` — :class:`Developer` and :func:`develop_file`: raw file →
  8-bit sRGB image, on the device and precision of :mod:`hdrisp.runtime`.
"""

from hdrisp.inference.develop import Developer, develop_file, write_image
from hdrisp.inference.tiling import tile_grid, tiled_forward

__all__ = ["Developer", "develop_file", "tile_grid", "tiled_forward", "write_image"]
