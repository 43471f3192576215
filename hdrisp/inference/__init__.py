"""Full-resolution inference: tiled forward passes and developing raw files into images.

- :mod:`hdrisp.inference.framestats` — :func:`frame_forward`: tile by tile with the frame's
  own statistics, equal to the untiled forward.
- :mod:`hdrisp.inference.tiling` — :func:`tiled_forward` over overlapping, blended tiles
  (each with its own statistics).
- :mod:`hdrisp.inference.develop` — :class:`Developer` and :func:`develop_file`: raw file →
  8-bit sRGB image, on the device and precision of :mod:`hdrisp.runtime`.
"""

from hdrisp.inference.develop import Developer, develop_file, write_image
from hdrisp.inference.framestats import FrameForward, frame_forward
from hdrisp.inference.tiling import tile_grid, tiled_forward

__all__ = ["Developer", "FrameForward", "develop_file", "frame_forward", "tile_grid",
           "tiled_forward", "write_image"]
