"""The total loss of each pyramid level, as the paper's schedule table states it.

Two columns, both available by name:

=====  =================================================  ==========================
level  ``schedule="paper"`` (the paper's table, default)   ``schedule="code"``
=====  =================================================  ==========================
4      MSE + 0.25·Hist                                    same
3, 2   10·MSE + 0.25·Hist + VGG                           same
1, 0   10·MSE + 0.25·Hist + VGG + 0.4·(1 − SSIM)          1·MSE + 0.25·Hist + VGG
                                                          + 0.4·(1 − MS-SSIM)
=====  =================================================  ==========================

The columns differ at levels 1 and 0 only: the authors' code weights the MSE 1 instead of 10
and uses five-scale MS-SSIM instead of SSIM. Hist is the Hellinger distance of RGB-uv
histograms composed as the authors' code does (:class:`~hdrisp.losses.HistogramLoss`, safe
form); VGG the relu5_4 feature MSE (:mod:`hdrisp.losses.perceptual`).
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F

from hdrisp.errors import ConfigError, check_image_batch, check_same_shape
from hdrisp.losses.histogram import HistogramLoss
from hdrisp.losses.perceptual import build_perceptual
from hdrisp.losses.ssim import ms_ssim, ssim

TERMS: tuple[str, ...] = ("mse", "hist", "vgg", "ssim", "ms_ssim")

_PAPER = {
    4: {"mse": 1.0, "hist": 0.25},
    3: {"mse": 10.0, "hist": 0.25, "vgg": 1.0},
    2: {"mse": 10.0, "hist": 0.25, "vgg": 1.0},
    1: {"mse": 10.0, "hist": 0.25, "vgg": 1.0, "ssim": 0.4},
    0: {"mse": 10.0, "hist": 0.25, "vgg": 1.0, "ssim": 0.4},
}
_CODE = {**_PAPER,
         1: {"mse": 1.0, "hist": 0.25, "vgg": 1.0, "ms_ssim": 0.4},
         0: {"mse": 1.0, "hist": 0.25, "vgg": 1.0, "ms_ssim": 0.4}}
#: schedule name → level → term weights (SSIM terms weigh 1 − SSIM)
SCHEDULES: dict[str, dict[int, dict[str, float]]] = {"paper": _PAPER, "code": _CODE}


def level_weights(level: int, schedule: str = "paper",
                  weights: dict[str, float] | None = None) -> dict[str, float]:
    """The term weights of ``level`` in ``schedule``, with ``weights`` overriding some.

    Raises:
        ConfigError: an unknown schedule, level or term name, or a negative weight.
    """
    if schedule not in SCHEDULES:
        raise ConfigError(f"loss schedule must be one of {sorted(SCHEDULES)}, got {schedule!r}")
    if level not in SCHEDULES[schedule]:
        raise ConfigError(f"the loss schedule has levels {sorted(SCHEDULES[schedule])}, "
                          f"not {level!r}")
    merged = dict(SCHEDULES[schedule][level])
    for name, value in (weights or {}).items():
        if name not in TERMS:
            raise ConfigError(f"unknown loss term {name!r} (terms: {', '.join(TERMS)})")
        if float(value) < 0:
            raise ConfigError(f"loss weight {name} must be ≥ 0, got {value}")
        merged[name] = float(value)
    return {k: v for k, v in merged.items() if v > 0}


class LevelLoss(torch.nn.Module):
    """The total training loss of one pyramid level.

    ``forward(pred, target)`` with B×3×H×W images in [0, 1] returns a dict: ``"loss"`` (the
    weighted total, with its graph) and the unweighted value of every active term, detached:
    ``"mse"``, ``"hist"``, ``"vgg"``, and ``"ssim"`` / ``"ms_ssim"`` as the *similarity* (the
    total uses 1 − it).

    Args:
        level: 0–4.
        schedule: ``"paper"`` (default) or ``"code"``: the two columns of the table above.
        weights: overrides of term weights, e.g. ``{"vgg": 0}``; a weight of 0 drops a term.
        perceptual: ``"auto"`` (VGG-19 if its weights are here, else the term is dropped),
            ``"vgg19"`` (error without weights), ``"off"`` or ``"efficientnet-lite0"``.
        vgg_weights: an explicit VGG-19 weights file.
        histogram: keyword arguments for :class:`~hdrisp.losses.HistogramLoss`.
        across_ranks: in a distributed run, compose the histogram term over the global batch
            of every process (:class:`~hdrisp.losses.HistogramLoss`), so that every term and
            its gradient equal the single-process values for the same global batch (the
            other terms are means over the images, which ``DistributedDataParallel``'s
            gradient averaging already gets right). Settable later as an attribute.

    Attributes:
        weights: the weights in use (after overrides and a dropped perceptual term).
        perceptual_name: what the perceptual term is, for the run's records: the network and
            weights file, ``"off"`` (asked for or no weights under ``"auto"``) or ``"none"``
            (this level has no perceptual term).

    Examples:
        >>> import torch
        >>> loss = LevelLoss(4)                  # level 4: MSE + 0.25·Hist
        >>> terms = loss(torch.full((2, 3, 28, 28), 0.4), torch.full((2, 3, 28, 28), 0.5))
        >>> sorted(terms), round(float(terms["mse"]), 4)
        (['hist', 'loss', 'mse'], 0.01)
    """

    def __init__(self, level: int, schedule: str = "paper",
                 weights: dict[str, float] | None = None, perceptual: str = "auto",
                 vgg_weights: str | os.PathLike | None = None,
                 histogram: dict | None = None, across_ranks: bool = False) -> None:
        super().__init__()
        self.level, self.schedule = level, schedule
        self.weights = level_weights(level, schedule, weights)
        self.hist = HistogramLoss(**(histogram or {})) if "hist" in self.weights else None
        self.across_ranks = across_ranks
        self.vgg = None
        if "vgg" not in self.weights:
            self.perceptual_name = "none"
        else:
            self.vgg = build_perceptual(perceptual, vgg_weights)
            if self.vgg is None:
                self.perceptual_name = "off"
                del self.weights["vgg"]
            else:
                self.perceptual_name = self.vgg.name

    @property
    def across_ranks(self) -> bool:
        """Whether the histogram term is composed over every process (see the class)."""
        return self._across_ranks

    @across_ranks.setter
    def across_ranks(self, value: bool) -> None:
        self._across_ranks = bool(value)
        if self.hist is not None:
            self.hist.across_ranks = self._across_ranks

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        check_image_batch(pred, "LevelLoss: the prediction", value_range=None)
        check_same_shape(pred, target, "LevelLoss")
        terms: dict[str, torch.Tensor] = {}
        total = pred.new_zeros(())
        for name, weight in self.weights.items():
            if name == "mse":
                value = F.mse_loss(pred, target)
                total = total + weight * value
            elif name == "hist":
                value = self.hist(pred, target)
                total = total + weight * value
            elif name == "vgg":
                value = self.vgg(pred, target)
                total = total + weight * value
            else:
                value = ssim(pred, target) if name == "ssim" else ms_ssim(pred, target)
                total = total + weight * (1.0 - value)
            terms[name] = value.detach()
        return {"loss": total, **terms}

    def extra_repr(self) -> str:
        return (f"level={self.level}, schedule={self.schedule!r}, weights={self.weights}, "
                f"perceptual={self.perceptual_name!r}")
