"""Raw file I/O: read camera raws and PNG raws as Bayer mosaics, write Bayer DNGs.

- :func:`read_raw` reads any file LibRaw reads (DNG, CR2, CRW, NEF, ARW …) through rawpy,
  and the single-channel uint16 PNG raws of the Zurich RAW-to-RGB / paper datasets.
  It refuses, with a :class:`~hdrisp.errors.RawFormatError` that names the file and says
  why, everything that is not a Bayer mosaic: X-Trans and other non-2×2 CFAs, linear
  (already demosaiced) DNGs, RGB images, 8-bit pictures, odd-sized mosaics, unreadable,
  truncated or empty files.
- :func:`write_dng` (implemented in :mod:`hdrisp.raw.dng`, re-exported here) writes a minimal
  Bayer DNG that rawpy/LibRaw reads back bit-exact.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import rawpy
import tifffile

from hdrisp.errors import RawFormatError
from hdrisp.raw.bayer import CFA_PATTERNS, as_four_levels, check_cfa, normalize
from hdrisp.raw.dng import write_dng

__all__ = ["RawImage", "read_raw", "write_dng", "ZURICH_CFA", "ZURICH_BLACK_LEVEL",
           "ZURICH_WHITE_LEVEL"]

# Zurich RAW-to-RGB (and the paper's) PNG raws: 10-bit RGGB data without stored metadata.
ZURICH_CFA = "RGGB"
ZURICH_BLACK_LEVEL = 0.0
ZURICH_WHITE_LEVEL = 1023.0

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


@dataclass(frozen=True, eq=False)
class RawImage:
    """A Bayer mosaic with the metadata needed to interpret it.

    Attributes:
        mosaic: uint16 H×W, the visible (active) area of the sensor, H and W even.
        cfa: pattern of ``mosaic[0:2, 0:2]`` in raster order ("RGGB", "BGGR", "GRBG", "GBRG").
        black_level: four black levels (digital numbers), one per position of that 2×2 block
            in raster order.
        white_level: saturation level (digital numbers).
        wb: camera white-balance multipliers (R, G, B) normalised so G = 1, or None.
        color_matrix: float64 3×3 camera RGB (white balanced) → linear sRGB, or None.
        camera: camera name, or None.
        path: the file it came from, or None.
    """

    mosaic: np.ndarray
    cfa: str
    black_level: tuple[float, float, float, float]
    white_level: float
    wb: tuple[float, float, float] | None = None
    color_matrix: np.ndarray | None = None
    camera: str | None = None
    path: str | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the mosaic."""
        return self.mosaic.shape  # type: ignore[return-value]

    def normalized(self) -> np.ndarray:
        """float32 H×W mosaic with black subtracted, scaled by white − black, clipped to [0, 1]."""
        return normalize(self.mosaic, self.black_level, self.white_level)


# --------------------------------------------------------------------------- reading


def read_raw(
    path: str | os.PathLike,
    *,
    cfa: str | None = None,
    black_level: float | Sequence[float] | None = None,
    white_level: float | None = None,
    crop_odd: bool = False,
) -> RawImage:
    """Read a camera raw file or a PNG raw as a :class:`RawImage`.

    Args:
        path: the file. PNG files (recognised by content) are single-channel uint16 raws
            without metadata; anything else goes to LibRaw.
        cfa: override the pattern (PNG default: RGGB, the Zurich convention).
        black_level: override the black level: one value or four in raster order
            (PNG default 0).
        white_level: override the white level (PNG default 1023).
        crop_odd: accept an odd-sized mosaic by dropping its last row/column; refused otherwise.

    Returns:
        The mosaic (uint16, visible area) with its pattern, levels, white balance, colour
        matrix and camera name.

    Raises:
        RawFormatError: naming the file and the reason it is not a readable Bayer mosaic.

    Examples:
        >>> import tempfile
        >>> import numpy as np
        >>> from hdrisp.raw import write_dng
        >>> folder = tempfile.mkdtemp()
        >>> mosaic = np.full((32, 48), 300, np.uint16)
        >>> path = write_dng(f"{folder}/flat.dng", mosaic, cfa="RGGB", black_level=64,
        ...                  white_level=1023)
        >>> raw = read_raw(path)
        >>> raw.mosaic.shape, raw.cfa, raw.black_level[0], raw.white_level
        ((32, 48), 'RGGB', 64.0, 1023.0)
    """
    p = Path(path)
    head = _read_head(p)
    if head.startswith(_PNG_MAGIC):
        image = _read_png(p)
    else:
        image = _read_libraw(p, head)
    return _finish(image, p, cfa=cfa, black_level=black_level, white_level=white_level,
                   crop_odd=crop_odd)


