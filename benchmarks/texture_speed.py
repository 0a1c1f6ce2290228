"""Texture-NCA training speed: steps/s for the seed's notebook configuration, and the wall
time of one random-search trial.

    python -m benchmarks.texture_speed            # 64x64 and 128x128, trial of 500 steps
    python -m benchmarks.texture_speed --quick    # 64x64 only, trial of 50 steps
    python -m benchmarks.texture_speed --parts=trial  # only the 500-step trials

Seed's notebook configuration: 9 channels, hidden 96, 4 filters, batch 2, 20 CA steps,
Adam. Both style losses are timed in the same run (vgg is the default, swd the weight-free
peer) and their ratio reported. The trial is :func:`nca_jax.hparam_trials.run_trials` of
that configuration on one Gray-Scott texture, compile included (as a search pays it).
"""

from __future__ import annotations

import argparse
import time

import jax

from benchmarks.common import emit, timeit
from nca_jax import hparam_trials, style, texture_targets, train_texture
from nca_jax import texture_model as tm

SEED_CONFIG = {"channels": 9, "hidden": 96, "ca_steps": 20, "batch_size": 2, "filters": 4,
               "update_rate": 0.5, "lr": 1e-3}


def steps_per_s(size: int, loss: str) -> float:
    target = texture_targets.load_texture("grayscott:spots", size)
    loss_fn, data = style.make_style_loss(loss, target, key=jax.random.PRNGKey(0))
    mcfg = tm.TextureModelConfig(channels=9, hidden=96, n_filters=4, update_rate=0.5)
    tcfg = train_texture.TextureTrainConfig(batch_size=2, ca_steps=20)
    tr = train_texture.make(mcfg, tcfg, loss_fn, (size, size))
    box = [tr.init(jax.random.PRNGKey(0))]

    def ten():
        for _ in range(10):
            box[0], loss_ = tr.step(box[0], data)
        jax.block_until_ready(loss_)

    return 10.0 / timeit(ten, repeats=2, min_seconds=3.0)


def trial_seconds(size: int, steps: int, loss: str) -> float:
    cfg = hparam_trials.SearchConfig(trials=1, train_steps=steps, size=size, loss=loss,
                                     textures=("grayscott:spots",), progress=False)
    target = texture_targets.load_texture("grayscott:spots", size)
    loss_fn, (shared, per) = style.make_style_loss(loss, target, key=jax.random.PRNGKey(0))
    per = jax.tree.map(lambda x: x[None], per)
    t0 = time.perf_counter()
    hparam_trials.run_trials([SEED_CONFIG], [0], cfg, loss_fn, shared, per, (size, size))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--parts", default="speed,trial",
                    help="comma-separated: speed (steps/s), trial (one search trial)")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    if parts - {"speed", "trial"}:
        ap.error(f"--parts={args.parts}: allowed are speed, trial")
    sizes = (64,) if args.quick else (64, 128)
    for size in sizes if "speed" in parts else ():
        r = {loss: steps_per_s(size, loss) for loss in ("vgg", "swd")}
        emit("texture_speed", {"config": SEED_CONFIG, "size": size, "vgg_steps_per_s": r["vgg"],
                               "swd_steps_per_s": r["swd"], "swd_over_vgg": r["swd"] / r["vgg"]})
    steps = 50 if args.quick else 500
    for loss in ("vgg", "swd") if "trial" in parts else ():
        s = trial_seconds(64, steps, loss)
        emit("texture_trial", {"config": SEED_CONFIG, "size": 64, "train_steps": steps,
                               "loss": loss, "wall_time_s": s, "goal_s": 120})


if __name__ == "__main__":
    main()
