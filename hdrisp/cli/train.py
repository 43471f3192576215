"""``hdrisp train``: staged training, level 4 → 0, from a YAML config.

``torchrun --nproc_per_node N -m hdrisp train ...`` runs the same command on N processes
(DistributedDataParallel; rank 0 logs and writes checkpoints).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from hdrisp.cli._options import add_data, add_out, add_runtime

ORDER = 50


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` command."""
    parser = subparsers.add_parser(
        "train",
        help="train the network level by level (4 → 0) from a YAML config",
        description="Train the pyramid level by level, coarse to fine; each level starts from "
        "the previous level's final checkpoint and writes OUT/level{L}/last.pt, best.pt, "
        "config.yaml, CSV logs, validation images and loss curves. Without --data, the "
        "config's data.root is used, else the synthetic default set (built on first use). "
        "For several GPUs: torchrun --nproc_per_node N -m hdrisp train ...",
    )
    parser.add_argument("--config", required=True, metavar="NAME|YAML",
                        help="a shipped config by name (tiny: the CPU tutorial schedule; paper: "
                        "the paper's table; paper_code: the authors' code) or a YAML file")
    parser.add_argument("--levels", default=None, metavar="FROM:TO",
                        help="levels to train, e.g. 4:0 (default: every level of the config)")
    add_data(parser, "paired dataset folder (overrides data.root)")
    add_out(parser, "run folder (default: runs/<config name>)")
    parser.add_argument("--resume", action="store_true",
                        help="continue unfinished levels from their last.pt; skip finished ones")
    parser.add_argument("--init", type=Path, default=None, metavar="WEIGHTS",
                        help="weights for the first level trained (default: the previous "
                        "level's last.pt in the run folder; random at level 4)")
    add_runtime(parser, device_default=None, precision_default=None)
    parser.set_defaults(func=train_command)


def train_command(args: argparse.Namespace) -> int:
    """Run the schedule and print one summary line per level (rank 0 only)."""
    from hdrisp.training import load_config, train_schedule

    config = load_config(args.config)
    results = train_schedule(config, out=args.out, levels=args.levels, data_root=args.data,
                             init=args.init, resume=args.resume, device=args.device,
                             precision=args.precision)
    if int(os.environ.get("RANK", "0")) == 0:
        for level, result in results.items():
            psnr = result.validation.get("psnr")
            shown = f"PSNR {psnr:.2f} dB" if psnr is not None else "no validation this run"
            print(f"level {level}: {result.steps} steps, {shown}; last {result.last}"
                  + (f", best {result.best}" if result.best else ""))
    return 0
