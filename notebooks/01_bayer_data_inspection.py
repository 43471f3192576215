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
# # 01 · Bayer data: what the network actually sees
#
# The network of this project starts from a camera's *raw* data, not from an image. In this
# notebook you will learn
#
# 1. what a **Bayer mosaic** is, by opening a real raw file (or a sample one);
# 2. what the **black and white levels** are, and how a raw is normalised;
# 3. **per-channel histograms and clipping**;
# 4. the **four CFA phases** (RGGB, BGGR, GRBG, GBRG) and what goes wrong with the wrong one;
# 5. the **packed 4-channel view** the network takes as input, in the authors' channel order;
# 6. **white balance, the colour matrix and gamma** — the steps between raw and a picture;
# 7. **noise against signal** measured on flat patches, and compared with the truth the
#    synthetic set was made with;
# 8. what the **synthetic training pairs** are made of.

# %% tags=["parameters"]
import os

from hdrisp.tutorial import env_flag

SMOKE = env_flag("HDRISP_SMOKE")                   # tiny data, quick checks (CI)
DATA_DIR = os.environ.get("HDRISP_DATA_DIR", "")   # data folder; "" → hdrisp's default data/
RUN_DIR = os.environ.get("HDRISP_RUN_DIR", "")     # training runs; unused here
DEVICE = os.environ.get("HDRISP_DEVICE", "auto")   # unused here: no network in this notebook
RAW_FILE = os.environ.get("HDRISP_RAW_FILE", "")   # any raw file LibRaw reads; "" → a sample

# %%
# %matplotlib inline
import json
from pathlib import Path

import imageio.v3 as iio
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from hdrisp.raw import bayer, figures, read_raw
from hdrisp.raw.stats import channel_planes, raw_statistics
from hdrisp.tutorial import synthetic_set

data_root = synthetic_set(DATA_DIR, smoke=SMOKE)
manifest = json.loads((data_root / "manifest.json").read_text())
sample_dng = sorted((data_root / "test" / "full_resolution").glob("*.dng"))[0]
raw_path = Path(RAW_FILE) if RAW_FILE else sample_dng
print("synthetic set:", data_root)
print("raw file     :", raw_path)

# %% [markdown]
# ## 1 · A Bayer mosaic
#
# A camera sensor measures one number per pixel: how much light got through the colour filter
# above it. The filters form a 2×2 pattern repeated over the sensor — two greens, one red, one
# blue (the eye is most sensitive to green). The raw file holds these numbers, *digital
# numbers* (DN), before any colour processing. `hdrisp.raw.read_raw` reads any file LibRaw
# understands, plus the 16-bit PNG raws of the Zurich and paper data sets.

# %%
raw = read_raw(raw_path)
info = raw_statistics(raw)
print(f"camera {info['camera']}, pattern {info['cfa']}, {info['width']}×{info['height']} "
      f"samples, black {info['black_level']}, white {info['white_level']}")
print("camera white balance (R, G, B):", info["wb"])

# %% [markdown]
# Zoom in far enough and you see the filters. Here every sample is drawn in its filter's
# colour (this is *not* what the scene looked like — each pixel only knows one colour), in
# the brightest 24×24 block of the frame:

