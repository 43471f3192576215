"""Tiled inference: run a network over overlapping tiles of a packed frame and blend them.

A plain float32 forward of RawTonemapNet on a 12-megapixel frame (1440×1984
packed) peaks near 12.7 GiB, so :func:`tiled_forward` runs the network on
overlapping tiles and blends them. Tiles start on multiples of 8 packed pixels
(the network pools ×8, so every tile sees the full frame's pooling grid) and the
frame is reflection-padded to a multiple of 8 at its borders, as the network's
own ReflectionPad2d would treat an edge.

Tiling is not exact for this network: instance normalisation, the ECA / CAM /
IEM global poolings and SimAM's spatial mean and variance see a tile, not the
frame, and the ``align_corners=True`` bilinear upsampling places its samples by
the tile's size. Each tile's border is therefore thrown away (a margin) and the
rest of the overlap is cross-faded with a raised-cosine ramp, then the weighted
sum is normalised by the summed weights. For a purely local network this is
exact once the margin covers the receptive radius (tested).

Measured tiled-vs-untiled PSNR (dB; output in [0, 1]) of RawTonemapNet level 0 on
an 864×1152 packed frame (the real colour-chart raw mirrored to size; 1728×2304
output), ``benchmarks/bench_tiling.py``. "seed 1/2": weights by the reference
fill rule (low-contrast output, std 0.04 / 0.02); "trained": a network briefly
trained (400 steps) towards an exposure-normalised rendering (output std 0.23).
"work" is the tiles' total area over the frame's (blend 0.5)::

    tile overlap tiles work   seed 1  seed 2  trained
     256      32    20 1.23    37.1    36.5    19.3
     256     128    48 3.16    37.5    36.8    19.5
     384      64    12 1.36    37.5    36.7    21.4
     512      32     6 1.10    37.9    37.1    22.1
     512      64     6 1.21    38.2    37.2    22.3
     512     128     6 1.41    38.5    37.5    23.6
     768      32     4 1.07    38.8    38.0    24.7
     768      64     4 1.13    38.9    38.1    25.0
     768     128     4 1.28    39.1    38.5    25.7

The tile size dominates (the per-tile statistics are the error), the overlap
adds a few tenths of a dB for much more work, and the blend hardly matters
(768/64 with blend 0, 0.5, 1: 24.9, 25.0, 25.0 dB trained). A trained network
leans on its global statistics, so small tiles visibly change colour and
contrast; no overlap fixes that. Replacing every global statistic in the tiles
by the untiled frame's (an experiment) gave 37.5 / 41.8 / 45.5 dB for tiles of
64 / 96 / 128 on a 192×288 frame where per-tile statistics gave 20.4 / 20.4 /
22.2: statistics are most of the error, the tiles' borders the rest.

Defaults, from that table and the 4 GiB memory target: ``DEFAULT_TILE`` = 768
(the largest side whose float32 tile fits: ~3.9 KB per packed pixel, a 12 MP
frame runs as 2×3 tiles of 752×704 → ~2.1 GB), ``DEFAULT_OVERLAP`` = 64 (128
would need 3×3 tiles there for +0.4 dB) and ``DEFAULT_BLEND`` = 1.0 (the widest
cross-fade, which best hides the tiles' different looks).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from fractions import Fraction

import torch
import torch.nn.functional as F

from hdrisp.errors import ConfigError

DEFAULT_TILE = 768
DEFAULT_OVERLAP = 64
DEFAULT_BLEND = 1.0
ALIGN = 8  # RawTonemapNet pools three times (×8); PyNET needs 16


def axis_tiles(length: int, tile: int, overlap: int, align: int = ALIGN) -> tuple[int, list[int]]:
    """Tile size and start offsets along one axis of ``length`` packed pixels.

    ``length``, ``tile`` and ``overlap`` are multiples of ``align``. Uses the fewest
    tiles of at most ``tile`` pixels whose neighbours overlap by at least ``overlap``,
    then shrinks the tiles to the smallest multiple of ``align`` that still does
    (so little work is repeated), and spreads them evenly: every start is a multiple
    of ``align``, the first is 0 and the last tile ends at ``length``.

    Returns:
        ``(size, starts)``.
    """
    if length <= tile:
        return length, [0]
    n = math.ceil((length - overlap) / (tile - overlap))
    size = min(tile, align * math.ceil((length + (n - 1) * overlap) / (n * align)))
    span = (length - size) // align  # in units of align
    return size, [align * ((i * span) // (n - 1)) for i in range(n)]


def _ramp(length: int, margin: int, fade: int, low_inner: bool, high_inner: bool) -> torch.Tensor:
    """1-D blending weights of one tile along one axis (float32, values in [0, 1]).

    At an edge shared with a neighbour (``*_inner``) the first ``margin`` samples get
    weight 0 and the next ``fade`` rise along a raised cosine; edges on the frame
    border keep weight 1 up to the edge.
    """
    w = torch.ones(length)
    if fade > 0:
        t = (torch.arange(fade, dtype=torch.float32) + 0.5) / fade
        rise = 0.5 - 0.5 * torch.cos(math.pi * t)
    else:
        rise = torch.ones(0)
    for inner, flip in ((low_inner, False), (high_inner, True)):
        if not inner:
            continue
        edge = torch.cat([torch.zeros(margin), rise])[:length]
        if flip:
            w[length - edge.numel():] = torch.minimum(w[length - edge.numel():], edge.flip(0))
        else:
            w[: edge.numel()] = torch.minimum(w[: edge.numel()], edge)
    return w


def _pad_to_multiple(x: torch.Tensor, align: int) -> torch.Tensor:
    """Pad the last two axes of B×C×h×w at the bottom/right to multiples of ``align``.

    Reflection, as the network pads; replication where the frame is too small to reflect.
    """
    pad_h = -x.shape[-2] % align
    pad_w = -x.shape[-1] % align
    if pad_h == 0 and pad_w == 0:
        return x
    mode = "reflect" if pad_h < x.shape[-2] and pad_w < x.shape[-1] else "replicate"
    return F.pad(x, (0, pad_w, 0, pad_h), mode=mode)


def _model_device(model: Callable) -> torch.device:
    """The device of the model's first parameter (CPU for a parameterless callable)."""
    parameters = getattr(model, "parameters", None)
    for p in parameters() if callable(parameters) else ():
        return p.device
    return torch.device("cpu")


