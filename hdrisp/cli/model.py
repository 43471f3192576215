"""``hdrisp model``: inspect the networks (``hdrisp model summary [--model NAME]``)."""

from __future__ import annotations

import argparse

ORDER = 30


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``model`` group and its ``summary`` command."""
    group = subparsers.add_parser("model", help="inspect the networks",
                                  description="Inspect the networks of hdrisp.models.")
    group.set_defaults(_parser=group)
    commands = group.add_subparsers(dest="model_command", metavar="SUBCOMMAND")

    summary = commands.add_parser(
        "summary", help="parameters, multiply-accumulates and output size per level",
        description="Per level: the parameters that level uses, the multiply-accumulates "
                    "of its convolutions and linear layers for a packed 4×SIZE×SIZE input "
                    "(batch 1), and its output size.")
    summary.add_argument("--model", default="rawtonemap", metavar="NAME",
                         help="rawtonemap (the paper's network, default) or pynet")
    summary.add_argument("--size", type=int, default=224,
                         help="side of the packed input in pixels (default 224)")
    summary.set_defaults(func=_summary)


def _summary(args: argparse.Namespace) -> int:
    import torch

    from hdrisp.models import MODELS, build, format_summary, model_summary

    rows = model_summary(args.model, size=args.size)
    with torch.device("meta"):
        state = build(args.model).state_dict()
    total = sum(t.numel() for t in state.values())
    title = (f"{args.model} ({MODELS[args.model].__name__}): {total:,} parameters in "
             f"{len(state)} state-dict tensors; packed input 4×{args.size}×{args.size}")
    print(format_summary(rows, title))
    print("GMACs: 10^9 multiply-accumulates of the convolutions and linear layers "
          "(1 MAC = 2 FLOPs); parameters: those the level's forward pass uses.")
    return 0
