"""``hdrisp demo``: the main job of ``make demo`` on the embedded synthetic default.

1. builds the synthetic default set if it is missing (``data/synthetic``);
2. inspects one of its full-resolution DNG frames (made by unprocessing a photograph
   bundled with scikit-image) and develops a classical preview of it;
3. runs the tutorial notebooks (smoke mode unless ``--full``), writing executed
   copies and HTML under ``OUT/notebooks``.
"""

from __future__ import annotations

import argparse

from hdrisp.cli._options import add_out

ORDER = 90


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo", help="build the synthetic set, inspect a sample DNG, run the notebooks",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_out(p, "output folder", default="runs/demo")
    p.add_argument("--full", action="store_true",
                   help="run the notebooks in full mode (tiny schedule trained for real)")
    p.add_argument("--notebooks", nargs="*", default=None, metavar="NN",
                   help="which notebooks (numbers like 01 02), default all")
    p.add_argument("--no-notebooks", action="store_true", help="stop after the sample DNG")
    p.set_defaults(func=demo_command)


def demo_command(args: argparse.Namespace) -> int:
    import imageio.v3 as iio

    from hdrisp.cli.raw import format_report
    from hdrisp.errors import check_output_dir
    from hdrisp.raw import read_raw, to_uint8
    from hdrisp.raw.bayer import preview
    from hdrisp.raw.stats import raw_statistics
    from hdrisp.synth import ensure_default_dataset

    out = check_output_dir(args.out)  # before the synthetic set is built

    print("1/3 synthetic default set")
    root = ensure_default_dataset(progress=True)
    print(f"    {root}")

    print("2/3 a sample DNG from a bundled photograph: inspect and develop a preview")
    frames = sorted((root / "test" / "full_resolution").glob("*.dng"))
    if not frames:
        from hdrisp.errors import DatasetError

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
    from hdrisp.tutorial.runner import run_notebooks

    mode = "full" if args.full else "smoke"
    print(f"3/3 the notebooks ({mode} mode)")
    results = run_notebooks(args.notebooks, out / "notebooks", smoke=not args.full,
                            progress=True)
    for r in results:
        html = f", {r.html}" if r.html else ""
        print(f"    {r.name}: {r.notebook}{html} ({r.seconds:.0f} s)")
    print(f"done: open {out / 'notebooks'} (or `make lab` for the interactive notebooks)")
    return 0
