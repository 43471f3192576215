"""Why the tutorial network fails on unseen scenes: a per-pixel probe with and without an
instance norm at its input.

A tiny per-pixel network (1×1 convolutions 4 → 64 → 64 → 3, LeakyReLU) is trained on the
training split of a held-out-scenes set and scored on both splits at level 4's size (its
output average-pooled 8×8, the level-4 target), once as is and once with an affine
instance norm on its 4 input channels — the operation every block of the pyramid applies
to its features. Without the norm the probe sees the raw's absolute colour balance and
learns one camera-to-sRGB mapping; with it each image's channel means are gone and the
colour must be guessed from content, so it learns the training scenes' colours.

Measured on 2026-11-29 with this script (the 2-core CPU shared with other jobs, load ~6,
1 thread, 300 steps of 8 patches of 128 at lr 3e-3, seed 0, the default 600/60-pair set
with test scenes chelsea and rocket; 30 pairs scored per split, PSNR dB / ΔE2000; 103 s and
38 s of training):

=====================  ================  ================
probe                  held-out scenes   training scenes
=====================  ================  ================
per-pixel              21.07 / 11.96     21.32 / 9.60
instance norm, then    18.06 / 15.99     19.68 / 11.43
=====================  ================  ================

(For comparison, the pyramid's level 4 after 300 such steps: 17.9 / 17.9 held out.)

Usage:
    python benchmarks/probe_colour_constancy.py [--data ROOT] [--steps 300] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from hdrisp.data import PairedRawDataset
from hdrisp.evaluation.metrics import delta_e2000, psnr
from hdrisp.synth import ensure_default_dataset


def probe(instance_norm: bool) -> nn.Module:
    """The per-pixel network; ``instance_norm`` puts an affine InstanceNorm2d in front."""
    layers: list[nn.Module] = [nn.InstanceNorm2d(4, affine=True)] if instance_norm else []
    layers += [nn.Conv2d(4, 64, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 64, 1), nn.LeakyReLU(0.2),
               nn.Conv2d(64, 3, 1)]
    return nn.Sequential(*layers)


def forward(net: nn.Module, raw: torch.Tensor) -> torch.Tensor:
    """B×4×h×w packed raw → B×3×h/8×w/8 sRGB in [0, 1] (level 4's size)."""
    return torch.sigmoid(F.avg_pool2d(net(raw), 8))


def run(root, instance_norm: bool, steps: int, seed: int, n_eval: int) -> dict:
    torch.manual_seed(seed)
    net = probe(instance_norm)
    opt = torch.optim.Adam(net.parameters(), 3e-3)
    train = PairedRawDataset(root, "train", level=4, augment=True, patch=128)
    loader = torch.utils.data.DataLoader(train, batch_size=8, shuffle=True, drop_last=True)
    step, tick = 0, time.perf_counter()
    while step < steps:
        for raw, target in loader:
            loss = F.mse_loss(forward(net, raw), target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step >= steps:
                break
    out = {"seconds": time.perf_counter() - tick}
    for split in ("test", "train"):
        data = PairedRawDataset(root, split, level=4)
        scores = []
        for i in range(min(n_eval, len(data))):
            raw, target = data[i]
            with torch.no_grad():
                pred = forward(net, raw[None]).clamp(0, 1)
            scores.append((psnr(pred, target[None]), delta_e2000(pred, target[None])))
        out[split] = np.mean(scores, axis=0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="a held-out-scenes set (default: the "
                        "synthetic default set, built on first use)")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--eval", type=int, default=30, help="pairs scored per split")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    root = args.data or ensure_default_dataset(progress=True)
    print(f"{'probe':24s} {'held-out PSNR/ΔE00':>20s} {'train PSNR/ΔE00':>18s} {'s':>6s}")
    for norm in (False, True):
        r = run(root, norm, args.steps, args.seed, args.eval)
        name = "instance norm, then" if norm else "per-pixel"
        print(f"{name:24s} {r['test'][0]:10.2f} / {r['test'][1]:5.2f} "
              f"{r['train'][0]:9.2f} / {r['train'][1]:5.2f} {r['seconds']:6.0f}")


if __name__ == "__main__":
    main()
