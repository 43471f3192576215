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
# # 03 · Staged training: the pyramid, level by level
#
# The network turns a packed 4-channel raw into an RGB image through a **five-level pyramid**
# (derived from PyNET): level 4 works at 1/16 of the output's size, level 0 at full size.
# It is not trained end to end but **level by level**, coarse to fine. In this notebook you
# will learn
#
# 1. what each **level** computes, how big it is and what it outputs;
# 2. the **staged schedule**: which loss each level is trained with, and where the paper's
#    table and the authors' code disagree;
# 3. how to **train** it — `configs/tiny.yaml` on a laptop CPU (minutes; a few steps in smoke
#    mode), or the paper's schedule with `DEVICE=cuda` — with progress bars, live loss
#    curves and a preview of every level as it finishes;
# 4. how to **look inside** the trained pyramid, level by level.
#
# The run is written to `RUN_DIR`; notebook 04 evaluates it.

# %% tags=["parameters"]
import os

from hdrisp.tutorial import env_flag

SMOKE = env_flag("HDRISP_SMOKE")                   # a few steps per level (CI, a quick look)
DATA_DIR = os.environ.get("HDRISP_DATA_DIR", "")   # data folder; "" → hdrisp's default data/
RUN_DIR = os.environ.get("HDRISP_RUN_DIR", "")     # "" → runs/tutorial (runs/tutorial_smoke)
DEVICE = os.environ.get("HDRISP_DEVICE", "auto")   # "auto", "cpu" or "cuda"
CONFIG = os.environ.get("HDRISP_CONFIG", "")       # "" → tiny.yaml on CPU, paper.yaml on CUDA

# %%
# %matplotlib inline
from IPython.display import display

from hdrisp import tutorial
from hdrisp.data import PairedRawDataset
from hdrisp.evaluation import load_model
from hdrisp.losses import level_weights
from hdrisp.models import format_summary, model_summary
from hdrisp.training import load_config, train_schedule
from hdrisp.tutorial.widgets import PyramidViewer, TrainingMonitor

device = tutorial.pick_device(DEVICE)
data_root = tutorial.synthetic_set(DATA_DIR, smoke=SMOKE)
run_dir = tutorial.run_dir(RUN_DIR, smoke=SMOKE)
config_path = CONFIG or tutorial.config_file("paper" if device.type == "cuda" else "tiny")
config = load_config(config_path)
print(f"device {device}, data {data_root}, run {run_dir}, config {config_path}")

# %% [markdown]
# ## 1 · The pyramid
#
# Level L outputs an image of 2^(1−L) times the packed input's size: for a 224×224 packed
# input (a 448×448 raw), level 4 gives 28×28, level 0 gives 448×448. Each level reuses the
# features of the level above it; only level 0 upsamples to the full raw resolution — it is
# where demosaicing detail appears. The parameter count grows as the levels are added:

# %%
print(format_summary(model_summary("rawtonemap", size=224),
                     title="RawTonemapNet, 224×224 packed input"))

# %% [markdown]
# ## 2 · The staged schedule and its losses
#
# Each level is trained alone, starting from the previous level's final weights (the whole
# state dict, so the coarser levels keep learning too). The loss changes with the level:
# colour and tone first (MSE + the RGB-uv histogram term of notebook 02), then texture (a
# VGG-19 perceptual term), then structure (SSIM) at the two finest levels.
#
# **Where the paper and the code differ.** At levels 1 and 0 the paper's table says
# 10·MSE + 0.4·(1 − SSIM) + 0.25·Hist + VGG; the authors' code uses 1·MSE and MS-SSIM instead.
# hdrisp offers both: `loss.schedule: paper` (the default) or `code`. The weights of each:

# %%
for schedule in ("paper", "code"):
    print(f"schedule {schedule!r}:")
    for level in (4, 3, 2, 1, 0):
        weights = level_weights(level, schedule)
        terms = " + ".join(f"{w:g}·{name}" for name, w in weights.items() if w)
        print(f"  level {level}: {terms}")

