"""Classical camera pipelines: the "built-in ISP" and tone-mapping rows of every comparison.

- :mod:`hdrisp.isp.classical` — :class:`LinearMosaic` and the named stages
  (levels → white balance → demosaic → camera→sRGB matrix → exposure → sRGB curve),
  :func:`classical_isp`, and LibRaw's own develop.
- :mod:`hdrisp.isp.tonemap` — OpenCV's Reinhard, Drago, Mantiuk and Mertens operators on the
  linear result; :data:`BASELINES` and :func:`run_baseline`.

Examples:
    >>> import numpy as np
    >>> from hdrisp import isp
    >>> mosaic = isp.LinearMosaic(np.full((16, 16), 0.25, np.float32))
    >>> out = isp.run_baseline("classical", mosaic)
    >>> out.shape, out.dtype.name
    ((16, 16, 3), 'uint8')
"""

from hdrisp.isp.classical import (
    LinearMosaic,
    as_linear_mosaic,
    auto_exposure_gain,
    camera_to_srgb,
    classical_isp,
    crop,
    develop_linear,
    downscale,
    encode_srgb,
    from_packed,
    grey_world_gains,
    grey_world_isp,
    libraw_develop,
    to_rggb,
    white_balance,
    white_balance_gains,
)
from hdrisp.isp.tonemap import (
    BASELINES,
    METADATA_FREE,
    baseline_inputs,
    drago,
    exposure_fusion,
    mantiuk,
    reinhard,
    run_baseline,
)

__all__ = [
    "BASELINES", "METADATA_FREE", "LinearMosaic", "as_linear_mosaic", "auto_exposure_gain",
    "baseline_inputs", "camera_to_srgb", "classical_isp", "crop", "develop_linear", "downscale",
    "drago", "encode_srgb", "exposure_fusion", "from_packed", "grey_world_gains",
    "grey_world_isp", "libraw_develop", "mantiuk",
    "reinhard", "run_baseline", "to_rggb", "white_balance", "white_balance_gains",
]
