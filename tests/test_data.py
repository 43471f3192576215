"""Datasets: shapes per level, the authors' conventions, Bayer phase under augmentation."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from hdrisp.data import (
    Augmentation,
    FullResolutionDataset,
    PairedRawDataset,
    apply_augmentation,
    check_dataset,
    prepare_zurich,
    sample_augmentation,
    target_size_for_level,
)
from hdrisp.errors import DatasetError
from hdrisp.raw import pack

CHANNEL_OF_SITE = np.array([[0, 1], [1, 2]])  # RGGB: colour index at (row % 2, col % 2)


def test_target_sizes_follow_training_md() -> None:
    assert [target_size_for_level(448, lv) for lv in range(5)] == [448, 224, 112, 56, 28]


@pytest.mark.parametrize("level", range(5))
def test_shapes_for_every_level(tiny_synthetic: Path, level: int) -> None:
    ds = PairedRawDataset(tiny_synthetic, "train", level)
    assert len(ds) == 8
    raw, target = ds[3]
    assert raw.shape == (4, 32, 32) and raw.dtype == torch.float32
    assert target.shape == (3, 64 >> level, 64 >> level) and target.dtype == torch.float32
    assert 0 <= float(target.min()) and float(target.max()) <= 1
    test = PairedRawDataset(tiny_synthetic, "test", level)
    assert len(test) == 4 and test[0][0].shape == (4, 32, 32)


def test_raw_is_packed_B_Gb_R_Gr_over_1020_and_target_is_pil_bicubic(tiny_synthetic) -> None:
    mosaic = cv2.imread(str(tiny_synthetic / "train/raw/5.png"), cv2.IMREAD_UNCHANGED)
    raw, target = PairedRawDataset(tiny_synthetic, "train", level=2)[5]
    expected = np.stack([mosaic[1::2, 1::2], mosaic[0::2, 1::2], mosaic[0::2, 0::2],
                         mosaic[1::2, 0::2]]).astype(np.float32) / 1020
    np.testing.assert_array_equal(raw.numpy(), expected)
    with Image.open(tiny_synthetic / "train/groundtruth/5.jpg") as im:
        small = np.asarray(im.convert("RGB").resize((16, 16), Image.BICUBIC))
    np.testing.assert_allclose(target.numpy(), small.transpose(2, 0, 1) / 255.0, atol=1e-6)
    levels = PairedRawDataset(tiny_synthetic, "train", 0, normalization="levels")[5][0]
    np.testing.assert_allclose(levels.numpy(), expected * 1020 / 1023, rtol=1e-6)


def _coded_pair(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """An RGB image whose every value names its channel and position, and its RGGB mosaic."""
    rows, cols = np.mgrid[0:h, 0:w]
    rgb = np.stack([c * 1_000_000 + rows * 1000 + cols for c in range(3)], axis=2)
    mosaic = np.take_along_axis(rgb, CHANNEL_OF_SITE[rows % 2, cols % 2][..., None], 2)[..., 0]
    return mosaic, rgb


def _assert_phased_and_aligned(mosaic: np.ndarray, target: np.ndarray) -> None:
    h, w = mosaic.shape
    rows, cols = np.mgrid[0:h, 0:w]
    channel = mosaic // 1_000_000
    np.testing.assert_array_equal(channel, CHANNEL_OF_SITE[rows % 2, cols % 2])  # RGGB phase
    # each sample is the target's value of its colour at the same pixel (alignment)
    np.testing.assert_array_equal(mosaic, np.take_along_axis(target, channel[..., None], 2)[..., 0])


def test_every_flip_and_crop_keeps_the_bayer_phase() -> None:
    mosaic, rgb = _coded_pair(12, 16)
    for flip_h, flip_v, transpose in itertools.product([False, True], repeat=3):
        for top in range(int(flip_v), 12 - 8 + 1, 2):
            for left in range(int(flip_h), 16 - 8 + 1, 2):
                aug = Augmentation(top, left, 8, 8, flip_h, flip_v, transpose)
                m, t = apply_augmentation(mosaic, rgb, aug)
                assert m.shape == (8, 8) and t.shape == (8, 8, 3)
                _assert_phased_and_aligned(m, t)
    # the flips really happen: the corner sample comes from the other side
    m, _ = apply_augmentation(mosaic, rgb, Augmentation(1, 1, 8, 8, True, True))
    assert m[0, 0] % 1000 == 8 and (m[0, 0] // 1000) % 1000 == 8
    with pytest.raises(DatasetError, match="phase"):
        apply_augmentation(mosaic, rgb, Augmentation(0, 0, 8, 8, flip_h=True))


def test_random_augmentations_draw_all_flips_and_stay_phased() -> None:
    mosaic, rgb = _coded_pair(20, 20)
    seen = set()
    rng = np.random.default_rng(0)
    for _ in range(200):
        aug = sample_augmentation(rng, mosaic.shape, (8, 8))
        seen.add((aug.flip_h, aug.flip_v, aug.transpose))
        _assert_phased_and_aligned(*apply_augmentation(mosaic, rgb, aug))
    assert len(seen) == 8


# RGGB photosite kinds at (row % 2, col % 2): R, Gb (green in a red row), Gr (green in a blue
# row), B; and the kind each packed channel [B, Gb, R, Gr] reads from an unaugmented mosaic
KIND_OF_SITE = np.array([[0, 1], [2, 3]])
R, GB, GR, B = range(4)
PACKED_KINDS = [B, GB, R, GR]


def _site_coded(h: int, w: int) -> np.ndarray:
    """A mosaic whose every sample names its photosite kind and its position in the source:
    kind·10⁶ + row·10³ + column."""
    rows, cols = np.mgrid[0:h, 0:w]
    return KIND_OF_SITE[rows % 2, cols % 2] * 1_000_000 + rows * 1000 + cols


def test_every_flip_transpose_and_crop_keeps_positions_and_swaps_greens_only_on_transpose(
        ) -> None:
    """Four distinct photosite kinds: each output sample's origin (kind, row, column) is
    checked against the definition of the crop → flips → transposition, not the code."""
    mosaic = _site_coded(12, 16)
    target = np.stack([mosaic, mosaic + 1, mosaic + 2], axis=2)
    i, j = np.mgrid[0:8, 0:8]
    checked = 0
    for flip_h, flip_v, transpose in itertools.product([False, True], repeat=3):
        for top in range(int(flip_v), 12 - 8 + 1, 2):
            for left in range(int(flip_h), 16 - 8 + 1, 2):
                aug = Augmentation(top, left, 8, 8, flip_h, flip_v, transpose)
                m, t = apply_augmentation(mosaic, target, aug)
                a, b = (j, i) if transpose else (i, j)  # transposition is applied last
                source_row = top + (7 - a if flip_v else a)
                source_col = left + (7 - b if flip_h else b)
                np.testing.assert_array_equal((m // 1000) % 1000, source_row)
                np.testing.assert_array_equal(m % 1000, source_col)
                kind = m // 1_000_000
                np.testing.assert_array_equal(kind, KIND_OF_SITE[source_row % 2,
                                                                 source_col % 2])
                # R and B keep their places; the greens trade photosites iff transposed
                packed = pack(kind.astype(np.float32))
                expected = [B, GR, R, GB] if transpose else PACKED_KINDS
                assert [set(np.unique(c)) for c in packed] == [{k} for k in expected], aug
                assert aug.greens_swapped == transpose
                np.testing.assert_array_equal(t, np.stack([m, m + 1, m + 2], axis=2))
                checked += 1
    assert checked == 2 * (3 * 5 + 2 * 5 + 3 * 4 + 2 * 4)  # (top, left) pairs per flip set
    with pytest.raises(DatasetError, match="phase"):
        apply_augmentation(mosaic, target, Augmentation(0, 0, 8, 8, flip_v=True))


def _write_pattern_set(root: Path, side: int = 40) -> None:
    """A one-pair paper-layout set whose raw is R = 100, Gb = 400, Gr = 600, B = 900."""
    for sub in ("train/raw", "train/groundtruth"):
        (root / sub).mkdir(parents=True)
    mosaic = np.take([100, 400, 600, 900], np.tile(KIND_OF_SITE, (side // 2, side // 2)))
    cv2.imwrite(str(root / "train/raw/0.png"), mosaic.astype(np.uint16))
    cv2.imwrite(str(root / "train/groundtruth/0.jpg"), np.full((side, side, 3), 128, np.uint8))


def test_augmented_dataset_keeps_packed_channel_meaning(tmp_path: Path) -> None:
    _write_pattern_set(tmp_path)
    kept = torch.tensor([900, 400, 100, 600]).float().view(4, 1, 1) / 1020  # [B, Gb, R, Gr]
    swapped = kept[[0, 3, 2, 1]]  # transposed: the greens come from the other photosites
    seen = {"kept": 0, "swapped": 0}
    torch.manual_seed(0)
    ds = PairedRawDataset(tmp_path, "train", 0, augment=True, patch=16)
    for _ in range(40):
        raw, target = ds[0]
        assert raw.shape == (4, 8, 8) and target.shape == (3, 16, 16)
        name = "kept" if torch.equal(raw, kept.expand(4, 8, 8)) else "swapped"
        torch.testing.assert_close(raw, (kept if name == "kept" else swapped).expand(4, 8, 8))
        seen[name] += 1
    assert min(seen.values()) >= 8, seen  # transposition is drawn with probability ½
    photosites = PairedRawDataset(tmp_path, "train", 0, augment=True, patch=16,
                                  transpose=False)
    for _ in range(20):
        torch.testing.assert_close(photosites[0][0], kept.expand(4, 8, 8))
    default = PairedRawDataset(tmp_path, "train", 1, augment=True)[0]
    assert default[0].shape == (4, 16, 16) and default[1].shape == (3, 16, 16)  # 32 of 40


def test_full_resolution_frames_png_and_dng(tiny_synthetic: Path) -> None:
    png = FullResolutionDataset(tiny_synthetic)
    assert [p.name for p in png.files] == ["0.png"]
    item = png[0]
    assert item["raw"].shape == (4, 64, 96) and item["target"].shape == (3, 128, 192)
    dng = FullResolutionDataset(tiny_synthetic, suffixes=[".dng"], level=1)[0]
    assert dng["path"].endswith("0.dng") and dng["target"].shape == (3, 64, 96)
    # the same frame: ÷1020 for PNG raws, black/white levels (0/1023) for camera raws
    torch.testing.assert_close(dng["raw"] * 1023 / 1020, item["raw"])
    cropped = FullResolutionDataset(tiny_synthetic / "test/full_resolution", multiple=40)[0]
    assert cropped["raw"].shape == (4, 40, 80) and cropped["target"].shape == (3, 80, 160)


def test_broken_pairs_raise_or_are_skipped_and_counted(tiny_synthetic, tmp_path) -> None:
    root = Path(shutil.copytree(tiny_synthetic, tmp_path / "set"))
    (root / "train/groundtruth/2.jpg").unlink()
    with pytest.raises(DatasetError) as info:
        PairedRawDataset(root, "train", 0)
    assert info.value.path.endswith("train/raw/2.png")
    (root / "train/raw/4.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    ds = PairedRawDataset(root, "train", 0, on_error="skip")
    assert len(ds) == 7 and ds.skipped == [(str(root / "train/raw/2.png"), "unpaired")]
    raw, _ = ds[3]  # pair 4 is corrupt: the next pair (5) comes instead
    assert ds.skipped[-1][0].endswith("train/raw/4.png")
    np.testing.assert_array_equal(raw.numpy(), PairedRawDataset(root, "train", 0, on_error="skip",
                                                                limit=5)[4][0].numpy())
    strict = PairedRawDataset(root, "test", 0)
    (root / "test/raw/1.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    with pytest.raises(DatasetError) as info:
        strict[1]
    assert info.value.path.endswith("test/raw/1.png")


def test_eight_bit_raw_is_refused(tiny_synthetic: Path, tmp_path: Path) -> None:
    root = Path(shutil.copytree(tiny_synthetic, tmp_path / "set"))
    cv2.imwrite(str(root / "train/raw/1.png"), np.full((64, 64), 200, np.uint8))
    with pytest.raises(DatasetError, match="8-bit|uint8") as info:
        PairedRawDataset(root, "train", 0)[1]
    assert info.value.path.endswith("train/raw/1.png")


def _fake_zurich(tiny_synthetic: Path, root: Path) -> Path:
    for split in ("train", "test"):
        shutil.copytree(tiny_synthetic / split / "raw", root / split / "huawei_raw")
        shutil.copytree(tiny_synthetic / split / "groundtruth", root / split / "canon")
    full = root / "test/huawei_full_resolution"
    full.mkdir()
    shutil.copy(tiny_synthetic / "test/full_resolution/0.png", full / "0.png")
    return root


def test_zurich_layout_loads_through_the_same_class(tiny_synthetic, tmp_path) -> None:
    root = _fake_zurich(tiny_synthetic, tmp_path / "zurich")
    ds = PairedRawDataset(root, "train", 1, layout="zurich")
    auto = PairedRawDataset(root, "train", 1, layout="auto")
    paper = PairedRawDataset(tiny_synthetic, "train", 1)
    assert len(ds) == len(auto) == 8
    torch.testing.assert_close(ds[6][0], paper[6][0])
    torch.testing.assert_close(auto[6][1], paper[6][1])
    assert FullResolutionDataset(root, layout="zurich")[0]["raw"].shape == (4, 64, 96)


def test_prepare_zurich_makes_tone_mapped_paper_layout(tiny_synthetic, tmp_path) -> None:
    src = _fake_zurich(tiny_synthetic, tmp_path / "zurich")
    out = prepare_zurich(src, tmp_path / "prepared", limit=3)
    assert check_dataset(out).ok
    assert sorted(p.name for p in (out / "train/raw").iterdir()) == ["0.png", "1.png", "2.png"]
    assert (out / "train/raw/1.png").read_bytes() == (src / "train/huawei_raw/1.png").read_bytes()
    canon = cv2.imread(str(src / "train/canon/1.jpg")).astype(float)
    target = cv2.imread(str(out / "train/groundtruth/1.jpg")).astype(float)
    assert target.shape == canon.shape
    assert np.abs(target - canon).mean() > 3  # a different (tone-mapped) picture ...
    assert np.corrcoef(target.ravel(), canon.ravel())[0, 1] > 0.7  # ... of the same scene
    assert (out / "test/full_resolution/0.png").is_file()
    (src / "test/canon/2.jpg").unlink()
    with pytest.raises(DatasetError, match="unpaired"):
        prepare_zurich(src, tmp_path / "again")
    again = prepare_zurich(src, tmp_path / "again", skip_broken=True)
    assert len(list((again / "test/raw").iterdir())) == 3
