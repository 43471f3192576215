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
# # 04 · Evaluation: measuring and looking at the results
#
# Numbers summarise; images convince. The paper reproduced in this course, *RAW to Tone-mapped
# HDR Camera ISP* (code: <https://github.com/korayerbas/raw_to_tonemappedHDR>), judges its
# network mostly by eye and by no-reference quality metrics, against the camera's built-in
# processing and classical tone-mapping operators. In this lesson you will learn
#
# 1. to define **PSNR, SSIM and ΔE2000** and compute each by hand — checked against
#    `hdrisp.evaluation.metrics`;
# 2. how to **develop one raw every way** — the trained network at each of its levels, the
#    classical pipelines (a plain ISP, LibRaw, Reinhard, Drago, Mantiuk, exposure fusion) —
#    next to the ground truth;
# 3. to compare two of them with a **before/after slider**, and details with **linked zoomed
#    crops** across every method;
# 4. to compare **colour distributions** with the RGB-uv histograms of lesson 02;
# 5. to read the **metric table** over the test split;
# 6. to draw the **paper-style comparison figure**.
#
# It evaluates the run that lesson 03 trained into `RUN_DIR`; without one, it first trains a
# tiny smoke run there (the pictures then show the plumbing, not a good model).

# %% tags=["parameters"]
# Running on Colab, Binder or a lab image without hdrisp? Uncomment the next line, run it once
# and restart the kernel (URL: the repository your course installs from; INSTRUCTORS.md):
# # %pip install "hdrisp @ git+https://github.com/<owner>/hdrisp" ipywidgets
import os

from hdrisp.tutorial import env_flag

SMOKE = env_flag("HDRISP_SMOKE")                   # fewer pairs and methods (CI)
DATA_DIR = os.environ.get("HDRISP_DATA_DIR", "")   # data folder; "" → hdrisp's default data/
RUN_DIR = os.environ.get("HDRISP_RUN_DIR", "")     # "" → runs/tutorial (runs/tutorial_smoke)
DEVICE = os.environ.get("HDRISP_DEVICE", "auto")   # unused for the CPU evaluation below

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from IPython.display import Markdown, display

from hdrisp import isp, losses, tutorial
from hdrisp.data import PairedRawDataset
from hdrisp.evaluation import develop_methods, evaluate, load_model, markdown_table, metrics
from hdrisp.evaluation.compare import comparison_figure
from hdrisp.inference import Developer
from hdrisp.raw import bayer, read_raw
from hdrisp.tutorial import checks
from hdrisp.tutorial.widgets import BeforeAfter, HistogramExplorer, LinkedZoom, plot_uv_histogram

data_root = tutorial.synthetic_set(DATA_DIR, smoke=SMOKE)
run_dir = tutorial.run_dir(RUN_DIR, smoke=SMOKE)
level, weights = tutorial.ensure_run(run_dir, data_root, device=str(tutorial.pick_device(DEVICE)))
model = load_model("rawtonemap", level=level, weights=weights)
print(f"evaluating {weights} (level {level}) on {data_root}")
tutorial.show_run_banner(run_dir)  # a smoke run (untrained network) says so

# %% [markdown]
# ## 1 · Three metrics, by hand
#
# One test pair: the packed raw (the network's input) and its target. The network's image is a
# plain call, `model(x)`, with x a batch of one:

# %%
test_set = PairedRawDataset(data_root, "test", level=level)
packed, target = test_set[1]
with torch.no_grad():
    prediction = model(packed[None]).clamp(0, 1)        # 1×3×H×W in [0, 1]
target_batch = target[None]
print("prediction", tuple(prediction.shape), " target", tuple(target_batch.shape))

# %% [markdown]
# ### PSNR
#
# The peak signal-to-noise ratio compares the mean squared error with the largest possible
# value (the *peak*, 1 for images in [0, 1]), in decibels:
# $\mathrm{PSNR} = 10\log_{10}(\text{peak}^2/\mathrm{MSE})$. +6 dB halves the RMS error. Over a
# batch, hdrisp (like most papers) averages the PSNR *of each image*.

# %% tags=["solution"]
def psnr(pred, target):
    """Mean over the batch of each image's PSNR (peak 1), B×3×H×W tensors."""
    # BEGIN SOLUTION
    mse = ((pred - target) ** 2).mean(dim=(1, 2, 3))
    return float((10 * torch.log10(1.0 / mse)).mean())
    # END SOLUTION


# %%
checks.check_psnr(psnr)
print(f"this pair: {psnr(prediction, target_batch):.3f} dB by hand, "
      f"{metrics.psnr(prediction, target_batch):.3f} dB from hdrisp.evaluation.metrics")

