# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Reproducing the claim: does the histogram term buy colour constancy?
#
# Notebooks 01–04 rebuilt the paper's *method*. This one tests its *claim*. The paper's one
# new idea is to put histogram information into the loss (HistoGAN's RGB-uv histogram,
# notebook 02), and it claims that this gives **better colour constancy**. A reproduction that
# never measures that claim has reproduced a recipe, not a result. In this notebook you will
# learn
#
# 1. to turn a claim into an **experiment**: an ablation (the same schedule with the
#    histogram weight at 0, at the paper's value and at twice it), an outcome that *is* the
#    claim, and the comparisons the paper leaves implicit (its table against the authors'
#    code; staged training against level 0 alone);
# 2. why one run per arm is not enough: **seeds** and **paired comparisons**;
# 3. to build a **colour-constancy test set** — the same scene under several illuminants with
#    one target — and to derive its white-balance gains from CIE white points;
# 4. to run the study (`hdrisp study`), read its **CSV** into a table and figures;
# 5. to say plainly what the numbers **support and what they do not**.
#
# Everything here is `hdrisp.study`; `hdrisp study` runs the same thing from a terminal, and
# `REPRODUCTION.md` lists every claim of the paper with its status.

# %% tags=["parameters"]
import os

from hdrisp.tutorial import env_flag

SMOKE = env_flag("HDRISP_SMOKE")                   # the smoke study (CI, about a minute)
DATA_DIR = os.environ.get("HDRISP_DATA_DIR", "")   # data folder; "" → hdrisp's default data/
RUN_DIR = os.environ.get("HDRISP_RUN_DIR", "")     # "" → the study goes to runs/study/NAME
DEVICE = os.environ.get("HDRISP_DEVICE", "auto")   # "auto", "cpu" or "cuda"
CONFIG = os.environ.get("HDRISP_CONFIG", "")       # "" → tiny.yaml on CPU, paper.yaml on CUDA
STUDY = os.environ.get("HDRISP_STUDY", "")         # "" → run the smoke study in SMOKE mode,
                                                   # else read the committed results; or
                                                   # "tutorial" (~20 min CPU) / "full": run it

# %%
# %matplotlib inline
from pathlib import Path

import numpy as np
from IPython.display import Image, Markdown, display

from hdrisp import tutorial
from hdrisp.raw.color import XYZ_TO_SRGB
from hdrisp.study import (
    REFERENCE_ARM,
    build_cast_set,
    cast_gains,
    load_results,
    plan_study,
    run_study,
)
from hdrisp.study.figures import bar_figure, cast_grid
from hdrisp.study.illuminants import AVERAGE_CAMERA, ILLUMINANTS, REFERENCE
from hdrisp.study.report import CLAIMS, claim_status, study_tables
from hdrisp.study.results import read_csv

device = tutorial.pick_device(DEVICE)
data_root = tutorial.synthetic_set(DATA_DIR, smoke=SMOKE)
config_path = CONFIG or tutorial.config_file("paper" if device.type == "cuda" else "tiny")
run_it = STUDY or ("smoke" if SMOKE else "")
plan = plan_study(config_path, size=run_it or None, data_root=data_root)
committed = tutorial.config_file("tiny").parents[1] / "notebooks" / "results" / "study.csv"
study_dir = Path(RUN_DIR) / "study" if RUN_DIR else \
    tutorial.run_dir("").parent / "study" / (plan.base.name + ("_smoke" if plan.smoke else ""))
print(f"device {device}, data {data_root}, config {config_path}")
print(f"study: {'runs at the ' + plan.size.name + ' size' if run_it else 'reads ' + str(committed)}"
      f", folder {study_dir}")

# %% [markdown]
# ## 1 · The claim, and what would test it
#
# **Colour constancy** is the property of seeing a surface's colour the same under different
# light: a white shirt looks white in daylight and under a tungsten bulb, although the light
# it reflects is bluish in one case and orange in the other. A camera gets it from its **white
# balance**; a learned ISP has to infer the light from the raw alone. The paper claims that
# adding the histogram term to the loss makes its network better at this.
#
# Three things are needed to test that:
#
# - an **ablation**: the same training with the histogram term removed (weight 0), and a
#   dose-response check (weight ×2), everything else fixed;
# - an **outcome that is the claim**: not PSNR on the test set, but how much the output of one
#   scene changes when only the light changes;
# - **repetitions**: a trained network is one draw of a random process, so a difference must
#   be larger than the difference between two draws of the *same* arm.
#
# The study adds two comparisons the paper leaves implicit: its loss table against its own
# code at levels 1 and 0 (they disagree, notebook 03), and staged training against training
# level 0 alone for the same compute.

