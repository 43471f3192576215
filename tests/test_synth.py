"""The synthetic generator: statistics come back out, files are right and reproducible."""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from hdrisp.errors import DatasetError
from hdrisp.synth import SOURCES, HDRLook, generate_dataset, hdr_look, load_sources
from hdrisp.synth.sources import random_view, render_view
from hdrisp.synth.unprocess import SensorParams, inverse_tone_curve, unprocess

SPAN = 1023.0


def _manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text())


def _sensor(record: dict) -> SensorParams:
    s = record["sensor"]
    return SensorParams(
        highlight_gain=s["highlight_gain"],
        cam_from_srgb=tuple(tuple(row) for row in s["cam_from_srgb"]),
        wb=tuple(s["wb"]), exposure=s["exposure"], shot_noise=s["shot_noise"],
        read_noise=s["read_noise"], black_level=s["black_level"], white_level=s["white_level"])


def _flat_field(codes: list[int], side: int = 64) -> np.ndarray:
    """A row of flat grey sRGB patches, one per 8-bit code."""
    return np.concatenate([np.full((side, side, 3), c, np.uint8) for c in codes], axis=1)


def _sites(mosaic: np.ndarray) -> dict[str, np.ndarray]:
    return {"R": mosaic[0::2, 0::2], "Gb": mosaic[0::2, 1::2],
            "Gr": mosaic[1::2, 0::2], "B": mosaic[1::2, 1::2]}


def test_noise_level_recovered_from_flat_patches(tiny_synthetic: Path) -> None:
    """Noise measured on flat patches matches the manifest's shot/read parameters."""
    codes, side = [90, 140, 190, 235], 64
    for record in _manifest(tiny_synthetic)["pairs"][:4]:
        params = _sensor(record)
        mosaic, _ = unprocess(_flat_field(codes, side), params, np.random.default_rng(1))
        means, variances = [], []
        for k in range(len(codes)):
            patch = mosaic[:, k * side:(k + 1) * side].astype(np.float64)
            for values in _sites(patch).values():
                mean, std = values.mean(), values.std(ddof=1)
                if mean < 4 * std or mean > SPAN - 4 * std:  # clipping would bias the estimate
                    continue
                x = mean / SPAN
                predicted = math.sqrt((params.shot_noise * x + params.read_noise) * SPAN**2
                                      + 1 / 12)
                assert std == pytest.approx(predicted, rel=0.20), (record["index"], k)
                means.append(x)
                variances.append(std**2 / SPAN**2 - 1 / 12 / SPAN**2)
        assert len(means) >= 8
        slope = np.polyfit(means, variances, 1)[0]  # the shot-noise gain
        assert slope == pytest.approx(params.shot_noise, rel=0.20)


def test_white_balance_recovered_from_grey_patch(tiny_synthetic: Path) -> None:
    """A grey patch's raw channel ratios give back 1/wb within 1 %."""
    for record in _manifest(tiny_synthetic)["pairs"]:
        params = _sensor(record)
        mosaic, _ = unprocess(_flat_field([120], 128), params, np.random.default_rng(2))
        sites = {k: v.astype(np.float64).mean() for k, v in _sites(mosaic).items()}
        green = (sites["Gb"] + sites["Gr"]) / 2
        assert green / sites["R"] == pytest.approx(record["sensor"]["wb"][0], rel=0.01)
        assert green / sites["B"] == pytest.approx(record["sensor"]["wb"][2], rel=0.01)
        assert sites["Gb"] == pytest.approx(sites["Gr"], rel=0.01)


