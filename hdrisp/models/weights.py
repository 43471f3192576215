"""Loading weights into a model, and the reference fill used to check a build.

:func:`load_weights` reads our training checkpoints (a dict whose ``"model"`` is
the state dict) and plain state-dict ``.pth`` files such as the authors',
with or without the ``module.`` prefix of ``nn.DataParallel`` /
``DistributedDataParallel`` (and ``_orig_mod.`` of ``torch.compile``). Files are
always read with ``torch.load(..., weights_only=True)``: no pickled code runs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor, nn

from hdrisp.errors import CheckpointError

REFERENCE_SEED = 20261125
WRAPPER_PREFIXES = ("module.", "_orig_mod.")
_SHOWN = 5  # how many offending keys an error message lists


def fill_reference_init(model: nn.Module, seed: int = REFERENCE_SEED) -> nn.Module:
    """Fill every state-dict tensor of ``model`` by the reference rule below; returns it.

    Walk the keys in sorted order with one ``torch.Generator`` seeded ``seed``:
    a tensor ``t`` of 2 or more dimensions gets ``randn(shape) / sqrt(t[0].numel())``,
    a 1-D ``…weight`` gets ``1 + 0.1·randn(shape)``, any other 1-D tensor
    ``0.1·randn(shape)``. The authors' golden outputs were made with this fill.
    """
    generator = torch.Generator().manual_seed(seed)
    state = model.state_dict()
    filled: dict[str, Tensor] = {}
    for key in sorted(state):
        t = state[key]
        noise = torch.randn(t.shape, generator=generator, dtype=torch.float32)
        if t.dim() >= 2:
            value = noise / math.sqrt(t[0].numel())
        elif key.endswith("weight"):
            value = 1.0 + 0.1 * noise
        else:
            value = 0.1 * noise
        filled[key] = value
    model.load_state_dict(filled, strict=True)
    return model


def _strip_prefixes(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Remove wrapper prefixes (``module.``, ``_orig_mod.``) that every key carries."""
    changed = True
    while changed and state:
        changed = False
        for prefix in WRAPPER_PREFIXES:
            if all(k.startswith(prefix) for k in state):
                state = {k[len(prefix):]: v for k, v in state.items()}
                changed = True
    return state


def extract_state_dict(obj: object, path: str | os.PathLike = "") -> dict[str, Tensor]:
    """The model state dict inside a loaded checkpoint object, wrapper prefixes removed.

    Accepts our checkpoint dict (``"model"``), a ``{"state_dict": …}`` dict, or a
    plain state dict (every value a tensor). Raises CheckpointError otherwise.
    """
    if isinstance(obj, Mapping):
        for key in ("model", "state_dict"):
            inner = obj.get(key)
            if isinstance(inner, Mapping):
                obj = inner
                break
    if not isinstance(obj, Mapping) or not obj:
        raise CheckpointError(f"holds a {type(obj).__name__}, not a checkpoint dict or a "
                              "state dict of tensors", path or None)
    not_tensors = [k for k, v in obj.items() if not isinstance(v, Tensor)]
    if not_tensors:
        raise CheckpointError(
            f"is not a state dict: entries {_listing(not_tensors)} are not tensors "
            "(expected our checkpoint with a 'model' entry or a plain state dict)", path or None)
    return _strip_prefixes({str(k): v for k, v in obj.items()})


def _listing(keys: list[str]) -> str:
    shown = ", ".join(keys[:_SHOWN])
    return shown + (f" (and {len(keys) - _SHOWN} more)" if len(keys) > _SHOWN else "")


def _guess_model(keys: set[str]) -> str | None:
    """Name of the registered model (default build) whose keys are exactly ``keys``."""
    from hdrisp.models import MODELS

    for name, cls in MODELS.items():
        with torch.device("meta"):
            if set(cls().state_dict()) == keys:
                return name
    return None


def check_state_dict(model: nn.Module, state: Mapping[str, Tensor], strict: bool = True,
                     path: str | os.PathLike = "") -> None:
    """Raise CheckpointError if ``state`` does not fit ``model``.

    Shape mismatches always fail; missing and unexpected keys fail when ``strict``.
    The message lists a few keys of each kind.
    """
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong_shape = [f"{k} {tuple(state[k].shape)} (model {tuple(own[k].shape)})"
                   for k in own if k in state and state[k].shape != own[k].shape]
    problems = []
    if wrong_shape:
        problems.append(f"shape mismatch: {_listing(wrong_shape)}")
    if strict and missing:
        problems.append(f"missing keys: {_listing(missing)}")
    if strict and unexpected:
        problems.append(f"unexpected keys: {_listing(unexpected)}")
    if not problems:
        return
    message = f"does not fit {type(model).__name__}: " + "; ".join(problems)
    if missing or unexpected:
        guess = _guess_model(set(state))
        if guess is not None:
            message += f" — the file looks like a '{guess}' checkpoint"
    raise CheckpointError(message, path or None)


def read_state_dict(path: str | os.PathLike) -> dict[str, Tensor]:
    """The state dict in a checkpoint (dict with ``"model"``) or plain state-dict file, on the
    CPU, read with ``weights_only=True``.

    Raises:
        CheckpointError: file missing, unreadable or not a state dict (naming the file).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError("no such weights file", path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt zip, truncated file, disallowed pickle ...
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"cannot read as a PyTorch weights file ({first_line})",
                              path) from exc
    return extract_state_dict(obj, path)


def build_options(state: Mapping[str, Tensor]) -> dict[str, bool]:
    """The build options a RawTonemapNet state dict was trained with: ``instance_norm`` is
    False when it holds no instance-norm parameters (``model.instance_norm: false`` in
    the training config), so evaluate, develop and compare rebuild the trained network."""
    has_norm = any(".instance." in key for key in state)
    return {} if has_norm or not any(k.startswith("conv_l1_d1") for k in state) else \
        {"instance_norm": False}


def load_weights(model: nn.Module, path: str | os.PathLike, strict: bool = True) -> nn.Module:
    """Load a checkpoint or state-dict file into ``model`` (in place) and return the model.

    Args:
        model: the network to fill (any device; tensors are read to the CPU first).
        path: our checkpoint (dict with ``"model"``) or a plain state dict ``.pth``,
            optionally with ``module.`` prefixes.
        strict: require exactly the model's keys (shapes must always match).

    Raises:
        CheckpointError: file missing, unreadable or not a state dict, or keys and
            shapes that do not fit (the message names the file and lists a few keys).
    """
    path = Path(path)
    state = read_state_dict(path)
    check_state_dict(model, state, strict=strict, path=path)
    model.load_state_dict(state, strict=strict)
    return model
