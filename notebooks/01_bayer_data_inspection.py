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
# This course reproduces a learned camera ISP: one network that turns a camera's raw sensor
# data into a finished, tone-mapped photograph. It is the network of the paper *RAW to
# Tone-mapped HDR Camera ISP*, whose code its authors publish at
# <https://github.com/korayerbas/raw_to_tonemappedHDR> (the reference, as far as that README
# gives it, is in `notebooks/INSTRUCTORS.md`), built on PyNET (Ignatov et al., 2020,
# arXiv:2002.05509). The network starts from *raw* data, not from an image. In this
# lesson you will learn
#
# 1. what a **Bayer mosaic** is, on a real camera raw (a Canon EOS 550D frame of a colour chart);
# 2. what the **black and white levels** are, and how a raw is normalised;
# 3. **per-channel histograms and clipping**, on a frame that clips;
# 4. the **four CFA phases** (RGGB, BGGR, GRBG, GBRG) and what goes wrong with the wrong one;
# 5. the **packed 4-channel view** the network takes as input, in the authors' channel order;
# 6. to **develop the raw yourself** — white balance, bilinear demosaicing, the colour matrix
#    and the sRGB curve, each checked against `hdrisp` — and why the order matters;
# 7. **noise against signal**, measured above the black level, and checked against the truth
#    a synthetic frame was made with;
# 8. what the **synthetic training pairs** are made of.
#
# Cells marked `# BEGIN SOLUTION … # END SOLUTION` are yours to write in the student edition
# (`make student`); the cell after each checks your code and says what is wrong.

# %% tags=["parameters"]
# Running on Colab, Binder or a lab image without hdrisp? Uncomment the next line, run it once
# and restart the kernel (URL: the repository your course installs from; INSTRUCTORS.md):
# # %pip install "hdrisp @ git+https://github.com/<owner>/hdrisp" ipywidgets
import os

from hdrisp.tutorial import env_flag

SMOKE = env_flag("HDRISP_SMOKE")                   # tiny data, quick checks (CI)
DATA_DIR = os.environ.get("HDRISP_DATA_DIR", "")   # data folder; "" → hdrisp's default data/
RUN_DIR = os.environ.get("HDRISP_RUN_DIR", "")     # training runs; unused here
DEVICE = os.environ.get("HDRISP_DEVICE", "auto")   # unused here: no network in this notebook
RAW_FILE = os.environ.get("HDRISP_RAW_FILE", "")   # any raw LibRaw reads; "" → the Canon sample

# %%
# %matplotlib inline
import json
from dataclasses import replace
from pathlib import Path

import imageio.v3 as iio
import matplotlib.pyplot as plt
import numpy as np
from scipy import ndimage, stats

from hdrisp import isp
from hdrisp.raw import bayer, figures, read_raw
from hdrisp.raw.noise import noise_curve
from hdrisp.raw.stats import channel_planes, raw_statistics
from hdrisp.tutorial import checks, sample_raw_file, synthetic_set

data_root = synthetic_set(DATA_DIR, smoke=SMOKE)
manifest = json.loads((data_root / "manifest.json").read_text())
raw_path = Path(RAW_FILE) if RAW_FILE else sample_raw_file()
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
#
# **Naming the four positions.** The two greens of a 2×2 block are told apart by the row they
# share. This project follows the authors of the paper: **Gb is the green in the *red* row**
# and **Gr the green in the *blue* row** (many camera APIs use the opposite names — read the
# definition, not the letters). For an RGGB sensor the block is
#
# |       | column 0 | column 1 |
# |---|---|---|
# | row 0 | R | Gb |
# | row 1 | Gr | B |
#
# Every table and figure below (and the network's packed input in section 5) uses these names.

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
# agree; on this 14-bit camera file with black 2056 they do not (exercise 3).

# %%
normalised = raw.normalized()
print("normalised range:", float(normalised.min()), "…", float(normalised.max()))
print(f"the frame uses {100 * float(normalised.mean()):.1f} % of the range on average: "
      "a dark, unclipped exposure")
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
# (solid). The colour chart was exposed carefully: nothing reaches white.

# %%
figures.channel_histograms_figure(raw, figsize=(9, 5))

