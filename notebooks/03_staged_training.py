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
# The network of this course is that of the paper *RAW to Tone-mapped HDR Camera ISP* (code:
# <https://github.com/korayerbas/raw_to_tonemappedHDR>; the reference is in
# `notebooks/INSTRUCTORS.md`): a **five-level pyramid** derived from PyNET
# (Ignatov et al., 2020, arXiv:2002.05509) that turns a packed 4-channel raw into an RGB image.
# Level 4 works at 1/8 of the packed input's side, level 0 at twice it (the full raw
# resolution). It is trained in **stages, coarse to fine**: the stage of level L trains the
# network end to end from the raw input to level L's image — every layer on that path learns,
# the coarser levels' included — starting from the weights the previous stage left. In this
# lesson you will learn
#
# 1. what each **level** computes, how big it is and what it outputs — drawn from the model;
# 2. to **build one attention block** (SimAM) and check it against `hdrisp.models`;
# 3. the **staged schedule**: which loss each level is trained with, and where the paper's
#    table and the authors' code disagree;
# 4. to **write one level's training loop** yourself — model, loss, optimiser, steps — and
#    check that its first step is exactly the package's;
# 5. what `train_schedule` adds to that loop, and to **train** the whole pyramid with it — the
#    `tiny` config on a laptop CPU, or the paper's schedule with `DEVICE=cuda`;
# 6. how to **look inside** the trained pyramid, level by level.
#
# The run is written to `RUN_DIR`; lesson 04 evaluates it.

# %% tags=["parameters"]
# Running on Colab, Binder or a lab image without hdrisp? Uncomment the next line, run it once
# and restart the kernel (URL: the repository your course installs from; INSTRUCTORS.md):
# # %pip install "hdrisp @ git+https://github.com/<owner>/hdrisp" ipywidgets
import os

from hdrisp.tutorial import env_flag

SMOKE = env_flag("HDRISP_SMOKE")                   # a few steps per level (CI, a quick look)
DATA_DIR = os.environ.get("HDRISP_DATA_DIR", "")   # data folder; "" → hdrisp's default data/
RUN_DIR = os.environ.get("HDRISP_RUN_DIR", "")     # "" → runs/tutorial (runs/tutorial_smoke)
DEVICE = os.environ.get("HDRISP_DEVICE", "auto")   # "auto", "cpu" or "cuda"
CONFIG = os.environ.get("HDRISP_CONFIG", "")       # "" → tiny on CPU, paper on CUDA

# %%
# %matplotlib inline
import shutil
from dataclasses import asdict

import numpy as np
import torch
from IPython.display import display
from torch.utils.data import DataLoader

from hdrisp import tutorial
from hdrisp.data import PairedRawDataset
from hdrisp.evaluation import load_model
from hdrisp.losses import LevelLoss, level_weights
from hdrisp.models import build, format_summary, model_blocks, model_summary
from hdrisp.models.blocks import SimAM
from hdrisp.training import load_config, replace, train_level, train_schedule
from hdrisp.training.logs import read_csv
from hdrisp.tutorial import checks, figures
from hdrisp.tutorial.widgets import PyramidViewer, TrainingMonitor

device = tutorial.pick_device(DEVICE)
data_root = tutorial.synthetic_set(DATA_DIR, smoke=SMOKE)
run_dir = tutorial.run_dir(RUN_DIR, smoke=SMOKE)
config = load_config(CONFIG or ("paper" if device.type == "cuda" else "tiny"))
print(f"device {device}, data {data_root}, run {run_dir}, config {config.name}")

# %% [markdown]
# ## 1 · The pyramid
#
# The figure is drawn from the model itself (`hdrisp.models.model_blocks` runs it once and
# records every block's level, resolution and parameters): a shared encoder brings the packed
# input (side H) down to H/4; level 4 works at H/8 and is where most parameters live; each
# finer level upsamples the previous level's features (Up), joins the encoder's features of
# the same size (dashed), refines them and outputs its own image.

