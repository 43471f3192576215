"""Training-step throughput per level: hdrisp's step against a plain baseline.

For each level: batch 4 (``--batch``) of 224×224 packed inputs (``--size``), that level's loss
from the paper's table with the perceptual term off (no VGG weights offline), Adam.

- baseline: the network in float32, eager, NCHW, and the histogram term computed the
  authors' way (one image and one projection at a time, float64 kernel maths:
  ``hdrisp.losses.histogram_reference``);
- hdrisp: :func:`hdrisp.training.batch.train_step` as the training loop runs it with its
  defaults: channels_last tensors, the batched float32 histogram of ``hdrisp.losses``, and
  bf16 autocast where ``runtime.precision: auto`` turns it on (CUDA; CPUs with AVX512-BF16/AMX).

The two variants alternate within one run and the table reports the fastest of ``--reps``
steps each (the median too), so a shared machine's load affects both alike. The loss columns
time the loss alone (forward + backward to the prediction) per step. On a GPU machine the same
table is printed for CUDA: fp32 against autocast.

    python benchmarks/bench_train.py [--levels 4:0] [--reps 3] [--batch 4] [--size 224]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from hdrisp.losses import LevelLoss, level_weights, ssim
from hdrisp.losses import ms_ssim as ms_ssim_fn
from hdrisp.losses.histogram_reference import hellinger_loss_loop, rgbuv_histogram_loop
from hdrisp.models import build
from hdrisp.runtime import Runtime, resolve_precision
from hdrisp.training.batch import train_step
from hdrisp.training.schedule import parse_levels


class ReferenceLevelLoss(torch.nn.Module):
    """The level's loss with the histogram term computed per image in float64 (baseline)."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.weights = level_weights(level, "paper", {"vgg": 0.0})

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        terms, total = {}, pred.new_zeros(())
        for name, weight in self.weights.items():
            if name == "mse":
                value = F.mse_loss(pred, target)
            elif name == "hist":
                value = hellinger_loss_loop(rgbuv_histogram_loop(pred),
                                            rgbuv_histogram_loop(target)).to(pred.dtype)
            else:
                value = ssim(pred, target) if name == "ssim" else ms_ssim_fn(pred, target)
            total = total + weight * (1.0 - value if "ssim" in name else value)
            terms[name] = value.detach()
        return {"loss": total, **terms}


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start


def _variant(level: int, runtime: Runtime, reference: bool, state: dict, batch: int, size: int):
    """A closure running one training step, and one timing the loss alone."""
    model = build("rawtonemap", level=level)
    model.load_state_dict(state)
    model.to(runtime.device)
    if runtime.channels_last:
        model.to(memory_format=torch.channels_last)
    loss_fn = ReferenceLevelLoss(level) if reference else LevelLoss(level, perceptual="off")
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-5)
    scaler = runtime.grad_scaler()
    generator = torch.Generator().manual_seed(level)
    raw = torch.rand(batch, 4, size, size, generator=generator)
    out = model.output_size(size, size, level)
    target = torch.rand(batch, 3, *out, generator=generator).to(runtime.device)
    pred = torch.rand(batch, 3, *out, generator=generator).to(runtime.device)

    def step() -> None:
        train_step(model, loss_fn, optimizer, scaler, runtime, raw, target)

    def loss_only() -> None:
        p = pred.clone().requires_grad_(True)
        loss_fn(p, target)["loss"].backward()

    return step, loss_only


def bench_level(level: int, base: Runtime, ours: Runtime, reps: int, batch: int,
                size: int, reference_base: bool = True) -> dict:
    torch.manual_seed(0)
    state = build("rawtonemap", level=level).state_dict()
    variants = {"base": _variant(level, base, reference_base, state, batch, size),
                "ours": _variant(level, ours, False, state, batch, size)}
    times = {k: [] for k in variants}
    loss_times = {k: [] for k in variants}
    for step, loss_only in variants.values():  # warm-up
        step()
        loss_only()
    for _ in range(reps):
        for name, (step, loss_only) in variants.items():
            times[name].append(_timed(step))
            loss_times[name].append(_timed(loss_only))
    return {"times": times, "loss": loss_times}


def print_header(title: str, labels: tuple[str, str]) -> None:
    print(f"\n{title}")
    print(f"| level | {labels[0]} s/step | {labels[1]} s/step | {labels[0]} img/s "
          f"| {labels[1]} img/s | speed-up | {labels[0]} loss s | {labels[1]} loss s "
          f"| loss share ({labels[1]}) |")
    print("|---|---|---|---|---|---|---|---|---|", flush=True)


def print_row(level: int, r: dict, batch: int) -> None:
    base, ours = min(r["times"]["base"]), min(r["times"]["ours"])
    lb, lo = min(r["loss"]["base"]), min(r["loss"]["ours"])
    print(f"| {level} | {base:.2f} (median {statistics.median(r['times']['base']):.2f}) "
          f"| {ours:.2f} (median {statistics.median(r['times']['ours']):.2f}) "
          f"| {batch / base:.2f} | {batch / ours:.2f} | {base / ours:.2f}× "
          f"| {lb:.3f} | {lo:.3f} | {100 * lo / ours:.1f} % |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="4:0")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--size", type=int, default=224, help="packed input side")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    levels = parse_levels(args.levels)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; batch "
          f"{args.batch}, {args.size}×{args.size} packed; fastest of {args.reps} steps")
    cpu = torch.device("cpu")
    ours = Runtime(cpu, autocast_dtype=resolve_precision("auto", cpu), channels_last=True)
    print_header("CPU: baseline (fp32 eager NCHW, per-image float64 histogram) vs hdrisp "
                 f"(channels_last, autocast {ours.precision}, batched histogram)",
                 ("base", "hdrisp"))
    for level in levels:
        print_row(level, bench_level(level, Runtime(cpu), ours, args.reps, args.batch,
                                     args.size), args.batch)
    if torch.cuda.is_available():
        gpu = torch.device("cuda")
        torch.backends.cudnn.benchmark = True
        amp = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        print_header(f"CUDA ({torch.cuda.get_device_name()}): fp32 vs autocast "
                     f"{str(amp).split('.')[-1]} (both channels_last, batched histogram)",
                     ("fp32", "amp"))
        for level in levels:
            print_row(level, bench_level(level, Runtime(gpu, channels_last=True),
                                         Runtime(gpu, autocast_dtype=amp, channels_last=True),
                                         args.reps, args.batch, args.size, reference_base=False),
                      args.batch)


if __name__ == "__main__":
    main()
