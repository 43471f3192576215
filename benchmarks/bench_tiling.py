"""Tiled develop per statistics mode: PSNR against the untiled forward, time and peak memory.

``hdrisp develop --stats`` modes: ``frame`` (the default: the frame's own statistics,
:mod:`hdrisp.inference.framestats`) and ``tile`` (each tile's own statistics,
cross-faded, :mod:`hdrisp.inference.tiling`). Two tables:

1. quality — PSNR (output in [0, 1]) and the largest difference in 8-bit levels of
   each mode against the untiled float32 forward, per network (``--seeds``: the
   reference fill with each seed; ``--weights``: trained checkpoints), per packed frame
   size (``--sizes``; the real DNG shipped with the lessons mirrored to size, see
   bench_model.make_frame; odd sizes padded as develop pads them), and per CFA phase
   of the real raw at its own size (578×867 packed for RGGB; each phase crops
   differently). Rows ``frame`` (float32 and
   bfloat16 activations) and ``tile`` (float32, and the precision develop picks);
   ``untiled bf16`` shows what bfloat16 alone changes.
2. speed and memory (``--speed``) of a full-resolution develop: every variant in its
   own subprocess (peak resident memory from ``ru_maxrss``), rounds interleaved, times
   as ratios to the plain float32 forward of the same round (the CPU may be shared:
   compare ratios, and the CPU-time ratios, which a busy machine distorts less);
   ``tile-compile`` runs twice, with an empty Inductor cache and then a warm one.
   ``--speed-size`` (default 1440×1984 packed, a 12 MP raw; the plain forward then
   needs about 10 GiB) sets the frame. Targets (issue 14): peak RSS ≤ 4 GiB, time
   ≤ 0.5× the plain forward with a warm compile cache (or without compiling) and
   ≤ 1.0× on the first run with an empty cache; the table ends with a verdict per
   variant.

Measured on a busy machine (the project's 2-core CPU with AVX512-BF16, shared with three
other engineers' jobs, load average 5–8; ``--threads 1``), with ``tiny`` = the level-0
network of a tutorial-schedule run (``hdrisp train --config tiny``). Quality, tile 128
(frame: strips of about 128² packed pixels; tile: overlap 32), PSNR dB / max |Δ| in
8-bit levels against the untiled float32 forward::

    network  packed frame    frame fp32   frame bf16    tile fp32     tile bf16   untiled bf16
    tiny     432×576          145.2/0.0     58.9/4.9   18.3/152.8    18.3/152.9     58.5/6.3
    tiny     429×573          144.9/0.0     59.1/5.2   18.3/154.2    18.3/154.0     58.4/5.6
    tiny     RGGB 578×867     145.8/0.0     59.7/3.2   19.5/145.2    19.5/145.2     59.4/4.1
    tiny     GRBG 578×866     145.3/0.0     57.9/5.4   19.4/155.9    19.4/155.7     57.2/5.3
    tiny     GBRG 577×867     145.4/0.0     58.3/5.8   20.3/144.2    20.3/144.7     57.8/6.5
    tiny     BGGR 577×866     145.7/0.0     59.6/3.3   19.1/137.8    19.1/137.9     59.4/3.5
    seed 1   432×576          142.9/0.0    54.6/12.6    36.9/88.0     36.9/87.8    54.6/11.2
    seed 1   429×573          142.6/0.0    54.6/13.5    36.9/87.9     36.9/87.7    54.6/11.7

bfloat16 activations cost the frame mode what they cost the untiled forward; the
float32 frame mode is the untiled forward to rounding. Speed and memory,
``--speed --speed-size 720x992`` (a 3 MP raw; the plain forward took 48.6 s wall, 19.5 s
CPU, 3.37 GiB), tile 768::

    variant        s   × plain  cpu × plain   GiB  PSNR dB  notes
    plain       48.6      1.00         1.00  3.37      inf
    frame       16.6      0.34         0.34  1.77     59.0
    frame-fp32  42.4      0.87         0.87  2.12    107.5
    tile        33.7      0.69         0.69  1.95     29.6
    tile-compile 14.4     0.30         0.30  1.78     29.6  empty cache 10.02× (cpu 3.47×),
                                                            warm cache first run 0.93×

At 12 MP (the default ``--speed-size``, ``--variants frame tile``: the plain forward,
about 10 GiB, was not run beside the other jobs): frame 79.8 s wall / 26.1 s CPU, peak
2.79 GiB; tile 142.2 s / 51.2 s, 2.25 GiB. So the default (frame, bfloat16) meets
≤ 4 GiB and ≤ 0.5× with nothing to compile (3 MP measured; 12 MP ≈ 0.33× against four
times the 3 MP plain CPU time, an estimate); tile-compile misses both time targets here.

Usage::

    python benchmarks/bench_tiling.py                               # quality, 2 seeds
    python benchmarks/bench_tiling.py --weights runs/tiny/level0/best.pt --seeds
    python benchmarks/bench_tiling.py --weights W --speed --skip-quality --repeat 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_model import REAL_RAW, _size, build_model, make_frame  # noqa: E402

from hdrisp.inference.develop import Developer  # noqa: E402
from hdrisp.inference.tiling import DEFAULT_OVERLAP, DEFAULT_TILE  # noqa: E402
from hdrisp.models import fill_reference_init  # noqa: E402
from hdrisp.raw import normalize, pack, read_raw  # noqa: E402
from hdrisp.runtime import cpu_has_native_bf16  # noqa: E402

# speed variants: name → Developer keywords (None: the plain float32 forward, the baseline)
VARIANTS: dict[str, dict | None] = {
    "plain": None,
    "frame": {"stats": "frame", "precision": "auto"},
    "frame-fp32": {"stats": "frame", "precision": "fp32"},
    "tile": {"stats": "tile", "precision": "auto", "compile": False},
    "tile-compile": {"stats": "tile", "precision": "auto", "compile": True},
}
DEFAULT_VARIANTS = ("plain", "frame", "frame-fp32", "tile", "tile-compile")
CFAS = ("RGGB", "GRBG", "GBRG", "BGGR")


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = float((a.double() - b.double()).pow(2).mean())
    return math.inf if mse == 0 else 10 * math.log10(1.0 / mse)


def _levels(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max()) * 255


# ----------------------------------------------------------------------------- quality


def _modes(tile: int, overlap: int) -> list[tuple[str, dict]]:
    auto = "bf16" if cpu_has_native_bf16() else "fp32"
    modes = [("frame fp32", {"stats": "frame", "precision": "fp32"}),
             ("frame bf16", {"stats": "frame", "precision": "bf16"}),
             ("tile fp32", {"stats": "tile", "precision": "fp32", "overlap": overlap})]
    if auto != "fp32":
        modes.append((f"tile {auto}", {"stats": "tile", "precision": auto, "overlap": overlap}))
    modes.append(("untiled bf16", {"precision": "bf16", "tile": None}))
    return modes


def _compare(model: torch.nn.Module, packed: torch.Tensor, tile: int, overlap: int,
             ) -> dict[str, tuple[float, float]]:
    whole = Developer(model, level=None, tile=None, device="cpu", precision="fp32").run(packed)
    rows = {}
    for name, kwargs in _modes(tile, overlap):
        kwargs = {"tile": tile, **kwargs}
        out = Developer(model, level=None, device="cpu", **kwargs).run(packed)
        rows[name] = (_psnr(out, whole), _levels(out, whole))
        print(f"    {name}: {rows[name][0]:.1f} dB", file=sys.stderr)
    return rows


def _cfa_frames() -> dict[str, torch.Tensor]:
    """The real raw packed in each CFA phase (the mosaic relabelled: each crops differently)."""
    raw = read_raw(REAL_RAW, crop_odd=True)
    mosaic = normalize(raw.mosaic, raw.black_level, raw.white_level)
    return {cfa: torch.from_numpy(np.ascontiguousarray(pack(mosaic, cfa)))[None]
            for cfa in CFAS}


def quality_table(args: argparse.Namespace) -> list[str]:
    models = [(f"seed {s}", s, None) for s in args.seeds]
    models += [(Path(w).parent.name + "/" + Path(w).name, None, w) for w in args.weights]
    frames = [(f"{h}×{w}", torch.from_numpy(make_frame(h, w))[None]) for h, w in args.sizes]
    if REAL_RAW.is_file() and not args.no_cfa:
        frames += [(f"{cfa} {tuple(f.shape[-2:])[0]}×{f.shape[-1]}", f)
                   for cfa, f in _cfa_frames().items()]
    table: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
    for name, seed, weights in models:
        model = build_model(weights)
        if seed is not None:
            fill_reference_init(model, seed=seed)
        for frame_name, packed in frames:
            print(f"{name}, {frame_name}:", file=sys.stderr)
            table[(name, frame_name)] = _compare(model, packed, args.tile, args.overlap)
    names = [m for m, _ in _modes(args.tile, args.overlap)]
    rows = [f"tile {args.tile} (frame: strips of about tile² packed pixels; tile: overlap "
            f"{args.overlap}), {torch.get_num_threads()} threads; PSNR dB / max |Δ| in 8-bit "
            f"levels against the untiled float32 forward",
            f"{'network':<24} {'packed frame':<18} " + " ".join(f"{n:>16}" for n in names)]
    for (model_name, frame_name), res in table.items():
        cells = " ".join(f"{res[n][0]:>10.1f}/{res[n][1]:<5.1f}" for n in names)
        rows.append(f"{model_name:<24} {frame_name:<18} {cells}")
    return rows


# ----------------------------------------------------------------------------- speed


def run_variant(args: argparse.Namespace) -> None:
    """Child: develop the frame once with one variant; print JSON (times, peak RSS)."""
    torch.set_num_threads(args.threads)
    height, width = args.size
    frame = torch.from_numpy(make_frame(height, width))[None]
    model = build_model(args.weights)
    kwargs = VARIANTS[args.child]
    result: dict[str, float] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    if kwargs is None:  # the authors' plain forward: float32, NCHW, no_grad
        with torch.no_grad():
            out = model(frame)
    else:
        developer = Developer(model, tile=args.tile, overlap=args.overlap, device="cpu",
                              **kwargs)
        out = developer.run(frame)
        if kwargs.get("compile"):  # the first run paid the compilation: a second one
            result["first_seconds"] = time.perf_counter() - t0
            result["first_cpu_seconds"] = time.process_time() - c0
            t0, c0 = time.perf_counter(), time.process_time()
            out = developer.run(frame)
    result["seconds"] = time.perf_counter() - t0
    result["cpu_seconds"] = time.process_time() - c0
    result["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    np.save(args.save, out[0].float().numpy().astype(np.float16))
    print(json.dumps(result))


def _child(variant: str, args: argparse.Namespace, save: Path, cache: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", variant, "--size",
           f"{args.size[0]}x{args.size[1]}", "--tile", str(args.tile), "--overlap",
           str(args.overlap), "--threads", str(args.threads), "--save", str(save)]
    if args.weights:
        cmd += ["--weights", args.weights[0]]
    env = dict(os.environ)
    runs = 1
    if VARIANTS[variant] and VARIANTS[variant].get("compile"):
        env["TORCHINDUCTOR_CACHE_DIR"] = str(cache)  # empty in round 1's cold run
        runs = 2
    results = []
    for _ in range(runs):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            tail = proc.stderr.strip().splitlines()[-1:] or ["(no message)"]
            return {"error": f"exit {proc.returncode}: {tail[0][:80]}"}
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    result = results[-1]
    if runs == 2:
        result["cold_first_seconds"] = results[0]["first_seconds"]
        result["cold_first_cpu_seconds"] = results[0]["first_cpu_seconds"]
    return result


def speed_table(args: argparse.Namespace) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        rounds = []
        for r in range(args.repeat):
            results = {}
            for variant in args.variants:
                cache = Path(tmp) / f"inductor-{variant}-{r}"
                save = Path(tmp) / f"{variant}-{r}.npy"
                results[variant] = _child(variant, args, save, cache)
                results[variant]["file"] = str(save)
                print(f"  round {r + 1} {variant}: {results[variant]}", file=sys.stderr)
            rounds.append(results)
        h, w = args.size
        rows = [f"packed {h}×{w} → output {2 * h}×{2 * w}, tile {args.tile}, {args.threads} "
                f"threads, {args.repeat} round(s); load average {os.getloadavg()[0]:.1f} at "
                f"the end",
                f"{'variant':<13} {'s':>7} {'× plain':>9} {'cpu × plain':>11} {'GiB':>5} "
                f"{'PSNR dB':>8}  notes"]
        for variant in args.variants:
            rows.append(_speed_row(variant, rounds))
        rows.append("s: fastest round (wall); × plain: wall-time ratio to the same round's "
                    "plain float32 forward (one value per round; tile-compile: its second "
                    "run in the process); cpu × plain: the same for CPU time; GiB: peak "
                    "resident memory of the process; PSNR: against plain")
        rows += [_verdict(v, rounds) for v in args.variants if v != "plain"]
    return rows


def _verdict(variant: str, rounds: list[dict], max_gib: float = 4.0, warm: float = 0.5,
             cold: float = 1.0) -> str:
    """Targets of issue 14 for one variant: peak RSS, warm and empty-cache time ratios.

    The best round counts (a shared CPU only slows a round down). Without compilation
    a run's one time is both its warm and its first-run time.
    """
    peaks, warms, colds = [], [], []
    for results in rounds:
        res, base = results[variant], results.get("plain", {})
        if "error" in res:
            continue
        peaks.append(res["peak_rss_gib"])
        if "seconds" not in base:
            continue
        first = res.get("first_seconds", res["seconds"])  # a fresh process, warm cache
        warms.append(first / base["seconds"])
        colds.append(res.get("cold_first_seconds", first) / base["seconds"])
    if not peaks:
        return f"{variant}: no result"

    def ok(flag: bool) -> str:
        return "ok" if flag else "MISSED"
    if not warms:
        return (f"{variant}: peak {max(peaks):.2f} GiB ({ok(max(peaks) <= max_gib)} ≤ "
                f"{max_gib}); no plain forward to compare times with")
    return (f"{variant}: peak {max(peaks):.2f} GiB ({ok(max(peaks) <= max_gib)} ≤ {max_gib}), "
            f"fresh process with a warm cache {min(warms):.2f}× plain "
            f"({ok(min(warms) <= warm)} ≤ {warm}), empty cache {min(colds):.2f}× "
            f"({ok(min(colds) <= cold)} ≤ {cold})")


def _speed_row(variant: str, rounds: list[dict]) -> str:
    secs, ratios, cpu_ratios, peaks, psnrs, notes = [], [], [], [], [], []
    for results in rounds:
        res, base = results[variant], results.get("plain", {})
        if "error" in res:
            notes.append(res["error"])
            continue
        secs.append(res["seconds"])
        peaks.append(res["peak_rss_gib"])
        if "seconds" in base:
            ratios.append(res["seconds"] / base["seconds"])
            cpu_ratios.append(res["cpu_seconds"] / base["cpu_seconds"])
            a = torch.from_numpy(np.load(res["file"]).astype(np.float32))
            b = torch.from_numpy(np.load(base["file"]).astype(np.float32))
            psnrs.append(_psnr(a, b))
            if "cold_first_seconds" in res:
                notes.append(f"empty cache {res['cold_first_seconds'] / base['seconds']:.2f}× "
                             f"(cpu {res['cold_first_cpu_seconds'] / base['cpu_seconds']:.2f}×), "
                             f"warm cache first run {res['first_seconds'] / base['seconds']:.2f}×")
    if not secs:
        return f"{variant:<13} {'—':>7}  " + "; ".join(notes)

    def joined(values, fmt):
        return "/".join(format(v, fmt) for v in values) if values else "—"
    return (f"{variant:<13} {min(secs):>7.1f} {joined(ratios, '.2f'):>9} "
            f"{joined(cpu_ratios, '.2f'):>11} {max(peaks):>5.2f} {joined(psnrs, '.1f'):>8}  "
            + "; ".join(notes))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=_size, nargs="*", default=[(864, 1152), (861, 1147)],
                   help="packed frame sizes HxW of the quality table")
    p.add_argument("--no-cfa", action="store_true", help="skip the CFA-phase rows")
    p.add_argument("--tile", type=int, default=DEFAULT_TILE)
    p.add_argument("--overlap", type=int, default=DEFAULT_OVERLAP)
    p.add_argument("--seeds", type=int, nargs="*", default=[1, 2],
                   help="reference-fill initialisations (none: only --weights)")
    p.add_argument("--weights", nargs="*", default=[], help="trained checkpoint(s)")
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--speed", action="store_true",
                   help="also the speed/memory table (at --speed-size, first --weights)")
    p.add_argument("--speed-size", type=_size, default=(1440, 1984),
                   help="packed frame HxW of the speed table (default 1440x1984: 12 MP)")
    p.add_argument("--skip-quality", action="store_true")
    p.add_argument("--variants", nargs="+", default=list(DEFAULT_VARIANTS), choices=VARIANTS)
    p.add_argument("--repeat", type=int, default=1, help="rounds of the speed table")
    p.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    p.add_argument("--size", type=_size, help=argparse.SUPPRESS)
    p.add_argument("--save", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        args.weights = args.weights[0] if args.weights else None
        run_variant(args)
        return 0
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, {args.threads} threads, native "
          f"bf16: {cpu_has_native_bf16()}; load average {os.getloadavg()[0]:.1f} at start")
    if not args.skip_quality:
        print("\n== tiled vs untiled")
        print("\n".join(quality_table(args)))
    if args.speed:
        args.size = args.speed_size
        print("\n== full-resolution develop")
        print("\n".join(speed_table(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