def tile_grid(height: int, width: int, tile: int, overlap: int,
              align: int = ALIGN) -> Iterator[tuple[int, int, int, int]]:
    """The tiles :func:`tiled_forward` runs for a packed ``height``×``width`` frame.

    Yields ``(top, left, tile_height, tile_width)`` in packed pixels, after padding
    the frame to multiples of ``align``; ``tile`` is the largest side a tile may have
    (see :func:`axis_tiles`: a 1440×1984 frame with tile 768, overlap 64 gives 2×3
    tiles of 752×704; with tile 512, 4×5 tiles of 408×448).
    """
    th, tops = axis_tiles(height + (-height % align), tile, overlap, align)
    tw, lefts = axis_tiles(width + (-width % align), tile, overlap, align)
    for top in tops:
        for left in lefts:
            yield top, left, th, tw


def check_tiling(tile: int, overlap: int, blend: float, align: int = ALIGN) -> None:
    """Raise :class:`~hdrisp.errors.ConfigError` for an unusable tile/overlap/blend."""
    if tile <= 0 or tile % align:
        raise ConfigError(f"tile must be a positive multiple of {align} packed pixels, "
                          f"got {tile}")
    if overlap < 0 or overlap % align or overlap >= tile:
        raise ConfigError(f"overlap must be a multiple of {align} in [0, tile), got {overlap} "
                          f"(tile {tile})")
    if not 0.0 <= blend <= 1.0:
        raise ConfigError(f"blend must be in [0, 1], got {blend}")