# %% [markdown]
# ## 2 · The design
#
# Each arm is the schedule of the config with one thing changed, trained once per seed:

# %%
for arm in plan.arms:
    print(f"{arm.name:8s} {arm.label:18s} {arm.question}")
print(f"\nreference arm: {REFERENCE_ARM}; seeds: {list(plan.size.seeds)}; "
      f"size: {plan.size.name}")
for row in plan.config.levels:
    length = f"{row.steps} steps" if row.steps else f"{row.epochs} epochs"
    print(f"  level {row.level}: batch {row.batch}, {length}, patch {row.patch or 'whole'}")

# %% [markdown]
# **Why seeds.** The seed fixes the initial weights and the order and crops of the training
# patches. Two seeds of the same arm give two different networks; the spread over seeds (the
# error bars below) is the noise any claimed effect must beat.
#
# **Why paired comparisons.** Test images differ from each other far more than arms do: a dark,
# saturated scene is hard for every arm. Comparing the *means* of two arms mixes the arm's
# effect with that image-to-image spread. Comparing each image with *itself* under the other
# arm, with the same seed, removes it: the difference per image and seed is averaged, and its
# uncertainty comes from resampling seeds and images (a bootstrap) — section 6 shows how much
# that helps.
#
# **Same compute.** The `direct` arm trains level 0 alone for as many network FLOPs as the
# whole staged schedule — counted, not guessed:

# %%
from hdrisp.study.design import matched_direct_steps

steps, compute = matched_direct_steps(plan.config, data_root)
for level, info in compute["levels"].items():
    print(f"level {level}: {info['steps']} steps × batch {info['batch']} × "
          f"{info['flops_per_sample'] / 1e9:.2f} GFLOP per patch")
print(f"staged: {compute['staged_flops'] / 1e12:.2f} TFLOP → level 0 alone: {steps} steps")

# %% [markdown]
# ## 3 · The colour-constancy test set, derived
#
# To measure constancy we need **one scene under several lights, with one right answer**. The
# cast set takes each test raw (shot, in the synthetic set, under a daylight white) and
# re-lights it the way a white balance models light: one gain per colour channel on the linear
# raw (a *von Kries* model), then clips and rounds it back to 10 bits. The target stays the
# scene's own: the correct output does not depend on the light.
#
# The gains come from the illuminant's white point. A white of chromaticity (x, y) has
# XYZ = (x/y, 1, (1 − x − y)/y); the camera sees it through its colour matrix; the gain of a
# channel is its response under the new light over its response under daylight (D65),
# normalised so that green keeps its value. By hand, for a tungsten bulb (CIE A):

# %%
def white_xyz(x, y):
    return np.array([x / y, 1.0, (1 - x - y) / y])


def camera_white(name, camera=AVERAGE_CAMERA):
    rgb = camera @ XYZ_TO_SRGB @ white_xyz(*ILLUMINANTS[name].xy)
    return rgb / rgb[1]


by_hand = camera_white("A") / camera_white(REFERENCE)
by_hand = by_hand / by_hand[1]
print("tungsten gains by hand (R, G, B):", np.round(by_hand, 3))
assert np.allclose(by_hand, cast_gains("A"))   # the package computes the same
for name, light in ILLUMINANTS.items():
    g = cast_gains(name)
    print(f"{name:4s} {light.kind:32s} {light.cct} K   gains R {g[0]:.2f}  B {g[2]:.2f}")

# %% [markdown]
# Now the set itself: the first test scenes, each under every illuminant of the study. In the
# synthetic set each scene has its own camera matrix (its manifest), so the gains differ a
# little from scene to scene. Look at scene 0 as the camera records it, before any white
# balance:

# %%
cast = build_cast_set(data_root, study_dir / "cast_set", illuminants=plan.size.illuminants,
                      scenes=plan.size.cast_scenes, layout=plan.config.data.layout)
for item in cast.scene_items(0):
    inside = {True: "inside", False: "outside", None: "unknown"}[item.wb_in_training_range]
    print(f"{item.illuminant:4s} gains ({item.gains[0]:.2f}, 1, {item.gains[2]:.2f}), "
          f"white balance {inside} the training set's range")
targets = {(cast.root / "test" / "groundtruth" / f"{i.index}.jpg").read_bytes()
           for i in cast.scene_items(0)}
assert len(targets) == 1   # one scene, one target, whatever the light
inside = np.mean([i.wb_in_training_range for i in cast.items
                  if i.wb_in_training_range is not None] or [np.nan])
