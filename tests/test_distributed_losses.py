"""Every loss term of two gloo processes equals one process's with the same global batch.

Two processes on the CPU (``torch.multiprocessing``, gloo) each hold half of a batch of 4;
one process holds all of it. The gradient a process gets for its own images is W times the
single-process one, because ``DistributedDataParallel`` then averages the W processes'
parameter gradients; the tests check exactly that.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from hdrisp.losses import LevelLoss

WORLD = 2


def _inputs() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    target = torch.rand(4, 3, 32, 32, generator=g)
    pred = (target + 0.2 * torch.randn(4, 3, 32, 32, generator=g)).clamp(0, 1)
    return pred, target


def _loss(level: int, across_ranks: bool) -> LevelLoss:
    return LevelLoss(level, perceptual="efficientnet-lite0" if level < 4 else "off",
                     across_ranks=across_ranks)


CASES = ((4, True), (0, True), (4, False))  # (level, across_ranks)


def _worker(rank: int, port: int, out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=WORLD)
    try:
        pred, target = _inputs()
        part = slice(2 * rank, 2 * rank + 2)
        results = {}
        for level, across_ranks in CASES:
            mine = pred[part].clone().requires_grad_(True)
            terms = _loss(level, across_ranks)(mine, target[part])
            terms["loss"].backward()
            with torch.no_grad():  # a validation on one process stays local
                local = _loss(level, across_ranks)(pred[part], target[part])["hist"]
            results[f"{level}-{across_ranks}"] = {
                "terms": {k: float(v.detach()) for k, v in terms.items()}, "grad": mine.grad,
                "no_grad_hist": float(local)}
        torch.save(results, Path(out) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory) -> dict[tuple[int, bool], list[dict]]:
    """(level, across_ranks) → each rank's terms and gradients (one spawn for every case)."""
    out = tmp_path_factory.mktemp("ranks")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    mp.spawn(_worker, args=(_free_port(), str(out)), nprocs=WORLD, join=True)
    ranks = [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(WORLD)]
    return {case: [r[f"{case[0]}-{case[1]}"] for r in ranks] for case in CASES}


@pytest.mark.parametrize("level", [4, 0])
def test_every_term_and_its_gradient_equal_one_process_with_the_global_batch(two_processes,
                                                                            level):
    """The paper's level-4 row (MSE + 0.25·Hist) and level-0 row (10·MSE + 0.25·Hist +
    perceptual + 0.4·(1 − SSIM)), the perceptual term by the offline EfficientNet-Lite0
    substitute (VGG-19's ImageNet weights are not installable)."""
    pred, target = _inputs()
    whole = pred.clone().requires_grad_(True)
    single = _loss(level, across_ranks=False)(whole, target)
    single["loss"].backward()
    expected_terms = {"mse", "hist", "loss"} | ({"vgg", "ssim"} if level == 0 else set())
    assert set(single) == expected_terms
    ranks = two_processes[level, True]
    for name, value in single.items():
        # what training logs: the mean over the processes
        mean = sum(r["terms"][name] for r in ranks) / WORLD
        assert mean == pytest.approx(float(value.detach()), rel=1e-5, abs=1e-7), name
    # the histogram term is the global one on every process, not a per-process one
    assert all(r["terms"]["hist"] == pytest.approx(float(single["hist"]), rel=1e-5)
               for r in ranks)
    for rank, result in enumerate(ranks):
        part = slice(2 * rank, 2 * rank + 2)
        torch.testing.assert_close(result["grad"] / WORLD, whole.grad[part], rtol=1e-4,
                                   atol=1e-9)
    # under no_grad (validation on rank 0 alone) the term stays per-process
    local = _loss(level, across_ranks=False)(pred[:2], target[:2])["hist"]
    assert ranks[0]["no_grad_hist"] == pytest.approx(float(local), rel=1e-6)


def test_the_per_process_histogram_term_is_sqrt_w_off(two_processes):
    """What the authors' reduction does per process: √(S_r)/B_r instead of √(ΣS)/B."""
    pred, target = _inputs()
    single = float(_loss(4, across_ranks=False)(pred, target)["hist"])
    ranks = two_processes[4, False]
    mean = sum(r["terms"]["hist"] for r in ranks) / WORLD
    assert mean == pytest.approx(single * 2 ** 0.5, rel=0.05)  # halves alike: ≈ √2
    assert abs(mean - single) > 0.3 * single
