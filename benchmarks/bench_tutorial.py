"""The tutorial schedule's quality against wall time: train a config, score it held out.

Trains a config (default ``tiny``, the tutorial schedule) from scratch on the synthetic set,
timing the wall and CPU seconds of each level, then scores the level-0 network and every
classical baseline on the held-out test patches and on the held-out full frames (each
developed whole): PSNR, mean ΔE2000 and the low-frequency colour error (99th percentile of
the low-passed ΔE2000 map: blotches, halos, vignetting). The table also says what each row
was given (the networks: the raw alone; the classical rows: the raw's as-shot white balance
and colour matrix; ``greyworld``: neither).

Wall time depends on what else the machine runs: the table prints the load average and the
CPU seconds beside it (on a machine shared with other jobs, compare CPU seconds).

    python benchmarks/bench_tutorial.py [--config tiny] [--smoke] [--out runs/bench_tutorial]
        [--results-file notebooks/results/tutorial.json] [--device cpu]

``--smoke``: the small set and two steps per level (plumbing, a minute or two; the network is
untrained). ``--results-file`` also writes the results JSON that lessons 03 and 04 quote.

Last, the real ColorChecker DNG shipped with the lessons (a Canon EOS 550D, the synthetic
set's camera, under warm light) developed by the network, the classical pipeline at as-shot
white balance and LibRaw, scored as ``benchmarks/bench_chart.py`` does
(:mod:`hdrisp.evaluation.chart`): issue #16 asks the network for a hue error, neutral chroma
and ΔE2000 no worse than the classical row's, and a frame within 2 ΔE2000 of its distance
to LibRaw.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from hdrisp.evaluation.chart import load_chart
from hdrisp.evaluation.chart_report import chart_markdown, chart_rows, develop_chart
from hdrisp.training import load_config, replace, train_schedule
from hdrisp.tutorial import helpers, sample_raw_file
from hdrisp.tutorial import results as tutorial_results

CHART = Path(__file__).resolve().parents[1] / "tests" / "data" / "colorchecker_canon550d.json"


def chart_table(weights: Path, device: str) -> str:
    """The real chart DNG by the network, the classical pipeline and LibRaw, as Markdown."""
    raw_path = sample_raw_file()
    images = develop_chart(raw_path, {"network (level 0)": weights}, device=device)
    return chart_markdown(chart_rows(images, load_chart(CHART)),
                          f"the real ColorChecker DNG ({raw_path.name})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="tiny", help="shipped config name or YAML file")
    parser.add_argument("--smoke", action="store_true", help="two steps per level (quick)")
    parser.add_argument("--out", default="runs/bench_tutorial", help="run and tables folder")
    parser.add_argument("--data-dir", default=None, help="the data folder (default: hdrisp's)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--results-file", default=None, help="also write the results JSON here")
    parser.add_argument("--keep", action="store_true",
                        help="reuse a finished run in OUT/run instead of training afresh")
    args = parser.parse_args(argv)

    root = helpers.synthetic_set(args.data_dir, smoke=args.smoke)
    config = load_config(args.config)
    if args.smoke:
        config = helpers.smoke_config(config)
    config = replace(config, logging={"progress": True})
    out = Path(args.out)
    run = out / "run"
    if run.exists() and not args.keep:
        shutil.rmtree(run)
    load = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    train_schedule(config, out=run, data_root=root, device=args.device, resume=True)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    results = tutorial_results.collect_results(run, root, out_dir=out, config_name=config.name,
                                               device=args.device,
                                               train_wall_s=None if args.keep else wall)
    print()
    print(f"training: {wall:.0f} s wall, {cpu:.0f} s CPU (this process), load average "
          f"{load:.1f} at the start, {os.cpu_count()} CPUs")
    print(tutorial_results.results_markdown(results))
    print(chart_table(run / "level0" / "last.pt", args.device))
    for path in [out / "results.json", *([args.results_file] if args.results_file else [])]:
        print(f"wrote {tutorial_results.write_results(results, path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
