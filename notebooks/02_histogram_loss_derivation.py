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
# # 02 · The RGB-uv histogram loss, derived step by step
#
# The network of this project is trained with a colour term borrowed from HistoGAN
# (Afifi et al., CVPR 2021): the *RGB-uv histogram* of the prediction is compared with
# that of the target by the *Hellinger distance*. In this notebook you will learn
#
# 1. why an ordinary histogram cannot train a network, and how a kernel makes a
#    **soft, differentiable histogram**;
# 2. the **log-chroma (u, v) projection**, and why a change of illuminant only
#    *translates* an image's histogram there;
# 3. how the **RGB-uv histogram** is built, step by step — and that our derivation
#    gives exactly the numbers of `hdrisp.losses.rgbuv_histogram`;
# 4. how the **kernel and σ** shape the histogram;
# 5. the **Hellinger distance** (and how the authors' code composes it over a batch),
#    compared with L1, χ², Jensen–Shannon and the earth mover's distance;
# 6. what the **gradient** of the loss looks like on an image, and that it alone can undo
#    a colour cast;
# 7. and you get an **interactive explorer** to play with every knob.
#
# Everything runs on a laptop CPU in a few seconds.

# %% tags=["parameters"]
import os

from hdrisp.tutorial import env_flag

SMOKE = env_flag("HDRISP_SMOKE")                   # tiny data, fewer steps (CI)
DATA_DIR = os.environ.get("HDRISP_DATA_DIR", "")   # data folder; "" → hdrisp's default data/
RUN_DIR = os.environ.get("HDRISP_RUN_DIR", "")     # training runs; unused here
DEVICE = os.environ.get("HDRISP_DEVICE", "auto")   # unused here: everything is tiny

# %%
# %matplotlib inline
import imageio.v3 as iio
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from hdrisp import losses
from hdrisp.tutorial import synthetic_set
from hdrisp.tutorial.widgets import HistogramExplorer, plot_uv_histogram

torch.manual_seed(0)
data_root = synthetic_set(DATA_DIR, smoke=SMOKE)
targets = sorted((data_root / "test" / "groundtruth").glob("*.jpg"))[:12]
photo_path = max(targets, key=lambda p: iio.imread(p).mean())    # the brightest test target
photo = iio.imread(photo_path).astype(np.float32) / 255.0          # H×W×3 sRGB in [0, 1]
image = torch.from_numpy(photo).permute(2, 0, 1)[None].contiguous()  # 1×3×H×W
print(f"{photo_path.name}: {photo.shape[1]}×{photo.shape[0]} pixels")
plt.imshow(photo)
plt.gca().set_axis_off()

# %% [markdown]
# ## 1 · From a histogram to a soft histogram
#
# A histogram counts the values falling into each bin. Moving a value a little changes
# no count at all — until it jumps into the next bin. Its derivative is zero almost
# everywhere, so a network gets no gradient from it.
#
# The fix: let every value vote for *every* bin, with a weight that falls off with the
# distance d between the value and the bin centre, through a kernel k(d):
#
# $$h_j = \sum_i k(|x_i - t_j|), \qquad
#   k_\text{inverse-quadratic}(d) = \frac{1}{1 + d^2/\sigma^2}, \quad
#   k_\text{rbf}(d) = e^{-d^2/\sigma^2}.$$
#
# The votes are smooth in x, so the histogram has a gradient. σ sets how far a vote
# reaches.

# %%
values = image[0, 1].flatten()                   # the green channel, N values in [0, 1]
centres = torch.linspace(0, 1, 32)


def soft_histogram_1d(x, centres, sigma):
    """Inverse-quadratic soft histogram of the values x at the given bin centres."""
    distance = x[:, None] - centres[None, :]     # N×bins
    return (1.0 / (1.0 + distance**2 / sigma**2)).sum(0)


hard, _ = np.histogram(values.numpy(), bins=32, range=(-1 / 62, 1 + 1 / 62))
fig, ax = plt.subplots(figsize=(7, 3))
ax.bar(centres, hard / hard.sum(), width=1 / 31, alpha=0.4, label="hard counts")
for sigma in (0.005, 0.02, 0.08):
    soft = soft_histogram_1d(values, centres, sigma)
    ax.plot(centres, soft / soft.sum(), marker=".", label=f"soft, σ = {sigma}")
ax.set_xlabel("green value")
ax.legend()
plt.show()

# %% [markdown]
# The soft histogram has a gradient with respect to every pixel value; the hard one
# does not (NumPy cannot even ask). Here is the derivative of one bin's mass with
# respect to each of the first pixels:

# %%
x = values[:8].clone().requires_grad_(True)
soft_histogram_1d(x, centres, 0.02)[10].backward()
print("bin centre 10:", round(float(centres[10]), 3))
print("pixel values :", np.round(x.detach().numpy(), 3))
print("d h_10 / d x :", np.round(x.grad.numpy(), 3))

# %% [markdown]
# ## 2 · The log-chroma (u, v) projection
#
# Colour without brightness: take logarithms of channel *ratios*. For the R projection
#
# $$u_R = \log(R + \varepsilon) - \log(G + \varepsilon), \qquad
#   v_R = \log(R + \varepsilon) - \log(B + \varepsilon),$$
#
# and likewise for G (partners R, B) and B (partners R, G); ε = 10⁻⁶ keeps black pixels
# finite. Doubling the exposure multiplies R, G and B alike: u and v do not move.
#
# A change of illuminant is, to a good approximation (von Kries), a *gain per channel*:
# (R, G, B) → (g_R R, g_G G, g_B B). Then u_R → u_R + log(g_R/g_G) for **every pixel**:
# the whole histogram translates, its shape unchanged. This is why the histogram in
# (u, v) is a good handle on colour casts. Let us check it on the photograph:

# %%
eps = 1e-6
gains = torch.tensor([1.4, 1.0, 0.7]).view(1, 3, 1, 1)    # a warm cast
cast = image * gains                                    # no clipping: max ≤ 1.4 is fine here


def u_of_r(img):
    return torch.log(img[:, 0] + eps) - torch.log(img[:, 1] + eps)


shift = u_of_r(cast) - u_of_r(image)
lit = image.min(1).values > 0.02                        # away from black, ε is negligible
print(f"expected shift log(1.4/1.0) = {np.log(1.4):.5f}")
print(f"observed shift: min {shift[lit].min():.5f}, max {shift[lit].max():.5f}")
assert torch.allclose(shift[lit], torch.tensor(np.log(1.4), dtype=torch.float32), atol=1e-4)

# %% [markdown]
# ## 3 · The RGB-uv histogram, step by step
#
# The recipe of the authors' code (after HistoGAN), one line at a time:
#
# 1. clamp to [0, 1]; when a side is larger than 150, resize to 150×150 (bilinear) —
#    the cost then no longer depends on the image size;
# 2. weight each pixel by its intensity I_y = √(R² + G² + B² + ε), so dark, noisy pixels
#    (whose chroma is unreliable) count less;
# 3. for each projection c, the soft histogram of u and of v on 64 bin centres from −3 to
#    3: two N×64 kernel matrices K_u and K_v;
# 4. the joint 2-D histogram is a matrix product: H_c = (I_y·K_u)ᵀ K_v — entry (i, j)
#    sums, over pixels, weight × vote for u-bin i × vote for v-bin j;
# 5. stack the three 64×64 matrices and divide by the total, so the whole thing sums to 1.

# %%
size, bins, sigma = 150, 64, 0.02

step1 = image.clamp(0, 1)
if step1.shape[-2] > size or step1.shape[-1] > size:
    step1 = F.interpolate(step1, size=(size, size), mode="bilinear", align_corners=False)
pixels = step1[0].reshape(3, -1).T.double()                      # N×3
weight = torch.sqrt((pixels**2).sum(1) + eps)                   # step 2: N
bin_centres = torch.linspace(-3, 3, bins, dtype=torch.float64)
partners = {0: (1, 2), 1: (0, 2), 2: (0, 1)}                    # R: (G, B), G: (R, B), B: (R, G)


def kernel_matrix(coordinate):
    """N×bins votes of each pixel's coordinate for each bin (inverse-quadratic)."""
    return 1.0 / (1.0 + (coordinate[:, None] - bin_centres[None, :]) ** 2 / sigma**2)


projections = []
for c in range(3):
    c1, c2 = partners[c]
    u = torch.log(pixels[:, c] + eps) - torch.log(pixels[:, c1] + eps)
    v = torch.log(pixels[:, c] + eps) - torch.log(pixels[:, c2] + eps)
    k_u, k_v = kernel_matrix(u), kernel_matrix(v)              # step 3
    projections.append((weight[:, None] * k_u).T @ k_v)       # step 4: bins×bins
ours = torch.stack(projections)
ours = ours / (ours.sum() + eps)                                # step 5

package = losses.rgbuv_histogram(image)[0]
print("shape:", tuple(package.shape), " largest difference:",
      float((ours.float() - package).abs().max()))
assert torch.allclose(ours.float(), package, atol=1e-6), "the derivation and hdrisp disagree"