# %%
figures.architecture_figure()

# %% [markdown]
# Level L outputs an image of 2^(1−L) times the packed input's side: for a 224×224 packed
# input (a 448×448 raw), level 4 gives 28×28, level 1 gives 224×224 — the packed resolution,
# where the last attention blocks (IEM, SimAM) and the skip from the first encoder block
# recover the fine detail — and level 0 gives 448×448. **Level 0 is a small head**: one
# upsampling convolution of level 1's features and one 3×3 convolution to RGB, about 5,000
# parameters; it maps the detail level 1 computed onto the full raw grid. The parameter count
# of each level's forward pass:

# %%
print(format_summary(model_summary("rawtonemap", size=224),
                     title="RawTonemapNet, 224×224 packed input"))
head = [r for r in model_blocks("rawtonemap", size=224) if r.level == 0]
print("level 0's own blocks:", ", ".join(f"{r.name} ({r.kind}, {r.parameters:,} parameters)"
                                        for r in head))

# %% [markdown]
# **The tutorial network drops the instance norms.** The paper's convolution blocks normalise
# each feature over the image (instance normalisation). That removes the feature's mean, which
# in the first layers is the image's colour balance, so the network must infer colour from
# content; from seven training scenes it learns their colours rather than the camera's. On the
# held-out scenes the tutorial schedule scores about 5 dB worse with the norms than without.
# `tiny` therefore sets `model.instance_norm: false`, with the gradient norm clipped because
# the unnormalised network trains less stably; `paper` keeps the paper's blocks, and
# `tiny_instance_norm` is the tutorial schedule with them, for comparing.

# %%
print(f"{config.name}: instance norms {'on' if config.model.instance_norm else 'off'}, "
      f"gradient clipping {config.optimizer.grad_clip}")

# %% [markdown]
# ## 2 · One attention block, written by you: SimAM
#
# Levels 2 and 1 end their IEM branches with **SimAM** (Yang et al., 2021), an attention
# without parameters. For each image and channel, with n = H·W − 1 and λ = 10⁻⁴:
#
# $$d = (x - \mu)^2,\qquad e = \frac{d}{4\,\big(\sum_{HW} d / n + \lambda\big)} + \tfrac12,
#   \qquad \text{out} = x \cdot \sigma(e),$$
#
# where μ is the mean over H and W. A value far from its channel's mean has a high "energy"
# e and is kept; values near the mean are damped. Write it for a B×C×H×W tensor:

# %% tags=["solution"]
def simam(x, e_lambda=1e-4):
    """SimAM of a B×C×H×W tensor."""
    # BEGIN SOLUTION
    n = x.shape[2] * x.shape[3] - 1
    d = (x - x.mean(dim=(2, 3), keepdim=True)) ** 2
    energy = d / (4 * (d.sum(dim=(2, 3), keepdim=True) / n + e_lambda)) + 0.5
    return x * torch.sigmoid(energy)
    # END SOLUTION


# %%
checks.check_simam(simam)
x = torch.randn(2, 8, 16, 16)
assert torch.allclose(simam(x), SimAM()(x), atol=1e-6)
print(build("rawtonemap").simam_l2)   # the package's, used by levels 2 and 1

# %% [markdown]
# ## 3 · The staged schedule and its losses
#
# Each stage starts from the previous stage's final weights (the whole state dict) and trains
# everything on the path to its level's image, so the coarser levels keep learning too. The
# loss changes with the level: colour and tone first (MSE + the RGB-uv histogram term of
# lesson 02), then texture (a VGG-19 perceptual term), then structure (SSIM) at the two
# finest levels.
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
# The tutorial schedule (the `tiny` config, shipped with the package) trains each level
# briefly on small random patches of the synthetic set. The paper's (`paper`) runs 15 to
# 60 epochs per level with batches of 50 down to 10 — a GPU job.

# %%
for row in config.levels:
    length = f"{row.steps} steps" if row.steps else f"{row.epochs} epochs"
    print(f"level {row.level}: batch {row.batch}, {length}, patch {row.patch or 'whole'}")

