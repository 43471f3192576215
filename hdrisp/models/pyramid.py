"""What the two pyramid networks share: the level switch, input checks, output sizes.

A pyramid network computes its levels from the coarsest down to ``model.level``
and returns that level's image; level ``L`` has ``2^(1−L)`` times the packed
input's size (level 0 is the full-resolution RGB image, twice the packed size).
"""

from __future__ import annotations

from torch import Tensor, nn

from hdrisp.errors import ConfigError, InputShapeError

LEVELS: tuple[int, ...] = (4, 3, 2, 1, 0)
"""RawTonemapNet's levels, coarsest first: the one list of levels (PyNET adds a level 5)."""


def level_scale(level: int) -> float:
    """Output side over packed-input side at ``level``: 2^(1−level).

    The one level→size rule of hdrisp (the authors' ``scale = 1/2^(L−1)`` applied to the
    packed side): 2 at level 0 (full-resolution RGB, twice the packed input), 1 at level 1,
    … 1/8 at level 4, 1/16 at PyNET's level 5.

    Examples:
        >>> [level_scale(level) for level in LEVELS]
        [0.125, 0.25, 0.5, 1.0, 2.0]
    """
    if not 0 <= level <= 5:
        raise ConfigError(f"level must lie in 0..5, got {level}")
    return 2.0 ** (1 - level)


def level_size(packed_side: int, level: int) -> int:
    """Output side at ``level`` for a packed input side (rounded down, as the network pools).

    Examples:
        >>> [level_size(224, level) for level in LEVELS]   # a 448-pixel raw patch
        [28, 56, 112, 224, 448]
    """
    return int(packed_side * level_scale(level))


class PyramidNet(nn.Module):
    """Base class: ``level`` property, input validation and the return convention.

    Subclasses set ``LEVELS`` (coarsest first), ``INPUT_MULTIPLE`` (H and W must be
    divisible by it) and ``MIN_INPUT_SIZE`` (the smallest H, W whose coarsest
    level still admits the reflection padding of its convolutions).
    """

    LEVELS: tuple[int, ...] = ()
    INPUT_MULTIPLE: int = 1
    MIN_INPUT_SIZE: int = 1
    IN_CHANNELS = 4

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    @property
    def level(self) -> int:
        """The level whose output ``forward`` returns; levels below it are not computed."""
        return self._level

    @level.setter
    def level(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value not in self.LEVELS:
            raise ConfigError(f"{type(self).__name__} level must be one of "
                              f"{sorted(self.LEVELS)}, got {value!r}")
        self._level = value

    @classmethod
    def output_size(cls, height: int, width: int, level: int) -> tuple[int, int]:
        """Spatial size of level ``level``'s output for a packed ``height×width`` input."""
        return level_size(height, level), level_size(width, level)

    def check_input(self, x: Tensor) -> None:
        """Raise :class:`InputShapeError` unless ``x`` is ``B×4×H×W`` with a usable H, W."""
        name = type(self).__name__
        if x.dim() != 4 or x.shape[1] != self.IN_CHANNELS:
            raise InputShapeError(f"{name} expects a packed Bayer tensor B×4×H×W, "
                                  f"got shape {tuple(x.shape)}")
        h, w = x.shape[2], x.shape[3]
        m = self.INPUT_MULTIPLE
        if h % m or w % m or h < self.MIN_INPUT_SIZE or w < self.MIN_INPUT_SIZE:
            raise InputShapeError(
                f"{name} needs H and W divisible by {m} and at least {self.MIN_INPUT_SIZE}, "
                f"got {h}×{w}; crop or pad the packed input (e.g. to "
                f"{max(self.MIN_INPUT_SIZE, h - h % m)}×{max(self.MIN_INPUT_SIZE, w - w % m)})")

    def _wants(self, level: int, return_all: bool) -> bool:
        """Whether level ``level``'s image must be produced in this forward pass."""
        return return_all or level == self.level

    def _result(self, outputs: dict[int, Tensor], return_all: bool) -> Tensor | dict[int, Tensor]:
        return outputs if return_all else outputs[self.level]

    def extra_repr(self) -> str:
        return f"level={self.level}"
