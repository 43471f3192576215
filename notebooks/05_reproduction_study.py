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
# Without hdrisp installed (Colab, Binder), uncomment:
# # %pip install "hdrisp @ git+https://github.com/<owner>/hdrisp" ipywidgets
import os

from hdrisp.tutorial import env_flag

SMOKE = env_flag("HDRISP_SMOKE")                   # the smoke study (CI, about a minute)
DATA_DIR = os.environ.get("HDRISP_DATA_DIR", "")   # data folder; "" → hdrisp's default data/
RUN_DIR = os.environ.get("HDRISP_RUN_DIR", "")     # "" → the study goes to runs/study/NAME
DEVICE = os.environ.get("HDRISP_DEVICE", "auto")   # "auto", "cpu" or "cuda"
CONFIG = os.environ.get("HDRISP_CONFIG", "")       # "" → tiny on CPU, paper on CUDA
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
from hdrisp.study.design import Arm, matched_direct_steps
from hdrisp.study.figures import bar_figure, cast_grid
from hdrisp.study.illuminants import AVERAGE_CAMERA, ILLUMINANTS, REFERENCE
from hdrisp.study.report import CLAIMS, claim_status, study_tables
from hdrisp.study.results import read_csv
from hdrisp.tutorial import checks

device = tutorial.pick_device(DEVICE)
data_root = tutorial.synthetic_set(DATA_DIR, smoke=SMOKE)
config_path = CONFIG or ("paper" if device.type == "cuda" else "tiny")
committed = Path("results", "study.csv").resolve()  # beside this notebook, in a checkout
# without committed results (a wheel install, a copied notebook) the smoke study runs instead
run_it = STUDY or ("smoke" if SMOKE or not committed.is_file() else "")
plan = plan_study(config_path, size=run_it or None, data_root=data_root)
study_dir = Path(RUN_DIR) / "study" if RUN_DIR else \
    tutorial.run_dir("").parent / "study" / (plan.base.name + ("_smoke" if plan.smoke else ""))
# exercise 3's study: this one when it runs here (only the new arms train), else its own folder
exercise_dir = study_dir if run_it else study_dir.with_name(study_dir.name + "_exercise")
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
# normalised so that green keeps its value.
#
# **Your turn.** Write `camera_white(name, camera)`: the camera RGB of illuminant `name`'s white
# (`ILLUMINANTS[name].xy`), seen through `camera` (a 3×3 linear sRGB → camera RGB matrix) after
# `XYZ_TO_SRGB`, divided by its green value.

# %% tags=["solution"]
def camera_white(name, camera=AVERAGE_CAMERA):
    """The camera RGB (G = 1) of the white of illuminant ``name``."""
    # BEGIN SOLUTION
    x, y = ILLUMINANTS[name].xy
    xyz = np.array([x / y, 1.0, (1 - x - y) / y])
    rgb = camera @ XYZ_TO_SRGB @ xyz
    return rgb / rgb[1]
    # END SOLUTION


# %%
checks.check_camera_white(camera_white)

# %% [markdown]
# The gains of a tungsten bulb (CIE A) against daylight, by hand, then every illuminant's:

# %%
by_hand = camera_white("A") / camera_white(REFERENCE)
by_hand = by_hand / by_hand[1]
print("tungsten gains by hand (R, G, B):", np.round(by_hand, 3))
assert np.allclose(by_hand, cast_gains("A"))   # the package computes the same
for name, light in ILLUMINANTS.items():
    g = cast_gains(name)
    print(f"{name:4s} {light.kind:32s} {light.cct} K   gains R {g[0]:.2f}  B {g[2]:.2f}")

# %% [markdown]
# Now the set itself: the first test scenes, each under every illuminant of the study. The
# gains come from each pair's camera matrix in the set's manifest (for the default set one
# camera, the Canon EOS 550D, so every scene gets the same gains). Look at scene 0 as the
# camera records it, before any white balance:

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
# Note the last line. The default training set is one camera in **one** light (daylight of
# 6000 K, `data/README.md`), so only the D65 rendering — the raw as recorded — has a white
# balance the network has seen; the other daylights, fluorescent and tungsten lie **outside**
# what it was trained on. A learned ISP can only be as colour-constant as the light it has
# seen: the per-illuminant results below show where it holds and where it breaks. (To ask the
# question of networks that have seen many lights: `hdrisp data synth --sensor cameras --out
# ROOT`, then `hdrisp study --data ROOT`.)
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
#
# **Your turn.** Write `chroma_spread(means)` for an N×2 array of the renderings' mean (a*, b*).