def test_files_match_manifest_and_conventions(tiny_synthetic: Path) -> None:
    manifest = _manifest(tiny_synthetic)
    pairs = manifest["pairs"]
    assert [p["split"] for p in pairs].count("train") == 8
    assert [p["split"] for p in pairs].count("test") == 4
    assert [p["split"] for p in pairs].count("full_resolution") == 1
    assert manifest["parameters"]["black_level"] == 0.0
    for record in pairs:
        raw = cv2.imread(str(tiny_synthetic / record["raw"]), cv2.IMREAD_UNCHANGED)
        target = cv2.imread(str(tiny_synthetic / record["target"]), cv2.IMREAD_UNCHANGED)
        assert raw.dtype == np.uint16 and raw.ndim == 2
        assert raw.shape == tuple(record["size"])
        assert target.shape == (*raw.shape, 3) and target.dtype == np.uint8
        assert raw.max() <= 1023
        assert record["view"]["source"] in {s.name for s in SOURCES}
        for key in ("wb", "cam_from_srgb", "exposure", "shot_noise", "read_noise",
                    "highlight_gain", "black_level", "white_level"):
            assert key in record["sensor"]
    # raws are dark-to-mid exposures with headroom: the median stays well below white
    medians = [np.median(cv2.imread(str(tiny_synthetic / r["raw"]), cv2.IMREAD_UNCHANGED))
               for r in pairs]
    assert max(medians) < 800


def test_full_resolution_dng_carries_the_pair_metadata(tiny_synthetic: Path) -> None:
    from hdrisp.raw import read_raw

    record = next(p for p in _manifest(tiny_synthetic)["pairs"]
                  if p["split"] == "full_resolution")
    dng = read_raw(tiny_synthetic / record["dng"])
    png = cv2.imread(str(tiny_synthetic / record["raw"]), cv2.IMREAD_UNCHANGED)
    assert dng.cfa == "RGGB" and dng.shape == (128, 192)
    np.testing.assert_array_equal(dng.mosaic, png)
    assert dng.white_level == 1023 and dng.black_level == (0.0,) * 4
    np.testing.assert_allclose(dng.wb, record["sensor"]["wb"], rtol=1e-5)
    # ColorMatrix1 goes through rationals and LibRaw's float32 rescaling: 1e-3 is its precision
    np.testing.assert_allclose(dng.color_matrix, record["sensor"]["color_matrix"], atol=1e-3)


def test_same_seed_gives_identical_bytes_across_worker_counts(tmp_path: Path) -> None:
    args = {"n_train": 3, "n_test": 2, "patch": 32, "seed": 3, "n_full": 1,
            "full_size": (32, 48)}
    one = generate_dataset(tmp_path / "one", workers=1, **args)
    two = generate_dataset(tmp_path / "two", workers=2, **args)
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert len(files) == 3 * 2 + 2 * 2 + 3 + 2  # pairs, full frame (png, dng, jpg), json
    for rel in files:
        assert (one / rel).read_bytes() == (two / rel).read_bytes(), rel
    other = generate_dataset(tmp_path / "other", workers=1, **{**args, "seed": 4})
    assert (other / "train/raw/0.png").read_bytes() != (one / "train/raw/0.png").read_bytes()


def test_rebuild_replaces_a_synthetic_set_but_refuses_other_folders(tmp_path: Path) -> None:
    out = generate_dataset(tmp_path / "set", 2, 1, patch=16, n_full=0)
    generate_dataset(out, 1, 1, patch=16, n_full=0)
    assert sorted(p.name for p in (out / "train/raw").iterdir()) == ["0.png"]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(DatasetError, match="not empty"):
        generate_dataset(tmp_path / "mine", 1, 1, patch=16, n_full=0)
    with pytest.raises(DatasetError, match="even"):
        generate_dataset(tmp_path / "odd", 1, 1, patch=15)


def test_every_listed_source_photograph_loads_offline() -> None:
    images = load_sources()
    assert set(images) == {s.name for s in SOURCES}
    for name, image in images.items():
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3, name
        assert min(image.shape[:2]) >= 290, name