# %%
h, w = raw.shape
blocks = raw.normalized()[: h // 24 * 24, : w // 24 * 24].reshape(h // 24, 24, w // 24, 24)
row, col = np.unravel_index(np.argmax(blocks.mean((1, 3))), (h // 24, w // 24))
figures.false_colour_figure(raw, window=(24 * row, 24 * col, 24, 24), figsize=(5, 5))

# %% [markdown]
# ## 2 · Black and white levels
#
# A sensor in the dark does not read 0: the electronics add an offset, the **black level**.
# It saturates at the **white level**. Normalising maps black → 0 and white → 1:
#
# $$x = \frac{\text{DN} - \text{black}}{\text{white} - \text{black}}, \text{ clipped to } [0, 1].$$
#
# The black level can differ per filter position, so `hdrisp.raw.bayer.normalize` takes four.
# The authors' code does something simpler for their 10-bit data: `DN / 1020` with no black
# subtraction (`bayer.normalize_legacy`). On a 10-bit PNG raw with black 0 the two nearly
# agree; on a 14-bit camera file with black 2056 they do not.

# %%
normalised = raw.normalized()
print("normalised range:", float(normalised.min()), "…", float(normalised.max()))
synthetic_raw = read_raw(data_root / "train" / "raw" / "0.png")   # 10-bit, black 0, white 1023
print("synthetic PNG raw: white", synthetic_raw.white_level, " largest DN",
      int(synthetic_raw.mosaic.max()))
difference = bayer.normalize_legacy(synthetic_raw.mosaic) - synthetic_raw.normalized()
print(f"DN/1020 − DN/1023 is at most {difference.max():.4f} here; a clipped sample "
      f"(1023 DN) would read {1023 / 1020:.4f} the legacy way — just above 1")

# %% [markdown]
# ## 3 · Per-channel histograms and clipping
#
# One histogram per filter position, in DN, with the black level (dashed) and the white level
# (solid). Mass piled up at white is **clipped**: the true value was higher and is lost —
# the network has to invent those highlights.

# %%
figures.channel_histograms_figure(raw, figsize=(9, 5))

# %%
for name, channel in info["channels"].items():
    print(f"{name:2s}: mean {channel['mean']:8.1f} DN, 99th percentile {channel['p99']:8.1f}, "
          f"clipped {100 * channel['clipped']:.3f} %")
figures.clipped_figure(raw, figsize=(6, 4))

# %% [markdown]
# ## 4 · The four CFA phases
#
# The pattern is named by the colours of the top-left 2×2 block in raster order. Cropping one
# row or column off an RGGB sensor turns it into GBRG or GRBG: the *phase* is a property of the
# crop, not of the camera. Interpret a mosaic with the wrong phase and red and blue swap or
# green leaks everywhere:

# %%
window = normalised[: h // 2 * 2, : w // 2 * 2]
fig, axes = plt.subplots(1, 4, figsize=(14, 3.5))
for ax, pattern in zip(axes, bayer.CFA_PATTERNS, strict=True):
    picture = bayer.preview(window, pattern, wb=raw.wb, color_matrix=raw.color_matrix)
    ax.imshow(picture)
    ax.set_title(f"read as {pattern}" + ("  (correct)" if pattern == raw.cfa else ""))
    ax.set_axis_off()
fig.tight_layout()

# %% [markdown]
# ## 5 · The packed 4-channel view
#
# The network does not take the mosaic: it takes the four filter positions as four channels
# at half resolution, a 4×H/2×W/2 tensor. The authors' order is **[B, Gb, R, Gr]** (their
# "Gb" is the green in the *red* row). `bayer.pack` brings any pattern to RGGB phase first
# (dropping a row and/or column) and `bayer.unpack` undoes it exactly:

# %%
packed = bayer.pack(normalised, raw.cfa)
print("mosaic", normalised.shape, "→ packed", packed.shape)
rggb = bayer.unpack(packed)
assert np.array_equal(bayer.pack(rggb, "RGGB"), packed), "pack ∘ unpack must be the identity"
fig, axes = plt.subplots(1, 4, figsize=(14, 3.5))
for ax, plane, name in zip(axes, packed, bayer.PACKED_CHANNELS, strict=True):
    ax.imshow(plane, cmap="gray", vmin=0, vmax=np.percentile(packed, 99.5))
    ax.set_title(f"channel {name}")
    ax.set_axis_off()
fig.tight_layout()

# %% [markdown]
# ## 6 · White balance, colour matrix and gamma
#
# Demosaicing fills in the two missing colours at each pixel; the picture is still far from
# what we want to look at. Step by step:
#
# 1. **demosaic**: camera RGB, linear, under the scene's light;
# 2. **white balance**: per-channel gains so that a grey object is grey (from the camera's
#    metadata, or estimated — *grey world* assumes the scene averages to grey);
# 3. **colour matrix**: camera RGB → linear sRGB (each sensor's filters differ);
# 4. **gamma**: the sRGB transfer curve, which spends the 8 bits where the eye is sensitive.

# %%
linear = np.clip(bayer.demosaic(window, raw.cfa, "bilinear"), 0, 1)
grey_world = linear.reshape(-1, 3).mean(0)
grey_world = grey_world[1] / grey_world
steps = {
    "1 · demosaiced (linear camera RGB)": linear,
    "2 · + camera white balance": np.clip(linear * (raw.wb or grey_world), 0, 1),
    "3 · + colour matrix, gamma": bayer.preview(window, raw.cfa, wb=raw.wb,
                                                color_matrix=raw.color_matrix),
    "grey-world balance instead": bayer.preview(window, raw.cfa, wb=grey_world,
                                                color_matrix=raw.color_matrix),
}
fig, axes = plt.subplots(1, 4, figsize=(14, 3.5))
for ax, (title, picture) in zip(axes, steps.items(), strict=True):
    ax.imshow(np.clip(picture, 0, 1))
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
fig.tight_layout()
print("camera gains (R, G, B):", raw.wb, " grey-world gains:", np.round(grey_world, 3))

# %% [markdown]
# ## 7 · Noise against signal, on flat patches
#
# Photon arrival is random (Poisson): the noise *variance* grows linearly with the signal —
# **shot noise** — on top of a constant **read noise** of the electronics:
#
# $$\operatorname{Var}[\text{DN}] = a\cdot \mathbb{E}[\text{DN}] + b.$$
#
# Measure it: cut each filter plane into 8×8 tiles, compute each tile's mean and variance.
# Textured tiles have extra variance, so within each brightness bin keep the *lower decile*
# of the variances — and correct for that choice: a sample variance of 64 values of pure
# noise has its lower decile at χ²₆₃(0.1)/63 ≈ 0.78 of the true variance.
#
# We use the synthetic full-resolution frame, because the generator recorded the noise it
# added: the estimate can be checked.

# %%
frame = read_raw(sample_dng)
entry = next(p for p in manifest["pairs"] if p.get("dng", "").endswith(sample_dng.name))
truth = entry["sensor"]
span = frame.white_level - frame.black_level[0]
tile = 8
means, variances = [], []
for plane in channel_planes(frame.mosaic.astype(np.float64), frame.cfa).values():
    ph, pw = plane.shape[0] // tile * tile, plane.shape[1] // tile * tile
    tiles = plane[:ph, :pw].reshape(ph // tile, tile, pw // tile, tile).swapaxes(1, 2)
    tiles = tiles.reshape(-1, tile * tile)
    means.append(tiles.mean(1))
    variances.append(tiles.var(1, ddof=1))
means, variances = np.concatenate(means), np.concatenate(variances)
usable = (means > 4) & (means < 0.9 * span)          # away from black and from clipping
means, variances = means[usable], variances[usable]

decile_factor = stats.chi2.ppf(0.1, tile * tile - 1) / (tile * tile - 1)
edges = np.quantile(means, np.linspace(0, 1, 13))
bin_mean, bin_var = [], []
for low, high in zip(edges[:-1], edges[1:], strict=True):
    inside = (means >= low) & (means < high)
    if inside.sum() >= 10:
        bin_mean.append(means[inside].mean())
        bin_var.append(np.quantile(variances[inside], 0.1) / decile_factor)
slope, intercept = np.polyfit(bin_mean, bin_var, 1)
true_slope = truth["shot_noise"] * span
true_intercept = truth["read_noise"] * span**2 + 1 / 12   # + rounding to whole DN
print(f"shot-noise slope a: measured {slope:.3f}, generator {true_slope:.3f}")
print(f"read-noise floor b: measured {intercept:.2f} DN², generator {true_intercept:.2f} DN²")

fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(means, variances, s=2, alpha=0.2, label="8×8 tiles")
ax.plot(bin_mean, bin_var, "o", color="k", label="lower decile / 0.78, per bin")
x = np.linspace(0, max(bin_mean), 50)
ax.plot(x, slope * x + intercept, "k-", label="fit")
ax.plot(x, true_slope * x + true_intercept, "r--", label="generator's truth")
ax.set(xlabel="tile mean (DN)", ylabel="tile variance (DN²)",
       ylim=(0, 4 * max(bin_var)))
ax.legend()
plt.show()

# %% [markdown]
# ## 8 · The synthetic training pairs
#
# The paper's data set is private, so hdrisp *makes* one: bundled photographs are
# "unprocessed" into 10-bit RGGB raws (inverse gamma and tone curve, a random camera colour
# matrix, inverse white balance, exposure, noise as above, quantisation) and, from the same
# clean scene, a tone-mapped "HDR look" target is rendered. Every sampled parameter is kept in
# `manifest.json`. Raw (quick preview) on top, target below:

# %%
pairs = [p for p in manifest["pairs"] if p["split"] == "train"][:4]
fig, axes = plt.subplots(2, len(pairs), figsize=(3 * len(pairs), 6))
for col, pair in enumerate(pairs):
    pair_raw = read_raw(data_root / pair["raw"])
    axes[0, col].imshow(bayer.preview(pair_raw.normalized(), pair_raw.cfa,
                                      wb=pair["sensor"]["wb"],
                                      color_matrix=np.asarray(pair["sensor"]["color_matrix"])))
    axes[0, col].set_title(f"raw {pair['raw'].split('/')[-1]} (preview)", fontsize=8)
    axes[1, col].imshow(iio.imread(data_root / pair["target"]))
    axes[1, col].set_title(f"target, source: {pair['view']['source']}", fontsize=8)
for ax in axes.ravel():
    ax.set_axis_off()
fig.tight_layout()
print(f"{len([p for p in manifest['pairs'] if p['split'] == 'train'])} training pairs of "
      f"{pairs[0]['size']} raw pixels")

# %% [markdown]
# ## Exercises
#
# 1. **A real raw.** Run this notebook with `RAW_FILE` pointing at a raw from your own camera
#    (`HDRISP_RAW_FILE=... jupyter lab`, or change the parameter cell). What are its black and
#    white levels, and how many bits does it really use?
#    *Hint: compare `white_level` with powers of two; look at `info["channels"]`.*
# 2. **Phase.** Crop one column off the mosaic (`normalised[:, 1:]`). Which pattern is it now?
#    Check with the four-panel figure of section 4.
#    *Hint: `bayer.rggb_offset` tells how many rows/columns `pack` drops for each pattern.*
# 3. **Legacy normalisation.** For the 14-bit file, what fraction of the range does
#    `normalize_legacy` use, and what happens to a model trained on 10-bit data?
#    *Hint: `raw.mosaic.max() / 1020`.*
# 4. **Noise.** Repeat section 7 on another synthetic pair, or with 16×16 tiles. Is the
#    estimate better or worse, and why? On the colour chart, the patches are flat by
#    construction: crop one and compare.
#    *Hint: bigger tiles → fewer tiles but a tighter χ²; texture grows with tile size.*
# 5. **Grey world.** When does grey world fail? Find a synthetic pair where its gains differ
#    most from `pair["sensor"]["wb"]`.
#    *Hint: scenes dominated by one colour (a red motorcycle).*
