"""A ColorChecker photographed by the synthetic camera: the network's colour rendering alone.

The real chart DNG (:mod:`hdrisp.evaluation.chart`) mixes four things a network may get
wrong: its own colour rendering, another light than the training set's, another exposure,
and a real camera's optics and noise. This chart removes the last three. The 24 published
patch colours (:func:`~hdrisp.evaluation.chart.colorchecker_reference`) are painted on a
mid-grey card and turned into a raw exactly as the default synthetic set makes its raws
(:func:`hdrisp.synth.unprocess.unprocess`: the Canon EOS 550D's matrix under daylight of
6000 K, the set's noise), with no highlight expansion and a fixed exposure inside the
training range. A network that renders this chart's colours badly has not learnt the
camera's colour, whatever it does on its training scenes; one that renders it well but fails
on the real chart is defeated by the light, the exposure or the camera.

The classical pipeline given the raw's own white balance and colour matrix renders it
within a few ΔE2000 (``tests/test_chart.py``), which checks the synthetic camera, the
pipeline and the scoring together.

Examples:
    >>> from hdrisp import isp
    >>> from hdrisp.raw import to_uint8
    >>> from hdrisp.evaluation.chart import score_chart
    >>> raw, chart = synthetic_chart()
    >>> raw.mosaic.shape, raw.mosaic.dtype.name, chart.raw_file
    ((448, 640), 'uint16', 'synthetic ColorChecker (Canon EOS 550D, daylight 6000 K)')
    >>> score = score_chart(to_uint8(isp.classical_isp(raw)), chart)
    >>> score.mean_delta_e < 8 and score.mean_hue_error < 5
    True
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hdrisp.evaluation.chart import Chart, colorchecker_reference
from hdrisp.raw.io import RawImage
from hdrisp.synth.unprocess import sample_sensor, unprocess

#: card layout in mosaic pixels: side of a patch, gap between patches, margin inside a box
PATCH, GAP, INSET = 80, 24, 16
SHAPE = (448, 640)
BACKGROUND = 118  # sRGB code value of the card (about neutral 6.5)
EXPOSURE = 0.7    # diffuse white at 0.7 of the signal range: inside the training range


def synthetic_chart(sensor: str = "camera", exposure: float = EXPOSURE,
                    seed: int = 0) -> tuple[RawImage, Chart]:
    """The chart as a raw of the synthetic camera, and where its patches are.

    Args:
        sensor: the synthetic camera (:data:`hdrisp.synth.unprocess.SENSOR_MODELS`; the
            default set's ``"camera"``).
        exposure: diffuse white as a fraction of the signal range.
        seed: the camera draw's and the noise's seed.

    Returns:
        ``(raw, chart)``: a :class:`~hdrisp.raw.io.RawImage` (uint16 448×640 RGGB mosaic,
        the sensor's black and white level, its white balance and colour matrix, as a
        camera raw carries them) and a :class:`~hdrisp.evaluation.chart.Chart` whose 24
        boxes (48×48, inside each 80×80 patch) are in that mosaic's pixels.
    """
    reference = colorchecker_reference()
    card = np.full((*SHAPE, 3), BACKGROUND, np.uint8)
    boxes = []
    for i, colour in enumerate(np.round(reference.srgb * 255).astype(np.uint8)):
        row, col = divmod(i, 6)
        top, left = GAP + row * (PATCH + GAP) + 8, GAP + col * (PATCH + GAP) + 16
        card[top:top + PATCH, left:left + PATCH] = colour
        boxes.append((top + INSET, left + INSET, top + PATCH - INSET, left + PATCH - INSET))
    params = sample_sensor(np.random.default_rng([seed, 0]), model=sensor)
    params = replace(params, exposure=float(exposure), highlight_gain=1.0)
    mosaic, _ = unprocess(card, params, np.random.default_rng([seed, 1]))
    black = float(params.black_level)
    raw = RawImage(mosaic, "RGGB", (black,) * 4, float(params.white_level),
                   tuple(float(v) for v in params.wb), params.color_matrix,
                   params.camera or None)
    name = f"synthetic ColorChecker ({params.camera}, {params.illuminant})" if params.camera \
        else "synthetic ColorChecker"
    return raw, Chart(name, "", SHAPE, np.array(boxes), reference)


__all__ = ["EXPOSURE", "synthetic_chart"]
