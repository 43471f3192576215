"""Benchmark RawTonemapNet: per-level forward time, full-resolution time and peak memory.

Prints three tables:

1. forward time per level for a 4×224×224 packed input (batch 1): plain float32
   eager (NCHW, ``torch.no_grad``) and channels-last under ``inference_mode``;
2. full-resolution develop of a packed frame (default 1440×1984, a 12-megapixel
   raw → 2880×3968 output): each variant runs in its own subprocess so that its
   peak resident memory (``ru_maxrss``) is its own; variants are interleaved and
   repeated, and every ratio is taken against the plain eager forward of the
   SAME round (the CPU may be shared: compare ratios, not seconds);
3. on a CUDA machine, the same per-level and full-resolution rows on the GPU
   (float32 vs autocast, channels-last), peak memory from ``max_memory_allocated``.

Usage::

    python benchmarks/bench_model.py                      # 12-megapixel frame, 1 round
    python benchmarks/bench_model.py --size 512x768 --repeat 3   # a quick run
    python benchmarks/bench_model.py --variants plain tiled tiled-compile

The frame is the real raw shipped with the lessons (mirrored to the size) when present,
otherwise a smooth synthetic mosaic; the weights follow the reference fill rule
(``--weights FILE`` for a trained network). PSNR is of each variant's output
against the plain forward's (it measures tiling and precision, not image quality).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from hdrisp.tutorial import sample_raw_file

ROOT = Path(__file__).resolve().parents[1]
REAL_RAW = sample_raw_file()

# name → (tiled, channels_last, precision, compile); the plain forward is the baseline.
VARIANTS = {
    "plain": (False, False, "fp32", False),
    "plain-cl": (False, True, "fp32", False),
    "tiled": (True, True, "fp32", False),
    "tiled-nchw": (True, False, "fp32", False),
    "tiled-bf16": (True, True, "bf16", False),
    "tiled-compile": (True, True, "fp32", True),
    "tiled-bf16-compile": (True, True, "bf16", True),
}
DEFAULT_VARIANTS = ("plain", "plain-cl", "tiled", "tiled-bf16", "tiled-compile",
                    "tiled-bf16-compile")


def build_model(weights: str | None, level: int = 0) -> torch.nn.Module:
    from hdrisp.models import RawTonemapNet, fill_reference_init, load_weights

    model = RawTonemapNet(level=level)
    if weights:
        load_weights(model, weights)
    else:
        fill_reference_init(model)
    return model.eval()


def make_frame(height: int, width: int) -> np.ndarray:
    """A 4×height×width packed frame in [0, 1]: the real raw mirrored to size, or synthetic."""
    if REAL_RAW.is_file():
        from hdrisp.raw import read_raw
        from hdrisp.raw.bayer import normalize, pack

        raw = read_raw(REAL_RAW, crop_odd=True)
        packed = pack(normalize(raw.mosaic, raw.black_level, raw.white_level), raw.cfa)
        mirrored = np.concatenate([packed, packed[:, ::-1]], axis=1)
        mirrored = np.concatenate([mirrored, mirrored[:, :, ::-1]], axis=2)
        reps = (1, math.ceil(height / mirrored.shape[1]), math.ceil(width / mirrored.shape[2]))
        return np.ascontiguousarray(np.tile(mirrored, reps)[:, :height, :width])
    rng = np.random.default_rng(0)
    coarse = rng.uniform(0.02, 0.6, (4, height // 32 + 2, width // 32 + 2)).astype(np.float32)
    smooth = torch.nn.functional.interpolate(torch.from_numpy(coarse)[None], size=(height, width),
                                             mode="bicubic", align_corners=False)[0]
    return smooth.clamp(0, 1).numpy()


def _timed(fn, repeat: int) -> float:
    fn()  # warm-up (oneDNN primitive creation, allocator)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _forward(model: torch.nn.Module, x: torch.Tensor, autocast: torch.dtype | None,
             inference: bool) -> None:
    grad_mode = torch.inference_mode() if inference else torch.no_grad()
    with grad_mode, torch.autocast(x.device.type, dtype=autocast, enabled=autocast is not None):
        model(x)
    if x.device.type == "cuda":
        torch.cuda.synchronize()


def per_level_table(weights: str | None, size: int, repeat: int, device: str) -> list[str]:
    """Forward time per level: float32 eager NCHW vs channels-last (+ autocast on CUDA)."""
    model = build_model(weights).to(device)
    x = torch.rand(1, 4, size, size, device=device)
    xc = x.contiguous(memory_format=torch.channels_last)
    cuda_dtype = None
    header = (f"{'level':>5} {'output':>11} {'fp32 eager ms':>14} {'channels_last ms':>17} "
              f"{'ratio':>6}")
    if device == "cuda":
        cuda_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        header += f" {'autocast-cl ms':>15} {'ratio':>6}"
    rows = [header]
    for level in (4, 3, 2, 1, 0):
        model.level = level
        out_h, out_w = model.output_size(size, size, level)
        model.to(memory_format=torch.contiguous_format)
        base = _timed(lambda: _forward(model, x, None, False), repeat)
        model.to(memory_format=torch.channels_last)
        cl = _timed(lambda: _forward(model, xc, None, True), repeat)
        row = (f"{level:>5} {out_h:>5}×{out_w:<5} {base * 1e3:>14.1f} {cl * 1e3:>17.1f} "
               f"{cl / base:>6.2f}")
        if cuda_dtype is not None:
            ac = _timed(lambda: _forward(model, xc, cuda_dtype, True), repeat)
            row += f" {ac * 1e3:>15.1f} {ac / base:>6.2f}"
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- child process


def run_variant(args: argparse.Namespace) -> None:
    """Child: develop the frame once with one variant; print JSON (time, peak RSS)."""
    from hdrisp.inference.develop import Developer

    tiled, channels_last, precision, use_compile = VARIANTS[args.child]
    torch.set_num_threads(args.threads)
    height, width = args.size
    frame = torch.from_numpy(make_frame(height, width))[None]
    model = build_model(args.weights).to(args.device)
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    result: dict[str, float] = {}
    if tiled:
        developer = Developer(model, tile=args.tile, overlap=args.overlap, device=args.device,
                              precision=precision, compile=use_compile)
        if not channels_last:
            developer.model.to(memory_format=torch.contiguous_format)
        first_tile: list[float] = []
        t0 = time.perf_counter()
        out = developer.run(frame, progress=lambda done, total: first_tile.append(
            time.perf_counter() - t0) if done == 1 else None)
        sync()
        result["seconds"] = time.perf_counter() - t0
        if use_compile:  # the first run paid the compilation; time a second one
            result["first_tile_s"] = first_tile[0]
            t0 = time.perf_counter()
            out = developer.run(frame)
            sync()
            result["steady_seconds"] = time.perf_counter() - t0
    else:
        x = frame.to(args.device)
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        t0 = time.perf_counter()
        with torch.inference_mode() if channels_last else torch.no_grad():
            out = model(x)
        sync()
        result["seconds"] = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_gib"] = usage.ru_maxrss / 2**20
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime  # whole child, compile included
    if args.device == "cuda":
        result["peak_cuda_gib"] = torch.cuda.max_memory_allocated() / 2**30
    np.save(args.save, out[0].float().cpu().numpy().astype(np.float16))
    print(json.dumps(result))


def _child(variant: str, args: argparse.Namespace, save: Path, device: str) -> dict:
    cmd = [sys.executable, __file__, "--child", variant, "--size", f"{args.size[0]}x{args.size[1]}",
           "--tile", str(args.tile), "--overlap", str(args.overlap), "--threads",
           str(args.threads), "--save", str(save), "--device", device]
    if args.weights:
        cmd += ["--weights", args.weights]
    env = dict(os.environ)
    runs = 1
    if VARIANTS[variant][3]:  # compile: a cold run (empty Inductor cache), then a warm one
        env["TORCHINDUCTOR_CACHE_DIR"] = str(save.parent / f"inductor-{save.stem}")
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
        result["cold_seconds"] = results[0]["seconds"]
        result["cold_first_tile_s"] = results[0]["first_tile_s"]
    return result


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return float("inf") if mse == 0 else 10 * math.log10(1.0 / mse)


def _joined(values: list[float], fmt: str) -> str:
    return "/".join(format(v, fmt) for v in values) if values else "—"


def _variant_row(variant: str, rounds: list[dict[str, dict]], best_plain: float | None) -> str:
    """One table row: fastest seconds, per-round ratios and PSNRs, peak memory, notes."""
    secs, ratios, peaks, psnrs, vs_tiled, errors = [], [], [], [], [], []
    cold, warm_first, rerun = [], [], []
    for results in rounds:
        res, base = results[variant], results.get("plain", {})
        if "error" in res:
            errors.append(res["error"])
            continue
        secs.append(res["seconds"])
        peaks.append(res.get("peak_cuda_gib", res["peak_rss_gib"]))
        if "seconds" in base:
            ratios.append(res["seconds"] / base["seconds"])
            psnrs.append(_psnr(np.load(res["file"]), np.load(base["file"])))
        tiled = results.get("tiled", {})
        if variant not in ("plain", "plain-cl", "tiled") and "seconds" in tiled:
            vs_tiled.append(_psnr(np.load(res["file"]), np.load(tiled["file"])))
        if "steady_seconds" in res:
            cold.append(res["cold_seconds"])
            warm_first.append(res["first_tile_s"])
            if "seconds" in base:
                rerun.append(res["steady_seconds"] / base["seconds"])
    if not secs:
        return f"{variant:<18} {'—':>7} {'—':>6} {'—':>10} {'—':>6} {'—':>10}  " + "; ".join(errors)
    notes = []
    if vs_tiled:
        notes.append(f"{_joined(vs_tiled, '.1f')} dB vs tiled fp32")
    if cold:
        notes.append(f"warm compile + 1st tile {_joined(warm_first, '.1f')} s; cold cache "
                     f"{_joined(cold, '.1f')} s; rerun in-process {_joined(rerun, '.2f')}× plain")
    best = f"{min(secs) / best_plain:.2f}" if best_plain else "—"
    return (f"{variant:<18} {min(secs):>7.1f} {best:>6} {_joined(ratios, '.2f'):>10} "
            f"{max(peaks):>6.2f} {_joined(psnrs, '.1f'):>10}  " + "; ".join(notes + errors))


def full_resolution_table(args: argparse.Namespace, device: str) -> list[str]:
    """Interleaved rounds of every variant in its own subprocess; ratios per round."""
    with tempfile.TemporaryDirectory() as tmp:
        rounds: list[dict[str, dict]] = []
        for r in range(args.repeat):
            results = {}
            for variant in args.variants:
                save = Path(tmp) / f"{variant}-{r}.npy"
                results[variant] = _child(variant, args, save, device)
                results[variant]["file"] = str(save)
                print(f"  round {r + 1} {variant}: {results[variant]}", file=sys.stderr)
            rounds.append(results)
        plain = [res["plain"]["seconds"] for res in rounds if "seconds" in res.get("plain", {})]
        h, w = args.size
        rows = [f"packed {h}×{w} → output {2 * h}×{2 * w}, tile {args.tile}, overlap "
                f"{args.overlap}, {args.threads} threads, {device}, {args.repeat} round(s)",
                f"{'variant':<18} {'best s':>7} {'÷best':>6} {'× plain':>10} {'GiB':>6} "
                f"{'PSNR dB':>10}  notes"]
        rows += [_variant_row(v, rounds, min(plain) if plain else None) for v in args.variants]
    rows.append("best s: fastest round (compile variants: a fresh process with a warm Inductor "
                "cache, compilation included); ÷best: best s / plain's best s; × plain and "
                "PSNR (vs the plain forward): one value per round, against the same round's "
                "plain; GiB: peak resident memory of the process")
    return rows


def _size(text: str) -> tuple[int, int]:
    h, _, w = text.lower().partition("x")
    return int(h), int(w or h)


def main(argv: list[str] | None = None) -> int:
    from hdrisp.inference.tiling import DEFAULT_OVERLAP, DEFAULT_TILE

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=_size, default=(1440, 1984),
                   help="packed full-resolution frame HxW (default 1440x1984, 12 megapixels)")
    p.add_argument("--tile", type=int, default=DEFAULT_TILE)
    p.add_argument("--overlap", type=int, default=DEFAULT_OVERLAP)
    p.add_argument("--repeat", type=int, default=1, help="rounds of the full-resolution variants")
    p.add_argument("--level-repeat", type=int, default=3, help="timed runs per level (median)")
    p.add_argument("--variants", nargs="+", default=list(DEFAULT_VARIANTS), choices=VARIANTS)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--weights", help="checkpoint to load (default: reference random fill)")
    p.add_argument("--skip-levels", action="store_true", help="only the full-resolution table")
    p.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    p.add_argument("--save", help=argparse.SUPPRESS)
    p.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        run_variant(args)
        return 0
    torch.set_num_threads(args.threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, {args.threads} threads; "
          f"avx512_bf16: {'avx512_bf16' in flags}, amx: {'amx_tile' in flags}; "
          f"load average {os.getloadavg()[0]:.1f} at start")
    for device in devices:
        if not args.skip_levels:
            print(f"\n== forward time per level, packed 4×224×224, batch 1, {device}")
            print("\n".join(per_level_table(args.weights, 224, args.level_repeat, device)))
        print(f"\n== full resolution, {device}")
        print("\n".join(full_resolution_table(args, device)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