# %% [markdown]
# ### SSIM
#
# The structural similarity compares local means μ, variances σ² and the covariance σ_xy of the
# two images in a Gaussian window (11×11, σ = 1.5), per channel:
#
# $$\mathrm{SSIM} = \frac{(2\mu_x\mu_y + C_1)(2\sigma_{xy} + C_2)}
#                        {(\mu_x^2 + \mu_y^2 + C_1)(\sigma_x^2 + \sigma_y^2 + C_2)},
#   \quad C_1 = 0.01^2,\ C_2 = 0.03^2,$$
#
# averaged over every pixel, channel and image. The local statistics are blurs:
# μ = G∗x, σ² = G∗x² − μ², σ_xy = G∗(xy) − μ_xμ_y. hdrisp (through torchmetrics) pads the images
# by reflection (5 pixels) so the SSIM map has the image's size.

# %% tags=["solution"]
def ssim(pred, target):
    """Mean SSIM of two B×3×H×W batches in [0, 1] (Gaussian window 11, σ = 1.5)."""
    # BEGIN SOLUTION
    channels = pred.shape[1]
    offsets = torch.arange(11, dtype=pred.dtype) - 5
    gauss = torch.exp(-(offsets**2) / (2 * 1.5**2))
    gauss = gauss / gauss.sum()
    window = (gauss[:, None] * gauss[None, :]).expand(channels, 1, 11, 11)

    def blur(x):
        return F.conv2d(F.pad(x, (5, 5, 5, 5), mode="reflect"), window, groups=channels)

    mu_x, mu_y = blur(pred), blur(target)
    var_x = (blur(pred * pred) - mu_x**2).clamp_min(0)
    var_y = (blur(target * target) - mu_y**2).clamp_min(0)
    cov = blur(pred * target) - mu_x * mu_y
    c1, c2 = 0.01**2, 0.03**2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(ssim_map.mean())
    # END SOLUTION


# %%
checks.check_ssim(ssim)
print(f"this pair: {ssim(prediction, target_batch):.5f} by hand, "
      f"{metrics.ssim(prediction, target_batch):.5f} from hdrisp")

# %% [markdown]
# ### ΔE2000
#
# A colour difference meant to match perception: both images go to CIELAB (D65, 2° observer;
# `metrics.srgb_to_lab`), and each pixel's two colours are compared with CIEDE2000 (Sharma, Wu
# and Dalal, 2005). With C* = √(a*² + b*²) and C̄ the mean C* of the pair:
#
# 1. stretch a* near the neutral axis: G = ½(1 − √(C̄⁷/(C̄⁷ + 25⁷))), a′ = (1 + G)a*;
#    C′ = √(a′² + b*²), h′ = atan2(b*, a′) in degrees, in [0, 360);
# 2. differences: ΔL′ = L₂ − L₁, ΔC′ = C′₂ − C′₁, Δh′ = h′₂ − h′₁ taken the short way round
#    the circle (± 360 when |Δh′| > 180; 0 when a C′ is 0), ΔH′ = 2√(C′₁C′₂) sin(Δh′/2);
# 3. means: L̄′, C̄′, and h̄′ (the mean hue, also the short way; h′₁ + h′₂ when a C′ is 0);
# 4. weights: T = 1 − 0.17cos(h̄′ − 30°) + 0.24cos(2h̄′) + 0.32cos(3h̄′ + 6°) − 0.20cos(4h̄′ − 63°),
#    S_L = 1 + 0.015(L̄′ − 50)²/√(20 + (L̄′ − 50)²), S_C = 1 + 0.045C̄′, S_H = 1 + 0.015C̄′T,
#    R_T = −sin(2Δθ)·2√(C̄′⁷/(C̄′⁷ + 25⁷)) with Δθ = 30° exp(−((h̄′ − 275°)/25°)²);
# 5. ΔE00 = √((ΔL′/S_L)² + (ΔC′/S_C)² + (ΔH′/S_H)² + R_T(ΔC′/S_C)(ΔH′/S_H)).
#
# About 1 is a just-noticeable difference.