def test_render_view_identity_and_quarter_turn() -> None:
    rng = np.random.default_rng(0)
    source = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    view = {"rot90": 0, "flip": False, "tilt_deg": 0.0, "scale": 1.0, "center_yx": [29.5, 39.5]}
    crop = source[20:40, 30:50]
    np.testing.assert_array_equal(render_view(source, view, (20, 20)), crop)
    np.testing.assert_array_equal(render_view(source, {**view, "rot90": 1}, (20, 20)),
                                  np.rot90(crop, 1))
    np.testing.assert_array_equal(render_view(source, {**view, "flip": True}, (20, 20)),
                                  crop[:, ::-1])


def test_random_views_stay_clear_of_the_source_border() -> None:
    """Interpolation never reaches a source's outermost pixels (no reflected borders)."""
    source = np.zeros((64, 64, 3), np.uint8)
    source[1:-1, 1:-1] = 200  # a black frame one pixel wide
    for seed in range(300):
        crop, view = random_view(np.random.default_rng(seed), {"frame": source}, (48, 48))
        assert crop.min() == 200, view


def test_inverse_tone_curve_inverts_smoothstep() -> None:
    x = np.linspace(0, 1, 101)
    np.testing.assert_allclose(inverse_tone_curve(3 * x**2 - 2 * x**3), x, atol=1e-9)


def _hdr_scene() -> np.ndarray:
    """A linear scene spanning 9 stops with texture at every level."""
    h, w = 96, 192
    ramp = np.exp2(np.linspace(-7, 2, w))[None, :, None]
    texture = 1 + 0.3 * np.sin(np.arange(h)[:, None, None] * 0.9)
    tint = np.array([1.0, 0.8, 0.6])
    return (ramp * texture * tint).astype(np.float32)


def test_hdr_look_compresses_range_boosts_detail_and_saturation() -> None:
    scene = _hdr_scene()
    plain = np.rint(np.clip(scene, 0, 1) ** (1 / 2.2) * 255)
    toned = hdr_look(scene)
    assert toned.dtype == np.uint8 and toned.shape == scene.shape
    # highlights that a plain rendering clips keep detail after tone mapping
    assert (plain >= 255).mean() > 0.15
    assert (toned >= 255).mean() < 0.5 * (plain >= 255).mean()
    # and the darkest stops are lifted
    assert toned[:, :20].mean() > plain[:, :20].mean() + 10

    def local_contrast(img: np.ndarray) -> float:
        g = img.astype(np.float32).mean(axis=2)
        return float(np.abs(g - cv2.GaussianBlur(g, (0, 0), 4)).mean())

    def chroma(img: np.ndarray) -> float:
        f = img.astype(np.float32)
        return float((f.max(axis=2) - f.min(axis=2)).mean())

    flat = hdr_look(scene, HDRLook(detail=0.0, saturation=1.0))
    assert local_contrast(toned) > 1.2 * local_contrast(flat)
    assert chroma(toned) > 1.1 * chroma(flat)


def test_a_view_that_enlarges_its_photograph_gets_the_photographs_look() -> None:
    """Version 5: the look of a ×3 enlargement is the photograph's look enlarged, not the look
    of the enlargement (which differs: the look is not a per-pixel function)."""
    import skimage.data

    from hdrisp.raw.color import srgb_to_linear
    from hdrisp.synth import hdr_look_of_view

    photo = srgb_to_linear(skimage.data.astronaut()[::2, ::2].astype(np.float32) / 255)
    photo = np.ascontiguousarray(photo, dtype=np.float32)  # 256×256, linear
    h, w = photo.shape[:2]
    enlarged = cv2.resize(photo, (3 * w, 3 * h), interpolation=cv2.INTER_CUBIC).clip(0, None)
    wanted = cv2.resize(hdr_look(photo).astype(np.float32), (3 * w, 3 * h),
                        interpolation=cv2.INTER_CUBIC)
    of_view = hdr_look_of_view(enlarged, 3.0).astype(np.float32)
    of_enlargement = hdr_look(enlarged).astype(np.float32)
    assert of_view.shape == enlarged.shape
    near, far = np.abs(of_view - wanted).mean(), np.abs(of_enlargement - wanted).mean()
    # measured: 2.9 against 8.8 levels (the area reduction does not quite undo the enlargement)
    assert near < 4 and far > 2.5 * near, (near, far)
    # a view at or below the photograph's scale gets the look as it is
    assert np.array_equal(hdr_look_of_view(photo, 1.0), hdr_look(photo))
    assert np.array_equal(hdr_look_of_view(photo, 0.7), hdr_look(photo))