# %% [markdown]
# The derivation and `hdrisp.losses.rgbuv_histogram` agree to float precision. (The
# package computes the same sum much faster: it needs only three of the six kernel
# matrices — u_G = −u_R, and the centres are symmetric — and recomputes them in the
# backward pass instead of storing them. Its docstring tells the story.)
#
# Here is the histogram, one panel per projection, u to the right and v up (drawn as h^¼ —
# most of a photograph's mass sits in a few bins near the neutral point u = v = 0):

# %%
fig, axes = plt.subplots(1, 4, figsize=(12, 3))
axes[0].imshow(photo)
axes[0].set_axis_off()
for c, name in enumerate("RGB"):
    plot_uv_histogram(axes[c + 1], package[c], f"{name} projection")
fig.tight_layout()

# %% [markdown]
# ## 4 · Kernels and σ
#
# σ = 0.02 is narrow compared with the bin spacing (6/63 ≈ 0.095): most of a pixel's vote
# lands in its nearest bin, the histogram is sharp. A wider σ blurs it. The thresholding
# kernel is the hard histogram — its gradient reaches the image only through the intensity
# weight, not through the colours.

# %%
fig, axes = plt.subplots(3, 3, figsize=(9, 9))
for row, kernel in enumerate(("inverse-quadratic", "rbf", "thresholding")):
    for col, s in enumerate((0.02, 0.1, 0.3)):
        h = losses.rgbuv_histogram(image, kernel=kernel, sigma=s)[0, 0]
        plot_uv_histogram(axes[row, col], h, f"{kernel}, σ={s}", bounds=(-3, 3), labels=False)
fig.tight_layout()

# %%
for kernel in ("inverse-quadratic", "rbf", "thresholding"):
    probe = cast.clamp(0, 1).clone().requires_grad_(True)
    hist = losses.rgbuv_histogram(probe, kernel=kernel)
    losses.hellinger_distance(hist, package[None], reduction="mean").backward()
    print(f"{kernel:18s} gradient norm {float(probe.grad.norm()):.3e}")

# %% [markdown]
# ## 5 · The Hellinger distance, and the alternatives
#
# Two histograms p and q (each summing to 1) are compared by
#
# $$H(p, q) = \frac{1}{\sqrt 2}\,\big\lVert \sqrt p - \sqrt q \big\rVert_2
#           = \sqrt{1 - \textstyle\sum_k \sqrt{p_k q_k}},$$
#
# 0 for equal histograms and 1 for histograms without common support. The square roots
# make small bins count: a colour present in the target but missing in the prediction
# costs more than under an L2 distance.
#
# **How the authors' code composes it over a batch** — the sum over the batch sits
# *inside* the square root, and the result is divided by B:
# (1/√2)·√(Σ_batch,bins (√H_t − √H_p)²) / B. That is not the mean of the per-image
# distances; `reduction="authors"` reproduces it, `reduction="mean"` is the per-image mean.

# %%
cool = (image * torch.tensor([0.9, 1.0, 1.1]).view(1, 3, 1, 1)).clamp(0, 1)  # a mild cool cast
batch_pred = losses.rgbuv_histogram(torch.cat([cast.clamp(0, 1), cool]))
batch_target = losses.rgbuv_histogram(torch.cat([image, image]))
by_hand = (batch_target.sqrt() - batch_pred.sqrt()).pow(2).sum().sqrt() / np.sqrt(2) / 2
per_image = (batch_target.sqrt() - batch_pred.sqrt()).pow(2).sum((1, 2, 3)).sqrt() / np.sqrt(2)
print("authors' composition:", float(by_hand), " mean of per-image distances:",
      float(per_image.mean()))
package_authors = losses.hellinger_distance(batch_pred, batch_target, reduction="authors",
                                            safe=False)
package_mean = losses.hellinger_distance(batch_pred, batch_target, reduction="mean", safe=False)
assert torch.allclose(package_authors, by_hand, atol=1e-6)
assert torch.allclose(package_mean, per_image.mean(), atol=1e-6)

# %% [markdown]
# One more property: the histogram forgets *where* colours are. A mirrored image is at
# distance zero — which is why this loss is only one term beside MSE, SSIM and the
# perceptual loss:

# %%
mirrored = losses.hellinger_distance(losses.rgbuv_histogram(image.flip(-1)), package[None],
                                     reduction="mean", safe=False)
print("Hellinger(image, mirrored image) =", float(mirrored))

# %% [markdown]
# Now sweep a warm/cool cast and watch each distance. The explorer class used below
# (`hdrisp.tutorial.widgets.HistogramExplorer`) applies the cast and computes every distance that
# `hdrisp.losses` offers.

