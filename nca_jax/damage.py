"""Robustness battery on trained growing NCAs: long horizon, erasing, FGSM, larger canvas.

    python -m nca_jax.damage --checkpoint=runs/g/adam --checkpoint=runs/g/es --seeds=8 --out=OUT
    python -m nca_jax.damage --checkpoint=runs/grow --out=runs/damage  # es/ and adam/ of a "both" run

Flags → :class:`nca_jax.robustness.battery.BatteryConfig` →
:func:`nca_jax.robustness.report.run_battery`.
"""

from __future__ import annotations

from pathlib import Path

from absl import flags

from runio.cli import fail, require, run

F = flags.FLAGS
flags.DEFINE_multi_string("checkpoint", None, "Run folder of `python -m nca_jax.grow` (holding "
                          "summary.json and checkpoints/), or a --optimizer=both run (its es/ and "
                          "adam/). Repeat to compare models.")
flags.DEFINE_integer("seeds", 8, "Stochastic rollouts per model and experiment (>= 1).")
flags.DEFINE_string("out", None, "Output folder (must be new or empty, unless --overwrite).")
flags.DEFINE_integer("canvas", 0, "Side of the larger canvas (0: 2·grid + 9, i.e. 39 for 15×15 "
                     "models); must be >= every model's training grid.")
flags.DEFINE_float("fgsm_eps_growth", 7e-7,
                   "FGSM ε during growth (after every step up to --fgsm_until).")
flags.DEFINE_list("fgsm_eps_after", ["0.007", "0.07"],
                  "FGSM ε values for the single attack after growth.")
flags.DEFINE_integer("steps", 2000, "Long-horizon and larger-canvas steps.")
flags.DEFINE_integer("damage_step", 51, "Step after which erasing and FGSM-after-growth act.")
flags.DEFINE_integer("erase_steps", 400, "Steps simulated after the erasure.")
flags.DEFINE_integer("fgsm_steps", 1000, "Length of the FGSM loss curves (steps).")
flags.DEFINE_integer("fgsm_until", 40, "FGSM during growth attacks after steps 1..fgsm_until.")
flags.DEFINE_integer("seed", 0, "Random seed of the rollouts.")
flags.DEFINE_bool("overwrite", False, "Replace the contents of a non-empty --out.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")


def build_config():
    """Flags → :class:`BatteryConfig`; every rule is checked by the config itself."""
    from nca_jax.robustness.battery import BatteryConfig

    require(F.out is not None, "--out is required: give an output folder")
    require(bool(F.checkpoint), "--checkpoint is required: give a run folder of nca_jax.grow")
    try:
        eps_after = tuple(float(v) for v in F.fgsm_eps_after)
    except ValueError:
        fail(f"--fgsm_eps_after={','.join(F.fgsm_eps_after)}: expected comma-separated numbers")
    return BatteryConfig(seeds=F.seeds, steps=F.steps, damage_step=F.damage_step,
                         erase_steps=F.erase_steps, fgsm_steps=F.fgsm_steps,
                         fgsm_until=F.fgsm_until, fgsm_eps_growth=F.fgsm_eps_growth,
                         fgsm_eps_after=eps_after, canvas=F.canvas, seed=F.seed)


def main(argv):
    from nca_jax.robustness import report

    config = build_config()
    results = report.run(F.checkpoint, config, F.out, overwrite=F.overwrite,
                         progress=F.progress)
    for name, s in results["summary"].items():
        at = ", ".join(f"step {k}: {v:.4g}" for k, v in s["loss_at"].items() if v is not None)
        print(f"{name}: loss {at}")
    print(f"results in {Path(F.out) / 'report.md'}")


FLAG_NAMES: dict[str, str] = {}  # every config field is named after its flag

if __name__ == "__main__":
    run(main, FLAG_NAMES)
