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
# 2. the **log-chroma (u, v) projection**: a per-channel gain moves every pixel's (u, v) by
#    the same amount — and why the histogram still changes shape;
# 3. how the **RGB-uv histogram** is built, step by step — and that our derivation
#    gives exactly the numbers of `hdrisp.losses.rgbuv_histogram`;
# 4. how the **kernel and σ** shape the histogram;
# 5. the **Hellinger distance** (and how the authors' code composes it over a batch),
#    compared with L1, χ², Jensen–Shannon and a 1-D transport distance on the marginals;
# 6. what the **gradient** of the loss looks like on an image, how far it alone undoes a
#    colour cast, and the **per-bin ripple** that slows it down;
# 7. and you get an **interactive explorer** to play with every knob.
#
# Everything runs on a laptop CPU in about a minute. The exercises at the end each have a
# check (`hdrisp.tutorial.checks`); their solutions are removed in the student edition.

# %% tags=["parameters"]
# Running on Colab, Binder or a lab image without hdrisp? Uncomment the next line, run it once
# and restart the kernel (URL: the repository your course installs from; INSTRUCTORS.md):
# # %pip install "hdrisp @ git+https://github.com/<owner>/hdrisp" ipywidgets
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
from hdrisp.raw.color import linear_to_srgb, srgb_to_linear
from hdrisp.tutorial import checks, synthetic_set
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
# A change of illuminant is, to a good approximation (von Kries), a *gain per channel* on
# linear light: (R, G, B) → (g_R R, g_G G, g_B B). Then u_R → u_R + log(g_R/g_G) for **every
# pixel** — the cloud of (u, v) points translates. This is why (u, v) is a good handle on
# colour casts. Let us check it on the photograph, applying the gains to the values the
# histogram sees:

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
# The *points* move together; the *histogram* is not just moved. Two reasons:
#
# 1. **The intensity weight changes with the gain** (section 3 weighs each pixel by
#    I_y = √(R² + G² + B²)). A red pixel gains weight under a warm cast, a blue one loses
#    it, so the relative heights of the histogram's parts change.
# 2. **Our photographs are sRGB-encoded**, and an illuminant multiplies *linear* light. On
#    encoded values a linear gain is not a gain: the sRGB curve has a linear toe and an
#    offset, so the shift in u depends on the pixel — pure translation holds only where the
#    gain multiplies the values the histogram is computed from. (The network's outputs and
#    targets are sRGB, so the loss sees encoded values.)

# %%
weight = torch.sqrt((image**2).sum(1) + eps)
weight_cast = torch.sqrt((cast**2).sum(1) + eps)
ratio = (weight_cast / weight)[lit]
print(f"1 · intensity weight after the cast / before: {ratio.min():.3f} … {ratio.max():.3f} "
      "(one number would mean an unchanged shape)")
linear_cast = torch.from_numpy(linear_to_srgb(srgb_to_linear(image.numpy()) * gains.numpy()))
shift_linear = (u_of_r(linear_cast) - u_of_r(image))[lit]
print(f"2 · gain applied to linear light: u_R moves by {shift_linear.min():.3f} … "
      f"{shift_linear.max():.3f} (log 1.4 = {np.log(1.4):.3f}; a pure power 1/2.4 would give "
      f"{np.log(1.4) / 2.4:.3f} everywhere)")
assert ratio.max() / ratio.min() > 1.2 and shift_linear.max() - shift_linear.min() > 0.01

# %% [markdown]
# ## 3 · The RGB-uv histogram, step by step
#
# The recipe — HistoGAN's histogram as the authors' code computes it — one line at a time:
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
# distance keeps growing with the shift: `marginal_emd` is the 1-D earth mover's distance of
# the u and v marginals (cheap; the true earth mover's distance of the 2-D histograms is an
# optimal-transport problem over the u–v plane, which it only approximates — two different
# histograms with equal marginals are at distance 0 for it). Near the target, where training
# spends its time, all of them agree on the direction.
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
# log-gains and Adam: how far does the histogram loss alone take the white balance back?

# %%
log_gain = torch.zeros(1, 3, 1, 1, requires_grad=True)
optimiser = torch.optim.Adam([log_gain], lr=0.05)
history, trajectory = [], []
for _ in range(150):
    corrected = (cast * log_gain.exp()).clamp(0, 1)
    loss = losses.hellinger_distance(losses.rgbuv_histogram(corrected), package[None],
                                     reduction="mean")
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    history.append(loss.item())
    trajectory.append(log_gain.detach().flatten().clone())
ideal = 1 / gains.flatten()


def ratios(log_g):
    found = log_g.exp()
    return found / found[1]       # only ratios are observable: the histogram ignores exposure


found = ratios(trajectory[-1])
print("gains found after 25 steps:", ratios(trajectory[24]).numpy().round(3))
print("gains found after 150 steps:", found.numpy().round(3), " ideal:",
      ideal.numpy().round(3))
