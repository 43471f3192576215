"""``hdrisp develop``: raw files → 8-bit sRGB images with a trained network."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hdrisp.cli._options import add_out, add_runtime

ORDER = 40

# Kept equal to hdrisp.inference.tiling.DEFAULT_TILE / DEFAULT_OVERLAP and
# hdrisp.inference.develop.STATS (a test checks it); written out here so that
# `hdrisp --help` does not import torch.
TILE_DEFAULT = 768
OVERLAP_DEFAULT = 64
STATS = ("frame", "tile")

NO_WEIGHTS = ("no weights given: pass --weights FILE (a checkpoint written by `hdrisp train` "
              "or the authors' .pth state dict), or --random-weights to demo the plumbing "
              "with an untrained network")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``develop`` command."""
    p = subparsers.add_parser(
        "develop", help="develop raw files into 8-bit sRGB PNG/JPEG images",
        description="Develop raw files (anything hdrisp.raw reads: DNG, CR2, NEF, ..., "
                    "uint16 PNG raws) with a trained network: normalise with the file's own "
                    "black/white levels, pack, run tile by tile, write 8-bit sRGB.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", type=Path, help="raw files")
    add_out(p, "folder for the images (created if missing)", required=True)
    weights = p.add_mutually_exclusive_group()
    weights.add_argument("--weights", metavar="FILE", type=Path,
                         help="checkpoint or state-dict file of the network")
    weights.add_argument("--random-weights", action="store_true",
                         help="use an untrained, randomly initialised network (plumbing demos "
                              "only: the images will not look like photographs)")
    p.add_argument("--model", default="rawtonemap", choices=("rawtonemap", "pynet"),
                   help="network (default rawtonemap, the paper's)")
    p.add_argument("--level", type=int, default=0,
                   help="pyramid level to output (0 = full resolution, default)")
    p.add_argument("--stats", default=STATS[0], choices=STATS,
                   help="frame (default): every global statistic of the network (instance "
                        "norms, attention poolings, SimAM) is the whole frame's, computed in "
                        "passes over the tiles: the image is the network's own untiled "
                        "output. tile: each tile normalised by its own statistics and "
                        "cross-faded with its neighbours (colour and contrast drift between "
                        "regions; for comparisons, and for networks frame cannot run)")
    p.add_argument("--tile", type=int, default=TILE_DEFAULT,
                   help=f"tile side in packed pixels, multiple of 8 (--stats frame: strips of "
                        f"about tile² packed pixels); 0 = whole frame at once (needs ~4.5 KB "
                        f"of memory per packed pixel) (default {TILE_DEFAULT})")
    p.add_argument("--overlap", type=int, default=OVERLAP_DEFAULT,
                   help=f"--stats tile: overlap of neighbouring tiles in packed pixels "
                        f"(default {OVERLAP_DEFAULT})")
    add_runtime(p)
    p.add_argument("--compile", default="auto", choices=("auto", "on", "off"),
                   help="--stats tile and --tile 0: torch.compile the network (tiles run ~2x "
                        "faster; the first run compiles for about a minute on a 2-core CPU, "
                        "later runs reuse the on-disk cache). auto (default): for frames of "
                        "1 Mpx packed (4 MP raw) and more, when a C++ compiler is present. "
                        "--stats frame runs without compiling")
    p.add_argument("--format", default="png", choices=("png", "jpg"), dest="fmt",
                   help="output image format (default png)")
    p.set_defaults(func=_develop)


def _check_inputs(args: argparse.Namespace) -> None:
    """Inputs and the output folder, before torch is imported or a file is read."""
    from hdrisp.errors import ConfigError, RawFormatError, check_output_dir

    if args.weights is None and not args.random_weights:
        raise ConfigError(NO_WEIGHTS)
    seen: dict[str, Path] = {}
    for path in args.inputs:
        if not path.is_file():
            raise RawFormatError("no such raw file", path)
        if path.stem in seen:
            raise ConfigError(f"would write the same output name as {seen[path.stem]}", path)
        seen[path.stem] = path
    check_output_dir(args.out)


def _develop(args: argparse.Namespace) -> int:
    _check_inputs(args)
    import torch
    from tqdm import tqdm

    from hdrisp.inference.develop import Developer
    from hdrisp.models import build, load_weights
    from hdrisp.models.weights import build_options, read_state_dict

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)  # --random-weights: the same untrained network every run
        options = build_options(read_state_dict(args.weights)) \
            if args.weights is not None and args.model == "rawtonemap" else {}
        model = build(args.model, level=args.level, **options)
    if args.random_weights:
        print("warning: --random-weights: an untrained network; the images show the "
              "plumbing, not a learned look", file=sys.stderr)
    else:
        load_weights(model, args.weights)
    developer = Developer(model, level=args.level, tile=args.tile or None,
                          overlap=args.overlap if args.tile else 0, stats=args.stats,
                          device=args.device, precision=args.precision,
                          compile={"on": True, "off": False}.get(args.compile, "auto"),
                          on_compile=_compile_note)
    count = len(args.inputs)
    with tqdm(total=count, desc="develop", unit="file", bar_format=BAR_FORMAT) as bar:
        for i, path in enumerate(args.inputs):
            bar.set_postfix_str(f"{i + 1}/{count} {path.name}", refresh=False)
            written = developer.develop_file(path, args.out, args.fmt,
                                             progress=_file_progress(bar, i))
            bar.n = i + 1
            bar.refresh()
            tqdm.write(str(written))
    return 0


# one bar for the whole command: files, and the tiles within each file, as a percentage
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {postfix} [{elapsed}<{remaining}]"


def _compile_note(shape: tuple[int, int]) -> None:
    from tqdm import tqdm

    tqdm.write(f"note: compiling the network for {shape[0]}×{shape[1]} tiles (about a minute "
               "the first time, seconds once cached; --compile off skips it)", file=sys.stderr)


def _file_progress(bar: Any, index: int) -> Callable[[float, float], None]:
    """A ``progress(done, total)`` callback moving ``bar`` through file ``index``."""
    def update(done: float, total: float) -> None:
        bar.n = index + (done / total if total else 1.0)
        bar.refresh()
    return update
