"""``hdrisp raw``: raw-file commands (``hdrisp raw inspect FILE...``)."""

from __future__ import annotations

import argparse
import json
import sys

ORDER = 10


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``raw`` group and its ``inspect`` command."""
    group = subparsers.add_parser("raw", help="inspect camera raw and PNG raw files")
    group.set_defaults(_parser=group)
    sub = group.add_subparsers(dest="raw_command", metavar="COMMAND")
    inspect = sub.add_parser(
        "inspect",
        help="print pattern, levels, white balance and per-channel statistics",
        description="Print camera, CFA pattern, size, black/white levels, white balance and "
        "per-CFA-channel min/max/percentiles and fraction clipped for each FILE. "
        "Files that cannot be read as a Bayer mosaic get one 'error: FILE: ...' line; "
        "the exit status is then 2.",
    )
    inspect.add_argument("files", nargs="+", metavar="FILE", help="raw files (DNG, CR2, PNG …)")
    inspect.add_argument("--json", action="store_true", help="print one JSON list instead")
    inspect.add_argument(
        "--percentiles", type=_percentile_list, default=(1.0, 50.0, 99.0), metavar="Q,Q,...",
        help="comma-separated percentiles to report (default: 1,50,99)",
    )
    inspect.set_defaults(func=inspect_command)


def _percentile_list(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}"
                                         ) from None
    if not values or not all(0 <= v <= 100 for v in values):
        raise argparse.ArgumentTypeError(f"percentiles must lie in [0, 100]: {text!r}")
    return values


def inspect_command(args: argparse.Namespace) -> int:
    """Inspect every file; report bad ones on stderr and return 2 if there were any."""
    from hdrisp.data.normalization import file_normalization
    from hdrisp.errors import HdrispError
    from hdrisp.raw.stats import raw_statistics

    reports = []
    failed = False
    for name in args.files:
        try:
            # a PNG raw with the levels of its data set (or its own, per pair)
            stats = raw_statistics(file_normalization(name).read(name), args.percentiles)
        except HdrispError as exc:
            failed = True
            print(f"error: {exc.path or name}: {exc.problem}", file=sys.stderr)
            continue
        if args.json:
            reports.append(stats)
        else:
            print(format_report(stats))
    if args.json:
        print(json.dumps(reports, indent=2))
    return 2 if failed else 0


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def format_report(stats: dict) -> str:
    """Human-readable text for one :func:`hdrisp.raw.stats.raw_statistics` dict."""
    wb = stats["wb"]
    lines = [
        f"{stats['path']}",
        f"  camera         {stats['camera'] or 'unknown'}",
        f"  pattern        {stats['cfa']}",
        f"  size           {stats['width']}×{stats['height']} (W×H)",
        f"  black level    {' '.join(_fmt(b) for b in stats['black_level'])} (2×2 raster order)",
        f"  white level    {_fmt(stats['white_level'])}",
        "  white balance  " + ("none" if wb is None else
                               f"R {wb[0]:.4f}  G {wb[1]:.4f}  B {wb[2]:.4f}"),
        f"  colour matrix  {'yes' if stats['color_matrix'] is not None else 'none'}",
        f"  clipped        {100 * stats['clipped']:.3f} %",
    ]
    channels = stats["channels"]
    first = next(iter(channels.values()))
    keys = [k for k in first if k not in ("mean", "black", "below_black", "clipped")]
    header = "  channel " + "".join(f"{k:>10}" for k in keys) + f"{'clipped %':>11}"
    lines.append(header)
    for name, ch in channels.items():
        row = f"  {name:<7} " + "".join(f"{_fmt(ch[k]):>10}" for k in keys)
        lines.append(row + f"{100 * ch['clipped']:>11.3f}")
    return "\n".join(lines)