error = float((found / ideal).log().abs().max())
print(f"largest error: {100 * (np.exp(error) - 1):.1f} %")
assert history[-1] < history[0] and error < 0.05, "the loss should bring the gains within 5 %"
fig, ax = plt.subplots(figsize=(6, 2.5))
ax.plot(history)
ax.axvline(24, color="grey", ls=":", label="step 25")
ax.set(xlabel="Adam step", ylabel="Hellinger")
ax.legend()
plt.show()

# %% [markdown]
# It gets within a few per cent (asserted above), but the descent is not smooth, and how far it
# is after 25 steps depends on the image. Two features of the loss, seen as a function of a
# gain, explain it (plotted below along the red gain, blue held at its ideal value):
#
# 1. **The per-bin ripple of the vote.** With σ = 0.02, much narrower than the bin spacing
#    6/63 ≈ 0.095, each pixel votes almost only for its nearest bin centre, and its vote rises
#    and falls as a gain slides its (u, v) across the centres. A gain moves u by log g, so the
#    loss carries a ripple whose period in log g is the bin spacing, on top of its overall
#    slope (the wiggles and terraces of the derivative). The fewer the pixels, the less the
#    ripples of different pixels average out: on a small image (smoke mode's 128×128 target)
#    the ripple can flip the sign of the slope, and Adam's first steps shrink and wander.
# 2. **A cusp at the answer.** Near the ideal gain the slope does not shrink: the derivative
#    jumps from one sign to the other. Adam with a fixed learning rate therefore keeps bouncing
#    around the minimum — the spikes of the loss curve above — rather than settling.
#
# A wider kernel (σ = 0.1, about the bin spacing) smooths both away, at the price of a blurrier
# histogram (exercises 2 and 6).

# %%
sweep_log_gain = np.linspace(-0.45, 0.05, 26 if SMOKE else 51)
fig, axes = plt.subplots(1, 2, figsize=(11, 3))
for sigma_ in (0.02, 0.1):
    target_hist = losses.rgbuv_histogram(image, sigma=sigma_)
    values_, slopes_ = [], []
    for x_ in sweep_log_gain:
        probe = (-gains.flatten().log()).clone()
        probe[0] = float(x_)
        probe = probe.view(1, 3, 1, 1).requires_grad_(True)
        distance = losses.hellinger_distance(
            losses.rgbuv_histogram((cast * probe.exp()).clamp(0, 1), sigma=sigma_), target_hist,
            reduction="mean")
        distance.backward()
        values_.append(distance.item())
        slopes_.append(float(probe.grad.flatten()[0]))
    axes[0].plot(sweep_log_gain, values_, marker=".", label=f"σ = {sigma_}")
    axes[1].plot(sweep_log_gain, slopes_, marker=".", label=f"σ = {sigma_}")
for ax in axes:
    ax.axvline(-np.log(1.4), color="grey", ls=":")
    ax.set_xlabel("log g_R (the ideal, −log 1.4, dotted)")
    ax.legend()
axes[0].set_ylabel("Hellinger")
axes[1].set_ylabel("d Hellinger / d log g_R")
axes[1].axhline(0, color="k", lw=0.5)
fig.tight_layout()

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
# Each exercise has a cell for your answer and a check after it.
#
# **1 · Clipping breaks the translation.** Scale the photograph so that its brightest value is
# 1 (`image / image.max()`), apply the strong warm cast gains (2, 1, 0.5) and clamp to [0, 1].
# What fraction of the *lit* pixels (smallest channel > 0.02) no longer has its u_R moved by
# exactly log 2 (to 1e-3)? Which pixels are they?
# *Hint: a clipped channel no longer carries the gain; look at u_R of pixels with R = 1.*

# %% tags=["solution"]
strong = (2.0, 1.0, 0.5)
# BEGIN SOLUTION
bright = image / image.max()
strong_cast = (bright * torch.tensor(strong).view(1, 3, 1, 1)).clamp(0, 1)
moved = u_of_r(strong_cast) - u_of_r(bright)
lit_bright = bright.min(1).values > 0.02
stuck_fraction = float(((moved - np.log(2)).abs() > 1e-3)[lit_bright].float().mean())
# END SOLUTION
print(f"{100 * stuck_fraction:.1f} % of the lit pixels stopped translating")

# %%
checks.check_clipped_fraction(image, strong, stuck_fraction)

# %% [markdown] tags=["solution"]
# They are the pixels whose red channel reached 1 after the gain: their R is clipped, so u_R
# grows by less than log 2 (by log(1/R) only). Bright, warm areas stop moving and pile up at
# the edge of what a clipped image can show — the histogram is deformed, not translated.

# %% [markdown]
# **2 · σ and the gradient.** Repeat the recovery of section 6 for 60 steps with σ = 0.005 and
# with σ = 0.2 (pass `sigma=` to *both* `rgbuv_histogram` calls). Measure each result's error
# as max |log(found / ideal)| over the three gains (G = 1). Which σ ends closer?
# *Hint: with a narrow kernel a pixel's vote for a far bin is nearly zero.*