def test_ensure_default_dataset_caches_and_rebuilds(tmp_path, monkeypatch) -> None:
    from hdrisp.synth import cache

    spec = {"n_train": 2, "n_test": 1, "patch": 16, "seed": 0, "n_full": 0,
            "full_size": [16, 16]}
    monkeypatch.setattr(cache, "SMOKE_SET", spec)
    root = cache.ensure_default_dataset(tmp_path / "smoke", smoke=True, workers=1)
    stamp = (root / "dataset.json").stat().st_mtime_ns
    assert cache.ensure_default_dataset(root, smoke=True) == root
    assert (root / "dataset.json").stat().st_mtime_ns == stamp  # reused, not rebuilt
    monkeypatch.setattr(cache, "SMOKE_SET", {**spec, "n_train": 3})
    cache.ensure_default_dataset(root, smoke=True, workers=1)
    assert len(list((root / "train/raw").glob("*.png"))) == 3
    assert not list(tmp_path.glob(".smoke.building-*"))
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(DatasetError, match="refusing"):
        cache.ensure_default_dataset(other, smoke=True)


def test_splits_come_from_disjoint_scenes(tiny_synthetic: Path) -> None:
    """No scene gives pairs to both the training and the test side (test pairs and full
    frames); the manifest records the split, and the frames show held-out scenes only."""
    from hdrisp.synth.sources import TEST_SCENES, scene_of

    manifest = _manifest(tiny_synthetic)
    scenes: dict[str, set[str]] = {"train": set(), "test": set(), "full_resolution": set()}
    for record in manifest["pairs"]:
        assert record["scene"] == scene_of(record["view"]["source"])
        scenes[record["split"]].add(record["scene"])
    assert scenes["train"] and scenes["test"]
    assert not scenes["train"] & (scenes["test"] | scenes["full_resolution"])
    assert scenes["test"] | scenes["full_resolution"] <= set(TEST_SCENES)
    recorded = manifest["splits"]
    assert set(recorded["test"]["scenes"]) == set(TEST_SCENES)
    assert not set(recorded["train"]["sources"]) & set(recorded["test"]["sources"])
    assert {s["name"]: s["split"] for s in manifest["sources"]}["rocket"] == "test"
    assert manifest["parameters"]["test_scenes"] == sorted(TEST_SCENES)


def test_split_sources_keeps_a_stereo_pair_together() -> None:
    from hdrisp.synth.sources import split_sources

    split = split_sources([s.name for s in SOURCES], test_scenes=("motorcycle",))
    assert split["test"] == ("motorcycle_left", "motorcycle_right")
    assert "motorcycle_left" not in split["train"] and "astronaut" in split["train"]
    with pytest.raises(DatasetError, match="not among"):
        split_sources(["astronaut", "coffee"], test_scenes=("rocket",))
    with pytest.raises(DatasetError, match="no source photograph"):
        split_sources(["rocket"], test_scenes=("rocket",))


def test_every_source_photograph_is_listed_with_its_licence_in_data_readme() -> None:
    readme = (Path(__file__).parents[1] / "data" / "README.md").read_text()
    for source in SOURCES:
        line = next((ln for ln in readme.splitlines() if ln.startswith("|") and source.name in ln),
                    None)
        assert line is not None, f"{source.name} is not in data/README.md's table"
        assert line.count("|") >= 5 and line.rstrip("| ").strip(), source.name


