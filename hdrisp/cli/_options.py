"""Options that mean the same on every command (one spelling, one help text).

- ``-o/--out``: where a command writes (a folder, or the figure file for ``compare``).
- ``--data ROOT``: a paired dataset folder.
- ``--device`` / ``--precision``: on every command that runs a network (names as in
  :mod:`hdrisp.runtime`, written out here so that ``hdrisp --help`` does not import torch).
"""

from __future__ import annotations

import argparse

PRECISIONS = ("auto", "fp32", "bf16", "fp16")  # = hdrisp.runtime.PRECISIONS (a test checks it)


def add_out(parser: argparse.ArgumentParser, help: str, *, default: str | None = None,
            required: bool = False, metavar: str = "DIR") -> None:
    """``-o/--out``."""
    parser.add_argument("-o", "--out", default=default, required=required, metavar=metavar,
                        help=help + (f" (default: {default})" if default else ""))


def add_data(parser: argparse.ArgumentParser, help: str = "paired dataset folder",
             *, required: bool = False) -> None:
    """``--data ROOT``."""
    parser.add_argument("--data", required=required, default=None, metavar="ROOT", help=help)


def add_runtime(parser: argparse.ArgumentParser, *, device_default: str | None = "auto",
                precision_default: str | None = "auto") -> None:
    """``--device`` and ``--precision``."""
    parser.add_argument("--device", default=device_default, metavar="DEVICE",
                        help="auto (CUDA when present, else CPU), cpu, cuda or cuda:N"
                        + (f" (default: {device_default})" if device_default else
                           " (default: the config's runtime.device)"))
    parser.add_argument("--precision", default=precision_default, choices=PRECISIONS,
                        help="auto: bf16 autocast on CUDA (fp16 where bf16 is missing) and on "
                        "CPUs with native bf16 (AVX512-BF16/AMX), else fp32"
                        + (f" (default: {precision_default})" if precision_default else
                           " (default: the config's runtime.precision)"))
