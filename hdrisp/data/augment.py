"""Crops, flips and transposition of (RGGB mosaic, target) pairs that keep the Bayer phase.

A flip of an RGGB mosaic puts a green (or blue) sample in its top-left corner: flipped
left-right, row 0 reads G R G R. The fix is to shift the crop by one pixel before
flipping: a crop whose *left* offset is odd, flipped left-right, starts again on a red
column (its first column is the crop's last, ``left + w − 1``, which is even when ``left``
is odd and ``w`` even). Likewise a vertical flip needs an odd *top* offset. Without a
flip the offsets are even. The target (same H×W as the mosaic) gets exactly the same crop,
flips and transposition, so raw and target stay aligned pixel for pixel.

What holds after each operation, for the packed channels ``[B, Gb, R, Gr]`` (Gb = the green
in a red row, Gr = the green in a blue row; :mod:`hdrisp.raw.bayer`):

- crops (even offsets) and flips (odd offsets on the flipped axes) keep both the *positions*
  and the *photosites*: channel ``Gb`` holds samples of red-row green photosites and ``Gr``
  of blue-row ones, as in the source mosaic.
- transposition, (r, c) → (c, r), keeps R and B on their diagonal, so the positions are
  right (each channel still sits where the network expects it), but the two greens trade
  photosites: the green now right of R (``Gb``'s place) was below R, a blue-row green, in
  the source. Packed ``[B, Gb, R, Gr]`` = ``[20, 1, 10, 2]`` becomes ``[20, 2, 10, 1]``.
  A real sensor whose two greens differ (green imbalance, crosstalk) therefore shows that
  difference in one channel for untransposed samples and in the other for transposed
  ones; the network learns to ignore it instead of correcting it. No transformation of the
  square's symmetry group can keep both R/B positions and green photosites when it
  exchanges rows and columns, so the choice here is to keep the positions;
  ``transpose=False`` (``data.transpose: false`` in a training config) keeps the photosites
  too, for sensors whose green imbalance the network should learn.
  :attr:`Augmentation.greens_swapped` tells which samples were transposed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hdrisp.errors import DatasetError


@dataclass(frozen=True)
class Augmentation:
    """One crop-and-flip: the crop box in the source mosaic, then the flips, then transpose."""

    top: int
    left: int
    height: int
    width: int
    flip_h: bool = False  # left-right
    flip_v: bool = False  # up-down
    transpose: bool = False

    @property
    def greens_swapped(self) -> bool:
        """True when the packed ``Gb``/``Gr`` channels hold the other green photosites
        (exactly when the crop is transposed; see the module docstring)."""
        return self.transpose


def default_patch(side: int, multiple: int = 16) -> int:
    """The largest multiple of ``multiple`` that leaves the one-pixel room a flip needs."""
    patch = (side - 2) // multiple * multiple
    if patch < multiple:
        raise DatasetError(f"a {side}-pixel side is too small for augmented crops")
    return patch


def _offset(rng: np.random.Generator, room: int, odd: bool) -> int:
    """A random offset in [0, room] with the requested parity (room is even)."""
    if odd:
        return 1 + 2 * int(rng.integers(room // 2))
    return 2 * int(rng.integers(room // 2 + 1))


def sample_augmentation(rng: np.random.Generator, shape: tuple[int, int],
                        patch: tuple[int, int], *, flips: bool = True,
                        transpose: bool = True) -> Augmentation:
    """Draw a random phase-preserving crop of ``patch`` = (h, w) from an H×W mosaic.

    Each flip is drawn with probability ½ (and only where the crop leaves the one pixel of
    room it needs); transposition with probability ½ for square crops when ``transpose``
    (it swaps the green photosites between the packed Gb and Gr channels: module docstring).

    Raises:
        DatasetError: odd sizes, or a patch larger than the mosaic.
    """
    h_in, w_in = shape
    ph, pw = patch
    if min(h_in, w_in, ph, pw) <= 0 or (h_in | w_in | ph | pw) % 2:
        raise DatasetError(f"mosaic {h_in}×{w_in} and patch {ph}×{pw} must have even sides")
    if ph > h_in or pw > w_in:
        raise DatasetError(f"patch {ph}×{pw} does not fit in a {h_in}×{w_in} mosaic")
    flip_v = flips and h_in > ph and bool(rng.integers(2))
    flip_h = flips and w_in > pw and bool(rng.integers(2))
    turn = transpose and ph == pw and bool(rng.integers(2))
    return Augmentation(_offset(rng, h_in - ph, flip_v), _offset(rng, w_in - pw, flip_h),
                        ph, pw, flip_h, flip_v, turn)


def apply_augmentation(mosaic: np.ndarray, target: np.ndarray | None,
                       aug: Augmentation) -> tuple[np.ndarray, np.ndarray | None]:
    """Crop, flip and transpose an RGGB mosaic (H×W) and its target (H×W×C) alike.

    Returns:
        C-contiguous copies: the mosaic (patch, RGGB phase) and the target (or None).

    Raises:
        DatasetError: when the box's offsets have the wrong parity for its flips, which
            would break the Bayer phase.
    """
    if aug.top % 2 != aug.flip_v or aug.left % 2 != aug.flip_h:
        raise DatasetError(f"{aug} breaks the Bayer phase: offsets must be odd exactly for "
                           "the flipped directions")
    if target is not None and target.shape[:2] != mosaic.shape[:2]:
        raise DatasetError(f"target {target.shape[:2]} and mosaic {mosaic.shape} differ in size")
    rows = slice(aug.top, aug.top + aug.height)
    cols = slice(aug.left, aug.left + aug.width)

    def transform(a: np.ndarray) -> np.ndarray:
        a = a[rows, cols]
        if aug.flip_v:
            a = a[::-1]
        if aug.flip_h:
            a = a[:, ::-1]
        if aug.transpose:
            a = a.swapaxes(0, 1)
        return np.ascontiguousarray(a)

    return transform(mosaic), (None if target is None else transform(target))
