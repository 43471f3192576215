"""One level of staged training: :class:`LevelRun` and what it returns, :class:`LevelResult`.

A level writes, under ``OUT/level{L}/``: ``last.pt`` (end of every epoch, every
``checkpoint.every_steps`` steps, on Ctrl-C and at the end, marked ``finished``), ``best.pt``
(best validation ``validation.best_metric``), ``config.yaml`` (the resolved config, loadable
again), ``run_info.yaml`` (what actually ran: device, precision, loss terms, start weights),
``train_log.csv``, ``val_log.csv``, ``val_images/`` and ``loss_curves.png``.

Resuming continues a level from its ``last.pt`` exactly: the model, the optimiser, the
GradScaler, every random generator and the position in the epoch's sample order are restored,
so a run killed at any point and resumed (CPU, ``runtime.deterministic``) ends with the same
weights as an uninterrupted one. A finished level is not trained again.
"""

from __future__ import annotations

import math
import shutil
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
import yaml
from tqdm.auto import tqdm

from hdrisp.config import save_yaml
from hdrisp.data.normalization import dataset_fingerprint
from hdrisp.errors import ConfigError, TrainingError
from hdrisp.models import load_weights
from hdrisp.models.weights import check_state_dict
from hdrisp.runtime import Runtime, ThreadTuner, seed_everything
from hdrisp.training import components
from hdrisp.training.batch import StepContext, StopRequest, train_step, validate
from hdrisp.training.checkpoint import (
    load_checkpoint,
    remove_stale_temporaries,
    restore_rng_state,
    save_checkpoint,
    trained_on_other_data,
)
from hdrisp.training.config import (
    TrainConfig,
    config_to_dict,
    lr_factor,
    replace,
    result_differences,
)
from hdrisp.training.distributed import barrier, broadcast_flag, wrap_model
from hdrisp.training.logs import TRAIN_CSV, VAL_CSV, CsvLog, TensorBoard, plot_loss_curves

Callback = Callable[[str, dict], None]
"""``callback(event, info)``: events ``"step"`` (level, epoch, step, terms, images_per_s),
``"validation"`` (level, epoch, step, metrics) and ``"level_end"`` (level, last, best, and
threads: what the CPU thread measurements chose, or None)."""


@dataclass(frozen=True)
class LevelResult:
    """What :func:`train_level` did: where its files are and how far it got."""

    level: int
    folder: Path
    last: Path
    best: Path | None
    steps: int
    epochs: int
    validation: dict[str, float] = field(default_factory=dict)


