"""Time the RGB-uv histogram loss, forward + backward, against the authors' way of computing it.

The case of the paper's level 0: B = 10 predictions and targets of 448×448, each resized to
150×150 inside the histogram, both histogrammed, Hellinger loss, gradient for the prediction.

Variants (each runs in its own subprocess so that its peak memory can be read from
``getrusage``'s max RSS; "peak" is the rise above the process after imports and input set-up):

- ``authors``: a plain per-image, per-projection loop with float64 kernel maths
  (:mod:`hdrisp.losses.histogram_reference`), the exact Hellinger form;
- ``batched``: the straightforward batched float32 version: build the B×3×N×h kernel tensors,
  one batched matmul, plain autograd;
- ``hdrisp``: :func:`hdrisp.losses.rgbuv_histogram` (custom autograd that recomputes the
  kernel matrices in chunks, three kernel matrices instead of six, a resize that reads only
  the pixels it uses) with the safe Hellinger form, target under ``no_grad``.

The floor is the FLOPs of the matrix products alone (3 products of 64×N·N×64 per image,
forward for prediction and target, twice that for the prediction's backward: ≈ 22 GFLOP) at
the best matmul rate measured in this same run. Run on a quiet machine; on a shared one,
compare the ratios of one run only, or use ``--threads 1`` and the CPU-time columns.

Usage: python benchmarks/bench_histogram.py [--batch 10] [--side 448] [--repeat 3]
       [--threads N] [--device cpu|cuda] [--variants authors,batched,hdrisp] [--chunk 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

from hdrisp.losses.distances import hellinger_distance
from hdrisp.losses.histogram import bin_centres, histogram_flops, rgbuv_histogram
from hdrisp.losses.histogram_reference import hellinger_loss_loop, rgbuv_histogram_loop

VARIANTS = ("authors", "batched", "hdrisp")


def batched_naive_histogram(img: torch.Tensor, bins: int = 64, size: int = 150,
                            sigma: float = 0.02, eps: float = 1e-6) -> torch.Tensor:
    """The obvious batched version: all six B×3×N×h kernel tensors, kept by autograd."""
    x = F.interpolate(img.clamp(0, 1), size=(size, size), mode="bilinear",
                      align_corners=False).flatten(2)             # B×3×N
    logs = torch.log(x + eps)
    u = torch.stack((logs[:, 0] - logs[:, 1], logs[:, 1] - logs[:, 0], logs[:, 2] - logs[:, 0]), 1)
    v = torch.stack((logs[:, 0] - logs[:, 2], logs[:, 1] - logs[:, 2], logs[:, 2] - logs[:, 1]), 1)
    w = torch.sqrt((x * x).sum(1, keepdim=True) + eps)            # B×1×N
    t = bin_centres(bins, (-3.0, 3.0), x.dtype, x.device)
    k_u = 1.0 / (1.0 + (u.unsqueeze(-1) - t).abs() ** 2 / sigma**2)   # B×3×N×h
    k_v = 1.0 / (1.0 + (v.unsqueeze(-1) - t).abs() ** 2 / sigma**2)
    hist = (w.unsqueeze(-1) * k_u).mT @ k_v                       # B×3×h×h
    return hist / (hist.sum((1, 2, 3), keepdim=True) + eps)


def loss_step(variant: str, pred: torch.Tensor, target: torch.Tensor, chunk: int | None
              ) -> tuple[float, torch.Tensor]:
    """One forward + backward; returns the loss and the prediction's gradient."""
    pred = pred.detach().requires_grad_(True)
    if variant == "authors":
        loss = hellinger_loss_loop(rgbuv_histogram_loop(pred), rgbuv_histogram_loop(target))
    elif variant == "batched":
        with torch.no_grad():
            h_t = batched_naive_histogram(target)
        loss = hellinger_loss_loop(batched_naive_histogram(pred), h_t)
    else:
        with torch.no_grad():
            h_t = rgbuv_histogram(target, chunk=chunk)
        loss = hellinger_distance(rgbuv_histogram(pred, chunk=chunk), h_t, reduction="authors")
    loss.backward()
    return float(loss), pred.grad