print(f"{len(cast.items)} renderings of {cast.scenes} scenes; {inside:.0%} of them have a white "
      "balance inside the range the network was trained on")

# %% [markdown]
# Note the last line. The synthetic training set draws its white balance from a daylight-like
# range; tungsten and fluorescent light lie mostly **outside** it. A learned ISP can only be
# as colour-constant as the light it has seen: the per-illuminant results below show where it
# holds and where it breaks.
#
# Three numbers per scene measure constancy (lower is better):
#
# - **ΔE00 between illuminants** — the mean CIEDE2000 difference, pixel by pixel, between every
#   two renderings of the scene (0 for a perfectly constant method);
# - **chroma spread** — how far the renderings' mean colour (a*, b*) wanders: the RMS distance
#   from their centroid;
# - **ΔE00 to target** — constancy *and* accuracy: each rendering against the one target.
#
# The first two measure *invariance* only. A method that ignores its input — an untrained
# network that outputs the same grey whatever it is shown — is perfectly invariant and scores
# 0 on both. Constancy is only worth something from a method that gets the colours right, so
# these two numbers are always read beside the third (and beside the test split's ΔE00).

# %% [markdown]
# ## 4 · Run the study
#
# In smoke mode the study trains every arm for one step at levels 4 and 0 with two seeds: it
# runs every code path in about a minute, and its numbers mean nothing. `STUDY="tutorial"` runs
# the tutorial size (a tenth of `configs/tiny.yaml`'s steps, 5 arms × 3 seeds, about 20 minutes
# on a laptop CPU); otherwise this notebook reads the committed results of the last study,
# `notebooks/results/study.csv`, which `hdrisp study` followed by `hdrisp study report` wrote.

# %%
if run_it:
    result = run_study(plan, study_dir, device=str(device))
    results, meta = result.results, result.meta
    per_image_path = study_dir / "per_image.csv"
else:
    results, meta = load_results(committed)
    per_image_path = committed.with_name("study_per_image.csv")
    study_dir = None
print(f"{meta.get('title', '')}: its runs took {meta.get('runs_wall_s')} s wall, "
      f"{meta.get('runs_cpu_s')} s CPU ({meta.get('command')}, {meta.get('date')})")
if meta.get("smoke"):
    print("SMOKE RUN — plumbing only: none of the numbers below is evidence of anything")

# %% [markdown]
# ## 5 · Read the results
#
# The CSV has two kinds of rows: `summary` (an arm's mean over seeds and the standard deviation
# over seeds, per metric) and `paired` (an arm against the reference on the same images and
# seeds, with a 95 % interval and a verdict). The same table as in `REPRODUCTION.md`:

# %%
display(Markdown(study_tables(results, meta)))

# %% [markdown]
# The bars are the means over seeds, the error bars one standard deviation over seeds (the
# seed noise); hatched bars are the classical baselines (one deterministic run each). The last
# panel is ΔE00 to the target per illuminant: watch it grow as the light leaves the training
# range.

# %%
bar_figure(results, title=meta.get("title"))

# %% [markdown]
# One scene under every illuminant: the raw as the camera saw it (no white balance), each
# method's rendering, and the one target. A colour-constant method's row has one colour — and
# a *useful* one has the target's colours. (After the smoke run's single training step the
# networks' rows are flat grey: perfectly "constant", and useless. That is why the bars above
# put the invariance numbers next to the accuracy.)

# %%
arms = [r["method"] for r in results if r["kind"] == "summary" and r["role"] != "baseline"]
methods = list(dict.fromkeys(r["method"] for r in results if r["kind"] == "summary"))
if study_dir is not None:
    display(cast_grid(study_dir, methods, meta["illuminants"], arms=arms,
                      labels={r["method"]: r["label"] for r in results},
                      seed=meta["seeds"][0], crop=meta["eval_crop"]))
elif committed.with_name("study_cast_grid.png").is_file():
    display(Image(filename=str(committed.with_name("study_cast_grid.png"))))

# %% [markdown]
# ## 6 · Seeds and pairing, seen in the numbers
#
# Take ΔE00 on the test split for the histogram-free arm and the reference. The spread of the
# scores over *images* is large; the spread of the per-image *differences* is much smaller —
# that is what pairing buys. Then recompute the paired difference by hand and check it against
# the CSV.

# %%
rows = read_csv(per_image_path) if per_image_path.is_file() else []


def scores(method, metric="delta_e2000"):
    by_seed = {}
    for r in rows:
        if r["method"] == method and r["set"] == "test":
            by_seed.setdefault(r["seed"], {})[r["index"]] = r[metric]
    return np.array([[v for _, v in sorted(by_seed[s].items())] for s in sorted(by_seed)])


