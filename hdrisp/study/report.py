"""The reproduction report: every claim of the paper with hdrisp's status, and the study's table.

``REPRODUCTION.md`` is part hand-written (the departures, how to run the learned no-reference
metrics) and part generated: the text between the markers ``<!-- generated: NAME -->`` and
``<!-- end: NAME -->`` is written by :func:`render_blocks` from :data:`CLAIMS` and the last
committed study results (``notebooks/results/study.csv`` and its ``.json``). Numbers are never
typed by hand: ``hdrisp study report`` rewrites the blocks, and the test suite checks that
the committed file equals what the command writes.

A claim backed by the study gets its status from the results: the paired difference of the
arm against the reference arm, its 95 % interval and the verdict, on the metrics named. Smoke
results (a plumbing check) are shown as such and never as findings.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hdrisp.errors import DatasetError
from hdrisp.study.design import REFERENCE_ARM
from hdrisp.study.results import METRIC_LABELS, method_label

VERIFIED = "verified exactly"
SYNTHETIC = "measured on synthetic data"
NOT_HERE = "not reproducible here"


@dataclass(frozen=True)
class Claim:
    """One claim of the paper or its README.

    Attributes:
        id: short key.
        claim: what is claimed.
        source: where it is claimed.
        status: :data:`VERIFIED`, :data:`SYNTHETIC` or :data:`NOT_HERE`.
        evidence: how hdrisp checks it, or why it cannot (no numbers: those come from
            ``study``).
        commands: the commands that reproduce it with the real data set on a GPU.
        study: ``(arm, set, metrics)`` of the study's paired rows that bear on it.
    """

    id: str
    claim: str
    source: str
    status: str
    evidence: str
    commands: tuple[str, ...]
    study: tuple[tuple[str, str, tuple[str, ...]], ...] = ()


_FULL_STUDY = "hdrisp study --config paper --data ROOT --device cuda"
_TRAIN = "hdrisp train --config paper --data ROOT --device cuda"

CLAIMS: tuple[Claim, ...] = (
    Claim("architecture",
          "A five-level pyramid derived from PyNET, with ECA, CBAM, IEM and SimAM attention, "
          "of about 6.5 M parameters",
          "paper, architecture figure; the authors' code",
          VERIFIED,
          "The model loads the authors' state-dict names and shapes (197 tensors, 6,473,474 "
          "parameters) and gives the authors' outputs on their reference inputs at levels 4 "
          "and 2 (`tests/test_models.py`).",
          ("pytest tests/test_models.py", "hdrisp model summary")),
    Claim("smaller-than-pynet",
          "Much smaller than PyNET, the baseline it derives from",
          "paper",
          VERIFIED,
          "PyNET is built to the same state-dict shapes (47,554,738 parameters, its published "
          "weights load): `hdrisp model summary` prints both counts.",
          ("hdrisp model summary",)),
    Claim("histogram-term",
          "The colour term is HistoGAN's differentiable RGB-uv histogram (64 bins, "
          "inverse-quadratic kernel, σ 0.02, intensity weighting) under a Hellinger distance, "
          "weighted 0.25 at every level",
          "paper (training table); the authors' code",
          VERIFIED,
          "Histograms and the loss value equal the authors' outputs on their reference "
          "inputs; the fast batched form equals a literal loop (`tests/test_histogram.py`).",
          ("pytest tests/test_histogram.py",)),
    Claim("staged-schedule",
          "Levels are trained one by one, 4 → 0, each from the previous level's final "
          "weights; Adam, learning rate 5e-5; batch/epochs 50/15, 35/20, 25/25, 15/33, 10/60",
          "paper, training-details table",
          VERIFIED,
          "The shipped `paper` config is that table (`tests/test_train_config.py`); training it "
          "needs the paper's data and a GPU (days per run).",
          (_TRAIN,)),
    Claim("paper-vs-code",
          "Loss at levels 1 and 0: 10·MSE + 0.4·(1 − SSIM) + 0.25·Hist + VGG (paper); the "
          "authors' code uses 1·MSE and 5-scale MS-SSIM instead",
          "paper table against the authors' code",
          SYNTHETIC,
          "Both columns are implemented (`loss.schedule: paper | code`; paper is the default; "
          "the shipped `paper_code` config). The study's `code` arm measures what the difference "
          "does.",
          (_FULL_STUDY + " --arms code",
           "hdrisp train --config paper_code --data ROOT --device cuda"),
          (("code", "test", ("psnr", "ssim", "delta_e2000", "hellinger")),)),
    Claim("colour-constancy",
          "Putting histogram information into the loss gives better colour constancy (the "
          "paper's new claim)",
          "paper, abstract and contributions",
          SYNTHETIC,
          "The study trains the same schedule with the histogram weight ×0, ×1 (the paper's) "
          "and ×2, and scores a cast set: every test scene re-lit by daylight, fluorescent and "
          "tungsten white balances, one target. Colour constancy = a small ΔE00 to the target "
          "under every light; the ΔE00 between a scene's renderings and the spread of their "
          "mean chroma say how much the light changes the output (a network that ignores its "
          "input scores 0 there, so they are read beside the accuracy).",
          (_FULL_STUDY,),
          (("hist_x0", "cast", ("de_target", "de_between", "chroma_spread")),
           ("hist_x2", "cast", ("de_target", "de_between", "chroma_spread")),
           ("hist_x0", "test", ("delta_e2000", "hellinger", "psnr")))),
    Claim("staged-training-helps",
          "Training the pyramid level by level (coarse to fine, PyNET's way) is how to train it",
          "paper (after PyNET)",
          SYNTHETIC,
          "The study's `direct` arm trains level 0 alone, from random weights, for as many "
          "network FLOPs as the whole staged schedule.",
          (_FULL_STUDY + " --arms direct",),
          (("direct", "test", ("psnr", "ssim", "delta_e2000")),)),
    Claim("no-reference-quality",
          "High NIMA, MUSIQ and LIQE scores for the network's results",
          "paper, evaluation",
          NOT_HERE,
          "Needs the paper's test set (on request from the authors), trained weights (the "
          "file in the authors' repository cannot be retrieved) and the learned metrics' "
          "networks, which `pyiqa` downloads on first use (the optional `iqa` extra). The "
          "command runs as is once those are present.",
          ("pip install 'hdrisp[iqa]'",
           "hdrisp evaluate --data ROOT --weights runs/paper/level0/last.pt --device cuda "
           "--no-reference nima,musiq,liqe")),
    Claim("dataset",
          "Training data: 12,600 + 1,204 pairs of 448×448 made from Zurich RAW-to-RGB's Canon "
          "photographs with Topaz Gigapixel AI and Photomatix Pro 5.0 (an HDR look)",
          "paper; the authors' README",
          NOT_HERE,
          "The set is private (on request from the authors) and made with commercial "
          "software. hdrisp reads it in the paper's layout and checks it; its own synthetic "
          "set (unprocessed photographs, a classical HDR look) is a stand-in, not the same "
          "task.",
          ("hdrisp data check --data ROOT",)),
    Claim("weights",
          "Trained weights are available",
          "the authors' README",
          NOT_HERE,
          "The weights file in the authors' repository cannot be retrieved; weights obtained "
          "from the authors load with `--weights` (the state-dict names are the authors').",
          ("hdrisp evaluate --data ROOT --weights WEIGHTS --device cuda",)),
    Claim("data-conventions",
          "Input: the RGGB mosaic packed as [B, Gb, R, Gr] and divided by 1020; targets "
          "resized bicubically to each level's size",
          "the authors' code; the paper's data conventions",
          VERIFIED,
          "`tests/test_data.py` checks the packing order, the scaling and the target sizes.",
          ("pytest tests/test_data.py",)),
)
"""Every claim of the paper and its README, in the report's order."""