# %% [markdown]
# ## 4 · One level's training loop, written by you
#
# A training step is five lines: predict, compute every loss term, clear the old gradients,
# back-propagate the total, update. Write it for level 4 (the cheapest: its image is 1/8 of
# the packed input); the loop below runs it on a few batches and prints each loss term.

# %%
SEED, STEPS, LEVEL = 0, 3 if SMOKE else 20, 4
LR = config.lr(LEVEL)
train_pairs = PairedRawDataset(data_root, "train", level=LEVEL, patch=128, augment=False)
loader = DataLoader(train_pairs, batch_size=4, shuffle=True,
                    generator=torch.Generator().manual_seed(SEED))
torch.manual_seed(SEED)
model = build("rawtonemap", level=LEVEL)              # random weights, drawn from SEED
loss_fn = LevelLoss(LEVEL, perceptual="off")           # level 4: MSE + 0.25·Hist
optimiser = torch.optim.Adam(model.parameters(), lr=LR)


# %% tags=["solution"]
def training_step(model, loss_fn, optimiser, raw, target):
    """One step on one batch; returns every loss term as a float."""
    # BEGIN SOLUTION
    prediction = model(raw)
    terms = loss_fn(prediction, target)       # {"loss": total with its graph, "mse": …, …}
    optimiser.zero_grad()
    terms["loss"].backward()
    optimiser.step()
    return {name: float(value.detach()) for name, value in terms.items()}
    # END SOLUTION


# %%
history, first_batch = [], None
for step, (raw, target) in zip(range(1, STEPS + 1), loader, strict=False):
    first_batch = first_batch or (raw, target)
    terms = training_step(model, loss_fn, optimiser, raw, target)
    history.append(terms)
    print(f"step {step:2d}: " + ", ".join(f"{name} {value:.4f}" for name, value in terms.items()))

# %% [markdown]
# (The loss jumps from batch to batch: a trend needs hundreds of steps, which section 5 runs.)
# Is it *the* training step? The check builds two models from the same seed, runs your step on
# one and `hdrisp.training.batch.train_step` — what `train_schedule` calls — on the other,
# twice, on your first batch, and compares every loss term and every weight; it also compares
# what your loop printed first.

# %%
checks.check_training_step(training_step, LEVEL, *first_batch, lr=LR, seed=SEED,
                           first_terms=history[0])

# %% [markdown]
# ## 5 · Hand over to `train_schedule`
#
# The package's loop is your loop plus what a real run needs: it trains **each level in turn**,
# starting from the previous level's checkpoint; it builds the data with reproducible
# **augmentation** and per-epoch sample order; it writes **atomic checkpoints**
# (`last.pt`, `best.pt`) and **resumes** a run exactly where it stopped (model, optimiser,
# random generators, position in the epoch); it runs in **mixed precision** (bf16/fp16 with
# autocast and a gradient scaler) and on **several GPUs** (DistributedDataParallel under
# `torchrun`); it **validates** every epoch (PSNR, MS-SSIM, histogram distance), **logs** CSV
# and TensorBoard, draws loss curves and validation images, stops on a non-finite loss with
# the last good checkpoint named, and reports running out of memory with a smaller batch to
# try.
#
# In smoke mode each level takes two steps, just to run the whole pipeline. The monitor below
# (`hdrisp.tutorial.widgets.TrainingMonitor`) receives the training events: loss curves
# update live, and when a level finishes its checkpoint is run on a fixed test patch.
# Re-running this cell continues an interrupted run and skips finished levels (delete
# `RUN_DIR` to start afresh).

# %%
if SMOKE:
    config = tutorial.smoke_config(config)  # 2 steps per level, 64×64 patches

preview_raw, preview_target = PairedRawDataset(data_root, "test", level=0)[0]
monitor = TrainingMonitor(preview=preview_raw)
display(monitor.widget())
results = train_schedule(config, out=run_dir, data_root=data_root, device=str(device),
                         resume=True, callbacks=[monitor])
