"""Texture-NCA training speed: steps/s for the texture study's notebook configuration, and the wall
time of one random-search trial.

    python -m benchmarks.texture_speed            # 64x64 and 128x128, trial of 500 steps
    python -m benchmarks.texture_speed --quick    # 64x64 only (twin: 32x32), 50-step trial
    python -m benchmarks.texture_speed --parts=trial  # only the 500-step trials
    python -m benchmarks.texture_speed --parts=twin   # against the PyTorch twin (torch needed)

Seed's notebook configuration: 9 channels, hidden 96, 4 filters, batch 2, 20 CA steps,
Adam. Both style losses are timed in the same run (vgg is the default, swd the weight-free
peer) and their ratio reported. The trial is :func:`nca_jax.hparams.trials.run_trials` of
that configuration on one Gray-Scott texture, compile included (as a search pays it).
The twin (:mod:`benchmarks.torch_texture`, the texture study's stack) is first checked to give the
same loss and gradient on the same weights, input and masks, then both train for 10 s each
in this process, on 32×32 (the texture CLI's default grid), 64×64 and 128×128 (goal: JAX ≥
2× the twin on the 2-core CPU).
"""

from __future__ import annotations

import time

import jax
from absl import flags

from benchmarks import common

flags.DEFINE_bool("quick", False, "64x64 only (twin: 32x32), trial of 50 steps.")
flags.DEFINE_multi_enum("parts", ["speed", "trial", "twin"], ["speed", "trial", "twin"],
                        "What to measure: speed (steps/s), trial (one search trial), twin "
                        "(training steps/s against the PyTorch twin; needs torch).")
FLAGS = flags.FLAGS

SEED_CONFIG = {"channels": 9, "hidden": 96, "ca_steps": 20, "batch_size": 2, "filters": 4,
               "update_rate": 0.5, "lr": 1e-3}


def steps_per_s(size: int, loss: str) -> float:
    from nca_jax.nca import texture as tm
    from nca_jax.style import losses as style
    from nca_jax.targets.textures import load_texture
    from nca_jax.train import texture as train_texture

    target = load_texture("grayscott:spots", size)
    loss_fn, data = style.make_style_loss(loss, target, key=jax.random.PRNGKey(0))
    mcfg = tm.TextureModelConfig(channels=9, hidden=96, n_filters=4, update_rate=0.5)
    tcfg = train_texture.TextureTrainConfig(batch_size=2, ca_steps=20)
    return trainer_rate(train_texture.make(mcfg, tcfg, loss_fn, data, (size, size)), 3.0)


def trainer_rate(tr, min_seconds: float) -> float:
    """Training steps/s of a trainer, in blocks of 10 steps (compile not timed)."""
    box = [tr.init(jax.random.PRNGKey(0))]

    def ten():
        for _ in range(10):
            box[0], m = tr.step(box[0])
        jax.block_until_ready(m["loss"])

    return 10.0 / common.timeit(ten, repeats=2, min_seconds=min_seconds)


def _seed_models(size: int):
    """The texture study's configuration's JAX model and trainer config, a VGG style loss on spots,
    and random weights with a non-zero output layer (a fresh model's is zero)."""
    from nca_jax.nca import texture as tm
    from nca_jax.style import losses as style
    from nca_jax.style import vgg
    from nca_jax.targets.textures import load_texture
    from nca_jax.train import texture as train_texture

    target = load_texture("grayscott:spots", size)
    weights = vgg.load_vgg16_params()
    loss_fn, data = style.make_style_loss("vgg", target, vgg_params=weights)
    mcfg = tm.TextureModelConfig(channels=9, hidden=96, n_filters=4, update_rate=0.5)
    tcfg = train_texture.TextureTrainConfig(batch_size=2, ca_steps=20, lr=SEED_CONFIG["lr"])
    k1, k2 = jax.random.split(jax.random.PRNGKey(1))
    params = tm.init_params(k1, mcfg)
    out = params["out"]["kernel"]
    params = dict(params, out={"kernel": 0.02 * jax.random.normal(k2, out.shape)})
    return mcfg, tcfg, target, weights, loss_fn, data, params


