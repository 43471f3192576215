"""An exponential moving average of a network's weights: what a level delivers when
``optimizer.ema`` is set.

At a high learning rate and a few hundred steps, the last iterate of a level is one noisy
point of the optimiser's walk: runs that differ only in their seed end several dB apart. The
average of the recent weights (Polyak averaging, in its exponential form) sits near the
middle of that walk. After every optimiser step::

    average ← d·average + (1 − d)·weights,    d = min(decay, (1 + n) / (10 + n))

where ``n`` counts the updates so far: the warm-up of ``d`` (as in TensorFlow's
``ExponentialMovingAverage`` with ``num_updates``) keeps the level's starting weights from
lingering in the average of a short level. Buffers that are not floating point are copied.

The average is kept in float32 on the weights' device; the training weights are untouched (the
optimiser keeps walking from them), so a checkpoint stores both (``hdrisp.training.checkpoint``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


class WeightAverage:
    """The exponential moving average of ``model``'s state dict.

    Args:
        model: the network being trained (unwrapped: not a DistributedDataParallel).
        decay: ``d`` in (0, 1): the average's horizon is about ``1 / (1 − d)`` steps.

    Examples:
        >>> net = torch.nn.Linear(1, 1, bias=False)
        >>> _ = net.weight.data.fill_(0.0)
        >>> average = WeightAverage(net, decay=0.5)
        >>> _ = net.weight.data.fill_(1.0)
        >>> average.update(net)   # d = min(0.5, 2/11): 0·(2/11) + 1·(9/11)
        >>> round(average.weights["weight"].item(), 4)
        0.8182
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1), got {decay}")
        self.decay = float(decay)
        self.updates = 0
        self.weights: dict[str, torch.Tensor] = {
            k: v.detach().clone() for k, v in model.state_dict().items()}

    def current_decay(self) -> float:
        """``d`` of the next update (the warm-up's, until it reaches ``decay``)."""
        n = self.updates + 1
        return min(self.decay, (1.0 + n) / (10.0 + n))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Fold ``model``'s current weights into the average (call after each optimiser step)."""
        d = self.current_decay()
        for name, value in model.state_dict().items():
            kept = self.weights[name]
            if kept.is_floating_point():
                kept.lerp_(value.detach().to(kept.dtype), 1.0 - d)
            else:
                kept.copy_(value)
        self.updates += 1

    @contextmanager
    def applied(self, model: nn.Module) -> Iterator[nn.Module]:
        """``model`` holding the average for the ``with`` block, its own weights after it."""
        own = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict(self.weights)
        try:
            yield model
        finally:
            model.load_state_dict(own)

    def state_dict(self) -> dict:
        """``{"decay", "updates", "weights"}`` (tensors as they are; the caller moves them)."""
        return {"decay": self.decay, "updates": self.updates, "weights": self.weights}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned (the weights copied onto this device)."""
        self.decay, self.updates = float(state["decay"]), int(state["updates"])
        for name, value in state["weights"].items():
            self.weights[name].copy_(value)


__all__ = ["WeightAverage"]