# %% tags=["solution"]
def chroma_spread(means):
    """RMS distance of the rows of ``means`` (N × 2: mean a*, b*) from their centroid."""
    # BEGIN SOLUTION
    means = np.asarray(means, dtype=float)
    return float(np.sqrt(((means - means.mean(axis=0)) ** 2).sum(axis=1).mean()))
    # END SOLUTION


# %%
checks.check_chroma_spread(chroma_spread)

# %% [markdown]
# ## 4 · Run the study
#
# In smoke mode the study trains every arm for one step at levels 4 and 0 with two seeds: it
# runs every code path in about a minute, and its numbers mean nothing. `STUDY="tutorial"` runs
# the tutorial size (15 % of the `tiny` config's steps, 5 arms × 3 seeds, about 16 minutes
# on a 2-core CPU — too short for its networks to learn colour: `REPRODUCTION.md` says what it
# can show); otherwise this notebook reads the committed results of the last study,
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
# Take ΔE00 on the test split for the histogram-free arm and the reference, as seed × image
# arrays. The spread of the scores over *images* is large; the spread of the per-image
# *differences* is much smaller — that is what pairing buys.

# %%
rows = read_csv(per_image_path) if per_image_path.is_file() else []


def scores(method, metric="delta_e2000"):
    """seed × image array of ``method``'s scores on the test split."""
    by_seed = {}
    for r in rows:
        if r["method"] == method and r["set"] == "test":
            by_seed.setdefault(r["seed"], {})[r["index"]] = r[metric]
    return np.array([[v for _, v in sorted(by_seed[s].items())] for s in sorted(by_seed)])


if not rows:
    raise FileNotFoundError(f"no per-image scores at {per_image_path}: run the study "
                            "(STUDY='smoke' or 'tutorial')")
arm, ref = scores("hist_x0"), scores(REFERENCE_ARM)
diff = arm - ref
print(f"ΔE00 over images: sd {ref.std():.2f} (reference), {arm.std():.2f} (hist ×0)")
print(f"per-image differences: sd {diff.std():.3f}; per-seed mean differences: "
      f"{np.round(diff.mean(axis=1), 3)}")

# %% [markdown]
# How sure is the mean difference? Rerunning the study would draw other seeds *and* (on another
# test set) other images; the bootstrap imitates both by drawing, many times, S seeds out of the
# S with replacement and then N images out of the N, and taking the mean of the chosen cells.
# The middle 95 % of those means is the interval.
#
# **Your turn.** Write `bootstrap_interval(diffs, rng, n=2000)` for an S×N array (seeds ×
# images), with `rng` a `numpy.random.Generator`; return `(low, high)`.

# %% tags=["solution"]
def bootstrap_interval(diffs, rng, n=2000):
    """95 % interval of the mean of ``diffs`` (seeds × images): seeds, then images resampled."""
    # BEGIN SOLUTION
    s, m = diffs.shape
    means = [diffs[rng.integers(s, size=s)][:, rng.integers(m, size=m)].mean()
             for _ in range(n)]
    return tuple(np.quantile(means, [0.025, 0.975]))
    # END SOLUTION


# %%
checks.check_bootstrap_interval(bootstrap_interval)

# %%
low, high = bootstrap_interval(diff, np.random.default_rng(0))
row = next(r for r in results if r["kind"] == "paired" and r["method"] == "hist_x0"
           and r["set"] == "test" and r["metric"] == "delta_e2000")
print(f"mean paired difference by hand {diff.mean():+.4f} [{low:+.4f}, {high:+.4f}]; in the CSV "
      f"{row['diff']:+.4f} [{row['ci_low']:+.4f}, {row['ci_high']:+.4f}] → {row['verdict']}")
assert abs(diff.mean() - row["diff"]) < 1e-3 * max(1.0, abs(row["diff"]))

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
# `hdrisp study --config paper --data ROOT --device cuda` (REPRODUCTION.md).

# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer and a check after it. Exercise 3 trains: at the
# smoke size in smoke mode, else at the size of this notebook's study (the tutorial size: two
# new arms and the reference, 3 seeds each, about 15 minutes of CPU when the reference must be
# trained too).
#
# **1 · The kernel as a further arm.** Is it the histogram, or its inverse-quadratic kernel?
# Make an arm `rbf` (`hdrisp.study.design.Arm`) that trains the paper's schedule with the RBF
# kernel: `histogram={"kernel": "rbf"}`, everything else the reference's.
# *Hint: `Arm(name, label, question, histogram=...)`; the name must be new.*

# %% tags=["solution"]
# BEGIN SOLUTION
rbf = Arm("rbf", "RBF kernel", "does the kernel's shape matter?", histogram={"kernel": "rbf"})
# END SOLUTION

# %%
checks.check_further_arm(rbf, {"kernel": "rbf"})