# %% [markdown]
# **A frame that clips.** Give the same sensor three stops more light — eight times the signal
# above black — and the bright patches hit the white level. We make that frame from the real
# one, as the sensor would record it (the noise would grow too; that does not matter here):
#
# $$\text{DN}' = \text{black}
#   + \min\big(8\,(\text{DN} - \text{black}),\ \text{white} - \text{black}\big).$$
#
# Mass piles up *at* white: those samples are **clipped** — their true value was higher and is
# lost, and the network has to invent those highlights.

# %%
black = np.asarray(raw.black_level).mean()
over_signal = np.minimum(8.0 * (raw.mosaic.astype(np.float64) - black), raw.white_level - black)
overexposed = replace(raw, mosaic=np.round(black + np.maximum(over_signal, 0)).astype(np.uint16))
over_info = raw_statistics(overexposed)
for name, channel in over_info["channels"].items():
    print(f"{name:2s}: mean {channel['mean']:8.1f} DN, 99th percentile {channel['p99']:8.1f}, "
          f"clipped {100 * channel['clipped']:.2f} %")
assert max(c["clipped"] for c in over_info["channels"].values()) > 0.01, "it should clip"
figures.channel_histograms_figure(overexposed, figsize=(9, 5))

# %%
figures.clipped_figure(overexposed, figsize=(6, 4))

# %% [markdown]
# The greens clip first: their filters pass the most light, and the white balance (section 6)
# will multiply red and blue by more than green. Keep this frame: it shows below why the
# order of the steps matters.
#
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
    picture = bayer.preview(window, pattern, wb=raw.wb, color_matrix=raw.color_matrix,
                            exposure=1 / np.percentile(window, 99.5))
    ax.imshow(picture)
    ax.set_title(f"read as {pattern}" + ("  (correct)" if pattern == raw.cfa else ""))
    ax.set_axis_off()
fig.tight_layout()

# %% [markdown]
# ## 5 · The packed 4-channel view
#
# The network does not take the mosaic: it takes the four filter positions as four channels
# at half resolution, a 4×H/2×W/2 tensor, in the authors' order **[B, Gb, R, Gr]** (Gb the
# green of the red row, as in section 1). `bayer.pack` brings any pattern to RGGB phase first
# (dropping a row and/or column) and `bayer.unpack` undoes it exactly:

# %%
packed = bayer.pack(normalised, raw.cfa)
print("mosaic", normalised.shape, "→ packed", packed.shape)
rggb = bayer.unpack(packed)
assert np.array_equal(bayer.pack(rggb, "RGGB"), packed), "pack ∘ unpack must be the identity"
assert np.array_equal(packed[1], rggb[0::2, 1::2]), "Gb is the green of the red row"
fig, axes = plt.subplots(1, 4, figsize=(14, 3.5))
for ax, plane, name in zip(axes, packed, bayer.PACKED_CHANNELS, strict=True):
    ax.imshow(plane, cmap="gray", vmin=0, vmax=np.percentile(packed, 99.5))
    ax.set_title(f"channel {name}")
    ax.set_axis_off()
fig.tight_layout()

# %% [markdown]
# ## 6 · Develop it yourself
#
# Between the mosaic and a picture lie four steps. You write each one; after each, a check
# compares your function with the package on test mosaics with known answers and says what
# differs. `hdrisp.isp` runs them in this order:
#
# 1. **white balance**, on the mosaic: per-colour gains so that a grey object is grey (from
#    the camera's metadata, or estimated — *grey world* assumes the scene averages to grey),
#    then **clip at white**;
# 2. **demosaic**: fill in the two missing colours at each pixel — camera RGB, linear;
# 3. **colour matrix**: camera RGB → linear sRGB (each sensor's filters differ);
# 4. **exposure and the sRGB curve**, which spends the 8 bits where the eye is sensitive.
#
# ### 6.1 · White balance on the mosaic
#
# Multiply every sample by the gain of its colour (R, G, B), then clip at 1. The pattern
# string tells which colour each position of the 2×2 block has (`cfa[0]` is the colour at
# (0, 0), `cfa[1]` at (0, 1), `cfa[2]` at (1, 0), `cfa[3]` at (1, 1)).

