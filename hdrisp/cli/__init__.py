"""The ``hdrisp`` command: thin argument parsing over the package's functions.

Each sub-command group lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser(s) and sets ``func`` to a
handler taking the parsed ``argparse.Namespace`` and returning an exit status.
Groups are discovered here, so adding a command never edits this file.
Handlers import heavy modules (torch) lazily, so ``hdrisp --help`` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback

from hdrisp.errors import HdrispError


def _group_modules() -> list:
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "register"):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def build_parser() -> argparse.ArgumentParser:
    """Build the full ``hdrisp`` argument parser with every sub-command."""
    from hdrisp import __version__

    parser = argparse.ArgumentParser(
        prog="hdrisp",
        description="hdrisp: learned RAW -> tone-mapped HDR ISP (PyNET-derived pyramid).",
    )
    parser.add_argument("--version", action="version", version=f"hdrisp {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback on errors"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _group_modules():
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hdrisp`` console script. Returns the exit status.

    Errors of the :mod:`hdrisp.errors` family and filesystem faults (permission denied, a
    folder where a file is expected, a full disk) print one line, ``error: <file>:
    <problem>``, and return 2; ``--debug`` (before or after the command) shows the traceback.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    parser = build_parser()
    args = parser.parse_args(argv)
    args.debug = debug
    if not getattr(args, "func", None):
        # a group without a sub-command, or no command at all: show its help
        (getattr(args, "_parser", None) or parser).print_help()
        return 0 if args.command is None else 2
    try:
        status = args.func(args)
    except HdrispError as exc:
        if args.debug:
            traceback.print_exc()
        where = f"{exc.path}: " if exc.path else ""
        print(f"error: {where}{exc.problem}", file=sys.stderr)
        return 2
    except OSError as exc:  # a filesystem fault outside the family: still one line
        if args.debug:
            traceback.print_exc()
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