# --------------------------------------------------------------------------- rendering


def _num(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:+.{digits}g}" if abs(value) >= 1e-3 or value == 0 else f"{value:+.2e}"


def _plain(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}g}"


def _paired(results: Sequence[dict], arm: str, set_name: str, metric: str) -> dict | None:
    for row in results:
        if (row["kind"], row["method"], row["set"], row["metric"]) == ("paired", arm,
                                                                       set_name, metric):
            return row
    return None


def _mode(meta: dict) -> str:
    if not meta:
        return "results of unknown provenance"
    if meta.get("smoke"):
        return "**smoke run — a plumbing check, not evidence**"
    return f"{meta.get('size', '?')} size"


def claim_status(claim: Claim, results: Sequence[dict], meta: dict) -> str:
    """The status cell of ``claim``: its status, and for study-backed claims the paired
    differences from ``results`` (or why there are none)."""
    if not claim.study:
        return claim.status
    parts = []
    for arm, set_name, metrics in claim.study:
        cells = []
        for metric in metrics:
            row = _paired(results, arm, set_name, metric)
            if row is None:
                continue
            cells.append(f"{METRIC_LABELS[metric]} {_num(row['diff'])} "
                         f"[{_num(row['ci_low'])}, {_num(row['ci_high'])}] {row['verdict']}")
        if cells:
            where = "test split" if set_name == "test" else "cast set"
            parts.append(f"{method_label(arm)} − {method_label(REFERENCE_ARM)}, {where}: "
                         + "; ".join(cells))
    if not parts:
        return f"{claim.status}: not measured yet (no study results)"
    if meta.get("smoke"):
        return ("not measured yet — the committed results are a smoke run, a plumbing check "
                "and not evidence: " + " · ".join(parts))
    return f"{claim.status} ({_mode(meta)}): " + " · ".join(parts) + _accuracy_note(results)