# %% tags=["solution"]
def white_balance_mosaic(mosaic, cfa, gains):
    """H×W normalised mosaic with pattern ``cfa`` → each sample × its colour's gain, ≤ 1."""
    # BEGIN SOLUTION
    gain_of = dict(zip("RGB", gains, strict=True))
    block = np.array([[gain_of[cfa[0]], gain_of[cfa[1]]],
                      [gain_of[cfa[2]], gain_of[cfa[3]]]], dtype=np.float32)
    h, w = mosaic.shape
    return np.clip(mosaic * np.tile(block, (h // 2, w // 2)), 0.0, 1.0)
    # END SOLUTION


# %%
checks.check_white_balance(white_balance_mosaic)

# %% [markdown]
# ### 6.2 · Bilinear demosaicing
#
# Keep every measured sample; fill each missing colour with the mean of the nearest samples of
# that colour: green from its 4 direct neighbours; red and blue from 2 neighbours (left and
# right, or above and below) at green sites and from 4 diagonal neighbours at blue/red sites.
# A neat way to write all of it at once is a *normalised convolution*: put the samples of one
# colour on a zero background, convolve with a small kernel, and divide by the same
# convolution of the colour's mask — which also handles the borders, where some neighbours
# do not exist. Kernels: `[[0,1,0],[1,4,1],[0,1,0]]/4` for green,
# `[[1,2,1],[2,4,2],[1,2,1]]/4` for red and blue (`scipy.ndimage.convolve`, `mode="constant"`).

# %% tags=["solution"]
def demosaic_bilinear(mosaic, cfa):
    """H×W mosaic with pattern ``cfa`` → float32 H×W×3 linear camera RGB."""
    # BEGIN SOLUTION
    h, w = mosaic.shape
    kernel_g = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]], dtype=np.float32) / 4
    kernel_rb = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float32) / 4
    rgb = np.empty((h, w, 3), dtype=np.float32)
    for c, colour in enumerate("RGB"):
        mask = np.zeros((h, w), dtype=np.float32)
        for position, name in enumerate(cfa):           # the 2×2 block in raster order
            if name == colour:
                mask[position // 2 :: 2, position % 2 :: 2] = 1.0
        kernel = kernel_g if colour == "G" else kernel_rb
        total = ndimage.convolve(mosaic * mask, kernel, mode="constant")
        weight = ndimage.convolve(mask, kernel, mode="constant")
        rgb[..., c] = total / weight
    return rgb
    # END SOLUTION


# %%
checks.check_demosaic(demosaic_bilinear)

# %% [markdown]
# ### 6.3 · The colour matrix
#
# A 3×3 matrix M turns each pixel's white-balanced camera RGB into linear sRGB:
# (r, g, b)ᵀ ↦ M · (r, g, b)ᵀ. It has negative entries (it *subtracts* the overlap between the
# camera's filters), so some results are negative: colours outside sRGB; set them to 0.

# %% tags=["solution"]
def camera_to_srgb(rgb, matrix):
    """H×W×3 camera RGB → H×W×3 linear sRGB, negative values set to 0."""
    # BEGIN SOLUTION
    return np.clip(rgb @ matrix.T, 0.0, None)
    # END SOLUTION


# %%
checks.check_color_matrix(camera_to_srgb)

# %% [markdown]
# ### 6.4 · The sRGB transfer curve
#
# Clip to [0, 1], then encode: $12.92\,x$ for $x \le 0.0031308$, else
# $1.055\,x^{1/2.4} - 0.055$ (IEC 61966-2-1). The straight segment near black keeps the slope
# finite; overall the curve is close to, but not, a power 1/2.2.

# %% tags=["solution"]
def srgb_encode(linear):
    """Linear values → sRGB-encoded values in [0, 1]."""
    # BEGIN SOLUTION
    x = np.clip(linear, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)
    # END SOLUTION


# %%
checks.check_srgb_encode(srgb_encode)

# %% [markdown]
# ### 6.5 · Your pipeline, and the package's
#
# Put the four together on the real frame — levels, white balance, demosaic, colour matrix,
# an exposure gain (this frame is dark), the sRGB curve — and compare with
# `hdrisp.isp.develop_linear` (the linear part) followed by `isp.encode_srgb`. From here on the
# package takes over: `isp.classical_isp(raw)` is exactly this pipeline with an automatic
# exposure, and it is the "classical ISP" baseline of lesson 04.

# %%
mosaic = raw.normalized()
linear = camera_to_srgb(demosaic_bilinear(white_balance_mosaic(mosaic, raw.cfa, raw.wb),
                                          raw.cfa), raw.color_matrix)
gain = isp.auto_exposure_gain(linear)                  # 1 % of the pixels may clip
mine = srgb_encode(linear * gain)
package = isp.encode_srgb(isp.develop_linear(raw) * gain)
print(f"exposure gain {gain:.2f}; largest difference from the package: "
      f"{np.abs(mine - package).max():.2e}")
assert np.allclose(mine, package, atol=1e-5), "your pipeline and hdrisp.isp disagree"
assert np.allclose(package, isp.classical_isp(raw), atol=1e-6)

# %% [markdown]
# **Why white balance before demosaicing.** Bilinear demosaicing computes each output colour
# from samples of that colour only, linearly — so multiplying a colour by its gain before or
# after gives the same image, *as long as nothing clips*. Here, on the unclipped frame:

# %%
wb_first = white_balance_mosaic(mosaic, raw.cfa, raw.wb)
demosaic_first = np.clip(demosaic_bilinear(mosaic, raw.cfa) * np.asarray(raw.wb), 0, 1)
order_gap = np.abs(demosaic_bilinear(wb_first, raw.cfa) - demosaic_first).max()
print(f"unclipped frame: the two orders differ by at most {order_gap:.1e}")
assert order_gap < 1e-5

# %% [markdown]
# On the over-exposed frame the two orders differ. A sample at white only tells "at least
# this bright"; where all three colours clipped, the scene was white. Balance first and clip,
# and such a pixel stays (1, 1, 1) → white. Demosaic first and it becomes (g_R, 1, g_B) before
# any clipping: the colour matrix then turns it **magenta** — the pink highlights of naive
# raw converters. (Non-linear demosaicers such as Malvar's or Menon's also assume balanced
# channels, another reason for the package's order.)

# %%
over = overexposed.normalized()
balanced_first = camera_to_srgb(demosaic_bilinear(white_balance_mosaic(over, raw.cfa, raw.wb),
                                                  raw.cfa), raw.color_matrix)
naive = camera_to_srgb(demosaic_bilinear(over, raw.cfa) * np.asarray(raw.wb), raw.color_matrix)
clipped_everywhere = (bayer.demosaic(over, raw.cfa) >= 1.0).all(-1)
print(f"{100 * clipped_everywhere.mean():.2f} % of the pixels clipped in all three colours")
print("their mean colour, balance first (R, G, B):",
      np.round(srgb_encode(balanced_first[clipped_everywhere]).mean(0), 3))
print("their mean colour, demosaic first         :",
      np.round(srgb_encode(naive[clipped_everywhere]).mean(0), 3))
top, left = np.argwhere(clipped_everywhere).min(0)
crop = (slice(max(top - 60, 0), top + 140), slice(max(left - 60, 0), left + 200))
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, (title, picture) in zip(axes, {"white balance, clip, then demosaic (hdrisp)":
                                       balanced_first, "demosaic, then white balance":
                                       naive}.items(), strict=True):
    ax.imshow(srgb_encode(picture[crop]))
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
fig.tight_layout()

# %% [markdown]
# The package's develop, the camera's white balance against grey world, side by side:

# %%
grey_world = isp.grey_world_gains(isp.LinearMosaic(window, raw.cfa))
exposure = gain
steps = {
    "demosaiced (linear camera RGB)": np.clip(bayer.demosaic(window, raw.cfa) * exposure, 0, 1),
    "+ camera white balance": np.clip(bayer.demosaic(white_balance_mosaic(window, raw.cfa, raw.wb),
                                                     raw.cfa) * exposure, 0, 1),
    "+ colour matrix, sRGB curve": isp.classical_isp(raw)[: window.shape[0], : window.shape[1]],
    "grey-world balance instead": bayer.preview(window, raw.cfa, wb=grey_world,
                                                color_matrix=raw.color_matrix, exposure=exposure),
}
fig, axes = plt.subplots(1, 4, figsize=(14, 3.5))
for ax, (title, picture) in zip(axes, steps.items(), strict=True):
    ax.imshow(np.clip(picture, 0, 1))
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
fig.tight_layout()
print("camera gains (R, G, B):", np.round(raw.wb, 3), " grey-world gains:",
      np.round(grey_world, 3))

# %% [markdown]
# ## 7 · Noise against signal, above the black level
#
# Photon arrival is random (Poisson): the noise *variance* grows linearly with the signal —
# **shot noise** — on top of a constant **read noise** of the electronics. The signal is what
# lies *above the black level*, so
#
# $$\operatorname{Var}[\text{DN}] = a\cdot\big(\mathbb{E}[\text{DN}] - \text{black}\big) + b.$$
#
# Measure it: cut each filter plane into 8×8 tiles, compute each tile's mean (minus black) and
# variance. Textured tiles have extra variance, so within each brightness bin keep the *lower
# decile* of the variances — and correct for that choice: a sample variance of 64 values of
# pure noise has its lower decile at χ²₆₃(0.1)/63 ≈ 0.78 of the true variance.
#
# We first use the synthetic full-resolution frame, because the generator recorded the noise
# it added: the estimate can be checked.

# %%
sample_dng = sorted((data_root / "test" / "full_resolution").glob("*.dng"))[0]
frame = read_raw(sample_dng)
entry = next(p for p in manifest["pairs"] if p.get("dng", "").endswith(sample_dng.name))
truth = entry["sensor"]
frame_black = frame.black_level[0]
span = frame.white_level - frame_black
tile = 8
means, variances = [], []
for plane in channel_planes(frame.mosaic.astype(np.float64), frame.cfa).values():
    ph, pw = plane.shape[0] // tile * tile, plane.shape[1] // tile * tile
    tiles = plane[:ph, :pw].reshape(ph // tile, tile, pw // tile, tile).swapaxes(1, 2)
    tiles = tiles.reshape(-1, tile * tile)
    means.append(tiles.mean(1) - frame_black)          # the signal: above the black level
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
print(f"black level {frame_black:g} DN")
print(f"shot-noise slope a: measured {slope:.3f}, generator {true_slope:.3f}")
print(f"read-noise floor b: measured {intercept:.2f} DN², generator {true_intercept:.2f} DN²")
package_fit = noise_curve(frame.mosaic, frame.cfa, frame.black_level, frame.white_level, tile)
assert np.isclose(package_fit.slope, slope) and np.isclose(package_fit.intercept, intercept)

fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(means, variances, s=2, alpha=0.2, label="8×8 tiles")
ax.plot(bin_mean, bin_var, "o", color="k", label="lower decile / 0.78, per bin")
x = np.linspace(0, max(bin_mean), 50)
ax.plot(x, slope * x + intercept, "k-", label="fit")
ax.plot(x, true_slope * x + true_intercept, "r--", label="generator's truth")
ax.set(xlabel="tile mean − black (DN)", ylabel="tile variance (DN²)",
       ylim=(0, 4 * max(bin_var)))
ax.legend()
plt.show()

# %% [markdown]
# The slope is close; the intercept (a small number at the left end of a long line) is
# the hard part. `hdrisp.raw.noise.noise_curve` is the same computation, and gives the same
# numbers. The synthetic frame has black level 0, so subtracting it changed nothing. The
# real Canon frame has black 2056 DN — forget it and the line is fitted against
# E[DN] instead of E[DN] − black: same slope, an intercept lowered by a · 2056, far below
# zero. A negative variance at zero signal is impossible: the tell-tale of a forgotten black.

# %%
for subtract in (True, False):
    fit = noise_curve(raw.mosaic, raw.cfa, raw.black_level, raw.white_level,
                      subtract_black=subtract)
    label = "black subtracted" if subtract else "black forgotten "
    print(f"Canon frame, {label}: a = {fit.slope:.3f}, b = {fit.intercept:9.1f} DN²")

# %% [markdown]
# ## 8 · The synthetic training pairs
#
# The paper's data set is private, so hdrisp *makes* one: bundled photographs are
# "unprocessed" into 10-bit RGGB raws (inverse gamma and tone curve, one real camera's colour
# matrix — the Canon EOS 550D's —, inverse white balance for a daylight of 6000 K, exposure,
# noise as above, quantisation) and, from the same
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
# Each exercise has a cell for your answer and a check after it. The hints say where to look.
#
# **1 · The real raw's bits.** How many bits does the Canon frame's white level need — the
# smallest n with 2ⁿ > white? (Its numbers arrive in a 16-bit array; that is not the answer.)
# *Hint: `raw.white_level`, `np.log2`.*

# %% tags=["solution"]
sample = read_raw(sample_raw_file())
# BEGIN SOLUTION
bits = int(np.ceil(np.log2(sample.white_level + 1)))
# END SOLUTION

# %%
checks.check_bits(sample, bits)

# %% [markdown]
# **2 · Phase.** Crop one column off the left of an RGGB mosaic (`normalised[:, 1:]`). Which
# pattern is it now? Verify with the four-panel figure of section 4 if you like.
# *Hint: read the new top-left 2×2 block row by row; `bayer.rggb_offset` tells how many rows and
# columns `pack` drops for each pattern.*

# %% tags=["solution"]
# BEGIN SOLUTION
pattern_after_crop = "GRBG"
# END SOLUTION

# %%
checks.check_phase("RGGB", rows=0, columns=1, answer=pattern_after_crop)

# %% [markdown]
# **3 · Legacy normalisation.** Divide the Canon frame the authors' way, `DN / 1020`. Where do
# its black level and its brightest sample land? What does that mean for a model trained on
# 10-bit data whose inputs lie in [0, 1.003]?
# *Hint: `bayer.normalize_legacy(raw.mosaic)`; `raw.black_level`.*

# %% tags=["solution"]
# BEGIN SOLUTION
legacy = bayer.normalize_legacy(sample.mosaic)
legacy_black = float(np.mean(sample.black_level)) / 1020
legacy_max = float(legacy.max())
# END SOLUTION
print(f"black at {legacy_black:.2f}, brightest sample at {legacy_max:.2f}")

# %%
checks.check_legacy_range(sample, legacy_black, legacy_max)

# %% [markdown]
# *What it means* (written answer):

# %% [markdown] tags=["solution"]
# Even black sits at about 2.0 and the brightest sample near 11.9 — everything is far outside
# the [0, 1.003] range the network was trained on, and the offset of the black level is
# treated as signal. The file must be normalised with its own black and white levels
# (`raw.normalized()`) — and then rescaled to the 10-bit convention — before such a model
# sees it.

# %% [markdown]
# **4 · The real sensor's read noise.** Fit the noise curve of the Canon frame with 16×16 tiles
# and the black level subtracted (`noise_curve(..., tile=16)`). What is its read noise, as a
# standard deviation in DN (√b)? Then fit once more without subtracting the black: why can
# that intercept not be a variance?
# *Hint: bigger tiles → fewer tiles, but a tighter χ²; the colour chart's patches are flat.*

# %% tags=["solution"]
# BEGIN SOLUTION
fit16 = noise_curve(sample.mosaic, sample.cfa, sample.black_level, sample.white_level, tile=16)
read_noise_dn = float(np.sqrt(fit16.intercept))
# END SOLUTION
print(f"read noise ≈ {read_noise_dn:.1f} DN")

# %%
checks.check_read_noise(sample, read_noise_dn)

# %% [markdown]
# **5 · Grey world.** When does grey world fail? Among the first 40 training pairs, find the
# one whose grey-world gains (`isp.grey_world_gains`) differ most from the generator's
# (`pair["sensor"]["wb"]`), measured as the largest |log(grey world / truth)| over R and B.
# Look at it: what dominates the scene?
# *Hint: scenes dominated by one colour (a red motorcycle).*

# %% tags=["solution"]
# BEGIN SOLUTION
train_pairs = [p for p in manifest["pairs"] if p["split"] == "train"][:40]
misses = []
for pair in train_pairs:
    pair_raw = read_raw(data_root / pair["raw"])
    estimate = np.asarray(isp.grey_world_gains(isp.LinearMosaic(pair_raw.normalized(), "RGGB")))
    misses.append(np.abs(np.log(estimate / np.asarray(pair["sensor"]["wb"]))).max())
worst_pair = int(np.argmax(misses))
# END SOLUTION
print("worst pair:", worst_pair)

# %%
checks.check_grey_world_worst(data_root, 40, worst_pair)
