"""The reproduction study: does the histogram term buy colour constancy, and what do the
schedules change? (``hdrisp study``, lesson 05, ``REPRODUCTION.md``).

A layer above training and evaluation: it trains several runs and scores them, which neither
of those layers may do (evaluation never imports training).

- :mod:`~hdrisp.study.design` — the arms (histogram weight ×0/×1/×2, the authors' code schedule,
  level 0 alone with the same FLOPs), the sizes (smoke, tutorial, full) and the runs' configs;
- :mod:`~hdrisp.study.illuminants` and :mod:`~hdrisp.study.cast_set` — the colour-constancy
  test set: each test scene re-lit by CIE illuminants' white-balance gains, one target;
- :mod:`~hdrisp.study.scoring` — one method on the test split and the cast set;
- :mod:`~hdrisp.study.stats` — seed noise, paired bootstrap intervals, a sign-flip test;
- :mod:`~hdrisp.study.results`, :mod:`~hdrisp.study.figures` — the CSV and the figures;
- :mod:`~hdrisp.study.runner` — :func:`run_study`: every arm × seed, resumable;
- :mod:`~hdrisp.study.report` — the claims of the paper and ``REPRODUCTION.md``'s tables.
"""

from hdrisp.study.cast_set import CastSet, build_cast_set, cast_mosaic, load_cast_set
from hdrisp.study.design import ARMS, REFERENCE_ARM, SIZES, Arm, StudySize
from hdrisp.study.illuminants import DEFAULT_ILLUMINANTS, ILLUMINANTS, cast_gains
from hdrisp.study.runner import (
    StudyPlan,
    StudyResult,
    default_out,
    load_results,
    plan_study,
    publish,
    run_study,
)

__all__ = [
    "ARMS", "DEFAULT_ILLUMINANTS", "ILLUMINANTS", "REFERENCE_ARM", "SIZES", "Arm", "CastSet",
    "StudyPlan", "StudyResult", "StudySize", "build_cast_set", "cast_gains", "cast_mosaic",
    "default_out", "load_cast_set", "load_results", "plan_study", "publish", "run_study",
]
