"""``hdrisp demo``: the main job of ``make demo`` on the embedded synthetic default.

1. builds the synthetic default set if it is missing (``data/synthetic``; held-out scenes);
2. inspects one of its full-resolution DNG frames (made by unprocessing a photograph
   bundled with scikit-image) and develops a classical preview of it;
3. trains the tutorial config (``tiny``) into ``runs/tutorial``, reusing whatever levels a
   previous run finished;
4. scores its level-0 network against every baseline on the held-out test patches and the
   held-out full frames: ``OUT/results.md`` and ``OUT/results.json`` (and, for a full run in
   a source checkout, ``notebooks/results/tutorial.json``, which lessons 03 and 04 quote);
5. runs lessons 01–04 in full mode against that run, each up to its exercises (those of
   lessons 03 and 04 train and score runs of their own: the student's minutes; ``--exercises``
   runs them too), writing executed copies and HTML under ``OUT/notebooks``. Lesson 04's
   metric table reads back the report of step 4 instead of scoring again.

``--smoke`` is the quick path (CI): the small set, two steps per level into
``runs/tutorial_smoke``, the lessons in smoke mode; its network is untrained, and every table
and lesson says so.
"""

from __future__ import annotations

import argparse

from hdrisp.cli._options import add_out, add_runtime

ORDER = 90
LESSONS = ("01", "02", "03", "04")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo", help="build the set, train the tutorial config, score it, run the lessons",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_out(p, "output folder", default="runs/demo")
    p.add_argument("--smoke", action="store_true",
                   help="quick plumbing run: small set, two steps per level, lessons in smoke "
                   "mode (its network is untrained)")
    p.add_argument("--full", action="store_true", help=argparse.SUPPRESS)  # the old default
    p.add_argument("--run", metavar="RUN", default=None,
                   help="the training run to reuse or write (default: runs/tutorial, "
                   "runs/tutorial_smoke with --smoke)")
    p.add_argument("--notebooks", nargs="*", default=None, metavar="NN",
                   help=f"which lessons (numbers like 01 02), default {' '.join(LESSONS)}")
    p.add_argument("--no-notebooks", action="store_true", help="stop after the sample DNG")
    p.add_argument("--exercises", action="store_true",
                   help="run the lessons' exercises too (they train and score runs of their "
                   "own: about 5 more minutes on a 2-core CPU)")
    p.add_argument("--skip-lessons", action="store_true",
                   help="train and score, but do not run the lessons")
    p.add_argument("--results-file", metavar="JSON", default=None,
                   help="also write the results here (default for a full run in a source "
                   "checkout: notebooks/results/tutorial.json, which the lessons quote)")
    add_runtime(p, device_default="cpu", precision_default="auto")
    p.set_defaults(func=demo_command)


def demo_command(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    import imageio.v3 as iio

    from hdrisp.cli.raw import format_report
    from hdrisp.errors import DatasetError, check_output_dir
    from hdrisp.raw import read_raw, to_uint8
    from hdrisp.raw.bayer import preview
    from hdrisp.raw.stats import raw_statistics
    from hdrisp.synth import ensure_default_dataset

    out = check_output_dir(args.out)  # before the synthetic set is built
    smoke = bool(args.smoke)
    began = time.perf_counter()

    print(f"1/5 synthetic default set{' (smoke size)' if smoke else ''}")
    root = ensure_default_dataset(smoke=smoke, progress=True)
    print(f"    {root}")

    print("2/5 a sample DNG from a bundled photograph: inspect and develop a preview")
    frames = sorted((root / "test" / "full_resolution").glob("*.dng"))
    if not frames:
        raise DatasetError("the synthetic set has no full-resolution DNG frame",
                           root / "test" / "full_resolution")
    raw = read_raw(frames[0])
    print(format_report(raw_statistics(raw)))
    rgb = preview(raw.normalized(), raw.cfa, wb=raw.wb, color_matrix=raw.color_matrix)
    preview_path = out / f"{frames[0].stem}_classical_preview.png"
    iio.imwrite(preview_path, to_uint8(rgb))
    print(f"    preview: {preview_path}")
    if args.no_notebooks:
        return 0

    from hdrisp.evaluation.metrics import FULL_REFERENCE
    from hdrisp.training import load_config, replace, train_schedule
    from hdrisp.tutorial import helpers
    from hdrisp.tutorial import results as tutorial_results
    from hdrisp.tutorial.runner import run_notebooks

    run = Path(args.run) if args.run else helpers.run_dir(None, smoke=smoke)
    config = load_config("tiny")
    if smoke:
        config = helpers.smoke_config(config)
    config = replace(config, logging={"progress": True})
    if run.is_dir() and helpers.trained_on_another_set(run, root):
        moved = helpers.set_aside(run)
        print(f"    {run} was trained on another build of {root} (its dataset.json changed): "
              f"moved to {moved}, training afresh")
    finished = helpers.finished_levels(run) if run.is_dir() else []
    print(f"3/5 train the tutorial config ({config.name}{', smoke' if smoke else ''}) into "
          f"{run}" + (f" (levels {finished} already finished: reused)" if finished else ""))
    start = time.perf_counter()
    train_schedule(config, out=run, data_root=root, device=args.device,
                   precision=args.precision, resume=True)
    trained_s = time.perf_counter() - start
    print(f"    {trained_s / 60:.1f} min")

    print("4/5 the network against every baseline, held-out patches and full frames")
    scoring = time.perf_counter()
    # the patches are scored with every full-reference metric into the run's evaluation/
    # folder, exactly as lesson 04 asks for its table, which then reads this report back
    results = tutorial_results.collect_results(
        run, root, out_dir=out / "results", config_name=config.name, device=args.device,
        train_wall_s=None if finished else trained_s,
        precision=args.precision if args.precision != "auto" else "fp32",
        patches_dir=run / "evaluation", patch_metrics=FULL_REFERENCE)
    table = tutorial_results.results_markdown(results)
    (out / "results.md").write_text(table, encoding="utf-8")
    written = [tutorial_results.write_results(results, out / "results.json")]
    target = args.results_file
    if target is None and not smoke and tutorial_results.COMMITTED.parent.is_dir():
        target = tutorial_results.COMMITTED
    if target is not None:
        written.append(tutorial_results.write_results(results, target))
    print(table)
    print("    wrote " + ", ".join(str(p) for p in [out / "results.md", *written])
          + f" ({(time.perf_counter() - scoring) / 60:.1f} min)")

    if args.skip_lessons:
        return 0
    mode = "smoke" if smoke else "full"
    print(f"5/5 the lessons ({mode} mode{'' if args.exercises else ', up to the exercises'}) "
          f"against {run}")
    lessons = run_notebooks(args.notebooks or list(LESSONS), out / "notebooks", smoke=smoke,
                            parameters={"RUN_DIR": str(run), "DEVICE": args.device},
                            progress=True, exercises=args.exercises)
    for r in lessons:
        html = f", {r.html}" if r.html else ""
        print(f"    {r.name}: {r.notebook}{html} ({r.seconds:.0f} s)")
    print(f"done in {(time.perf_counter() - began) / 60:.1f} min: results "
          f"{out / 'results.md'}; executed lessons {out / 'notebooks'} "
          "(or `make lab` for the interactive notebooks)")
    return 0