def tiled_forward(
    model: Callable[[torch.Tensor], torch.Tensor],
    packed: torch.Tensor,
    tile: int | None = DEFAULT_TILE,
    overlap: int = DEFAULT_OVERLAP,
    *,
    blend: float = DEFAULT_BLEND,
    align: int = ALIGN,
    channels_last: bool = False,
    device: torch.device | str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Run ``model`` over a packed frame tile by tile and blend the tiles.

    Args:
        model: maps B×4×th×tw (th, tw multiples of ``align``) to B×C×(th·s)×(tw·s) for a
            fixed scale s (2 for RawTonemapNet level 0, 1/8 for level 4).
        packed: B×4×h×w packed Bayer in [0, 1], any h, w (padded here, the output cropped).
        tile: largest tile side in packed pixels (multiple of ``align``; the tiles are
            shrunk to what the overlap needs, see :func:`axis_tiles`); ``None`` or a
            tile covering the frame runs the frame in one forward.
        overlap: packed pixels shared by neighbouring tiles (multiple of ``align``).
        blend: fraction of the overlap that is cross-faded; the remaining
            ``(1 - blend)·overlap / 2`` pixels at each inner tile edge are discarded.
        align: tile origins and sizes are multiples of this (the network's total pooling).
        channels_last: feed tiles in channels-last memory format (use with a
            channels-last model; faster with oneDNN on CPU).
        device: where the tiles run (default: the model's parameters' device); the
            blended result is accumulated on ``packed``'s device.
        progress: called as ``progress(done, total)`` after each tile.

    Returns:
        float32 B×C×ceil(h·s)×ceil(w·s) on ``packed``'s device.

    Examples:
        >>> import torch
        >>> from hdrisp.models import build
        >>> net = build("rawtonemap", level=4).eval()
        >>> with torch.no_grad():
        ...     out = tiled_forward(net, torch.rand(1, 4, 100, 140), tile=64, overlap=16)
        >>> tuple(out.shape)                  # level 4: 1/8 of the packed size, rounded up
        (1, 3, 13, 18)
    """
    if packed.dim() != 4:
        raise ValueError(f"packed must be B×4×h×w, got shape {tuple(packed.shape)}")
    run_device = torch.device(device) if device is not None else _model_device(model)
    height, width = packed.shape[-2:]
    padded = _pad_to_multiple(packed, align)
    h, w = padded.shape[-2:]
    if tile is None or (tile >= h and tile >= w):
        tile, overlap = max(h, w), 0
    check_tiling(tile, overlap, blend, align)
    tiles = list(tile_grid(height, width, tile, overlap, align))

    out = weights = None
    scale = Fraction(1)
    for done, (top, left, th, tw) in enumerate(tiles, 1):
        x = padded[..., top:top + th, left:left + tw].to(run_device)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        y = model(x)
        if out is None:
            scale = Fraction(y.shape[-2], th)
            if Fraction(y.shape[-1], tw) != scale:
                raise ValueError(f"model output {tuple(y.shape)} does not scale its input evenly")
            if len(tiles) == 1:
                y = y.float().to(packed.device)
                return y[..., : math.ceil(height * scale), : math.ceil(width * scale)]
            out = torch.zeros(y.shape[0], y.shape[1], int(h * scale), int(w * scale),
                              dtype=torch.float32, device=packed.device)
            weights = torch.zeros(1, 1, int(h * scale), int(w * scale), device=packed.device)
            margin = int(round(overlap * scale * (1.0 - blend) / 2))
            fade = int(overlap * scale) - 2 * margin
        oh, ow, ot, ol = int(th * scale), int(tw * scale), int(top * scale), int(left * scale)
        wy = _ramp(oh, margin, fade, top > 0, top + th < h)
        wx = _ramp(ow, margin, fade, left > 0, left + tw < w)
        wt = (wy[:, None] * wx[None, :]).to(packed.device)
        out[..., ot:ot + oh, ol:ol + ow] += y.float().to(packed.device) * wt
        weights[..., ot:ot + oh, ol:ol + ow] += wt
        if progress is not None:
            progress(done, len(tiles))
    if bool((weights <= 0).any()):  # cannot happen with the checks above; guard the maths
        raise RuntimeError("tiling left output pixels uncovered")
    out /= weights
    return out[..., : math.ceil(height * scale), : math.ceil(width * scale)]
