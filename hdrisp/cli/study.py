"""``hdrisp study``: the reproduction study (histogram-term ablation, colour-constancy cast set,
paper vs code schedule, staged vs level 0 alone), its report, and the cast set alone.

    hdrisp study                      the tutorial size of the tiny config (about 20 min, CPU)
    hdrisp study --smoke              a plumbing check in about a minute (what CI runs)
    hdrisp study --config paper --data ROOT --device cuda     the paper's scale
    hdrisp study report runs/study/tiny   publish its results, rewrite REPRODUCTION.md
    hdrisp study cast-set --data ROOT -o OUT   only build the colour-constancy test set
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hdrisp.cli._options import add_data, add_out, add_runtime

ORDER = 70

RESULTS = "notebooks/results/study.csv"
REPORT = "REPRODUCTION.md"


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def _seeds(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(n) for n in _names(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds are integers, got {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``study`` command and its ``report`` and ``cast-set`` sub-commands."""
    parser = subparsers.add_parser(
        "study", help="the reproduction study: histogram ablation, colour constancy, schedules",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="tiny", metavar="NAME|YAML",
                        help="the schedule every arm trains: a shipped config (tiny, paper, "
                        "paper_code) or a YAML file (default: tiny)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--smoke", action="store_true",
                      help="the smoke size: 1 step at levels 4 and 0, 2 seeds, a few images")
    size.add_argument("--size", choices=("smoke", "tutorial", "full"), default=None,
                      help="tutorial: the config's steps × --fraction; full: the config as "
                      "written (default: tutorial for tiny, full for any other config)")
    parser.add_argument("--fraction", type=float, default=None, metavar="F",
                        help="share of each level's steps at the tutorial size (default 0.15)")
    parser.add_argument("--seeds", type=_seeds, default=None, metavar="S,...",
                        help="seeds of every arm (default: 0,1,2; smoke 0,1)")
    parser.add_argument("--arms", type=_names, default=None, metavar="ARM,...",
                        help="hist_x0, hist_x1, hist_x2, code, direct (default: all; hist_x1, "
                        "the reference, is always included)")
    parser.add_argument("--illuminants", type=_names, default=None, metavar="NAME,...",
                        help="cast set renderings: D75, D65, D50, F2, F11, A (default: "
                        "D75,D65,D50,F11,A)")
    parser.add_argument("--cast-scenes", type=int, default=None, metavar="N",
                        help="scenes of the cast set (default: 12; full 60; smoke 3)")
    parser.add_argument("--baselines", type=_names, default=("greyworld", "classical"),
                        metavar="NAME,...",
                        help="classical baselines scored beside the arms, named as `hdrisp "
                        "evaluate` names them (default: greyworld,classical — classical gets "
                        "the set's recorded as-shot white balance and colour matrix; also "
                        "reinhard, drago, mantiuk, mertens)")
    add_data(parser, "paired dataset (default: the config's data.root, else the synthetic set)")
    add_out(parser, "study folder (default: runs/study/<config name>[_smoke])")
    add_runtime(parser, device_default=None, precision_default=None)
    parser.add_argument("--keep-checkpoints", action="store_true",
                        help="keep every checkpoint (default: only each run's level0/last.pt)")
    parser.set_defaults(func=study_command, _parser=parser)

    sub = parser.add_subparsers(dest="study_command", metavar="SUBCOMMAND")
    report = sub.add_parser(
        "report", help="publish a study's results and rewrite REPRODUCTION.md's tables",
        description="Copy a study folder's results.csv/.json and figures to --results (when "
        "RUN is given), then rewrite the generated tables of the report from --results. "
        "With --check, write nothing and exit 1 when the report is out of date.")
    report.add_argument("run", nargs="?", type=Path, default=None, metavar="RUN",
                        help="a finished study folder to publish first (e.g. runs/study/tiny)")
    report.add_argument("--results", type=Path, default=Path(RESULTS), metavar="CSV",
                        help=f"the committed results (default: {RESULTS})")
    add_out(report, "the report to rewrite", default=REPORT, metavar="MD")
    report.add_argument("--check", action="store_true",
                        help="only check that the report matches the results (exit 1 if not)")
    report.set_defaults(func=report_command)

    cast = sub.add_parser(
        "cast-set", help="build the colour-constancy test set of a paired data set",
        description="Re-light the first scenes of a test split with CIE illuminants' white "
        "balance gains (one raw per illuminant, the scene's one target), in the paper layout, "
        "with cast_manifest.json.")
    add_data(cast, "paired dataset (default: the synthetic set)")
    add_out(cast, "folder for the cast set", required=True)
    cast.add_argument("--illuminants", type=_names, default=None, metavar="NAME,...",
                      help="default: D75,D65,D50,F11,A")
    cast.add_argument("--scenes", type=int, default=12, metavar="N",
                      help="scenes (the split's first pairs; default 12)")
    cast.add_argument("--split", default="test", help="split to take scenes from")
    cast.set_defaults(func=cast_set_command)