# %% [markdown]
# **2 · σ as an arm.** The kernel's width σ = 0.02 decides how sharp the histogram is (notebook
# 02's explorer). Make an arm `wide` with σ = 0.1.
# *Hint: what do you expect of the gradient of a very sharp kernel, far from a bin centre?*

# %% tags=["solution"]
# BEGIN SOLUTION
wide = Arm("sigma_0.1", "σ = 0.1", "does a wider kernel help?", histogram={"sigma": 0.1})
# END SOLUTION

# %%
checks.check_further_arm(wide, {"sigma": 0.1})

# %% [markdown]
# **3 · Run them.** Run the study with both new arms into `exercise_dir` (the reference is added
# for you; when this notebook ran its study, that is its folder and only the new arms train) and
# keep its results in `extra`. Does either differ from the reference by more than the seed noise?
# *Hint: `plan_study(config_path, size=plan.size.name, arms=[...], data_root=data_root)`.*

# %% tags=["solution"]
# BEGIN SOLUTION
arms_now = [a.name for a in plan.arms] if run_it else []
extra = run_study(plan_study(config_path, size=plan.size.name, arms=[*arms_now, rbf, wide],
                             data_root=data_root), exercise_dir, device=str(device))
# END SOLUTION
display(Markdown(study_tables(extra.results, extra.meta)))

# %%
checks.check_arm_results(extra.results, ["rbf", "sigma_0.1"])

# %% [markdown]
# **4 · How many seeds?** The interval of hist ×0 − hist ×1 on ΔE00 (test split) in `results`
# came from a few seeds. If its width shrinks as one over the square root of the number of
# seeds, how wide would it be with 12? Put the number in `width_12`.
# *Hint: the width is `ci_high − ci_low` of that row; the CSV says how many seeds (`n_seeds`).*

# %% tags=["solution"]
# BEGIN SOLUTION
row = next(r for r in results if r["kind"] == "paired" and r["method"] == "hist_x0"
           and r["set"] == "test" and r["metric"] == "delta_e2000")
width_12 = (row["ci_high"] - row["ci_low"]) * np.sqrt(row["n_seeds"] / 12)
# END SOLUTION
print(f"about {width_12:.3g} wide with 12 seeds")

# %%
checks.check_seed_width(results, width_12, seeds=12)

# %% [markdown]
# **5 · At full scale.** With the paper's data and a GPU, run
# `hdrisp study --config paper --data ROOT --device cuda`, then
# `hdrisp study report runs/study/paper`. Which rows of `REPRODUCTION.md` change status, and
# which cannot change whatever you run? (No check: the answer is in the report.)
#
# **6 · Inside the training light.** For each illuminant of the cast set, what share of its
# renderings has an as-shot white balance inside the training set's range? Make a dict
# `inside` (illuminant → share between 0 and 1) from `cast.items`.
# *Hint: each item has `illuminant` and `wb_in_training_range`.*

# %% tags=["solution"]
# BEGIN SOLUTION
inside = {name: float(np.mean([i.wb_in_training_range for i in cast.items
                               if i.illuminant == name]))
          for name in cast.illuminants}
# END SOLUTION
print({name: f"{share:.0%}" for name, share in inside.items()})

# %%
checks.check_inside_range(cast, inside)

# %% [markdown]
# **7 · Grey-world is a constancy algorithm.** The `greyworld` baseline balances each image so
# that its mean is grey. Under which illuminant is it furthest from the target (`worst`, from the
# `cast:<illuminant>` rows of `results`)? Then explain, in the cell below, why its chroma spread
# is small but its ΔE00 to the target large, and why the `classical` baseline — told the light,
# each rendering's as-shot white balance — is not perfectly constant either.
# *Hint: clipping, quantisation, and what a grey-world assumption does to a red scene.*

# %% [markdown] tags=["solution"]
# A grey-world balance makes every rendering's mean grey, whatever the light, so the renderings'
# mean chroma hardly moves (small spread) — but a scene whose true mean is not grey (a red
# apple, a blue sky) is pulled to grey under *every* light, so it stays far from its target.
# The `classical` baseline knows the light, yet a re-lit raw has lost information: a gain above 1
# clips highlights that were fine, a gain below 1 throws away bits of the dark channel, and its
# auto exposure reads each rendering anew.

# %% tags=["solution"]
# BEGIN SOLUTION
per_light = {r["set"].split(":", 1)[1]: r["mean"] for r in results
             if r["kind"] == "summary" and r["method"] == "greyworld"
             and r["set"].startswith("cast:") and r["metric"] == "de_target"}
worst = max(per_light, key=per_light.get)
# END SOLUTION
print(f"grey-world is furthest from the target under {worst}")

# %%
checks.check_worst_illuminant(results, "greyworld", worst)