def test_camera_sensor_spans_real_cameras_lights_and_exposures() -> None:
    """The "cameras" sensor draws many makes, every kind of light, under-exposure and real
    noise, records each draw, and its white balance follows the light: a tungsten lamp
    is blue-poor, so the same camera needs more blue gain under it than in daylight."""
    from hdrisp.synth import cameras
    from hdrisp.synth.unprocess import sample_sensor

    rng = np.random.default_rng(7)
    draws = [sample_sensor(rng, model="cameras") for _ in range(400)]
    makes = {d.camera.split()[0] for d in draws}
    assert len(makes) >= 10
    kinds = {d.illuminant.split()[0] for d in draws}
    assert {"daylight", "tungsten"} <= kinds and kinds & {"FL2", "FL11", "LED-B3", "FL1"}
    assert min(d.exposure for d in draws) < 0.2 and max(d.exposure for d in draws) > 0.8
    assert len({d.noise_profile for d in draws}) >= 8
    json.dumps([d.to_dict() for d in draws])  # every draw goes into the manifest
    cam = cameras.camera("Canon", "EOS 550D")
    day = cameras.white_balance_gains(cam.xyz_to_camera, cameras.illuminant_xy(5500, "daylight"))
    lamp = cameras.white_balance_gains(cam.xyz_to_camera, cameras.illuminant_xy(3000, "planckian"))
    assert lamp[2] > 1.5 * day[2] and lamp[0] < day[0]
    for d in draws:  # the recorded gains are the camera's own for the recorded light
        matrix = next(c for c in cameras.CAMERAS if c.name == d.camera).xyz_to_camera
        gains = cameras.white_balance_gains(matrix, d.xy)
        assert np.allclose(gains, d.wb)


def test_the_default_sensor_is_one_camera_in_one_daylight(tmp_path: Path) -> None:
    """The default set is one camera (the Canon EOS 550D's published matrix in every pair)
    under one daylight of 6000 K; "camera_daylight" varies the light from direct sun to
    overcast: bluer light, more red gain and less blue, gains near a Canon's daylight
    multipliers (about 2.0 red, 1.5 blue)."""
    from hdrisp.synth import cameras
    from hdrisp.synth.unprocess import sample_sensor

    root = generate_dataset(tmp_path / "s", n_train=6, n_test=2, patch=64, n_full=0, seed=3)
    manifest = _manifest(root)
    assert manifest["parameters"]["sensor"] == "camera"
    cam = cameras.camera("Canon", "EOS 550D")
    expected = cameras.srgb_to_camera(cam.xyz_to_camera)
    for pair in manifest["pairs"]:
        s = pair["sensor"]
        assert s["camera"] == "Canon EOS 550D" and s["illuminant"] == "daylight 6000 K"
        np.testing.assert_allclose(s["cam_from_srgb"], expected, atol=1e-12)
        assert s["wb"] == manifest["pairs"][0]["sensor"]["wb"]
    rng = np.random.default_rng(5)
    draws = [sample_sensor(rng, model="camera_daylight") for _ in range(40)]
    kelvins = [float(d.illuminant.split()[1]) for d in draws]
    assert min(kelvins) >= 5000 and max(kelvins) <= 7000 and max(kelvins) - min(kelvins) > 1000
    by_k = [d for _, d in sorted(zip(kelvins, draws, strict=True), key=lambda kd: kd[0])]
    assert by_k[0].wb[0] < by_k[-1].wb[0] and by_k[0].wb[2] > by_k[-1].wb[2]
    sun = cameras.white_balance_gains(cam.xyz_to_camera, cameras.illuminant_xy(5500, "daylight"))
    assert 1.9 < sun[0] < 2.4 and 1.35 < sun[2] < 1.75


def test_unknown_sensor_model_is_a_config_error() -> None:
    from hdrisp.errors import ConfigError
    from hdrisp.synth.unprocess import sample_sensor

    with pytest.raises(ConfigError, match="unknown sensor model"):
        sample_sensor(np.random.default_rng(0), model="phone")