def study_command(args: argparse.Namespace) -> int:
    """Plan and run the study; print where the results are and the paired table."""
    from hdrisp.study import plan_study, run_study
    from hdrisp.study.report import study_tables
    from hdrisp.study.runner import command_line
    size = "smoke" if args.smoke else args.size
    plan = plan_study(args.config, size=size, fraction=args.fraction,
                      seeds=args.seeds, arms=args.arms, illuminants=args.illuminants,
                      cast_scenes=args.cast_scenes, baselines=args.baselines,
                      data_root=args.data)
    n = len(plan.runs())
    print(f"study ({plan.size.name} size) of {plan.config_path}: {len(plan.arms)} arms × "
          f"{len(plan.size.seeds)} seeds = {n} training runs, one after another")
    result = run_study(plan, args.out, device=args.device, precision=args.precision,
                       keep_checkpoints=args.keep_checkpoints, command=command_line())
    print(study_tables(result.results, result.meta))
    print(f"wrote {result.paths['results']}, {result.paths['per_image']}, "
          f"{result.paths['figure']}, {result.paths['grid']} "
          f"({result.meta['wall_s']:.0f} s wall, {result.meta['cpu_s']:.0f} s CPU)")
    if plan.smoke:
        print("smoke size: a plumbing check; its numbers are not findings")
    return 0


def report_command(args: argparse.Namespace) -> int:
    """Publish (optionally) and rewrite or check the report."""
    from hdrisp.study import load_results, publish
    from hdrisp.study.report import update_report

    if args.run is not None:
        csv_path, meta_path = publish(args.run, args.results)
        print(f"published {csv_path} and {meta_path}")
    results, meta = load_results(args.results)
    current = update_report(args.out, results, meta, check=args.check)
    if args.check:
        print(f"{args.out} is {'current' if current else 'out of date'} with {args.results}")
        return 0 if current else 1
    print(f"{args.out} {'was already current' if current else 'rewritten'} from {args.results}")
    return 0


def cast_set_command(args: argparse.Namespace) -> int:
    """Build the cast set and print one line per scene."""
    from hdrisp.study import build_cast_set
    from hdrisp.study.illuminants import DEFAULT_ILLUMINANTS
    from hdrisp.synth import ensure_default_dataset

    root = args.data or ensure_default_dataset(progress=True)
    cast = build_cast_set(root, args.out, illuminants=args.illuminants or DEFAULT_ILLUMINANTS,
                          scenes=args.scenes, split=args.split, progress=True)
    for scene in range(cast.scenes):
        items = cast.scene_items(scene)
        gains = ", ".join(f"{i.illuminant} ({i.gains[0]:.2f}, 1, {i.gains[2]:.2f})"
                          for i in items)
        print(f"scene {scene} ({items[0].source_raw}): {gains}")
    print(f"wrote {len(cast.items)} raws and {cast.root / 'cast_manifest.json'}")
    return 0
