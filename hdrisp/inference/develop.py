"""Full-resolution develop: raw file → packed Bayer → network → 8-bit sRGB image.

:class:`Developer` prepares a network once (eval mode, device, channels-last
memory format, optional ``torch.compile``) and develops packed frames or raw
files with it: normalise (a camera raw with its own black/white levels, a PNG raw as
its data set states: :func:`hdrisp.data.normalization.file_normalization`, the rule
training follows), pack, run
tile by tile (:func:`hdrisp.inference.tiling.tiled_forward`, re-exported here), clip and
quantise to 8-bit sRGB PNG/JPEG. :func:`develop_file` is the one-call form.

Speed and memory for a 12-megapixel raw (1440×1984 packed → 2880×3968) on the
project's CPU (2 cores, AVX512-BF16; ``benchmarks/bench_model.py``, four runs of
each variant, each ratio taken within one run; the machine was shared with other
jobs). The plain float32 eager forward (untiled, NCHW) took 34.4–37.5 s and
peaked at 10.0 GiB::

    develop variant                          × plain     peak GiB
    untiled, channels-last                    0.84–1.10    10.1
    tiles 768/64, float32                     0.73–0.78     2.8
    tiles, bfloat16 autocast (CPU "auto")     0.61–0.65     1.9
    tiles, float32, compiled (warm cache)     0.57–0.60     2.3
    tiles, bfloat16, compiled (warm cache)    0.39–0.41     2.0   (cold cache 1.4–1.6)

"Compiled" includes loading the compilation from Inductor's on-disk cache (the
first tile takes 5–8 s instead of ~2); the first compilation ever (cold cache)
costs 40–50 s more. ``hdrisp develop`` compiles by default for frames of 1 Mpx
packed and more, so warm runs meet the "≤ 0.5× plain" target; the whole command
(imports, raw read, PNG write) took 20.8 s at 1.98 GB peak resident memory.
Tiled output differs from untiled by 26.1 dB PSNR for a briefly trained network
and 37.7 dB for the reference random initialisation at this size (see
:mod:`hdrisp.inference.tiling`).
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import warnings
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from hdrisp.data.normalization import file_normalization
from hdrisp.errors import ConfigError, check_output_dir, output_error
from hdrisp.inference.tiling import (
    ALIGN,
    DEFAULT_BLEND,
    DEFAULT_OVERLAP,
    DEFAULT_TILE,
    check_tiling,
    tile_grid,
    tiled_forward,
)
from hdrisp.raw import pack, to_uint8
from hdrisp.runtime import autocast, resolve_device, resolve_precision

__all__ = ["Developer", "develop_file", "tiled_forward", "tile_grid", "write_image",
           "DEFAULT_TILE", "DEFAULT_OVERLAP",
           "DEFAULT_BLEND"]

FORMATS = ("png", "jpg")
COMPILE_MIN_PIXELS = 1_000_000  # packed pixels (a 4 MP raw): compiling pays off from here
class Developer:
    """Develops packed frames or raw files with one prepared network.

    The model is put in eval mode on ``device`` in channels-last memory format (it is
    modified in place); every forward runs under :func:`torch.inference_mode` and, where
    :func:`resolve_precision` picks a lower precision, autocast. ``compile=True`` wraps the model in
    :func:`torch.compile` (a C++ compiler is needed; the first tile of each tile shape
    pays the compilation: ~50 s on the project's 2-core CPU with an empty Inductor
    cache, ~4 s once cached); ``compile="auto"`` does so only for frames of at least
    :data:`COMPILE_MIN_PIXELS` packed pixels and only when a C++ compiler is on PATH.

    Args:
        model: a network mapping B×4×h×w packed Bayer to B×3×H×W RGB in [0, 1], e.g.
            :class:`hdrisp.models.RawTonemapNet`.
        level: sets ``model.level`` when the model has one (None leaves it).
        tile, overlap, blend: tiling in packed pixels (see :func:`tiled_forward`);
            ``tile=None`` runs each frame in one forward.
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or a torch device.
        precision: ``"auto"``, ``"fp32"``, ``"bf16"`` or ``"fp16"`` (see :func:`resolve_precision`).
        compile: True, False or ``"auto"`` (falls back to eager with a warning if
            compiling fails).
        on_compile: called with the tile shape (h, w) when a compilation starts (to tell
            the user why the first tile is slow).
    """

    def __init__(self, model: nn.Module, *, level: int | None = 0,
                 tile: int | None = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP,
                 blend: float = DEFAULT_BLEND, device: str | torch.device = "auto",
                 precision: str = "auto", compile: bool | str = False,
                 on_compile: Callable[[tuple[int, int]], None] | None = None) -> None:
        self.device = resolve_device(device)
        self.autocast_dtype = resolve_precision(precision, self.device)
        self.align = int(getattr(model, "INPUT_MULTIPLE", ALIGN))
        self.min_size = int(getattr(model, "MIN_INPUT_SIZE", 2 * self.align))
        if tile is not None:
            check_tiling(tile, overlap, blend, self.align)
            if tile < self.min_size:
                raise ConfigError(f"tile {tile} is smaller than the network's smallest "
                                  f"input ({self.min_size} packed pixels)")
        if level is not None and hasattr(model, "level"):
            model.level = level
        self.model = model.eval().to(self.device, memory_format=torch.channels_last)
        self.tile, self.overlap, self.blend = tile, overlap, blend
        if compile not in (True, False, "auto"):
            raise ConfigError(f"compile must be True, False or 'auto', got {compile!r}")
        self.compile = compile
        self.on_compile = on_compile
        self._forward: Callable[[torch.Tensor], torch.Tensor] = self.model
        self._compiled_for: set[tuple[int, int]] = set()

    def _choose_forward(self, packed: torch.Tensor) -> None:
        """Switch to the compiled model when asked to (or when "auto" finds it worth it)."""
        wanted = self.compile is True or (
            self.compile == "auto" and packed.shape[-2] * packed.shape[-1] >= COMPILE_MIN_PIXELS
            and have_cxx_compiler())
        if not wanted:
            return
        if not self._compiled_for:  # the first frame that wants it: wrap the model once
            self._forward = _compiled(self.model)
        h, w = packed.shape[-2:]
        whole_frame = max(h, w) + self.align  # tile=None: one tile, the padded frame
        _, _, tile_h, tile_w = next(tile_grid(h, w, self.tile or whole_frame,
                                              self.overlap if self.tile else 0, self.align))
        shape = (tile_h, tile_w)
        if shape not in self._compiled_for:
            self._compiled_for.add(shape)
            if self.on_compile is not None:
                self.on_compile(shape)

    def run(self, packed: torch.Tensor,
            progress: Callable[[int, int], None] | None = None) -> torch.Tensor:
        """B×4×h×w packed Bayer in [0, 1] (CPU) → float32 B×3×H×W in [0, 1] (CPU)."""
        h, w = packed.shape[-2:]
        if min(h, w) < self.min_size:  # pad tiny frames up to what the network accepts
            grown = F.pad(packed, (0, max(0, self.min_size - w), 0, max(0, self.min_size - h)),
                          mode="replicate")
            out = self.run(grown, progress)
            s = Fraction(out.shape[-2], grown.shape[-2])
            return out[..., : math.ceil(h * s), : math.ceil(w * s)]
        self._choose_forward(packed)
        with torch.inference_mode(), autocast(self.device, self.autocast_dtype):
            out = tiled_forward(self._forward, packed, self.tile, self.overlap, blend=self.blend,
                                align=self.align, channels_last=True, device=self.device,
                                progress=progress).clamp_(0.0, 1.0)
        return out.clone()  # a normal tensor (inference tensors refuse later in-place edits)

    def develop_packed(self, packed: np.ndarray,
                       progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """4×h×w float32 packed Bayer in [0, 1] → uint8 H×W×3 sRGB image."""
        tensor = torch.from_numpy(np.ascontiguousarray(packed, dtype=np.float32))[None]
        rgb = self.run(tensor, progress)
        return to_uint8(rgb[0].float().permute(1, 2, 0).cpu().numpy())

    def develop_file(self, path: str | os.PathLike, out_dir: str | os.PathLike,
                     fmt: str = "png",
                     progress: Callable[[int, int], None] | None = None) -> Path:
        """Read a raw file, develop it, write ``out_dir/<stem>.<fmt>``; return that path.

        The mosaic is normalised by :func:`hdrisp.data.normalization.file_normalization`'s
        rule (a camera raw with its own black and white levels; a PNG raw as the
        ``dataset.json`` of its data set states, else the authors' ÷1020, exactly as training
        read it) and packed in RGGB phase: an odd last row/column is dropped, and a GRBG,
        GBRG or BGGR mosaic also loses its first and last column, row, or both. Raises
        :class:`~hdrisp.errors.ConfigError` subclasses naming the file for unreadable input.
        """
        if fmt not in FORMATS:
            raise ConfigError(f"unknown image format {fmt!r}; expected one of {FORMATS}")
        rule = file_normalization(path)
        raw = rule.read(path, crop_odd=True)
        packed = pack(rule.apply(raw), raw.cfa)
        image = self.develop_packed(packed, progress)
        return write_image(Path(out_dir) / f"{Path(path).stem}.{fmt}", image)


@functools.lru_cache(maxsize=1)
def have_cxx_compiler() -> bool:
    """Whether a C++ compiler that Inductor can use is on PATH (or named by $CXX)."""
    candidates = [os.environ.get("CXX", ""), "g++", "c++", "clang++"]
    return any(name and shutil.which(name) for name in candidates)


def _compiled(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """``torch.compile(model)`` specialised to each tile shape; eager if compiling fails.

    Inductor's weight freezing is left off: it makes tiles ~10 % faster but defeats the
    on-disk graph cache, so every run would pay ~20 s instead of ~4 s (2-core CPU).
    """
    try:
        compiled = torch.compile(model, dynamic=False)
    except Exception as exc:  # no compiler backend on this platform
        warnings.warn(f"torch.compile unavailable ({exc}); running eagerly", stacklevel=3)
        return model

    def forward(x: torch.Tensor) -> torch.Tensor:
        nonlocal compiled
        try:
            return compiled(x)
        except Exception as exc:  # e.g. no C++ compiler: degrade to eager, once
            warnings.warn(f"torch.compile failed ({str(exc).splitlines()[0]}); running eagerly",
                          stacklevel=2)
            compiled = model
            return model(x)

    return forward


def write_image(path: Path, image: np.ndarray) -> Path:
    """Write a uint8 H×W×3 image as PNG or JPEG (quality 95) by the suffix, atomically: a
    failure (or Ctrl-C) leaves neither a partial image nor its temporary file."""
    check_output_dir(path.parent)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    extra = {"quality": 95} if path.suffix.lower() in (".jpg", ".jpeg") else {}
    try:
        iio.imwrite(tmp, image, **extra)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise output_error(exc, path) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def develop_file(path: str | os.PathLike, model: nn.Module, out_dir: str | os.PathLike,
                 level: int = 0, tile: int | None = DEFAULT_TILE,
                 overlap: int = DEFAULT_OVERLAP, device: str | torch.device = "auto",
                 fmt: str = "png", *, precision: str = "auto",
                 compile: bool | str = False) -> Path:
    """Develop one raw file into an 8-bit sRGB image (see :class:`Developer`).

    Returns the written path ``out_dir/<stem>.png`` (or ``.jpg``). At level 0 an RGGB
    mosaic's image has its size (an odd last row/column dropped); the other patterns are
    first cut to RGGB phase, so a 1156×1734 mosaic gives 1156×1732 (GRBG), 1154×1734 (GBRG)
    or 1154×1732 (BGGR).
    """
    developer = Developer(model, level=level, tile=tile, overlap=overlap, device=device,
                          precision=precision, compile=compile)
    return developer.develop_file(path, out_dir, fmt)
