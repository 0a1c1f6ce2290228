"""The growing-NCA job: train with ES and/or Adam, write results for people.

``run(config, out_dir)`` is what ``python -m nca_jax.grow`` calls. Per optimizer it
writes ``metrics.jsonl``, ``checkpoints/`` (orbax), ``summary.json``, ``growth.png``,
``growth.gif`` and ``loss.png``; with ``optimizer="both"`` into ``es/`` and ``adam/`` plus
a side-by-side ``report.md``; and ``page/index.html``, the trained models running in the
browser (:mod:`nca_jax.web`). Rerunning into the same folder resumes from the last
checkpoint; on CPU the result is bitwise equal to an uninterrupted run.

Both trainers are judged the same way: every ``eval_every`` iterations the current
parameters are scored on fresh rollouts from the seed (:func:`losses.fresh_loss`); the
run stops when that loss is ≤ ``target_loss``, after ``max_seconds`` of training or after
``max_iterations``. Wall time excludes JIT compilation (reported separately).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Callable, NamedTuple

import jax
import numpy as np

from nca_jax import figures
from nca_jax.reports import grow as grow_report
from nca_jax.nca import growing, losses
from nca_jax.robustness import battery
from nca_jax.targets.growing import load_target
from nca_jax.train import adam, es
from runio import driver as loop
from nca_jax.train.adam import AdamConfig
from nca_jax.train.base import Trainer
from nca_jax.train.es import ESConfig
from nca_jax.web import model as web_model
from nca_jax.web import page
from runio import devices, hosts
from runio.errors import ConfigError, check, finite
from runio import outdir, runfolder

JOB = "nca_jax.grow"
RUNS = ("both", "es", "adam")
FINAL_SAMPLES = 64  # fresh rollouts of the final loss (and of the check that stops a run)
PERSISTENCE_SEEDS = 8
Diverged = loop.Diverged


class Method(NamedTuple):
    """How the job runs one optimizer: its trainer factory, and whether its population is
    split over the devices (ES) or runs on one (Adam's batch: a split measured no gain)."""

    make: Callable[..., Trainer]  # (model config, method config, target, mesh) -> Trainer
    splits_population: bool


METHODS = {"es": Method(es.make, True), "adam": Method(adam.make, False)}


@dataclasses.dataclass(frozen=True)
class GrowConfig:
    target: str = "carrot"
    size: int = 9
    padding: int = 0
    optimizer: str = "both"
    seed: int = 0
    target_loss: float = 0.003
    max_seconds: float = 180.0
    max_iterations: int = 0  # 0: no limit
    eval_every: int = 25
    eval_samples: int = 16
    checkpoint_every: int = 200
    keep_checkpoints: int = 3
    gif_steps: int = 100
    progress: bool = True
    # a run folder whose trained parameters every optimizer starts from (a second stage:
    # another rate, σ or target), "" for a fresh draw; its model config must be this one's
    init_from: str = ""
    tensorboard: bool = False  # metrics also as TensorBoard events (OUT/tensorboard)
    model: growing.ModelConfig = growing.ModelConfig()
    adam: AdamConfig = AdamConfig()
    es: ESConfig = ESConfig()

    def __post_init__(self):
        check(self.optimizer in RUNS, "optimizer",
              f"must be one of {RUNS}, got {self.optimizer!r}")
        check(finite(self.target_loss) and self.target_loss > 0, "target_loss",
              f"must be a finite number > 0, got {self.target_loss}")
        check(self.eval_every >= 1, "eval_every", f"must be >= 1, got {self.eval_every}")
        check(1 <= self.eval_samples <= 4096, "eval_samples",
              f"must be in [1, 4096], got {self.eval_samples}")
        check(0 <= self.gif_steps <= 10_000, "gif_steps",
              f"must be in [0, 10000], got {self.gif_steps}")
        self.loop_config  # the budget and checkpoint fields are checked there

    @property
    def loop_config(self) -> loop.LoopConfig:
        return loop.LoopConfig(max_iterations=self.max_iterations, max_seconds=self.max_seconds,
                               eval_every=self.eval_every,
                               checkpoint_every=self.checkpoint_every,
                               keep_checkpoints=self.keep_checkpoints, progress=self.progress,
                               tensorboard=self.tensorboard)

    @property
    def names(self) -> tuple[str, ...]:
        return ("es", "adam") if self.optimizer == "both" else (self.optimizer,)

    def method_config(self, name: str):
        """The config of optimizer ``name`` (``self.es`` or ``self.adam``)."""
        return getattr(self, name)


def memory_bytes(config: GrowConfig, height: int, width: int) -> int:
    """A rough upper estimate of the working memory of the job's largest trainer (float32):
    its sample pool, plus Adam's activations kept for the backward pass through
    ``max_steps`` steps of its batch, or one step's intermediates of the whole ES
    population (each cell holds its state, perception, hidden layer and update)."""
    c, cells = config.model.channels, height * width
    per_cell = 4 * (c + len(config.model.filters) * c + config.model.hidden + c)
    need = 0
    for name in config.names:
        m = config.method_config(name)
        pool_bytes = (m.pool_size if m.pool else 0) * cells * c * 4
        if name == "adam":
            work = 2 * m.batch_size * m.max_steps * cells * per_cell
        else:
            work = 2 * m.population * m.batch_size * cells * per_cell
        need = max(need, pool_bytes + work)
    return need


def config_dict(config: GrowConfig) -> dict:
    return dataclasses.asdict(config)


def run_config(config: GrowConfig) -> dict:
    """What a resumed run must share with the checkpoints it resumes: all but the budget."""
    return {k: v for k, v in config_dict(config).items() if k not in loop.BUDGET_FIELDS}


def device_count(name: str, config: GrowConfig, n_devices: int = 0) -> int:
    """Devices optimizer ``name`` runs on: its population split over ``n_devices`` (0: the
    most present that divide it), or one."""
    if not METHODS[name].splits_population:
        return 1
    return n_devices or devices.auto_count(config.es.population)


def _start_params(config: GrowConfig):
    """The parameters of ``config.init_from`` (None without one); a one-line error for a
    folder that is not a grow run of the same model."""
    if not config.init_from:
        return None
    from nca_jax.runs import load_run

    try:
        run = load_run(config.init_from)
    except ConfigError as e:
        raise ConfigError("init_from", e.message) from None
    if run.kind != "growing" or run.model != config.model:
        raise ConfigError("init_from", f"{config.init_from}: trained another model "
                                       f"({run.model}); give a grow run of this model")
    return jax.tree.map(jax.numpy.asarray, run.params)


def train(name: str, config: GrowConfig, target: np.ndarray, out: Path,
          n_devices: int = 0, start=None) -> dict:
    """Train one optimizer into ``out`` (resuming from its checkpoints); returns the summary
    and the trained parameters; ``start``: the parameters to start from (``init_from``)."""
    method, mcfg = METHODS[name], config.method_config(name)
    n = device_count(name, config, n_devices)
    trainer = method.make(config.model, mcfg, target, devices.population_mesh(n), start)
    target_j = jax.numpy.asarray(target)
    k_train, k_eval, k_final, k_viz, k_persist = jax.random.split(
        jax.random.PRNGKey(config.seed), 5)
    steps = (mcfg.min_steps, mcfg.max_steps)

    def final_loss(params):
        return float(losses.fresh_loss(params, target_j, k_final, config.model,
                                       FINAL_SAMPLES, *steps))

    def evaluate(params, i):
        e = float(losses.fresh_loss(params, target_j, jax.random.fold_in(k_eval, i),
                                    config.model, config.eval_samples, *steps))
        if e > config.target_loss:
            return {"eval_loss": e}
        # at the target on the quick estimate: confirm on the final evaluation's rollouts, so
        # a run stops as "reached" only when the final loss it reports is at the target
        return {"eval_loss": e, "confirm_loss": final_loss(params)}

    res = loop.train(trainer, k_train, out, config.loop_config, run_config(config), evaluate,
                     reached=lambda r: r.get("confirm_loss", math.inf) <= config.target_loss,
                     desc=name)
    final, persist = math.nan, None
    if not res.diverged:
        final = final_loss(res.params)
        keys = jax.random.split(k_persist, PERSISTENCE_SEEDS)
        persist = battery.persistence(res.params, target_j, keys, config.model)
    summary = {
        "optimizer": name,
        "final_loss": final,
        "wall_time_s": res.elapsed,
        "compile_s": res.compile_s,
        "iterations": res.iterations,
        "rollouts": res.iterations * mcfg.rollouts_per_iteration,
        "reached_target": res.reached_iteration is not None and final <= config.target_loss,
        "target_loss": config.target_loss,
        "time_to_target_s": res.reached_time,
        "iterations_to_target": res.reached_iteration,
        "stop_reason": res.stop_reason,
        "persistence": persist,
        "device": jax.devices()[0].device_kind,
        "devices_used": n,
        "jax_version": jax.__version__,
        "config": config_dict(config),
    }
    if hosts.is_main():  # one writer across processes
        if not res.diverged:
            grow_report.figures(res.params, config, target, out, k_viz, res.records, name)
        runfolder.write_summary(out, summary)
    if res.diverged:
        raise Diverged(res.diverged)
    return summary, res.params


def _start(config: GrowConfig, target: np.ndarray, out: Path, subs) -> None:
    """Refuse another configuration before writing anything; then the run's config."""
    for sub in {out, *subs}:
        runfolder.refuse(sub, run_config(config), loop.BUDGET_FIELDS[:2])
    runfolder.guard(out, run_config(config))  # each optimizer's folder: by the driver
    figures.target_png(target, out / "target.png")


def run(config: GrowConfig, out_dir: str | Path, n_devices: int = 0) -> dict[str, dict]:
    """Train as configured into ``out_dir``; returns ``{optimizer: summary}``. ``n_devices``
    splits the ES population (0: the most devices present that divide it)."""
    target = load_target(config.target, config.size, config.padding)
    devices.check_memory(memory_bytes(config, *target.shape[:2]), "size",
                         f"a {target.shape[0]}×{target.shape[1]} grid",
                         "use a smaller size, padding, adam.pool_size, es.pool_size, "
                         "adam.batch_size or es.population")
    if n_devices:
        devices.check_divisible(config.es.population, devices.population_mesh(n_devices),
                                "devices")
    start = _start_params(config)  # before the folder: a bad init_from writes nothing
    with outdir.claim(out_dir, JOB, resume=True) as out:
        subs = {name: out / name if config.optimizer == "both" else out
                for name in config.names}
        hosts.on_main(_start, config, target, out, subs.values())
        trained = {name: train(name, config, target, sub, n_devices, start)
                   for name, sub in subs.items()}
        summaries = {name: s for name, (s, _) in trained.items()}
        if hosts.is_main():  # the page from the parameters in hand (no collective reads)
            page.write([web_model.growing_model(web_model.growing_name(name, out), params,
                                                config.model, target)
                        for name, (_, params) in trained.items()], out / "page")
            if config.optimizer == "both":
                grow_report.write_report(summaries, config, out)
    return summaries
