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
# # 04 · Qualitative evaluation: looking at the results
#
# Numbers summarise; images convince. The paper judges its network mostly by eye and by
# no-reference quality metrics, against the camera's built-in processing and classical
# tone-mapping operators. In this notebook you will learn
#
# 1. how to **develop one raw every way** — the trained network at each of its levels, the
#    classical pipelines (a plain ISP, LibRaw, Reinhard, Drago, Mantiuk, exposure fusion) —
#    next to the ground truth;
# 2. to compare two of them with a **before/after slider**;
# 3. to inspect details with **linked zoomed crops** across every method;
# 4. to compare **colour distributions** with the RGB-uv histograms of notebook 02;
# 5. to read the **metric table** over the test split;
# 6. to draw the **paper-style comparison figure**.
#
# It evaluates the run that notebook 03 trained into `RUN_DIR`; without one, it first trains
# a tiny smoke run there (the pictures then show the plumbing, not a good model).

# %% tags=["parameters"]
import os

from hdrisp.tutorial import env_flag

SMOKE = env_flag("HDRISP_SMOKE")                   # fewer pairs and methods (CI)
DATA_DIR = os.environ.get("HDRISP_DATA_DIR", "")   # data folder; "" → hdrisp's default data/
RUN_DIR = os.environ.get("HDRISP_RUN_DIR", "")     # "" → runs/tutorial (runs/tutorial_smoke)
DEVICE = os.environ.get("HDRISP_DEVICE", "auto")   # unused for the CPU evaluation below

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from hdrisp import isp, tutorial
from hdrisp.data import PairedRawDataset
from hdrisp.evaluation import develop_methods, evaluate, load_model, markdown_table
from hdrisp.evaluation.compare import comparison_figure
from hdrisp.tutorial.widgets import (
    BeforeAfter,
    HistogramExplorer,
    LinkedZoom,
    PyramidViewer,
    plot_uv_histogram,
)

data_root = tutorial.synthetic_set(DATA_DIR, smoke=SMOKE)
run_dir = tutorial.run_dir(RUN_DIR, smoke=SMOKE)
level, weights = tutorial.ensure_run(run_dir, data_root, device=str(tutorial.pick_device(DEVICE)))
model = load_model("rawtonemap", level=level, weights=weights)
print(f"evaluating {weights} (level {level}) on {data_root}")

# %% [markdown]
# ## 1 · One raw, every method
#
# A test pair: the packed raw (the network's input) and its target. The classical baselines
# start from the same mosaic (unpacked again, `isp.from_packed`), so every method sees exactly
# the same data. The network's coarser levels come from one pass with `return_all=True`.

# %%
test_set = PairedRawDataset(data_root, "test", level=level)
packed, target = test_set[1]
baselines = ("classical", "reinhard", "mertens") if SMOKE else tuple(isp.BASELINES)
results = develop_methods(isp.from_packed(packed.numpy()), {"network": model},
                          baselines=baselines, packed=packed)
target_image = target.permute(1, 2, 0).numpy()
methods = {**results, "ground truth": target_image}
for name, image in methods.items():
    print(f"{name:14s} {image.shape[1]}×{image.shape[0]}")

# %%
levels = PyramidViewer(model, packed).outputs
pyramid = {f"network L{lvl}": image for lvl, image in levels.items() if lvl != level}

# %% [markdown]
# ## 2 · Before and after
#
# Drag the split: the plain classical ISP on the left, the network on the right.

# %%
split = BeforeAfter(methods["classical"], methods["network"], position=0.5,
                    labels=("classical ISP", "network"))
split.widget()

# %%
split.figure(width=5)

# %% [markdown]
# ## 3 · Linked zoom
#
# One box, every method: move it with the sliders and compare the same detail everywhere.
# The coarser network levels are included — the box is scaled to their resolution.