# %%
explorer = HistogramExplorer(photo)
sweep = np.linspace(-2, 2, 9 if SMOKE else 33)
curves = {}
for warmth in sweep:
    explorer.warmth = float(warmth)
    for name, value in explorer.losses().items():
        curves.setdefault(name, []).append(value)
explorer.warmth = 0.0
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, values_ in curves.items():
    values_ = np.asarray(values_)
    ax.plot(sweep, values_ / max(values_.max(), 1e-12), marker=".", label=name)
ax.set(xlabel="warmth (stops of red over blue)", ylabel="distance / its maximum")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Hellinger, L1 and Jensen–Shannon *saturate*: once the shifted histogram no longer overlaps
# the target, moving it further costs nothing more — and gives no gradient. A transport
# distance (EMD) keeps growing with the shift. Near the target, where training spends its
# time, all of them agree on the direction.
#
# ## 6 · Gradients on an image
#
# Give the cast image to the loss with the original as the target, and ask for the
# gradient with respect to every pixel:

# %%
pred = cast.clamp(0, 1).clone().requires_grad_(True)
loss = losses.hellinger_distance(losses.rgbuv_histogram(pred), package[None], reduction="mean")
loss.backward()
grad = pred.grad[0]
fig, axes = plt.subplots(1, 4, figsize=(12, 3))
axes[0].imshow(pred[0].detach().permute(1, 2, 0))
axes[0].set_title("warm cast (the prediction)")
limit = float(grad.abs().flatten().quantile(0.99))   # a few pixels dominate: clip the scale
for c, name in enumerate("RGB"):
    axes[c + 1].imshow(grad[c], cmap="coolwarm", vmin=-limit, vmax=limit)
    axes[c + 1].set_title(f"∂loss/∂{name}")
for ax in axes:
    ax.set_axis_off()
print("mean gradient per channel (R, G, B):", grad.mean((1, 2)).numpy())

# %% [markdown]
# Positive means "decrease this channel". Follow that gradient with three free per-channel
# log-gains: the histogram loss alone finds the white balance back.

# %%
log_gain = torch.zeros(1, 3, 1, 1, requires_grad=True)
optimiser = torch.optim.Adam([log_gain], lr=0.05)
history = []
for _ in range(25 if SMOKE else 150):
    corrected = (cast * log_gain.exp()).clamp(0, 1)
    loss = losses.hellinger_distance(losses.rgbuv_histogram(corrected), package[None],
                                     reduction="mean")
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    history.append(loss.item())
found = log_gain.exp().flatten()
found = found / found[1]          # only ratios are observable: the histogram ignores exposure
print("gains found (G = 1):", found.detach().numpy().round(3), " ideal:",
      np.round([1 / 1.4, 1.0, 1 / 0.7], 3))
assert history[-1] < history[0], "the loss should fall"
plt.figure(figsize=(6, 2.5))
plt.plot(history)
plt.xlabel("Adam step")
plt.ylabel("Hellinger")
plt.show()

# %% [markdown]
# ## 7 · Explore
#
# Move the sliders: the kernel, σ, the number of bins, the intensity weight, and a warm/cool
# (`warmth`) or green/magenta (`tint`) cast applied to the photograph. The histograms of the
# original and of the cast image are drawn live, with every distance between them.
# (In a static copy of this notebook — the HTML export — the live widget is missing; the
# figure below it shows one setting.)

# %%
explorer = HistogramExplorer(photo, warmth=0.75)
explorer.widget()

# %%
explorer.figure()

# %% [markdown]
# ## Exercises
#
# 1. **Clipping breaks the translation.** Scale the photograph so that its brightest pixels
#    reach 1, then apply a strong warm cast in the explorer. Which parts of the histogram stop
#    moving, and why?
#    *Hint: a clipped channel no longer carries the gain; look at u_R of pixels with R = 1.*
# 2. **σ and the gradient.** Repeat the white-balance recovery of section 6 with σ = 0.005
#    and σ = 0.2 (pass `sigma=` to `losses.rgbuv_histogram`). Which converges, which stalls?
#    *Hint: with a narrow kernel a pixel's vote for a far bin is nearly zero.*
# 3. **Batch composition.** For a batch of B identical pairs with per-image distance d, what
#    does `reduction="authors"` return? How does it scale with B, and what does that do to
#    the effective weight 0.25 of the term when the batch size changes between levels?
#    *Hint: √(B·2d²)/(√2·B) = d/√B.*
# 4. **No intensity weight.** Switch `intensity_scale` off in the explorer on a dark image.
#    Where does mass appear that was not there before?
#    *Hint: ε in log(I + ε) dominates when I ≈ 0.*
# 5. **Saturation.** Find the warmth at which the Hellinger distance stops growing, and
#    relate it to the width of the photograph's histogram in u.
