"""What the lessons share: notebook helpers, the notebook runner, figures and widgets.

- :mod:`hdrisp.tutorial.helpers` — the lessons' parameters turned into a dataset, a device,
  a run folder and its checkpoints; the shipped configs by name and lesson 01's camera raw
  (re-exported here).
- :mod:`hdrisp.tutorial.checks` — the exercises' checks: each names what is wrong.
- :mod:`hdrisp.tutorial.editions` — student editions, the solution cells stubbed
  (``make student``).
- :mod:`hdrisp.tutorial.figures` — the slide figures, drawn from the package (``make figures``).
- :mod:`hdrisp.tutorial.runner` — execute the lessons with papermill (``hdrisp demo``).
- :mod:`hdrisp.tutorial.widgets` — ipywidgets explorers (needs the ``notebooks`` extra).

Nothing in the package imports this layer; the notebooks and the CLI do.
"""

from hdrisp.tutorial.helpers import (
    config_file,
    ensure_run,
    env_flag,
    finest_checkpoint,
    finished_levels,
    level_checkpoints,
    pick_device,
    run_dir,
    sample_raw_file,
    smoke_config,
    synthetic_set,
)

__all__ = [
    "config_file", "ensure_run", "env_flag", "finest_checkpoint", "finished_levels",
    "level_checkpoints", "pick_device", "run_dir", "sample_raw_file", "smoke_config",
    "synthetic_set",
]