# %%
zoom_images = {**methods, **pyramid}
side = target_image.shape[0]
zoom = LinkedZoom(zoom_images, x=side // 4, y=side // 4, size=side // 4)
zoom.widget()

# %%
zoom.figure()

# %% [markdown]
# ## 4 · Colour distributions
#
# The RGB-uv histogram of each method against the ground truth's, and their distances. A
# method can score a good PSNR and still have the wrong colour distribution, and the reverse.

# %%
rows = {}
for name, image in methods.items():
    if name != "ground truth":
        rows[name] = HistogramExplorer(image, reference=target_image).losses()
names = list(next(iter(rows.values())))
table = ["| method | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
table += [f"| {m} | " + " | ".join(f"{v:.4f}" for v in r.values()) + " |" for m, r in rows.items()]
display(Markdown("\n".join(table)))

# %%
fig, axes = plt.subplots(1, len(methods), figsize=(2.2 * len(methods), 2.6))
for ax, (name, image) in zip(axes, methods.items(), strict=True):
    plot_uv_histogram(ax, HistogramExplorer(image).histogram()[0], name, labels=False)
fig.suptitle("R projection of each method's RGB-uv histogram (u →, v ↑, h^¼)", fontsize=9)
plt.show()

# %% [markdown]
# And interactively: the network's output against the ground truth, with a colour shift you
# can apply to see how far off the network's white balance is.

# %%
HistogramExplorer(methods["network"], reference=target_image).widget()

# %% [markdown]
# ## 5 · The metric table
#
# `hdrisp.evaluation.evaluate` runs every method on the test split and scores it with every
# full-reference metric (PSNR, SSIM, MS-SSIM where the images are large enough, CIEDE2000, the
# histogram distance). The same table is what `hdrisp evaluate` writes.

# %%
report = evaluate(data_root, weights, level=level, out_dir=run_dir / "evaluation",
                  limit=3 if SMOKE else None, baselines=baselines)
display(Markdown(markdown_table(report, title=f"{report.n_images} test pairs, level {level}")))
print("tables written:", *report.paths.values(), sep="\n  ")

# %% [markdown]
# ## 6 · The paper-style figure
#
# Methods side by side, each with the same enlarged crop marked by a red box — two test scenes.

# %%
scenes = [methods]
other_raw, other_target = test_set[2]
other = develop_methods(isp.from_packed(other_raw.numpy()), {"network": model},
                        baselines=baselines, packed=other_raw)
scenes.append({**other, "ground truth": other_target.permute(1, 2, 0).numpy()})
comparison_figure(scenes, scene_titles=["test pair 1", "test pair 2"])

# %% [markdown]
# ## Exercises
#
# 1. **Which baseline is closest?** In the metric table, which classical method is nearest to
#    the targets, and is it the one that *looks* nearest in the linked zoom? Why might they
#    differ?
#    *Hint: the synthetic targets were made with an exposure-fusion style operator.*
# 2. **Level by level.** Evaluate the checkpoints of levels 2 and 1 of the run as well
#    (`tutorial.level_checkpoints(run_dir)`, and `level=` in `evaluate`). How does PSNR change
#    from level to level?
#    *Hint: the targets are resized to each level's size, so the task gets harder.*
# 3. **Colour or structure?** Find a test pair where the network has the better histogram
#    distance but the worse PSNR than a baseline (`report.per_image`). Look at both in the
#    before/after slider.
# 4. **A real raw.** Develop the full-resolution DNG of the synthetic set
#    (`test/full_resolution/0.dng`) with `hdrisp develop ... --weights` and with the baselines
#    (`hdrisp compare`). What changes on a frame much larger than the training patches?
#    *Hint: the network has global operators (instance norm, attention pooling): tiles matter.*
# 5. **No reference.** The paper scores with NIMA, MUSIQ and LIQE; offline, hdrisp offers
#    PIQE (`hdrisp.evaluation.metrics.piqe`). Rank the methods of section 1 with it. Does
#    it agree with your eye?