tutorial.show_run_banner(run_dir)  # a smoke run (untrained network) says so

# %% [markdown]
# The same curves as a static figure (the live widget does not survive in an exported copy),
# with each level's preview below. After a full run the previews sharpen as the levels get
# finer; after a smoke run (two steps a level) they stay close to the untrained network's
# flat grey — the plumbing ran, nothing was learned.

# %%
monitor.figure(smooth=1 if SMOKE else 10)

# %%
for level, result in results.items():
    print(f"level {level}: {result.steps} steps, checkpoint {result.last}")
    if result.validation:
        print("   validation:", {k: round(v, 4) for k, v in result.validation.items()})

# %% [markdown]
# What a full run of this config gives on scenes it never saw, read from the results `make demo`
# committed beside this notebook (`results/tutorial.json`); lesson 04 shows the whole table:

# %%
print(tutorial.expected_numbers(os.path.join("results", "tutorial.json")))

# %% [markdown]
# ## 6 · Inside the trained pyramid
#
# With the final (level 0) weights, the network returns *every* level's output at once
# (`model(x, return_all=True)`); here each is drawn at its true size. What a finer level builds
# on are the coarser level's *features* (through `Up`), not its image. Compare with the previews
# above, each taken at the end of its own stage: after a full run the coarser images made with
# the final weights have drifted, because a level's output head (`conv_l4_out`, …) learns only
# in its own stage while the later stages keep changing the layers beneath it.

# %%
final = results[min(results)].last
trained = load_model("rawtonemap", level=min(results), weights=final)
figures.pyramid_figure(trained, preview_raw, preview_target)

# %%
PyramidViewer(trained, preview_raw, target=preview_target).widget()

# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer and a check after it. They train small runs of their
# own under `RUN_DIR`; in smoke mode every run is a few steps.
#
# **1 · Skip the stages.** Train level 0 directly from random weights (`train_level(...,
# init=None)`) with the same level-0 row as the staged run, into `run_dir / "from_scratch"`.
# Compare its validation PSNR with the staged level 0's.
# *Hint: the coarse levels learn colour and tone cheaply, at 1/256 of the pixels.*

# %% tags=["solution"]
# BEGIN SOLUTION
level0_row = {k: v for k, v in asdict(config.schedule(0)).items() if v is not None}
scratch_config = replace(config, levels=[level0_row])
scratch = train_level(scratch_config, 0, out=run_dir / "from_scratch", data_root=data_root,
                      device=str(device), resume=True)
scratch_psnr = float(read_csv(scratch.folder / "val_log.csv")[-1]["psnr"])
staged_psnr = float(read_csv(run_dir / "level0" / "val_log.csv")[-1]["psnr"])
# END SOLUTION
print(f"level 0 from scratch: {scratch_psnr:.2f} dB; staged: {staged_psnr:.2f} dB")

# %%
checks.check_from_scratch_run(run_dir / "from_scratch", run_dir)

# %% [markdown]
# **2 · Paper or code?** Train level 1 again from the staged level 2's checkpoint with the
# authors' code schedule (`replace(config, loss={"schedule": "code"})`), into
# `run_dir / "code_schedule"`. How do its loss terms and validation PSNR compare with the staged
# level 1, and why might the 10× MSE weight of the paper's table matter?
# *Hint: compare the size of each term in `train_log.csv`.*

# %% tags=["solution"]
# BEGIN SOLUTION
code_config = replace(config, loss={"schedule": "code"})
code_run = train_schedule(code_config, out=run_dir / "code_schedule", levels="1",
                          init=run_dir / "level2" / "last.pt", data_root=data_root,
                          device=str(device), resume=True)
code_psnr = float(read_csv(code_run[1].folder / "val_log.csv")[-1]["psnr"])
paper_psnr = float(read_csv(run_dir / "level1" / "val_log.csv")[-1]["psnr"])
# END SOLUTION
print(f"level 1, code schedule: {code_psnr:.2f} dB; paper schedule: {paper_psnr:.2f} dB")