# %% tags=["solution"]
# BEGIN SOLUTION
recovery_errors = {}
for sigma_ in (0.005, 0.2):
    reference_ = losses.rgbuv_histogram(image, sigma=sigma_)
    log_g = torch.zeros(1, 3, 1, 1, requires_grad=True)
    adam = torch.optim.Adam([log_g], lr=0.05)
    for _ in range(60):
        distance = losses.hellinger_distance(
            losses.rgbuv_histogram((cast * log_g.exp()).clamp(0, 1), sigma=sigma_), reference_,
            reduction="mean")
        adam.zero_grad()
        distance.backward()
        adam.step()
    recovery_errors[sigma_] = float((ratios(log_g.detach().flatten()) / ideal).log().abs().max())
closer_sigma = min(recovery_errors, key=recovery_errors.get)
# END SOLUTION
print("errors:", {k: round(v, 3) for k, v in recovery_errors.items()}, " closer:", closer_sigma)

# %%
checks.check_sigma_answer(recovery_errors, closer_sigma)

# %% [markdown]
# **3 · Batch composition.** For a batch of B identical pairs whose per-image distance is d,
# what does `reduction="authors"` return? Write it as a function of d and B. How does it scale
# with B, and what does that do to the effective weight 0.25 of the term when the batch size
# changes between levels (50 at level 4, 10 at level 0)?
# *Hint: √(B·2d²)/(√2·B).*

# %% tags=["solution"]
def authors_reduction(d, batch):
    """The authors' composed Hellinger loss of ``batch`` identical pairs at distance ``d``."""
    # BEGIN SOLUTION
    return d / np.sqrt(batch)
    # END SOLUTION


# %%
checks.check_authors_reduction(authors_reduction)

# %% [markdown] tags=["solution"]
# It is d/√B: the same images weigh 1/√50 ≈ 0.14 of d at level 4 but 1/√10 ≈ 0.32 at level 0,
# so the histogram term's effective weight grows 2.2× from level 4 to level 0, on top of the
# 0.25 of the schedule — a side effect of composing the sum inside the square root.

# %% [markdown]
# **4 · Crushed shadows and the intensity weight.** Set the 30 % darkest pixels of the
# photograph (ranked by their brightest channel) to exact black, as an 8-bit image with
# crushed shadows has them. How far does the histogram move (Hellinger, per image) with the
# intensity weight, and without it (`intensity_scale=False`)?
# *Hint: a black pixel has u = v = log ε − log ε = 0, and weight √ε.*

# %% tags=["solution"]
# BEGIN SOLUTION
brightest = image.amax(1, keepdim=True)
crushed = torch.where(brightest < brightest.quantile(0.3), torch.zeros_like(image), image)
moved_by = {}
for flag in (True, False):
    moved_by[flag] = float(losses.hellinger_distance(
        losses.rgbuv_histogram(crushed, intensity_scale=flag),
        losses.rgbuv_histogram(image, intensity_scale=flag), reduction="mean"))
with_weight, without_weight = moved_by[True], moved_by[False]
# END SOLUTION
print(f"with the weight {with_weight:.3f}, without {without_weight:.3f}")

# %%
checks.check_shadow_sensitivity(image, crushed, with_weight, without_weight)

# %% [markdown]
# **5 · Saturation.** In the sweep of section 5, find the smallest positive warmth at which
# the Hellinger distance reaches 95 % of its largest value over the sweep. Relate it to the
# width of the photograph's histogram in u.
# *Hint: `sweep` and `curves["hellinger"]`.*

# %% tags=["solution"]
# BEGIN SOLUTION
hellinger_curve = np.asarray(curves["hellinger"])
positive = sweep > 0
near_ceiling = positive & (hellinger_curve >= 0.95 * hellinger_curve[positive].max())
saturates_at = float(sweep[near_ceiling].min())
# END SOLUTION
print("saturates at warmth", saturates_at)

# %%
checks.check_saturation(sweep, curves["hellinger"], saturates_at)

# %% [markdown]
# **6 · The ripple's period.** Take a uniform grey image (`torch.full((1, 3, 16, 16), 0.5)`),
# multiply its red channel by e^x for x from 0 to 0.5 in steps of 0.002, and record the largest
# bin of the R projection's histogram each time. Its maxima repeat: at what period in x? Compare
# it with the bin spacing.
# *Hint: `losses.rgbuv_histogram(img)[0, 0].max()`; local maxima are larger than both neighbours.*

# %% tags=["solution"]
# BEGIN SOLUTION
grey = torch.full((1, 3, 16, 16), 0.5)
xs = np.arange(0, 0.5, 0.002)
peak = np.array([float(losses.rgbuv_histogram(grey * torch.tensor([np.exp(x_), 1.0, 1.0])
                                              .view(1, 3, 1, 1))[0, 0].max()) for x_ in xs])
maxima = [xs[i] for i in range(1, len(xs) - 1) if peak[i - 1] < peak[i] >= peak[i + 1]]
period = float(np.diff(maxima).mean())
# END SOLUTION
print(f"period {period:.4f}; bin spacing {6 / 63:.4f}")

# %%
checks.check_ripple_period(period)
