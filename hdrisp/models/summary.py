"""Per-level size and cost of a registered model: parameters, multiply-accumulates, output.

The network runs once per level on the ``meta`` device (shapes only, no
arithmetic and no memory), so even PyNET at level 0 is summarised instantly.

What is counted:

- parameters: every parameter of the modules that run when ``model.level = L``
  (the encoder, levels down to L and level L's output head), each once;
- multiply-accumulates (MACs): those of the convolutions (``Conv1d``, ``Conv2d``:
  output elements × input channels per group × kernel area) and ``Linear``
  layers (output elements × input features), batch 1. Biases, normalisation,
  activations, pooling, upsampling, concatenation and the element-wise maths of
  the attention blocks are not counted (together well under 1 % here).
  One MAC is two FLOPs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class LevelSummary:
    """One row of :func:`model_summary` (for a packed ``4×size×size`` input, batch 1)."""

    level: int
    parameters: int
    macs: int
    output_shape: tuple[int, int, int]  # C×H×W of the level's image


def _conv_linear_macs(module: nn.Module, output: Tensor) -> int:
    if isinstance(module, (nn.Conv1d, nn.Conv2d)):
        per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
        return output.numel() * per_output
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    return 0


def model_summary(model_name: str, size: int = 224, **model_kwargs) -> list[LevelSummary]:
    """Summarise every level of registered model ``model_name`` for a ``1×4×size×size`` input.

    Returns one :class:`LevelSummary` per level, coarsest level first.
    Raises ConfigError for an unknown model, InputShapeError for an unusable size.
    """
    from hdrisp.models import build

    with torch.device("meta"):
        model = build(model_name, **model_kwargs)
        x = torch.empty(1, 4, size, size)
    model.check_input(x)

    called: set[nn.Module] = set()
    macs = [0]

    def hook(module: nn.Module, _inputs: tuple, output: Tensor) -> None:
        called.add(module)
        macs[0] += _conv_linear_macs(module, output)

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if any(True for _ in m.parameters(recurse=False))]
    rows = []
    try:
        with torch.no_grad():
            for level in model.LEVELS:
                called.clear()
                macs[0] = 0
                model.level = level
                out = model(x)
                params = {id(p): p.numel() for m in called for p in m.parameters(recurse=False)}
                rows.append(LevelSummary(level, sum(params.values()), macs[0],
                                         tuple(out.shape[1:])))
    finally:
        for handle in handles:
            handle.remove()
    return rows


def format_summary(rows: list[LevelSummary], title: str = "") -> str:
    """A plain-text table of :func:`model_summary` rows (GMAC = 10⁹ multiply-accumulates)."""
    lines = [title] if title else []
    header = f"{'level':>5}  {'parameters':>12}  {'GMACs':>9}  {'output (C×H×W)':>16}"
    lines += [header, "-" * len(header)]
    for r in rows:
        shape = "×".join(str(s) for s in r.output_shape)
        lines.append(f"{r.level:>5}  {r.parameters:>12,}  {r.macs / 1e9:>9.2f}  {shape:>16}")
    return "\n".join(lines)


@dataclass(frozen=True)
class BlockRow:
    """One direct child module of a pyramid network, as :func:`model_blocks` found it."""

    name: str              # the state-dict name, e.g. "out_eca1_l4"
    kind: str              # its class, e.g. "ECA"
    parameters: int
    level: int             # the coarsest level whose forward pass first runs it
    side: int              # the side of its output for the summarised input (0 for no tensor)
    in_channels: int | None = None    # of its first convolution, when it has one
    out_channels: int | None = None   # of its last convolution, when it has one


def model_blocks(model_name: str, size: int = 224, **model_kwargs) -> list[BlockRow]:
    """Every direct child of registered model ``model_name``, in the order a full (level-0)
    forward pass calls it, with the level that first needs it and its output size — the facts
    the architecture figure of the lessons (:mod:`hdrisp.tutorial.figures`) is drawn from.

    Runs on the ``meta`` device (shapes only), like :func:`model_summary`.

    Examples:
        >>> rows = model_blocks("rawtonemap", size=64)
        >>> [(r.name, r.level, r.side) for r in rows if r.name.startswith("conv_l0")]
        [('conv_l0_d1', 0, 128)]
    """
    from hdrisp.models import build

    with torch.device("meta"):
        model = build(model_name, **model_kwargs)
        x = torch.empty(1, 4, size, size)
    model.check_input(x)
    first_level: dict[str, int] = {}
    order: list[str] = []
    sides: dict[str, int] = {}
    current = [0]

    def hook(name: str):
        def record(_module: nn.Module, _inputs: tuple, output: Tensor) -> None:
            first_level.setdefault(name, current[0])
            if name not in order:
                order.append(name)
            sides[name] = int(output.shape[-1]) if isinstance(output, Tensor) else 0
        return record

    children = dict(model.named_children())
    handles = [child.register_forward_hook(hook(name)) for name, child in children.items()]
    try:
        with torch.no_grad():
            for level in model.LEVELS:          # coarsest first: first_level is the coarsest
                current[0] = level
                model.level = level
                model(x)
    finally:
        for handle in handles:
            handle.remove()
    rows = []
    for name in order:
        child = children[name]
        convs = [m for m in child.modules() if isinstance(m, nn.Conv2d)]
        rows.append(BlockRow(name, type(child).__name__,
                             sum(p.numel() for p in child.parameters()), first_level[name],
                             sides[name], convs[0].in_channels if convs else None,
                             convs[-1].out_channels if convs else None))
    return rows