def make_inputs(batch: int, side: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    base = torch.rand(batch, 3, side // 8, side // 8, generator=gen)
    smooth = torch.nn.functional.interpolate(base, size=(side, side), mode="bicubic")
    pred = (smooth + 0.05 * torch.rand(batch, 3, side, side, generator=gen)).clamp(0, 1)
    target = (0.8 * smooth + 0.1).clamp(0, 1) ** 1.5
    return pred.to(device), target.to(device)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_variant(args: argparse.Namespace) -> dict:
    """Inside the subprocess: time one variant, report JSON."""
    pred, target = make_inputs(args.batch, args.side, args.device)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    repeat = 1 if args.variant == "authors" else args.repeat
    loss, grad = loss_step(args.variant, pred, target, args.chunk)    # warm-up
    times, cpu = [], []
    for _ in range(repeat):
        _sync(args.device)
        t0, c0 = time.perf_counter(), _cpu_seconds()
        loss, grad = loss_step(args.variant, pred, target, args.chunk)
        _sync(args.device)
        times.append(time.perf_counter() - t0)
        cpu.append(_cpu_seconds() - c0)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = (rss1 - rss0) / 1024.0
    if args.device.startswith("cuda"):
        peak = torch.cuda.max_memory_allocated() / 2**20
    torch.save(grad.cpu(), args.grad_out)
    return {"variant": args.variant, "time": statistics.median(times), "times": times,
            "cpu": statistics.median(cpu), "loss": loss, "peak_mib": peak}


def matmul_rate(device: str) -> dict[str, float]:
    """Achievable float32 matmul GFLOP/s: a large square product and the histogram's shapes."""
    rates = {}
    shapes = {"2048³ sgemm": (1, 2048, 2048, 2048), "10×(64×1024·1024×128)": (10, 64, 1024, 128)}
    for name, (b, m, k, n) in shapes.items():
        a, c = torch.randn(b, m, k, device=device), torch.randn(b, k, n, device=device)
        torch.bmm(a, c)
        best = float("inf")
        for _ in range(5):
            _sync(device)
            t0 = time.perf_counter()
            for _ in range(3):
                torch.bmm(a, c)
            _sync(device)
            best = min(best, (time.perf_counter() - t0) / 3)
        rates[name] = 2.0 * b * m * k * n / best / 1e9
    return rates


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=10)
    p.add_argument("--side", type=int, default=448)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--chunk", type=int, default=None)
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--variant", help=argparse.SUPPRESS)
    p.add_argument("--grad-out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.variant:
        print(json.dumps(run_variant(args)))
        return 0

    load0 = os.getloadavg()
    results = []
    for variant in args.variants.split(","):
        grad_out = f"/tmp/bench_histogram_grad_{os.getpid()}_{variant}.pt"
        cmd = [sys.executable, __file__, "--variant", variant, "--grad-out", grad_out,
               "--batch", str(args.batch), "--side", str(args.side), "--repeat",
               str(args.repeat), "--device", args.device]
        cmd += ["--threads", str(args.threads)] if args.threads else []
        cmd += ["--chunk", str(args.chunk)] if args.chunk else []
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        res = json.loads(out.strip().splitlines()[-1])
        res["grad"] = torch.load(grad_out, weights_only=True)
        os.remove(grad_out)
        results.append(res)
    rates = matmul_rate(args.device)
    load1 = os.getloadavg()

    side = min(args.side, 150)
    flops = (histogram_flops(args.batch, side * side, backward=True)
             + histogram_flops(args.batch, side * side, backward=False))
    best_rate = max(rates.values())
    floor = flops / (best_rate * 1e9)
    ref = next((r for r in results if r["variant"] == "authors"), results[0])

    print(f"RGB-uv histogram + Hellinger loss, forward + backward: B={args.batch}, "
          f"{args.side}×{args.side} → {side}×{side}, 64 bins, device {args.device}, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"load average before/after: {load0[0]:.2f} / {load1[0]:.2f} "
          f"({os.cpu_count()} CPUs)")
    for name, rate in rates.items():
        print(f"matmul rate, {name}: {rate:.0f} GFLOP/s")
    print(f"floor: {flops / 1e9:.1f} GFLOP of products at {best_rate:.0f} GFLOP/s = "
          f"{floor:.3f} s\n")
    print(f"| {'variant':<8} | {'time (s)':>8} | {'speed-up':>8} | {'× floor':>7} | "
          f"{'CPU (s)':>7} | {'CPU speed-up':>12} | {'peak (MiB)':>10} | {'loss':>10} | "
          f"{'max |Δgrad|':>11} |")
    print(f"|{'-' * 10}|{'-' * 9}:|{'-' * 9}:|{'-' * 8}:|{'-' * 8}:|{'-' * 13}:|{'-' * 11}:|"
          f"{'-' * 11}:|{'-' * 12}:|")
    for r in results:
        dgrad = (r["grad"] - ref["grad"]).abs().max().item()
        print(f"| {r['variant']:<8} | {r['time']:8.3f} | {ref['time'] / r['time']:7.1f}× | "
              f"{r['time'] / floor:6.2f}× | {r['cpu']:7.3f} | {ref['cpu'] / r['cpu']:11.1f}× | "
              f"{r['peak_mib']:10.0f} | {r['loss']:10.7f} | {dgrad:11.2e} |")
    print("\ntime: median wall-clock seconds of one forward + backward; speed-up: the authors' "
          "time / the variant's; × floor: time / floor; CPU: process CPU seconds of the same "
          "step (steadier than wall time on a shared machine, but it counts threads' spinning "
          "too); peak: max-RSS rise of the variant's process; max |Δgrad|: largest difference "
          "of the prediction's gradient from the first variant's.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
