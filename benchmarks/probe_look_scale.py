"""How much the synthetic targets' "HDR look" depends on the size of the picture it is given.

The look (``hdrisp.synth.hdr_look``) fuses exposure brackets in a Laplacian pyramid as deep
as the picture allows (OpenCV's ``MergeMertens``) and boosts local detail over a fixed number
of pixels, so it is not a per-pixel function of the scene. Up to generator version 4 the
synthetic set rendered each training pair's look on its 448-pixel crop, near the source
photograph's own scale, and each full-resolution test frame's look on an enlargement of the
photograph (1344×896, 4–5× for the two held-out scenes): part of a network's error on the
frames could not be learnt from the training pairs. This probe measures that part; version 5
renders every view's look at the photograph's scale (``hdrisp.synth.hdr_look_of_view``).

    python benchmarks/probe_look_scale.py [--crop 448] [--scenes chelsea rocket]

For each held-out scene it compares a version-4 frame's target (the look of the photograph
enlarged to the frame) with the look computed at the photograph's own size, (a) on the whole
photograph and (b) on each ``crop``-pixel tile on its own (as training crops are), both then
enlarged to the frame. Scored as the frames are: the 99th percentile of the low-pass
CIEDE2000 map (``lowfreq_delta_e``), the mean CIEDE2000 and the PSNR. Deterministic; a few
seconds on one core.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hdrisp.evaluation.metrics import delta_e2000, lowfreq_delta_e, psnr  # noqa: E402
from hdrisp.raw.color import srgb_to_linear  # noqa: E402
from hdrisp.synth.dataset import DEFAULT_SET  # noqa: E402
from hdrisp.synth.hdr_look import hdr_look  # noqa: E402
from hdrisp.synth.sources import TEST_SCENES, load_sources  # noqa: E402


def _look(linear: np.ndarray) -> np.ndarray:
    """The look of a linear H×W×3 image, float32 in [0, 1]."""
    out = hdr_look(linear).astype(np.float32)
    return np.clip(out / 255.0 if out.max() > 1.5 else out, 0.0, 1.0)


def _linear(srgb8: np.ndarray) -> np.ndarray:
    return srgb_to_linear(srgb8.astype(np.float32) / 255.0).astype(np.float32)


def _tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(np.clip(image, 0, 1))).permute(2, 0, 1)[None]


def tiled_look(linear: np.ndarray, tile: int) -> np.ndarray:
    """The look computed on each ``tile``×``tile`` block on its own, put back together."""
    h, w = linear.shape[:2]
    out = np.zeros_like(linear)
    for y in range(0, h, tile):
        for x in range(0, w, tile):
            out[y:y + tile, x:x + tile] = _look(linear[y:y + tile, x:x + tile])
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crop", type=int, default=DEFAULT_SET["patch"])
    parser.add_argument("--scenes", nargs="+", default=list(TEST_SCENES))
    args = parser.parse_args(argv)
    height, width = DEFAULT_SET["full_size"]
    sources = load_sources(tuple(args.scenes))
    print(f"the look computed at the photograph's own size, enlarged to the {width}×{height} "
          "frame, against the frame's own target (the look of the enlarged photograph)\n")
    print("| scene | photograph (px) | look computed on | lowfreq ΔE00 p99 | mean ΔE00 | "
          "PSNR (dB) |")
    print("|---|---|---|---|---|---|")
    for name in args.scenes:
        photo = sources[name]
        frame = _tensor(_look(_linear(cv2.resize(photo, (width, height),
                                                 interpolation=cv2.INTER_CUBIC))))
        linear = _linear(photo)
        for label, look in (("the whole photograph", _look(linear)),
                            (f"{args.crop}-px crops", tiled_look(linear, args.crop))):
            enlarged = _tensor(cv2.resize(look, (width, height), interpolation=cv2.INTER_CUBIC))
            print(f"| {name} | {photo.shape[1]}×{photo.shape[0]} | {label} | "
                  f"{lowfreq_delta_e(enlarged, frame):.2f} | "
                  f"{float(delta_e2000(enlarged, frame)):.2f} | "
                  f"{float(psnr(enlarged, frame)):.2f} |")


if __name__ == "__main__":
    main()