def twin(size: int) -> dict:
    """The PyTorch twin: same loss as JAX on the same weights, input and masks (checked),
    then training steps/s of both, one after the other in this process."""
    import numpy as np
    import torch

    from benchmarks import torch_texture as tt
    from nca_jax.nca import texture as tm
    from nca_jax.train import texture as train_texture

    mcfg, tcfg, target, weights, loss_fn, data, params = _seed_models(size)
    model = tt.TextureNCA(jax.tree.map(np.asarray, params), tm.filter_bank(mcfg),
                          mcfg.channels, mcfg.update_rate)
    style = tt.VGGGramLoss(weights, np.asarray(target), periodic=False)
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.5, 0.5, (tcfg.batch_size, size, size, mcfg.channels)).astype(np.float32)
    fires = (rng.uniform(size=(8, tcfg.batch_size, size, size, 1)) < 0.5).astype(np.float32)

    def jax_loss(p):
        y = jax.numpy.asarray(x)
        for f in fires:
            y = tm.step_with_fire(p, y, jax.numpy.asarray(f), mcfg)
        return jax.numpy.mean(loss_fn(data, tm.image(y, mcfg))
                              + tcfg.overflow_weight * tm.overflow(y))

    ours, grads = jax.jit(jax.value_and_grad(jax_loss))(params)
    theirs, _ = tt.batch_loss(model, style, torch.from_numpy(x),
                              [torch.from_numpy(f) for f in fires], tcfg.overflow_weight)
    theirs.backward()
    theirs = theirs.item()
    rel = abs(float(ours) - theirs) / abs(float(ours))
    g_ours = float(jax.numpy.linalg.norm(grads["hidden"]["kernel"]))
    g_rel = abs(g_ours - float(model.w1.grad.norm())) / g_ours
    common.require(rel < 1e-4 and g_rel < 1e-3, f"the twin differs from JAX: loss "
                   f"{float(ours)} vs {theirs}, |grad w1| relative difference {g_rel:.2e}")

    lo, hi = tm.step_range(mcfg, tcfg.ca_steps)
    trainer = tt.Trainer(model, style, (size, size), tcfg.lr, tcfg.batch_size, lo, hi,
                         tcfg.pool_size, tcfg.overflow_weight)
    for _ in range(2):  # warm-up
        trainer.step()
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < 10.0 or n < 5:
        trainer.step()
        n += 1
    torch_rate = n / (time.perf_counter() - t0)

    jax_rate = trainer_rate(train_texture.make(mcfg, tcfg, loss_fn, data, (size, size)), 10.0)
    return {"config": SEED_CONFIG, "size": size, "loss": "vgg",
            "same_loss": {"jax": float(ours), "torch": theirs, "relative": rel,
                          "grad_w1_relative": g_rel},
            "jax_steps_per_s": jax_rate, "torch_steps_per_s": torch_rate,
            "torch_version": torch.__version__, "torch_threads": torch.get_num_threads(),
            "jax_over_torch": jax_rate / torch_rate, "goal": 2.0}


def trial_seconds(size: int, steps: int, loss: str) -> float:
    from nca_jax.hparams import trials
    from nca_jax.style import losses as style
    from nca_jax.targets.textures import load_texture

    cfg = trials.HparamSearchConfig(trials=1, train_steps=steps, size=size, loss=loss,
                              textures=("grayscott:spots",), progress=False)
    target = load_texture("grayscott:spots", size)
    loss_fn, (shared, per) = style.make_style_loss(loss, target, key=jax.random.PRNGKey(0))
    per = jax.tree.map(lambda x: x[None], per)
    t0 = time.perf_counter()
    trials.run_trials([SEED_CONFIG], [0], cfg, loss_fn, shared, per, (size, size))
    return time.perf_counter() - t0


def main(argv):
    del argv
    results = common.Results("texture_speed")
    for size in ((64,) if FLAGS.quick else (64, 128)) if "speed" in FLAGS.parts else ():
        r = {loss: steps_per_s(size, loss) for loss in ("vgg", "swd")}
        results.emit({"config": SEED_CONFIG, "size": size, "vgg_steps_per_s": r["vgg"],
                      "swd_steps_per_s": r["swd"], "swd_over_vgg": r["swd"] / r["vgg"]})
    for size in ((32,) if FLAGS.quick else (32, 64, 128)) if "twin" in FLAGS.parts else ():
        results.emit(twin(size), name="texture_twin")
    steps = 50 if FLAGS.quick else 500
    for loss in ("vgg", "swd") if "trial" in FLAGS.parts else ():
        s = trial_seconds(64, steps, loss)
        results.emit({"config": SEED_CONFIG, "size": 64, "train_steps": steps, "loss": loss,
                      "wall_time_s": s, "goal_s": 120}, name="texture_trial")
    results.close()


if __name__ == "__main__":
    common.run(main)
