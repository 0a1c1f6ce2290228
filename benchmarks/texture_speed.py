"""Texture-NCA training speed: steps/s for the seed's notebook configuration, and the wall
time of one random-search trial.

    python -m benchmarks.texture_speed            # 64x64 and 128x128, trial of 500 steps
    python -m benchmarks.texture_speed --quick    # 64x64 only, trial of 50 steps
    python -m benchmarks.texture_speed --parts=trial  # only the 500-step trials

Seed's notebook configuration: 9 channels, hidden 96, 4 filters, batch 2, 20 CA steps,
Adam. Both style losses are timed in the same run (vgg is the default, swd the weight-free
peer) and their ratio reported. The trial is :func:`nca_jax.hparams.trials.run_trials` of
that configuration on one Gray-Scott texture, compile included (as a search pays it).
"""

from __future__ import annotations

import time

import jax
from absl import flags

from benchmarks import common

flags.DEFINE_bool("quick", False, "64x64 only, trial of 50 steps.")
flags.DEFINE_multi_enum("parts", ["speed", "trial"], ["speed", "trial"],
                        "What to measure: speed (steps/s), trial (one search trial).")
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
    tr = train_texture.make(mcfg, tcfg, loss_fn, data, (size, size))
    box = [tr.init(jax.random.PRNGKey(0))]

    def ten():
        for _ in range(10):
            box[0], m = tr.step(box[0])
        jax.block_until_ready(m["loss"])

    return 10.0 / common.timeit(ten, repeats=2, min_seconds=3.0)


def trial_seconds(size: int, steps: int, loss: str) -> float:
    from nca_jax.hparams import trials
    from nca_jax.style import losses as style
    from nca_jax.targets.textures import load_texture

    cfg = trials.SearchConfig(trials=1, train_steps=steps, size=size, loss=loss,
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
    steps = 50 if FLAGS.quick else 500
    for loss in ("vgg", "swd") if "trial" in FLAGS.parts else ():
        s = trial_seconds(64, steps, loss)
        results.emit({"config": SEED_CONFIG, "size": 64, "train_steps": steps, "loss": loss,
                      "wall_time_s": s, "goal_s": 120}, name="texture_trial")
    results.close()


if __name__ == "__main__":
    common.run(main)
