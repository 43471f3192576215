"""How far is tiled RawTonemapNet output from the untiled forward? (PSNR per tiling).

The network's instance norms, global poolings (ECA, CAM, IEM), SimAM statistics and
``align_corners=True`` up-sampling all depend on the extent of the input, so a tile
does not reproduce its part of the whole frame. This script develops one packed
frame untiled and with every tile/overlap/blend asked for, and prints the PSNR of
the tiled output against the untiled one (output in [0, 1]), the largest 8-bit
difference, the number of tiles and the work relative to one untiled forward.

Usage::

    python benchmarks/bench_tiling.py                         # 864×1152 frame, 2 inits
    python benchmarks/bench_tiling.py --weights trained.pt --seeds
    python benchmarks/bench_tiling.py --size 384x576 --tiles 128 256 --overlaps 32 64

Models: ``--seeds`` fills the weights by the reference rule with each seed (random
networks with very low output contrast, a pessimistic case for global statistics);
``--weights FILE`` adds a trained network. The frame is the real raw mirrored to
size (the real DNG shipped with the lessons; see bench_model.make_frame).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_model import _size, make_frame  # noqa: E402


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = float((a - b).pow(2).mean())
    return float("inf") if mse == 0 else 10 * math.log10(1.0 / mse)


def main(argv: list[str] | None = None) -> int:
    from hdrisp.inference.tiling import tile_grid, tiled_forward
    from hdrisp.models import RawTonemapNet, fill_reference_init, load_weights

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=_size, default=(864, 1152), help="packed frame HxW")
    p.add_argument("--tiles", type=int, nargs="+", default=[256, 384, 512, 768])
    p.add_argument("--overlaps", type=int, nargs="+", default=[32, 64, 128])
    p.add_argument("--blends", type=float, nargs="+", default=[0.5])
    p.add_argument("--seeds", type=int, nargs="*", default=[1, 2],
                   help="reference-rule random initialisations (none: only --weights)")
    p.add_argument("--weights", nargs="*", default=[], help="trained checkpoint(s)")
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    h, w = args.size
    frame = torch.from_numpy(make_frame(h, w))[None].contiguous(memory_format=torch.channels_last)
    models = [(f"seed {s}", s, None) for s in args.seeds]
    models += [(Path(f).name, None, f) for f in args.weights]
    configs = [(t, o, b) for t in args.tiles for o in args.overlaps for b in args.blends if o < t]
    table: dict[tuple, list[tuple[float, float]]] = {c: [] for c in configs}
    t_start = time.perf_counter()
    for name, seed, weights in models:
        model = RawTonemapNet()
        if weights:
            load_weights(model, weights)
        else:
            fill_reference_init(model, seed=seed)
        model = model.eval().to(memory_format=torch.channels_last)
        with torch.inference_mode():
            whole = tiled_forward(model, frame, tile=None, channels_last=True)
            print(f"{name}: untiled output mean {whole.mean():.3f}, std {whole.std():.3f}",
                  file=sys.stderr)
            for config in configs:
                tiled = tiled_forward(model, frame, config[0], config[1], blend=config[2],
                                      channels_last=True)
                err = (tiled - whole).abs().max().item() * 255
                table[config].append((_psnr(tiled, whole), err))
                print(f"  {config}: {table[config][-1][0]:.2f} dB", file=sys.stderr)

    names = ", ".join(m[0] for m in models)
    print(f"packed frame {h}×{w} (output {2 * h}×{2 * w}); models: {names}; "
          f"{time.perf_counter() - t_start:.0f} s")
    print(f"{'tile':>5} {'overlap':>7} {'blend':>5} {'tiles':>5} {'work':>5} "
          f"{'PSNR dB (mean)':>14}  per model (PSNR / max |Δ| in 8-bit levels)")
    for (tile, overlap, blend), values in table.items():
        grid = list(tile_grid(h, w, tile, overlap))
        work = sum(th * tw for _, _, th, tw in grid) / (h * w)
        mean = statistics.mean(v[0] for v in values)
        per = "  ".join(f"{v[0]:.1f}/{v[1]:.0f}" for v in values)
        print(f"{tile:>5} {overlap:>7} {blend:>5.2f} {len(grid):>5} {work:>5.2f} "
              f"{mean:>14.2f}  {per}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