def _summary(results: Sequence[dict], method: str, set_name: str, metric: str) -> float | None:
    for row in results:
        if (row["kind"], row["method"], row["set"], row["metric"]) == ("summary", method,
                                                                       set_name, metric):
            return row["mean"]
    return None


def _accuracy_note(results: Sequence[dict]) -> str:
    """A warning when the reference arm's colours are less accurate (ΔE00 on the test split)
    than the best baseline's: constancy numbers of networks that barely respond to colour
    say little."""
    ours = _summary(results, REFERENCE_ARM, "test", "delta_e2000")
    baselines = [r["mean"] for r in results if r["kind"] == "summary" and r["role"] == "baseline"
                 and r["set"] == "test" and r["metric"] == "delta_e2000"]
    if ours is None or not baselines or ours <= min(baselines):
        return ""
    return (f". Caution: at this size the reference arm's colours are less accurate than the "
            f"best classical baseline's (ΔE00 {ours:.2f} against {min(baselines):.2f} on the "
            "test split), so differences between arms say little about the trained network")


def claims_table(results: Sequence[dict], meta: dict) -> str:
    """The claims as a Markdown table (one row each)."""
    lines = ["| claim | source | hdrisp's status | how it is checked | with the real data on a "
             "GPU |", "|---|---|---|---|---|"]
    for claim in CLAIMS:
        commands = "<br>".join(f"`{c}`" for c in claim.commands)
        cells = [claim.claim, claim.source, claim_status(claim, results, meta),
                 claim.evidence, commands]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def study_tables(results: Sequence[dict], meta: dict) -> str:
    """The study's results as Markdown: provenance, the summary (mean ± sd over seeds) and
    the paired comparisons with the reference arm."""
    if not results:
        return "No study results yet: run `hdrisp study`.\n"
    lines = [f"Source: `notebooks/results/study.csv` — {_mode(meta)}, "
             f"{meta.get('title', '')}."]
    if meta:
        lines += [f"Produced by `{meta.get('command') or 'hdrisp study'}` on "
                  f"{meta.get('date', '?')} (commit {meta.get('git') or '?'}, "
                  f"{meta.get('machine', {}).get('cpus', '?')} CPUs, device "
                  f"{meta.get('machine', {}).get('device', '?')}): the runs took "
                  f"{_plain(meta.get('runs_wall_s'))} s wall and "
                  f"{_plain(meta.get('runs_cpu_s'))} s CPU (training and scoring, over every "
                  "invocation of a resumed study). "
                  f"Schedule per level (level: steps × batch, patch): "
                  + ", ".join(f"{r['level']}: {r['steps'] or str(r['epochs']) + ' epochs'}"
                              f" × {r['batch']}, {r['patch'] or 'whole'}"
                              for r in meta.get("schedule", []))
                  + f"; direct arm: {meta.get('direct_steps')} level-0 steps. Test split: "
                  f"{_items(results, 'test')} pairs, cast set: {meta.get('cast_scenes')} scenes "
                  f"× {len(meta.get('illuminants', []))} illuminants "
                  f"({', '.join(meta.get('illuminants', []))}), centre crops of "
                  f"{meta.get('eval_crop') or 'whole'} raw pixels."]
        lines += [f"Note: {n}." if not n.endswith(".") else f"Note: {n}"
                  for n in meta.get("notes", [])]
    lines += ["", "**Mean ± standard deviation over seeds** (baselines: one deterministic run)",
              ""]
    metrics = [("test", m) for m in ("psnr", "ssim", "delta_e2000", "hellinger")] + \
        [("cast", m) for m in ("chroma_spread", "de_between", "de_target")]
    header = ["method", *(f"{METRIC_LABELS[m]} ({'test' if s == 'test' else 'cast'}) "
                          f"{'↑' if m in ('psnr', 'ssim') else '↓'}" for s, m in metrics)]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    labels = {r["method"]: r["label"] for r in results}
    methods = list(dict.fromkeys(r["method"] for r in results if r["kind"] == "summary"))
    for method in methods:
        cells = [labels[method]]
        for set_name, metric in metrics:
            row = next((r for r in results if r["kind"] == "summary" and r["method"] == method
                        and r["set"] == set_name and r["metric"] == metric), None)
            if row is None:
                cells.append("–")
            elif row["std"] is None:
                cells.append(_plain(row["mean"]))
            else:
                cells.append(f"{_plain(row['mean'])} ± {_plain(row['std'], 2)}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"**Paired differences against {method_label(REFERENCE_ARM)}** (arm − "
              "reference on the same image and seed; 95 % bootstrap interval over seeds and "
              "images; p: sign-flip test; sd: over seeds)", "",
              "| arm | set | metric | difference [95 % CI] | sd over seeds | p | better on | "
              "verdict |", "|---|---|---|---|---|---|---|---|"]
    for row in results:
        if row["kind"] != "paired":
            continue
        lines.append(
            f"| {row['label']} | {row['set']} | {METRIC_LABELS[row['metric']]} "
            f"({row['better']} is better) | {_num(row['diff'])} [{_num(row['ci_low'])}, "
            f"{_num(row['ci_high'])}] | {_plain(row['seed_sd'], 2)} | "
            f"{_plain(row['p_value'], 2)} | {_plain(100 * row['wins'], 3)} % | "
            f"{row['verdict']} |")
    return "\n".join(lines) + "\n"


def _items(results: Sequence[dict], set_name: str) -> str:
    counts = {r["n_items"] for r in results if r["kind"] == "summary" and r["set"] == set_name}
    return ", ".join(str(c) for c in sorted(counts)) or "?"


def render_blocks(results: Sequence[dict], meta: dict) -> dict[str, str]:
    """Block name → the generated Markdown of ``REPRODUCTION.md``."""
    return {"claims": claims_table(results, meta), "study": study_tables(results, meta)}


_BLOCK = re.compile(r"(<!-- generated: (\w+) -->\n)(.*?)(<!-- end: \2 -->)", re.S)


def fill_blocks(text: str, blocks: dict[str, str]) -> str:
    """``text`` with every generated block replaced by ``blocks[name]``.

    Raises:
        DatasetError: a block of ``blocks`` has no markers in ``text``.
    """
    missing = set(blocks) - {m.group(2) for m in _BLOCK.finditer(text)}
    if missing:
        raise DatasetError(f"the report has no '<!-- generated: {sorted(missing)[0]} -->' "
                           "block")
    return _BLOCK.sub(lambda m: m.group(1) + blocks[m.group(2)] + m.group(4), text)


def update_report(report: str | os.PathLike, results: Sequence[dict], meta: dict, *,
                  check: bool = False) -> bool:
    """Rewrite the generated blocks of ``report`` from ``results`` (or, with ``check``, only
    say whether they are current). Returns True when the file is (or was already) current."""
    path = Path(report)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(f"cannot read the report ({exc.strerror or exc})", path) from None
    new = fill_blocks(text, render_blocks(results, meta))
    if new == text:
        return True
    if not check:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(new, encoding="utf-8")
        os.replace(tmp, path)
    return False


__all__ = ["CLAIMS", "NOT_HERE", "SYNTHETIC", "VERIFIED", "Claim", "claim_status",
           "claims_table", "fill_blocks", "render_blocks", "study_tables", "update_report"]
