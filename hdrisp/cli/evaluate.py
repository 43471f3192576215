"""``hdrisp evaluate`` (metric tables on a test split) and ``hdrisp compare`` (figure)."""

from __future__ import annotations

import argparse

from hdrisp.cli._options import add_data, add_out, add_runtime

ORDER = 60

BASELINE_NAMES = ("classical", "libraw", "reinhard", "drago", "mantiuk", "mertens")
NO_REFERENCE_NAMES = ("piqe", "nima", "musiq", "liqe")


def _weights_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--weights", metavar="W", help="RawTonemapNet checkpoint or state dict")
    source.add_argument("--random-weights", action="store_true",
                        help="a seeded random network instead (shows the plumbing)")
    parser.add_argument("--level", type=int, default=0, choices=range(5), metavar="L",
                        help="the network's level, 0 (full resolution) … 4 (default: 0)")
    parser.add_argument("--pynet-weights", metavar="P",
                        help="also run PyNET with these weights (e.g. pynet_level_0.pth)")
    parser.add_argument("--baselines", type=_name_list, default=BASELINE_NAMES,
                        metavar="NAME,...",
                        help=f"classical baselines to run (default: {','.join(BASELINE_NAMES)};"
                        " 'none' for none)")


def _name_list(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip() and n.strip() != "none")
    unknown = [n for n in names if n not in BASELINE_NAMES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown baseline {unknown[0]!r} (known: {', '.join(BASELINE_NAMES)})")
    return names


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` and ``compare`` commands."""
    evaluate = subparsers.add_parser(
        "evaluate", help="metric tables of the network and the baselines on a test split",
        description="Run the network (and PyNET, with --pynet-weights) and the classical "
        "baselines on every pair of a paired split; write PSNR, SSIM, MS-SSIM, CIEDE2000 and "
        "RGB-uv Hellinger distance per method (and, with --no-reference, PIQE or the learned "
        "NIMA/MUSIQ/LIQE) as metrics.csv, metrics.md and per_image.csv.")
    _weights_options(evaluate)
    add_data(evaluate, "paired dataset (e.g. data/synthetic)", required=True)
    evaluate.add_argument("--layout", default="auto", choices=("auto", "paper", "zurich"),
                          help="the dataset's folder layout (default: auto)")
    evaluate.add_argument("--split", default="test", help="split to evaluate (default: test)")
    add_out(evaluate, "folder for the tables", default="runs/evaluation")
    add_runtime(evaluate)
    evaluate.add_argument("--limit", type=_positive_int, metavar="N",
                          help="evaluate only the first N pairs")
    evaluate.add_argument("--no-reference", type=_metric_list, default=(), metavar="NAME,...",
                          help="also score each result alone: piqe (offline), or nima, musiq,"
                          " liqe (need pip install 'hdrisp[iqa]' and their weights)")
    evaluate.set_defaults(func=evaluate_command)

    compare = subparsers.add_parser(
        "compare", help="paper-style figure: methods side by side with a zoomed crop",
        description="Develop each RAW file with the network and the classical baselines and "
        "save one figure: full images with a red box and the enlarged crops below.")
    compare.add_argument("raws", nargs="+", metavar="RAW", help="camera raw or PNG raw files")
    _weights_options(compare)
    add_out(compare, "figure file (.png, .pdf, .svg)", required=True, metavar="FIG")
    add_runtime(compare)
    compare.add_argument("--max-side", type=int, default=1024, metavar="PX",
                         help="bin mosaics so the longer side is at most PX (0: full size;"
                         " default: 1024)")
    compare.set_defaults(func=compare_command)


def _metric_list(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in NO_REFERENCE_NAMES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown no-reference metric {unknown[0]!r} (known: {', '.join(NO_REFERENCE_NAMES)})")
    return names


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def evaluate_command(args: argparse.Namespace) -> int:
    """Evaluate and print the Markdown table."""
    from hdrisp.evaluation import evaluate
    from hdrisp.evaluation.metrics import FULL_REFERENCE

    report = evaluate(args.data, args.weights, random_weights=args.random_weights,
                      split=args.split, level=args.level, out_dir=args.out,
                      pynet_weights=args.pynet_weights, limit=args.limit,
                      baselines=args.baselines, metrics=FULL_REFERENCE + args.no_reference,
                      layout=args.layout, device=args.device, precision=args.precision)
    print(report.paths["markdown"].read_text(encoding="utf-8"))
    print(f"wrote {report.paths['csv']}, {report.paths['markdown']}, {report.paths['per_image']}")
    return 0


def compare_command(args: argparse.Namespace) -> int:
    """Develop the files and save the comparison figure."""
    from hdrisp.evaluation.compare import compare_files

    path = compare_files(args.raws, args.out, args.weights, random_weights=args.random_weights,
                         level=args.level, pynet_weights=args.pynet_weights,
                         baselines=args.baselines, max_side=args.max_side or None,
                         device=args.device, precision=args.precision, progress=True)
    print(f"wrote {path}")
    return 0
