"""``hdrisp data``: generate the synthetic set, validate a data set, prepare Zurich."""

from __future__ import annotations

import argparse
import os

from hdrisp.cli._options import add_data, add_out
from hdrisp.synth.unprocess import DEFAULT_SENSOR, SENSOR_MODELS

ORDER = 20


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a count ≥ 0, got {text}")
    return value


def _even(text: str) -> int:
    value = _positive_int(text)
    if value % 2:
        raise argparse.ArgumentTypeError(f"a Bayer mosaic needs an even size, got {text}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``hdrisp data`` and its sub-commands."""
    data = subparsers.add_parser(
        "data", help="synthetic set, data set checks, Zurich preparation",
        description="Data sets: generate the synthetic paired set, check a data set's "
        "integrity, or build tone-mapped targets from a Zurich RAW-to-RGB copy.")
    data.set_defaults(_parser=data)
    sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    cpus = max(1, min(4, os.cpu_count() or 1))

    synth = sub.add_parser(
        "synth", help="generate a synthetic paired set (paper layout)",
        description="Unprocess bundled photographs into 10-bit RGGB raws with 'HDR look' "
        "targets; write train/, test/ (with full-resolution PNG and DNG frames), "
        "manifest.json (every sampled parameter) and dataset.json. Same arguments, same bytes.")
    add_out(synth, "destination folder (default: data/synthetic of the checkout)")
    synth.add_argument("--n-train", type=_count, default=600, metavar="N",
                       help="training pairs (default: 600)")
    synth.add_argument("--n-test", type=_count, default=60, metavar="M",
                       help="test pairs (default: 60)")
    synth.add_argument("--patch", type=_even, default=448, help="patch side (default: 448)")
    synth.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    synth.add_argument("--workers", type=_positive_int, default=cpus,
                       help=f"processes (default: {cpus})")
    synth.add_argument("--n-full", type=_count, default=2, metavar="K",
                       help="full-resolution test frames (default: 2)")
    synth.add_argument("--full-size", type=_even, nargs=2, default=(896, 1344),
                       metavar=("H", "W"), help="full frames' size (default: 896 1344)")
    synth.add_argument("--black-level", type=float, default=0.0,
                       help="black level in DN added to the raws (default: 0); dataset.json "
                       "then states the 'levels' normalisation, which training, evaluate and "
                       "develop apply")
    synth.add_argument("--sensor", choices=SENSOR_MODELS, default=DEFAULT_SENSOR,
                       help="the synthetic camera: 'camera' (default: one real camera, the "
                       "Canon EOS 550D, in daylight of 6000 K, 10-bit), 'camera_daylight' (the "
                       "same under 5000-7000 K), 'narrow' (a random near-identity "
                       "colour matrix per pair, the sets of versions 1-2) or 'cameras' (78 real "
                       "cameras under daylight, tungsten and fluorescent light, real noise, "
                       "each raw at a real camera's own 10- to 14-bit levels, read per pair)")
    synth.add_argument("--no-hue-shift", action="store_true",
                       help="leave the training crops' colours as photographed (the default "
                       "shifts half of them towards yellow and green, which the bundled "
                       "photographs lack; data/README.md)")
    synth.add_argument("--default", dest="default_set", choices=("full", "smoke"),
                       help="build (or reuse, if current) the cached default set instead; "
                       "the size options are then ignored")
    synth.set_defaults(func=synth_command)

    check = sub.add_parser(
        "check", help="validate a data set and list every problem",
        description="Check that every pair is complete and readable, sizes are consistent "
        "and raw values stay within the white level. Exit status 1 when problems are found; "
        "a set whose training and test splits share a source photograph is refused (one "
        "line, exit status 2).")
    add_data(check, "the data set's folder", required=True)
    check.add_argument("--layout", default="auto", choices=("auto", "paper", "zurich"),
                       help="folder layout (default: auto)")
    check.add_argument("--white-level", type=float, default=None,
                       help="largest valid PNG raw value (default: the white level of the "
                       "set's dataset.json, else 1023)")
    check.add_argument("--max-problems", type=_count, default=200, metavar="N",
                       help="print at most N problems (default: 200; 0 for all)")
    check.set_defaults(func=check_command)

    zurich = sub.add_parser(
        "prepare-zurich", help="tone-mapped targets from a Zurich RAW-to-RGB copy",
        description="Link the Huawei raws of a Zurich RAW-to-RGB copy into a paper-layout "
        "set and make each target from the Canon picture with the synthetic set's "
        "'HDR look' operator (inverse sRGB, exposure fusion, detail and saturation boost).")
    add_data(zurich, "Zurich folder (with train/huawei_raw, train/canon, test/...)",
             required=True)
    add_out(zurich, "destination folder", required=True)
    zurich.add_argument("--workers", type=_positive_int, default=cpus,
                        help=f"processes (default: {cpus})")
    zurich.add_argument("--limit", type=_positive_int, metavar="N",
                        help="only the first N pairs per split (a quick trial)")
    zurich.add_argument("--skip-broken", action="store_true",
                        help="leave unpaired files out instead of stopping at the first")
    zurich.set_defaults(func=prepare_zurich_command)


def synth_command(args: argparse.Namespace) -> int:
    """``hdrisp data synth``."""
    from hdrisp.synth import default_data_dir, ensure_default_dataset, generate_dataset
    from hdrisp.synth.sources import DEFAULT_HUE_SHIFT

    if args.default_set:
        root = ensure_default_dataset(args.out, smoke=args.default_set == "smoke",
                                      workers=args.workers, progress=True)
    else:
        out = args.out or default_data_dir() / "synthetic"
        root = generate_dataset(out, args.n_train, args.n_test, args.patch, args.seed,
                                args.workers, args.n_full, tuple(args.full_size),
                                black_level=args.black_level, sensor=args.sensor,
                                train_hue_shift=None if args.no_hue_shift else DEFAULT_HUE_SHIFT,
                                progress=True)
    print(f"synthetic set ready: {root}")
    return 0


def check_command(args: argparse.Namespace) -> int:
    """``hdrisp data check``."""
    from hdrisp.data.check import check_dataset

    report = check_dataset(args.data, args.layout, white_level=args.white_level,
                           progress=True)
    lines = str(report).splitlines()
    shown = len(lines) - len(report.problems) + (args.max_problems or len(report.problems))
    print("\n".join(lines[:shown]))
    if len(lines) > shown:
        print(f"... and {len(lines) - shown} more (--max-problems 0 prints all)")
    return 0 if report.ok else 1


def prepare_zurich_command(args: argparse.Namespace) -> int:
    """``hdrisp data prepare-zurich``."""
    from hdrisp.data.zurich import prepare_zurich

    out = prepare_zurich(args.data, args.out, workers=args.workers, limit=args.limit,
                         skip_broken=args.skip_broken, progress=True)
    print(f"paper-layout set with tone-mapped targets: {out}")
    return 0
