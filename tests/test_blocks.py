"""Each block against its formula, written out again in numpy (float64) on small tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hdrisp.models.blocks import (
    CAM,
    CBAM,
    ECA,
    IEM,
    SAM,
    ConvLayer,
    ConvMultiBlock,
    PyNETConvMultiBlock,
    SimAM,
    UpsampleConv,
    eca_kernel_size,
)

RNG = np.random.default_rng(3)


def _x(*shape: int) -> torch.Tensor:
    return torch.from_numpy(RNG.standard_normal(shape).astype(np.float32))


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().double().numpy()


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def _conv2d(x: np.ndarray, w: np.ndarray, pad_mode: str) -> np.ndarray:
    """Plain 'same' 2-D correlation, B×C×H×W with O×C×k×k, padding by np.pad."""
    k = w.shape[-1]
    r = k // 2
    xp = np.pad(x, ((0, 0), (0, 0), (r, r), (r, r)), mode=pad_mode)
    h, wd = x.shape[2:]
    out = np.zeros((x.shape[0], w.shape[0], h, wd))
    for i in range(k):
        for j in range(k):
            out += np.einsum("bchw,oc->bohw", xp[:, :, i:i + h, j:j + wd], w[:, :, i, j])
    return out


def _close(got: torch.Tensor, expected: np.ndarray, tol: float = 1e-5) -> None:
    assert got.shape == expected.shape
    np.testing.assert_allclose(_np(got), expected, atol=tol, rtol=0)


def test_eca_kernel_sizes():
    assert [eca_kernel_size(c) for c in (32, 64, 128, 256, 512)] == [3, 3, 5, 5, 5]
    assert ECA(256).conv.weight.shape == (1, 1, 5)


def test_conv_layer_reflection_norm_and_leaky_relu():
    layer = ConvLayer(3, 4, 5, relu=True, instance_norm=True)
    with torch.no_grad():
        layer.instance.weight.uniform_(0.5, 1.5)
        layer.instance.bias.uniform_(-0.5, 0.5)
    x = _x(2, 3, 7, 9)
    conv = _conv2d(_np(x), _np(layer.conv2d.weight), "reflect") + \
        _np(layer.conv2d.bias)[None, :, None, None]
    mean = conv.mean(axis=(2, 3), keepdims=True)
    var = conv.var(axis=(2, 3), keepdims=True)
    normed = (conv - mean) / np.sqrt(var + 1e-5) * _np(layer.instance.weight)[None, :, None, None] \
        + _np(layer.instance.bias)[None, :, None, None]
    _close(layer(x), np.where(normed > 0, normed, 0.2 * normed))
    assert list(dict(layer.state_dict())) == ["conv2d.weight", "conv2d.bias",
                                              "instance.weight", "instance.bias"]


def test_conv_multi_blocks_shapes_and_names():
    x = _x(1, 6, 12, 12)
    assert ConvMultiBlock(6, 8)(x).shape == (1, 8, 12, 12)
    block = PyNETConvMultiBlock(6, 8, max_kernel=7, instance_norm=False)
    y = block(x)
    assert y.shape == (1, 24, 12, 12)
    assert {k.split(".")[0] for k in block.state_dict()} == {
        "conv_3a", "conv_3b", "conv_5a", "conv_5b", "conv_7a", "conv_7b"}
    # branches are concatenated in increasing kernel size
    torch.testing.assert_close(y[:, 8:16], block.conv_5b(block.conv_5a(x)))


def test_upsample_conv_is_bilinear_align_corners_then_conv():
    block = UpsampleConv(2, 3)
    x = _x(1, 2, 3, 4)
    # align_corners=True: output pixel i samples input at i·(n−1)/(2n−1)
    xs = _np(x)

    def interp(a: np.ndarray, axis: int) -> np.ndarray:
        n = a.shape[axis]
        pos = np.arange(2 * n) * (n - 1) / (2 * n - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        f = pos - lo
        shape = [1] * a.ndim
        shape[axis] = -1
        f = f.reshape(shape)
        return np.take(a, lo, axis) * (1 - f) + np.take(a, hi, axis) * f

    up = interp(interp(xs, 2), 3)
    conv = _conv2d(up, _np(block.conv2d.weight), "reflect") + \
        _np(block.conv2d.bias)[None, :, None, None]
    _close(block(x), np.where(conv > 0, conv, 0.2 * conv))


def test_eca_formula():
    block = ECA(16)
    x = _x(2, 16, 5, 6)
    pooled = _np(x).mean(axis=(2, 3))
    k = _np(block.conv.weight)[0, 0]
    r = len(k) // 2
    padded = np.pad(pooled, ((0, 0), (r, r)))
    mixed = np.stack([padded[:, c:c + len(k)] @ k for c in range(16)], axis=1)
    _close(block(x), _np(x) * _sigmoid(mixed)[:, :, None, None])


def _mlp(seq: torch.nn.Sequential, v: np.ndarray) -> np.ndarray:
    h = np.maximum(v @ _np(seq[0].weight).T + _np(seq[0].bias), 0)
    return h @ _np(seq[2].weight).T + _np(seq[2].bias)


def test_cam_sam_cbam_formulas():
    block = CBAM(16, reduction=4)
    x = _x(2, 16, 6, 5)
    xs = _np(x)
    gate = _sigmoid(_mlp(block.cam.linear_max, xs.max(axis=(2, 3)))
                    + _mlp(block.cam.linear_avg, xs.mean(axis=(2, 3))))
    after_cam = xs * gate[:, :, None, None]
    _close(CAM.forward(block.cam, x), after_cam)
    pooled = np.concatenate([after_cam.max(axis=1, keepdims=True),
                             after_cam.mean(axis=1, keepdims=True)], axis=1)
    spatial = _sigmoid(_conv2d(pooled, _np(block.sam.conv.weight), "constant"))
    _close(block(x), after_cam * spatial + xs)
    assert isinstance(block.sam, SAM)


def test_iem_formula_and_batch_of_one():
    block = IEM(8)
    for batch in (1, 3):
        x = _x(batch, 8, 5, 7)
        xs = _np(x)
        a = _sigmoid(_conv2d(xs, _np(block.conv1.weight), "reflect"))
        v = xs.mean(axis=(2, 3))
        for fc, act in ((block.fc1, True), (block.fc2, True), (block.fc3, False)):
            v = v @ _np(fc.weight).T + _np(fc.bias)
            v = np.maximum(v, 0) if act else v
        _close(block(x), xs * a * _sigmoid(v)[:, :, None, None])


def test_simam_formula():
    x = _x(2, 3, 4, 5) * 2 + 1
    xs = _np(x)
    n = 4 * 5 - 1
    d = (xs - xs.mean(axis=(2, 3), keepdims=True)) ** 2
    e = d / (4 * (d.sum(axis=(2, 3), keepdims=True) / n + 1e-4)) + 0.5
    _close(SimAM()(x), xs * _sigmoid(e))
    assert not list(SimAM().parameters())


@pytest.mark.parametrize("block", [ECA(32), CAM(32, 8), SAM(), CBAM(32, 8), IEM(32), SimAM(),
                                   ConvLayer(32, 32, 3, instance_norm=True), UpsampleConv(32, 8)])
def test_blocks_keep_channels_last(block):
    block = block.to(memory_format=torch.channels_last)
    x = _x(2, 32, 8, 8).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        y = block(x)
        reference = block.to(memory_format=torch.contiguous_format)(x.contiguous())
    assert y.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(y, reference, atol=1e-5, rtol=1e-5)