def test_a_set_from_the_camera_sensor_records_every_draw(tmp_path: Path) -> None:
    """`sensor="cameras"`: the set's parameters name the sensor, each pair's record names its
    camera, light and noise profile; an unknown sensor is refused before anything is written."""
    root = generate_dataset(tmp_path / "cams", n_train=6, n_test=2, patch=64, n_full=0,
                            sensor="cameras")
    manifest = _manifest(root)
    assert manifest["parameters"]["sensor"] == "cameras"
    records = manifest["pairs"]
    assert all(r["sensor"]["camera"] and r["sensor"]["illuminant"] and r["sensor"]["noise_profile"]
               for r in records)
    assert len({r["sensor"]["camera"] for r in records}) >= 3
    with pytest.raises(DatasetError, match="unknown sensor"):
        generate_dataset(tmp_path / "x", n_train=1, n_test=1, patch=64, n_full=0, sensor="phone")


def test_hue_shift_turns_the_cielab_hue_and_keeps_lightness() -> None:
    """Checked against scikit-image's CIELAB (the shift itself uses OpenCV's)."""
    from skimage.color import rgb2lab

    from hdrisp.synth.sources import HueShift

    rng = np.random.default_rng(0)
    crop = rng.integers(60, 200, (16, 16, 3)).astype(np.uint8)  # muted colours: no clipping
    shifted, info = HueShift(p=1.0, degrees=(40.0, 40.0), chroma=(1.1, 1.1)).apply(
        crop, np.random.default_rng(1))
    assert info == {"hue_deg": 40.0, "chroma_gain": pytest.approx(1.1)}
    before, after = rgb2lab(crop / 255.0), rgb2lab(shifted / 255.0)
    chroma = np.hypot(before[..., 1], before[..., 2])
    vivid = chroma > 10
    turn = np.degrees(np.arctan2(after[..., 2], after[..., 1])
                      - np.arctan2(before[..., 2], before[..., 1]))
    turn = (turn + 180) % 360 - 180
    assert np.median(turn[vivid]) == pytest.approx(40.0, abs=1.5)
    ratio = np.hypot(after[..., 1], after[..., 2])[vivid] / chroma[vivid]
    assert np.median(ratio) == pytest.approx(1.1, abs=0.05)
    assert np.abs(after[..., 0] - before[..., 0]).mean() < 1.5  # lightness kept (8-bit)
    same, nothing = HueShift(p=0.0).apply(crop, np.random.default_rng(1))
    assert same is crop and nothing == {}


def test_half_the_training_crops_are_colour_shifted_and_nothing_else_changes(
        tmp_path: Path) -> None:
    """Version 4: the shift draws from a stream of its own, so a set built without it differs
    exactly in the training pairs that were shifted; test pairs and frames never are."""
    args = {"n_train": 16, "n_test": 4, "patch": 32, "n_full": 1, "full_size": (64, 96),
            "seed": 5}
    shifted = generate_dataset(tmp_path / "shifted", **args)
    plain = generate_dataset(tmp_path / "plain", train_hue_shift=None, **args)
    manifest = json.loads((shifted / "manifest.json").read_text())
    params = json.loads((shifted / "dataset.json").read_text())["parameters"]
    assert params["train_hue_shift"] == {"p": 0.5, "degrees": [0.0, 60.0], "chroma": [1.0, 1.2]}
    assert json.loads((plain / "dataset.json").read_text())["parameters"][
        "train_hue_shift"] is None
    moved = 0
    for pair in manifest["pairs"]:
        raw = pair["raw"]
        same = (shifted / raw).read_bytes() == (plain / raw).read_bytes()
        if "hue_deg" in pair["view"]:
            assert pair["split"] == "train" and not same
            assert 0.0 <= pair["view"]["hue_deg"] <= 60.0
            assert 1.0 <= pair["view"]["chroma_gain"] <= 1.2
            moved += 1
        else:
            assert same, raw
    assert 3 <= moved <= 13  # about half of 16