# %% tags=["solution"]
def delta_e2000(lab1, lab2):
    """CIEDE2000 between two arrays of CIELAB colours (…×3) → one value per colour."""
    # BEGIN SOLUTION
    L1, a1, b1 = np.moveaxis(np.asarray(lab1, dtype=np.float64), -1, 0)
    L2, a2, b2 = np.moveaxis(np.asarray(lab2, dtype=np.float64), -1, 0)
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    neutral = c1p * c2p == 0
    dl = L2 - L1
    dc = c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(neutral, 0.0, dh)
    dh_big = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh) / 2)
    l_mean, cp_mean = (L1 + L2) / 2, (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_mean = np.where(np.abs(h1p - h2p) <= 180, h_sum / 2,
                      np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2))
    h_mean = np.where(neutral, h_sum, h_mean)
    t = (1 - 0.17 * np.cos(np.radians(h_mean - 30)) + 0.24 * np.cos(np.radians(2 * h_mean))
         + 0.32 * np.cos(np.radians(3 * h_mean + 6)) - 0.20 * np.cos(np.radians(4 * h_mean - 63)))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    d_theta = 30 * np.exp(-(((h_mean - 275) / 25) ** 2))
    r_t = -np.sin(np.radians(2 * d_theta)) * 2 * np.sqrt(cp_mean**7 / (cp_mean**7 + 25.0**7))
    return np.sqrt((dl / s_l) ** 2 + (dc / s_c) ** 2 + (dh_big / s_h) ** 2
                   + r_t * (dc / s_c) * (dh_big / s_h))
    # END SOLUTION


# %%
checks.check_delta_e2000(delta_e2000)
lab_pred = metrics.srgb_to_lab(prediction[0].permute(1, 2, 0).double().numpy())
lab_target = metrics.srgb_to_lab(target.permute(1, 2, 0).double().numpy())
print(f"this pair: mean ΔE00 {delta_e2000(lab_pred, lab_target).mean():.3f} by hand, "
      f"{metrics.delta_e2000(prediction, target_batch):.3f} from hdrisp")

# %% [markdown]
# From here on the package computes them: `hdrisp.evaluation.metrics` (the SSIM there is the
# training loss's own function, so a metric and its loss term never disagree).
#
# ## 2 · One raw, every method
#
# The classical baselines start from the same mosaic (unpacked again, `isp.from_packed`), so
# every method sees exactly the same data. Unpacking undoes the data set's own normalisation
# (`test_set.normalization`, read from its `dataset.json`: black and white level, or the
# authors' ÷1020), so the baselines work on linear values with black at 0 and white at 1.
# The network's coarser levels come from one plain call with `return_all=True`.

# %%
baselines = ("classical", "reinhard", "mertens") if SMOKE else tuple(isp.BASELINES)
results = develop_methods(isp.from_packed(packed.numpy(), test_set.normalization),
                          {"network": model},
                          baselines=baselines, packed=packed)
target_image = target.permute(1, 2, 0).numpy()
methods = {**results, "ground truth": target_image}
for name, image in methods.items():
    print(f"{name:14s} {image.shape[1]}×{image.shape[0]}")
with torch.no_grad():
    every_level = model(packed[None], return_all=True)   # {level: 1×3×h×w}
pyramid = {f"network L{lvl}": image[0].permute(1, 2, 0).clamp(0, 1).numpy()
           for lvl, image in every_level.items() if lvl != level}

# %% [markdown]
# ## 3 · Before and after, and a linked zoom
#
# Drag the split: the plain classical ISP on the left, the network on the right.

# %%
split = BeforeAfter(methods["classical"], methods["network"], position=0.5,
                    labels=("classical ISP", "network"))
split.widget()

# %%
split.figure(width=5)

# %% [markdown]
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
# The RGB-uv histogram of each method against the ground truth's, and every distance of
# `hdrisp.losses.DISTANCES` between them (per image). A method can score a good PSNR and still
# have the wrong colour distribution, and the reverse.

# %%
def as_batch(image):
    return torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).permute(2, 0, 1)[None]


histograms = {name: losses.rgbuv_histogram(as_batch(image)) for name, image in methods.items()}
rows = {name: {d: float(fn(h, histograms["ground truth"], reduction="mean"))
               for d, fn in losses.DISTANCES.items()}
        for name, h in histograms.items() if name != "ground truth"}
