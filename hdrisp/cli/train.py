"""``hdrisp train``: staged training, level 4 → 0, from a YAML config.

``torchrun --nproc_per_node N -m hdrisp train ...`` runs the same command on N processes
(DistributedDataParallel; rank 0 logs and writes checkpoints).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

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
    parser.add_argument("--config", required=True, type=Path, metavar="YAML",
                        help="training config, e.g. configs/paper.yaml or configs/tiny.yaml")
    parser.add_argument("--levels", default=None, metavar="FROM:TO",
                        help="levels to train, e.g. 4:0 (default: every level of the config)")
    parser.add_argument("--data", type=Path, default=None, metavar="ROOT",
                        help="paired dataset folder (overrides data.root)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="run folder (default: runs/<config name>)")
    parser.add_argument("--resume", action="store_true",
                        help="continue unfinished levels from their last.pt; skip finished ones")
    parser.add_argument("--init", type=Path, default=None, metavar="WEIGHTS",
                        help="weights for the first level trained (default: the previous "
                        "level's last.pt in the run folder; random at level 4)")
    parser.add_argument("--device", default=None, metavar="DEVICE",
                        help="auto, cpu, cuda or cuda:N (overrides runtime.device)")
    parser.set_defaults(func=train_command)


def train_command(args: argparse.Namespace) -> int:
    """Run the schedule and print one summary line per level (rank 0 only)."""
    from hdrisp.training import load_config, train_schedule

    config = load_config(args.config)
    results = train_schedule(config, out=args.out, levels=args.levels, data_root=args.data,
                             init=args.init, resume=args.resume, device=args.device)
    if int(os.environ.get("RANK", "0")) == 0:
        for level, result in results.items():
            psnr = result.validation.get("psnr")
            shown = f"PSNR {psnr:.2f} dB" if psnr is not None else "no validation this run"
            print(f"level {level}: {result.steps} steps, {shown}; last {result.last}"
                  + (f", best {result.best}" if result.best else ""))
    return 0