def _read_head(path: Path) -> bytes:
    if not path.exists():
        raise RawFormatError("no such file", path)
    if path.is_dir():
        raise RawFormatError("is a directory, not a raw file", path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise RawFormatError(f"cannot read the file ({exc.strerror or exc})", path) from exc
    if not head:
        raise RawFormatError("empty file (0 bytes)", path)
    return head


def _read_png(path: Path) -> RawImage:
    try:
        data = np.asarray(iio.imread(path))
    except Exception as exc:  # imageio/Pillow raise many types for broken PNGs
        raise RawFormatError(f"unreadable or truncated PNG ({exc})", path) from exc
    if data.ndim == 3:
        raise RawFormatError(
            f"a {data.shape[2]}-channel image ({data.shape[0]}×{data.shape[1]}×{data.shape[2]}),"
            " not a single-channel Bayer mosaic", path)
    if data.ndim != 2:
        raise RawFormatError(f"unexpected PNG array shape {data.shape}", path)
    if data.dtype != np.uint16:
        raise RawFormatError(
            f"{data.dtype} PNG: a PNG raw holds 16-bit samples; an {data.dtype.itemsize * 8}-bit"
            " PNG is a processed picture, not raw data", path)
    return RawImage(mosaic=data, cfa=ZURICH_CFA, black_level=(ZURICH_BLACK_LEVEL,) * 4,
                    white_level=ZURICH_WHITE_LEVEL, path=str(path))


def _read_libraw(path: Path, head: bytes) -> RawImage:
    with _captured_c_stderr() as messages:
        try:
            with rawpy.imread(str(path)) as rp:
                return _from_rawpy(rp, path)
        except rawpy.LibRawError as exc:
            failure = exc
    # LibRaw writes its own diagnostics ("<file>: Unexpected end of file") straight to the C
    # stderr; they were captured above and go into our one-line message instead.
    problem = _explain_libraw_failure(path, head, failure)
    detail = "; ".join(line.split(": ", 1)[-1] for line in messages if line.strip())
    if detail:
        problem += f" [{detail}]"
    raise RawFormatError(problem, path) from failure


_STDERR_LOCK = threading.Lock()


@contextlib.contextmanager
def _captured_c_stderr() -> Iterator[list[str]]:
    """Redirect file descriptor 2 (C-level stderr) to a temporary file; yield its lines after.

    The list is filled when the block ends. If fd 2 cannot be redirected (no such fd),
    the block runs unchanged and the list stays empty.
    """
    lines: list[str] = []
    with _STDERR_LOCK, tempfile.TemporaryFile(mode="w+b") as sink:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):
            yield lines
            return
        try:
            os.dup2(sink.fileno(), 2)
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode("utf-8", "replace").splitlines())


def _from_rawpy(rp, path: Path) -> RawImage:
    """Build a RawImage from an open rawpy object, refusing anything that is not Bayer."""
    if rp.raw_type != rawpy.RawType.Flat:
        raise RawFormatError(
            f"linear (already demosaiced) raw data (LibRaw raw type {rp.raw_type.name}, "
            f"{rp.num_colors} colours per pixel), not a Bayer mosaic", path)
    pattern = rp.raw_pattern
    if pattern is None:
        raise RawFormatError("no colour filter pattern (monochrome or Foveon sensor)", path)
    pattern = np.asarray(pattern)
    if pattern.shape == (6, 6):
        raise RawFormatError("X-Trans sensor (6×6 colour filter pattern), not a Bayer mosaic",
                             path)
    if pattern.shape != (2, 2):
        raise RawFormatError(
            f"{pattern.shape[0]}×{pattern.shape[1]} colour filter pattern, not a 2×2 Bayer one",
            path)
    desc = rp.color_desc.decode("ascii", "replace")
    cfa = "".join(desc[i] for i in pattern.ravel())
    if cfa not in CFA_PATTERNS:
        raise RawFormatError(f"colour filter pattern {cfa} (colours {desc}) is not an RGB Bayer "
                             "pattern", path)
    mosaic = rp.raw_image_visible
    if mosaic is None or mosaic.ndim != 2:
        raise RawFormatError("LibRaw returned no single-plane mosaic", path)
    mosaic = np.array(mosaic, dtype=np.uint16, copy=True)
    per_channel = list(rp.black_level_per_channel)
    black = tuple(float(per_channel[i]) for i in pattern.ravel())
    return RawImage(
        mosaic=mosaic,
        cfa=cfa,
        black_level=black,  # type: ignore[arg-type]
        white_level=float(rp.white_level),
        wb=_white_balance(rp.camera_whitebalance),
        color_matrix=_colour_matrix(rp.color_matrix),
        camera=_camera_name(path),
        path=str(path),
    )