names = list(losses.DISTANCES)
table = ["| method | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
table += [f"| {m} | " + " | ".join(f"{v:.4f}" for v in r.values()) + " |" for m, r in rows.items()]
display(Markdown("\n".join(table)))

# %%
fig, axes = plt.subplots(1, len(methods), figsize=(2.2 * len(methods), 2.6))
for ax, (name, hist) in zip(axes, histograms.items(), strict=True):
    plot_uv_histogram(ax, hist[0, 0], name, labels=False)
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
# histogram distance) on 8-bit results. The same table is what `hdrisp evaluate` writes.
# Scoring 60 pairs × 7 methods × 6 metrics takes about three minutes here; `reuse=True` reads
# back the report of an identical earlier call instead (`report.json` beside the tables: same
# weights, data, methods and metrics — `hdrisp demo` has made that call already).

# %%
report = evaluate(data_root, weights, level=level, out_dir=run_dir / "evaluation",
                  limit=3 if SMOKE else None, baselines=baselines, reuse=True)
display(Markdown(markdown_table(report, title=f"{report.n_images} test pairs, level {level}")))
print("tables written:", *report.paths.values(), sep="\n  ")

# %% [markdown]
# The test pairs come from scenes the network never saw in training (`data/README.md`), and the
# `given` column says what each row had: the classical rows the raw's own white balance and
# colour matrix, as a camera's ISP would. What a full run of the tutorial config gives, read
# from the results `make demo` committed beside this notebook (`results/tutorial.json`; on
# whole frames too):

# %%
print(tutorial.expected_numbers(os.path.join("results", "tutorial.json")))

# %% [markdown]
# ## 6 · The paper-style figure
#
# Methods side by side, each with the same enlarged crop marked by a red box — two test scenes.

# %%
scenes = [methods]
other_raw, other_target = test_set[2]
other = develop_methods(isp.from_packed(other_raw.numpy(), test_set.normalization),
                        {"network": model},
                        baselines=baselines, packed=other_raw)
scenes.append({**other, "ground truth": other_target.permute(1, 2, 0).numpy()})
comparison_figure(scenes, scene_titles=["test pair 1", "test pair 2"])

# %% [markdown]
# ## 7 · Does it know its camera's colours? A ColorChecker
#
# Natural test scenes average colour errors over whatever colours they hold. A ColorChecker
# asks for 24 colours one by one. `hdrisp.evaluation.synthetic_chart` paints its published
# colours on a grey card and makes the card into a raw exactly as the training set makes its
# raws: the same camera, the same daylight, an exposure inside the training range. Nothing
# here is new to the network but the colours themselves. Each render is scored on the 24 boxes
# after one exposure gain fitted on the grey patches: mean ΔE2000, and the mean hue-angle
# error of the 18 coloured patches.

# %%
from hdrisp.evaluation.chart import draw_boxes, score_chart
from hdrisp.evaluation.synthetic_chart import synthetic_chart
from hdrisp.raw import pack, to_uint8
from hdrisp.raw.normalization import Normalization

chart_raw, card = synthetic_chart()
chart_input = pack(Normalization("levels").apply(chart_raw), chart_raw.cfa)
renders = {"classical (the raw's white balance and matrix)":
           to_uint8(isp.classical_isp(chart_raw)),
           "network": Developer(model, level=level, device="cpu").develop_packed(chart_input)}
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, (name, image) in zip(axes, renders.items(), strict=True):
    score = score_chart(image, card)
    ax.imshow(draw_boxes(image, card))
    ax.set_title(f"{name}\nΔE2000 {score.mean_delta_e:.1f} · hue error "
                 f"{score.mean_hue_error:.0f}°", fontsize=9)
    ax.axis("off")
plt.show()

# %% [markdown]
# The classical pipeline, told the camera's white balance and colour matrix, lands within a
# few ΔE2000 of the chart (a hue error near 2°). The tutorial networks we trained score a hue
# error near 40° here: they squeeze the colours onto the orange–blue axis that dominates the
# training photographs, so greens come out olive or grey, purples grey-blue, magenta beige.
# The held-out metric table above hardly sees this, because the test scenes' colours lie along
# that axis too. Colour is learnt slowly and last (the README measures it level by level, and
# with longer training); the real ColorChecker raw shipped with the lessons adds a warmer light
# and 3.5 stops of under-exposure on top (`benchmarks/bench_chart.py` scores both charts).

# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer and a check after it.
#
# **1 · Which baseline is closest?** In the metric table, which classical method has the highest
# PSNR to the targets? Is it the one that *looks* nearest in the linked zoom — why might they
# differ?
# *Hint: `report.summary[method]["psnr"]`; the synthetic targets were made with an
# exposure-fusion style operator.*

# %% tags=["solution"]
# BEGIN SOLUTION
closest = max((m for m in report.summary if m in isp.BASELINES),
              key=lambda m: report.summary[m]["psnr"])
# END SOLUTION
print("closest baseline by PSNR:", closest)

# %%
checks.check_closest_baseline(report, closest)

# %% [markdown] tags=["solution"]
# PSNR rewards small per-pixel errors everywhere, so a method with the right overall tone and
# colour wins even when its local contrast is flat; the eye judges local contrast, detail and
# colour casts. The exposure-fusion baseline shares the targets' local tone mapping, so it is
# usually close in both; Reinhard or Drago can look pleasant and still score lower.

# %% [markdown]
# **2 · Level by level.** For the first few test pairs (3, or 12 in full mode), measure the mean
# PSNR of the run's level-2, level-1 and level-0 checkpoints, each against the targets at its own
# level's size, with plain calls. How does PSNR change from level to level, and why?
# *Hint: `tutorial.level_checkpoints(run_dir)`, `load_model(..., level=L, weights=...)`,
# `PairedRawDataset(data_root, "test", level=L)`, `metrics.psnr`.*

# %% tags=["solution"]
n_pairs = 3 if SMOKE else 12
# BEGIN SOLUTION
psnr_by_level = {}
for lvl, checkpoint in tutorial.level_checkpoints(run_dir).items():
    if lvl > 2:
        continue
    net = load_model("rawtonemap", level=lvl, weights=checkpoint)
    pairs = PairedRawDataset(data_root, "test", level=lvl)
    with torch.no_grad():
        scores = [metrics.psnr(net(pairs[i][0][None]).clamp(0, 1), pairs[i][1][None])
                  for i in range(n_pairs)]
    psnr_by_level[lvl] = float(np.mean(scores))
# END SOLUTION
print({lvl: round(v, 2) for lvl, v in sorted(psnr_by_level.items(), reverse=True)})

# %%
checks.check_level_psnr(psnr_by_level, run_dir, data_root, n_pairs)

# %% [markdown]
# **3 · Colour or structure?** Find a test pair of the metric table where the network has the
# better histogram distance but the *worse* PSNR than the classical ISP (`report.per_image`:
# rows with `method`, `index`, and a value per metric); `None` if there is none. Look at both in
# the before/after slider.

# %% tags=["solution"]
# BEGIN SOLUTION
network_label = next(m for m in report.summary if m not in isp.BASELINES)
by_key = {(r["method"], r["index"]): r for r in report.per_image}
found = [i for i in sorted({r["index"] for r in report.per_image})
         if by_key[network_label, i]["hellinger"] < by_key["classical", i]["hellinger"]
         and by_key[network_label, i]["psnr"] < by_key["classical", i]["psnr"]]
colour_pair = found[0] if found else None
# END SOLUTION
print("pair:", colour_pair)

# %%
checks.check_colour_not_structure(report, "classical", colour_pair)

# %% [markdown]
# **4 · A real raw.** Develop lesson 01's Canon raw with the network (`Developer(model,
# level=level, device="cpu", precision="fp32").develop_packed(packed)`, the raw normalised with
# its own levels and packed; in smoke mode a 128×128 packed crop). What size is the image,
# and what changes on a frame much larger than the training patches, from another camera?
# *Hint: `bayer.pack(raw.normalized(), raw.cfa)`.*

# %% tags=["solution"]
canon = read_raw(tutorial.sample_raw_file())
canon_packed = bayer.pack(canon.normalized(), canon.cfa)
if SMOKE:
    canon_packed = canon_packed[:, :128, :128]
# BEGIN SOLUTION
developer = Developer(model, level=level, device="cpu", precision="fp32")
canon_image = developer.develop_packed(canon_packed)
# END SOLUTION
plt.imshow(canon_image)
plt.gca().set_axis_off()

# %%
checks.check_develop_size(canon_image, canon_packed.shape)

# %% [markdown] tags=["solution"]
# Level 0 returns twice the packed size — the raw's own size. The frame is developed in
# overlapping tiles; the network's global operators (instance normalisation, the attention
# blocks' pooled statistics) then see one tile at a time, which can shift tone between tiles.
# More important here: the synthetic set is made through this very camera's published colour
# matrix (the Canon EOS 550D), but in one daylight of 6000 K, from seven photographs with
# almost no greens, and with synthetic noise. This raw was shot under warm light, so the
# network keeps a warm cast no as-shot white balance would remove, and the chart's greens come
# out dark — a learned ISP knows the sensor, the light and the colours it was trained on.

# %% [markdown]
# **5 · No reference.** The paper scores with NIMA, MUSIQ and LIQE; offline, hdrisp offers PIQE
# (`metrics.piqe`, lower is better). Rank the methods of section 2 (not the ground truth) from
# best to worst with it. Does it agree with your eye?

# %% tags=["solution"]
candidates = {name: image for name, image in methods.items() if name != "ground truth"}
# BEGIN SOLUTION
piqe_scores = {name: metrics.piqe(as_batch(image)) for name, image in candidates.items()}
ranking = sorted(piqe_scores, key=piqe_scores.get)
# END SOLUTION
print(" < ".join(ranking))

# %%
checks.check_piqe_ranking(candidates, ranking)