# %%
checks.check_code_schedule(code_config)

# %% [markdown]
# **3 · The histogram weight.** Train level 4 twice more, with the histogram term's weight set
# to 0 and to 1 (`weights: {hist: ...}` in the level's row), into `run_dir / "hist0"` and
# `run_dir / "hist1"`. Look at the colours of the two level-4 images of the preview patch.
# *Hint: MSE alone is happy with a greyish average colour.*

# %% tags=["solution"]
# BEGIN SOLUTION
level4_row = {k: v for k, v in asdict(config.schedule(4)).items() if v is not None}
hist_configs, hist_images = {}, {}
for weight in (0.0, 1.0):
    hist_configs[weight] = replace(config, levels=[{**level4_row, "weights": {"hist": weight}}])
    result = train_level(hist_configs[weight], 4, out=run_dir / f"hist{weight:g}",
                         data_root=data_root, device=str(device), resume=True)
    net = load_model("rawtonemap", level=4, weights=result.last)
    with torch.no_grad():
        hist_images[weight] = net(preview_raw[None])[0].permute(1, 2, 0).numpy()
# END SOLUTION
for weight, image in hist_images.items():
    print(f"hist weight {weight:g}: mean colour {np.round(image.reshape(-1, 3).mean(0), 3)}, "
          f"colour spread {image.reshape(-1, 3).std(0).mean():.3f}")

# %%
checks.check_hist_weight(hist_configs[0.0], 4, 0.0)
checks.check_hist_weight(hist_configs[1.0], 4, 1.0)

# %% [markdown]
# **4 · Resume.** Interrupt a level-4 run in the middle and continue it: train 20 steps with a
# checkpoint every 5 into `run_dir / "resume"`, raising `KeyboardInterrupt` from a callback at
# step 12 (what the ■ button does), then run it again with `resume=True`. Its `train_log.csv`
# must count 1, 2, … 20 without gaps or repeats.
# *Hint: a callback is `callback(event, info)`; `info["step"]` on `"step"` events.*

# %% tags=["solution"]
# BEGIN SOLUTION
shutil.rmtree(run_dir / "resume", ignore_errors=True)       # start afresh on a re-run
resume_config = replace(config, levels=[{"level": 4, "batch": 4, "steps": 20, "patch": 64}],
                        checkpoint={"every_steps": 5})


def interrupt_at_step_12(event, info):
    if event == "step" and info["step"] == 12:
        raise KeyboardInterrupt


try:
    train_level(resume_config, 4, out=run_dir / "resume", data_root=data_root,
                device=str(device), callbacks=[interrupt_at_step_12])
except KeyboardInterrupt:
    print("interrupted at step 12")
train_level(resume_config, 4, out=run_dir / "resume", data_root=data_root, device=str(device),
            resume=True)
# END SOLUTION

# %%
checks.check_resumed_log(run_dir / "resume" / "level4" / "train_log.csv")

# %% [markdown]
# **5 · How long would the paper's level 0 take here?** From the level-0 `train_log.csv` of your
# staged run, take the median `images_per_s`. The paper trains level 0 for 60 epochs over
# 12,600 pairs of 448×448 raw pixels; your speed was measured on the level's patches. Assuming
# the cost grows with the pixels, how many hours would it take on this machine?
# *Hint: `config.schedule(0).patch`; an image of 448² costs (448/patch)² patches.*

# %% tags=["solution"]
speed = float(np.median([float(r["images_per_s"])
                         for r in read_csv(run_dir / "level0" / "train_log.csv")]))
patch = config.schedule(0).patch or 448
# BEGIN SOLUTION
hours = 60 * 12_600 * (448 / patch) ** 2 / speed / 3600
# END SOLUTION
print(f"{speed:.1f} images/s on {patch}×{patch} patches → {hours:,.0f} h")

# %%
checks.check_training_hours(speed, patch, hours)