def _white_balance(values: Sequence[float]) -> tuple[float, float, float] | None:
    """LibRaw's camera multipliers (R, G, B, G2) → (R, G, B) with G = 1, or None when unknown."""
    r, g, b = (float(v) for v in list(values)[:3])
    if g <= 0 or r <= 0 or b <= 0:
        return None
    return (r / g, 1.0, b / g)


def _colour_matrix(matrix: np.ndarray) -> np.ndarray | None:
    """rawpy's 3×4 ``color_matrix`` (camera → sRGB) → 3×3 float64, or None when all zero."""
    m = np.asarray(matrix, dtype=np.float64)[:3, :3]
    return None if not np.any(m) else m.copy()


def _camera_name(path: Path) -> str | None:
    """Camera name from the TIFF tags most raws carry (UniqueCameraModel, else Make + Model)."""
    try:
        with tifffile.TiffFile(path) as tif:
            tags = tif.pages[0].tags
            unique = tags.get(50708)
            if unique is not None and str(unique.value).strip():
                return str(unique.value).strip()
            make = str(tags[271].value).strip() if 271 in tags else ""
            model = str(tags[272].value).strip() if 272 in tags else ""
    except Exception:  # not a TIFF-based raw (CRW, RAF …): the name is optional
        return None
    if model.startswith(make):
        make = ""
    name = f"{make} {model}".strip()
    return name or None


def _explain_libraw_failure(path: Path, head: bytes, exc: Exception) -> str:
    """Say in words why LibRaw could not read ``path``, using the file's own signature."""
    libraw_says = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
    if head.startswith(_JPEG_MAGIC):
        return "a JPEG image (whatever its extension says), not a camera raw file"
    if head[:4] in _TIFF_MAGICS:
        shape = _tiff_shape(path)
        if shape is not None and len(shape) == 3 and shape[-1] in (3, 4):
            return (f"a {shape[-1]}-channel TIFF image ({'×'.join(map(str, shape))}), "
                    "not a Bayer mosaic")
    if isinstance(exc, rawpy.LibRawIOError):
        return f"unreadable or truncated raw file (LibRaw: {libraw_says})"
    return f"not a raw format LibRaw can read (LibRaw: {libraw_says})"


def _tiff_shape(path: Path) -> tuple[int, ...] | None:
    try:
        with tifffile.TiffFile(path) as tif:
            return tuple(tif.pages[0].shape)
    except Exception:
        return None


def _finish(image: RawImage, path: Path, *, cfa, black_level, white_level, crop_odd) -> RawImage:
    """Apply user overrides, check levels and even size."""
    mosaic = image.mosaic
    h, w = mosaic.shape
    if h % 2 or w % 2:
        if not crop_odd:
            raise RawFormatError(
                f"odd-sized mosaic {h}×{w}: a Bayer mosaic has even sides "
                "(read_raw(..., crop_odd=True) drops the last row/column)", path)
        mosaic = mosaic[: h // 2 * 2, : w // 2 * 2]
    if mosaic.shape[0] < 2 or mosaic.shape[1] < 2:
        raise RawFormatError(f"mosaic {h}×{w} is too small to hold a 2×2 Bayer block", path)
    try:
        pattern = check_cfa(cfa) if cfa is not None else image.cfa
    except RawFormatError as exc:
        raise RawFormatError(exc.problem, path) from None
    black = image.black_level if black_level is None else _four_levels(black_level, path)
    white = image.white_level if white_level is None else float(white_level)
    if not all(white > b for b in black):
        raise RawFormatError(f"white level {white:g} is not above the black levels {black}", path)
    return RawImage(mosaic=mosaic, cfa=pattern, black_level=black, white_level=white,
                    wb=image.wb, color_matrix=image.color_matrix, camera=image.camera,
                    path=str(path))


def _four_levels(levels: float | Sequence[float], path: Path) -> tuple[float, ...]:
    try:
        return as_four_levels(levels)
    except RawFormatError as exc:
        raise RawFormatError(exc.problem, path) from None