if rows and "hist_x0" in {r["method"] for r in rows}:
    arm, ref = scores("hist_x0"), scores(REFERENCE_ARM)
    diff = arm - ref
    print(f"ΔE00 over images: sd {ref.std():.2f} (reference), {arm.std():.2f} (hist ×0)")
    print(f"per-image differences: sd {diff.std():.3f}; per-seed mean differences: "
          f"{np.round(diff.mean(axis=1), 3)}")
    row = next(r for r in results if r["kind"] == "paired" and r["method"] == "hist_x0"
               and r["set"] == "test" and r["metric"] == "delta_e2000")
    print(f"mean paired difference by hand {diff.mean():+.4f}, in the CSV {row['diff']:+.4f} "
          f"[{row['ci_low']:+.4f}, {row['ci_high']:+.4f}] → {row['verdict']}")
    assert abs(diff.mean() - row["diff"]) < 1e-3 * max(1.0, abs(row["diff"]))
else:
    print("no per-image scores here (run the study, or commit study_per_image.csv)")

# %% [markdown]
# ## 7 · What the numbers support — and what they do not
#
# The status of each claim the study bears on, written from the CSV (the same sentences are in
# `REPRODUCTION.md`):

# %%
for claim in CLAIMS:
    if claim.study:
        print(f"• {claim.claim}\n  {claim_status(claim, results, meta)}\n")

# %% [markdown]
# How to read them honestly:
#
# - **A smoke run supports nothing.** One training step per level shows that the code runs.
# - **A synthetic set is not the paper's data.** Its raws are unprocessed photographs and its
#   targets a classical tone-mapping; a difference here tests the *mechanism* (does a
#   histogram term help a pyramid ISP be colour-constant on *some* task), not the paper's
#   numbers on its own data.
# - **The tutorial size trains briefly.** Its networks are far from converged (compare their
#   PSNR with the classical baselines). "No clear difference" there means the study could not
#   see an effect at that size, not that there is none; an effect of the histogram term that
#   appears only late in training would not show.
# - **The verdict needs the whole interval on one side of zero**, and a difference within the
#   seed noise is not an effect, however tempting the bar chart.
# - **Invariance is not constancy.** Small spreads from networks whose colours are less
#   accurate than the classical baseline's (the claims above then carry a caution) say how
#   little they respond to colour, not how well they undo the light.
# - **The cast set reaches beyond the training light.** Fluorescent and tungsten renderings lie
#   outside the synthetic set's white-balance range, so those rows measure extrapolation as
#   much as constancy.
#
# For evidence about the paper's claim, run the full study with the real data on a GPU:
# `hdrisp study --config configs/paper.yaml --data ROOT --device cuda` (REPRODUCTION.md).

# %% [markdown]
# ## Exercises
#
# 1. **The kernel as a further arm.** Is it the histogram, or its inverse-quadratic kernel?
#    Add an arm with the RBF kernel and run the study with it:
#    `from hdrisp.study.design import Arm`;
#    `rbf = Arm("rbf", "RBF kernel", "does the kernel matter?", histogram={"kernel": "rbf"})`;
#    `run_study(plan_study(config_path, size="tutorial", arms=["hist_x0", rbf]), "runs/study/rbf")`.
#    *Hint: the reference arm is added for you; compare `rbf` with it in the paired rows.*
# 2. **σ as an arm.** The kernel's width σ = 0.02 decides how sharp the histogram is. Try
#    `histogram={"sigma": 0.1}`. What do you expect for the gradient of a very sharp kernel?
#    *Hint: notebook 02's explorer shows the histogram for several σ.*
# 3. **How many seeds?** Rerun with `seeds=[0, 1, 2, 3, 4, 5]` (in `plan_study`). How does the
#    width of the intervals change?
#    *Hint: it shrinks roughly as one over the square root of the number of seeds.*
# 4. **Inside the training light.** Rebuild the study with `illuminants=["D75", "D65", "D50"]`
#    only. Do the arms' constancy numbers change, and does their ranking?
# 5. **Grey-world is a constancy algorithm.** The classical baseline balances each image so its
#    mean is grey. Why is its chroma spread small but its ΔE00 to target large? And why is the
#    as-shot baseline — told the light — not perfectly constant either?
#    *Hint: clipping, and what a grey-world assumption does to a red scene.*
# 6. **At full scale.** With the paper's data and a GPU, run
#    `hdrisp study --config configs/paper.yaml --data ROOT --device cuda`, then
#    `hdrisp study report runs/study/paper`. Which rows of REPRODUCTION.md change status?