class LevelRun:
    """Training one level: set-up, resume, the step loop, validation, checkpoints, logs.

    Used by :func:`hdrisp.training.train_level` and :func:`~hdrisp.training.train_schedule`;
    ``LevelRun(config, level, runtime, out, root, init, callbacks).run(resume)``.
    """

    def __init__(self, config: TrainConfig, level: int, runtime: Runtime, out: Path, root: Path,
                 init: Path | str | None, callbacks: Sequence[Callback]) -> None:
        self.config = replace(config, data={"root": str(root)})
        self.level, self.rt, self.root = level, runtime, root
        self.dataset_sha256 = dataset_fingerprint(root)  # written to and checked in checkpoints
        self.row = config.schedule(level)
        self.row_key = f"levels[{config.levels.index(self.row)}]"
        self.dir = out / f"level{level}"
        self.last, self.best_path = self.dir / "last.pt", self.dir / "best.pt"
        self.init = init
        self.callbacks = list(callbacks) if runtime.is_main else []
        self.epoch = self.step = self.step_in_epoch = 0
        self.best: float | None = None
        self.last_saved_step: int | None = None
        self.validation: dict[str, float] = {}

    # ----------------------------------------------------------------- set-up
    def run(self, resume: bool) -> LevelResult:
        state = self._load_or_start(resume)
        if state is not None and state.get("finished"):
            return self._result()
        self._build(state)
        try:
            with StopRequest() as stop:
                self._train(stop)
        finally:
            self.bar.close()
            self.tb.close()
        return self._result()

    def check_existing(self, resume: bool) -> dict | None:
        """The level's ``last.pt`` state when there is one to continue; None for a fresh start.

        Reads only: a refusal leaves the run folder exactly as it was.

        Raises:
            TrainingError: a checkpoint exists and ``resume`` is false; or ``resume`` with a
                setting that changes the result (each named by its dotted key, with the
                checkpoint's value and the current one).
        """
        if not self.last.is_file():
            return None
        if not resume:
            raise TrainingError("this level already has a checkpoint; pass --resume to "
                                "continue it, or choose another --out", self.dir)
        state = load_checkpoint(self.last)
        self._check_compatible(state)
        if trained_on_other_data(state, self.dataset_sha256):
            raise TrainingError(f"cannot resume: the data set at {self.root} changed since this "
                                "level was trained (its dataset.json differs: rebuilt, another "
                                "generator version?); train into another --out", self.last)
        return state

    def _load_or_start(self, resume: bool) -> dict | None:
        state = self.check_existing(resume)
        if self.rt.is_main and self.dir.is_dir():
            remove_stale_temporaries(self.dir)
        if state is not None:
            self.epoch, self.step = state["epoch"], state["step"]
            self.step_in_epoch, self.best = state.get("step_in_epoch", 0), state.get("best")
            self.last_saved_step = self.step
        barrier(self.rt)
        return state

    def _check_compatible(self, state: dict) -> None:
        if state["level"] != self.level:
            raise TrainingError(f"holds level {state['level']}, not {self.level}", self.last)
        try:
            differences = result_differences(state["config"], self.config, self.level)
        except ConfigError as exc:
            raise TrainingError(f"cannot resume: the checkpoint's config does not load here "
                                f"({exc.problem})", self.last) from None
        if differences:
            listed = "; ".join(f"{key} was {_shown(was)} and is now {_shown(now)}"
                               for key, was, now in differences)
            raise TrainingError(f"cannot resume: {listed} (resume with the settings the level "
                                "started with, or train into another --out)", self.last)

    def _build(self, state: dict | None) -> None:
        cfg, rt = self.config, self.rt
        seed_everything(cfg.runtime.seed)
        model = components.build_model(cfg, self.level)
        if state is not None:
            check_state_dict(model, state["model"], path=self.last)
            model.load_state_dict(state["model"])
        elif self.init is not None:
            load_weights(model, self.init)
        model.to(rt.device)
        if rt.channels_last:
            model.to(memory_format=torch.channels_last)
        model.train()
        self.model = wrap_model(model, rt)
        self.loss_fn = components.build_loss(cfg, self.level).to(rt.device)
        if rt.distributed and hasattr(self.loss_fn, "across_ranks"):
            self.loss_fn.across_ranks = True  # every term as one process with the global batch
        if rt.is_main and cfg.loss.perceptual == "auto" \
                and getattr(self.loss_fn, "perceptual_name", None) == "off":
            print(f"level {self.level}: no VGG-19 ImageNet weights on this machine, so the "
                  "perceptual term is off (loss.vgg_weights or $HDRISP_VGG_WEIGHTS name a file; "
                  "loss.perceptual: efficientnet-lite0 is the offline substitute)")
        opt_cls = torch.optim.AdamW if cfg.optimizer.name == "adamw" else torch.optim.Adam
        self.optimizer = opt_cls(model.parameters(), lr=cfg.lr(self.level),
                                 betas=cfg.optimizer.betas,
                                 weight_decay=cfg.optimizer.weight_decay)
        self.scaler = rt.grad_scaler()
        self.tuner = None if rt.distributed else ThreadTuner.for_runtime(
            cfg.runtime.threads, rt.device, rt.deterministic)
        train_set = components.build_train_set(cfg, self.level, self.root)
        self.normalization = getattr(train_set.base, "normalization", None)
        self.loader, self.sampler, self.steps_per_epoch = components.train_loader(
            train_set, cfg, self.level, rt)
        self.total_steps = self.row.steps or self.row.epochs * self.steps_per_epoch
        self.val_loader = components.val_loader(
            components.build_val_set(cfg, self.level, self.root), cfg, rt)
        if state is not None:
            self.optimizer.load_state_dict(state["optimizer"])
            if state.get("scaler"):
                self.scaler.load_state_dict(state["scaler"])
            restore_rng_state(state["rng"])
        self.train_log, self.val_log = CsvLog(self.dir / TRAIN_CSV), CsvLog(self.dir / VAL_CSV)
        if rt.is_main:
            self._prepare_folder(fresh=state is None)
        self.tb = TensorBoard(self.dir / "tb", cfg.logging.tensorboard, enabled=rt.is_main)
        self.bar = tqdm(total=self.total_steps, initial=self.step, desc=f"level {self.level}",
                        unit="step", dynamic_ncols=True,
                        disable=not (rt.is_main and cfg.logging.progress))

    def _prepare_folder(self, fresh: bool) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if fresh:
            for name in (TRAIN_CSV, VAL_CSV):
                (self.dir / name).unlink(missing_ok=True)
            shutil.rmtree(self.dir / "val_images", ignore_errors=True)
            self.train_log, self.val_log = CsvLog(self.dir / TRAIN_CSV), CsvLog(self.dir / VAL_CSV)
        else:
            self.train_log.truncate_after(self.step)
            self.val_log.truncate_after(self.step)
        save_yaml(self.config, self.dir / "config.yaml")
        info = {
            "level": self.level, "batch": self.row.batch,
            "batch_per_process": self.row.batch // self.rt.world_size,
            "processes": self.rt.world_size, "steps": self.total_steps,
            "steps_per_epoch": self.steps_per_epoch, "lr": self.config.lr(self.level),
            "patch": self.row.patch, "device": str(self.rt.device), "precision": self.rt.precision,
            "channels_last": self.rt.channels_last, "deterministic": self.rt.deterministic,
            "loss": {"schedule": self.config.loss.schedule,
                     "weights": dict(getattr(self.loss_fn, "weights", {}) or {}),
                     "perceptual": getattr(self.loss_fn, "perceptual_name", None)},
            "init": None if self.init is None else str(self.init),
            "data": str(self.root),
            "normalization": None if self.normalization is None
            else self.normalization.to_dict(),
            "torch": str(torch.__version__),
        }
        (self.dir / "run_info.yaml").write_text(yaml.safe_dump(info, sort_keys=False))

    # ----------------------------------------------------------------- training
    def _train(self, stop: StopRequest) -> None:
        rt, local_batch = self.rt, self.row.batch // self.rt.world_size
        recent: deque[float] = deque(maxlen=20)  # seconds of the last steps, for the bar
        while self.step < self.total_steps:
            self.sampler.set_epoch(self.epoch)
            self.sampler.set_start(self.step_in_epoch * local_batch)
            tick = time.perf_counter()
            for raw, target in self.loader:
                self._set_lr()
                if self.tuner is not None:
                    self.tuner.before_step()
                started = time.perf_counter()
                terms = train_step(
                    self.model, self.loss_fn, self.optimizer, self.scaler, rt, raw, target,
                    grad_clip=self.config.optimizer.grad_clip,
                    context=StepContext(
                        level=self.level, step=self.step + 1, batch=self.row.batch,
                        batch_key=f"{self.row_key}.batch", last_step=self.last_saved_step,
                        last_checkpoint=None if self.last_saved_step is None
                        else str(self.last)))
                if self.tuner is not None:
                    self.tuner.after_step(time.perf_counter() - started)
                self.step += 1
                self.step_in_epoch += 1
                now = time.perf_counter()
                recent.append(max(now - tick, 1e-9))
                images_per_s = self.row.batch / recent[-1]
                tick = now
                self._log_step(terms, images_per_s, self.row.batch * len(recent) / sum(recent))
                epoch_done = self.step_in_epoch == self.steps_per_epoch
                level_done = self.step >= self.total_steps
                if epoch_done:
                    self.epoch, self.step_in_epoch = self.epoch + 1, 0
                improved = False
                if (epoch_done and self.epoch % self.config.validation.every_epochs == 0) \
                        or level_done:
                    improved = self._validate()
                stopping = broadcast_flag(stop.requested, rt)
                k = self.config.checkpoint.every_steps
                if epoch_done or level_done or stopping or (k and self.step % k == 0):
                    self._save(finished=level_done, improved=improved)
                self._emit("step", {"level": self.level, "epoch": self.epoch, "step": self.step,
                                    "terms": terms, "images_per_s": images_per_s})
                if stopping:
                    if rt.is_main:
                        self.bar.write(f"interrupted: saved {self.last} at step {self.step}; "
                                       "continue with --resume")
                    raise KeyboardInterrupt
                if epoch_done or level_done:
                    break
        self._finish()

    def _set_lr(self) -> None:
        """The learning rate of the coming step on the level's schedule (resumes exactly)."""
        rate = self.config.lr(self.level) * lr_factor(self.config.optimizer, self.step,
                                                      self.total_steps)
        for group in self.optimizer.param_groups:
            group["lr"] = rate

    # ----------------------------------------------------------------- bookkeeping
    def _log_step(self, terms: dict[str, float], images_per_s: float, rate: float) -> None:
        if not self.rt.is_main:
            return
        self.bar.update(1)
        self.bar.set_postfix({"epoch": self.epoch, **{k: f"{v:.4g}" for k, v in terms.items()},
                              "img/s": f"{rate:.3g}"}, refresh=False)
        if self.step % self.config.logging.every_steps == 0 or self.step == self.total_steps:
            lr = self.optimizer.param_groups[0]["lr"]
            self.train_log.write({"step": self.step, "epoch": self.epoch, "lr": lr, **terms,
                                  "images_per_s": images_per_s})
            self.tb.scalars("train", {**terms, "images_per_s": images_per_s}, self.step)

    def _validate(self) -> bool:
        """Validate on rank 0; True when the best metric improved."""
        improved = False
        if self.rt.is_main:
            metrics = validate(self.model, self.val_loader, self.loss_fn, self.rt,
                               image_dir=self.dir / "val_images",
                               n_images=self.config.validation.images,
                               tag=f"epoch{self.epoch:03d}_step{self.step:06d}",
                               progress=self.config.logging.progress)
            self.validation = metrics
            self.val_log.write({"epoch": self.epoch, "step": self.step, **metrics})
            self.tb.scalars("val", metrics, self.step)
            key = self.config.validation.best_metric
            value = metrics.get(key, math.nan)
            sign = 1.0 if key == "psnr" else -1.0
            if math.isfinite(value) and (self.best is None or sign * (value - self.best) > 0):
                self.best, improved = value, True
            self.bar.write(f"level {self.level} epoch {self.epoch} step {self.step}: "
                           + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
            self._emit("validation", {"level": self.level, "epoch": self.epoch,
                                      "step": self.step, "metrics": metrics})
        barrier(self.rt)
        return improved

    def _save(self, finished: bool, improved: bool) -> None:
        if self.rt.is_main:
            kwargs = dict(model=self.model, level=self.level, epoch=self.epoch, step=self.step,
                          step_in_epoch=self.step_in_epoch, config=config_to_dict(self.config),
                          optimizer=self.optimizer, scaler=self.scaler, best=self.best,
                          extra={"dataset_sha256": self.dataset_sha256})
            if improved:  # best first: a kill in between leaves last.pt behind, not ahead
                save_checkpoint(self.best_path, finished=finished, **kwargs)
            save_checkpoint(self.last, finished=finished, **kwargs)
        self.last_saved_step = self.step

    def _finish(self) -> None:
        if self.rt.is_main:
            if self.config.logging.curves:
                plot_loss_curves(self.dir, self.level)
            threads = self.tuner.summary() if self.tuner is not None else None
            if threads is not None and self.config.logging.progress:
                self.bar.write(f"level {self.level}: CPU threads measured: {threads}")
            self._emit("level_end", {"level": self.level, "last": self.last,
                                     "best": self.best_path if self.best_path.is_file() else None,
                                     "threads": threads})
        barrier(self.rt)

    def _emit(self, event: str, info: dict) -> None:
        for callback in self.callbacks:
            callback(event, info)

    def _result(self) -> LevelResult:
        return LevelResult(level=self.level, folder=self.dir, last=self.last,
                           best=self.best_path if self.best_path.is_file() else None,
                           steps=self.step, epochs=self.epoch, validation=self.validation)


def _shown(value: object) -> str:
    """A config value as YAML would show it (lists for tuples, ``null`` for None)."""
    if value is None:
        return "null"
    if isinstance(value, tuple):
        return str(list(value))
    return str(value)


__all__ = ["Callback", "LevelResult", "LevelRun"]