# %% [markdown]
# The VGG-19 term needs ImageNet weights, which a machine without network does not have;
# the tiny config sets `perceptual: auto` — used when torchvision has the weights cached,
# else switched off, and the run records which (`run_info.yaml`).
#
# The tutorial schedule (`configs/tiny.yaml`) trains each level for a few hundred steps on
# small random patches of the synthetic set. The paper's (`configs/paper.yaml`) runs 15 to
# 60 epochs per level with batches of 50 down to 10 — a GPU job.

# %%
for row in config.levels:
    length = f"{row.steps} steps" if row.steps else f"{row.epochs} epochs"
    print(f"level {row.level}: batch {row.batch}, {length}, patch {row.patch or 'whole'}")

# %% [markdown]
# ## 3 · Train
#
# In smoke mode each level takes two steps, just to run the whole pipeline. The monitor below
# (`hdrisp.tutorial.widgets.TrainingMonitor`) receives the training events: loss curves update live,
# and when a level finishes its checkpoint is run on a fixed test patch. Re-running this cell
# continues an interrupted run and skips finished levels (delete `RUN_DIR` to start afresh).

# %%
if SMOKE:
    config = tutorial.smoke_config(config)  # 2 steps per level, 64×64 patches

preview_raw, preview_target = PairedRawDataset(data_root, "test", level=0)[0]
monitor = TrainingMonitor(preview=preview_raw)
display(monitor.widget())
results = train_schedule(config, out=run_dir, data_root=data_root, device=str(device),
                         resume=True, callbacks=[monitor])

# %% [markdown]
# The same curves as a static figure (the live widget does not survive in an exported copy),
# with each level's preview below — watch the image sharpen as the levels get finer:

# %%
monitor.figure(smooth=1 if SMOKE else 10)

# %%
for level, result in results.items():
    print(f"level {level}: {result.steps} steps, checkpoint {result.last}")
    if result.validation:
        print("   validation:", {k: round(v, 4) for k, v in result.validation.items()})

# %% [markdown]
# ## 4 · Inside the trained pyramid
#
# With the final (level 0) weights, the network can return *every* level's output at once
# (`model(x, return_all=True)`). Each level's image is what the level below it builds on.

# %%
final = results[min(results)].last
model = load_model("rawtonemap", level=min(results), weights=final)
viewer = PyramidViewer(model, preview_raw, target=preview_target)
viewer.figure()

# %%
viewer.widget()

# %% [markdown]
# ## Exercises
#
# 1. **Skip the stages.** Train level 0 directly from random weights for the same number of
#    steps as the whole tiny schedule (`train_schedule(config, levels="0", ...)` into another
#    `out`). Compare its validation PSNR with the staged run's.
#    *Hint: the coarse levels learn colour and tone cheaply, at 1/256 of the pixels.*
# 2. **Paper or code?** Train levels 1 and 0 with `loss.schedule: code`
#    (`hdrisp.training.replace(config, loss={"schedule": "code"})`). Which converges faster,
#    and why might the 10× MSE weight matter?
#    *Hint: compare the size of each term in the progress bar.*
# 3. **The histogram weight.** Set the level-4 weight of the histogram term to 0
#    (`weights: {hist: 0}` in the level's row) and to 1. Look at the colours of the level-4
#    preview.
#    *Hint: MSE alone is happy with a greyish average colour.*
# 4. **Resume.** Interrupt the training cell (■) in the middle of a level and run it again.
#    Check in `train_log.csv` that the steps continue where they stopped.
#    *Hint: `hdrisp.training.logs.read_csv(run_dir / "level2" / "train_log.csv")`.*
# 5. **On a GPU.** With `DEVICE=cuda` this notebook trains `configs/paper.yaml`. Estimate
#    from the images/s in the progress bar how long each level takes.
