"""A finished grow run for people: per optimizer ``growth.png`` (the growth strip),
``growth.gif`` and ``loss.png``; with both optimizers a side-by-side ``report.md``."""

from __future__ import annotations

import math
from pathlib import Path

import jax
import numpy as np

from nca_jax import figures as fig
from nca_jax.nca import growing
from nca_jax.targets.images import looks_like_path

STRIP_STEPS = (0, 1, 2, 3, 4, 10, 30, 40, 100, 1000)
OPENMOJI = ("The target emoji is from OpenMoji (openmoji.org), licensed CC BY-SA 4.0; the "
            "figures that show it are shared under the same licence.")


def figures(params, config, target, out: Path, key, records, name) -> None:
    h, w = target.shape[:2]
    x0 = growing.seed(config.model, h, w)
    n = max(max(STRIP_STEPS), config.gif_steps)
    traj = np.asarray(jax.jit(growing.trajectory, static_argnums=(3, 4))(
        params, x0, key, n, config.model))
    fig.growth_strip(traj[list(STRIP_STEPS)], STRIP_STEPS, out / "growth.png",
                         title=f"{name}: growth from the seed")
    fig.growth_gif(traj[: config.gif_steps + 1], out / "growth.gif")
    fig.loss_curve(records, out / "loss.png", config.target_loss,
                       title=f"{name}: loss during training")


def _fmt(x, spec=".4f"):
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def _persist(s, spec):
    return spec.format(**s["persistence"]) if s.get("persistence") else "—"


def _averaged(cap: float, of: str) -> str:
    """The report's words for a trainer's moving average (nothing when it is off)."""
    return f"moving average of {of} (decay ≤ {cap:g}), " if cap else ""


def write_report(summaries: dict[str, dict], config, out: Path) -> None:
    rows = [
        ("reached target", lambda s: "yes" if s["reached_target"] else "no"),
        ("wall time to target (s)", lambda s: _fmt(s["time_to_target_s"], ".1f")),
        ("iterations to target", lambda s: _fmt(s["iterations_to_target"], "d")),
        ("final loss (64 fresh rollouts)", lambda s: _fmt(s["final_loss"], ".5f")),
        ("loss at step 40 / step 1000", lambda s: _persist(s, "{loss_40:.4f} / {loss_1000:.4f}")),
        ("persistence: loss(1000) / loss(40)", lambda s: _persist(s, "{ratio:.2f}")),
        ("total wall time (s)", lambda s: _fmt(s["wall_time_s"], ".1f")),
        ("iterations", lambda s: str(s["iterations"])),
        ("rollouts", lambda s: str(s["rollouts"])),
        ("JIT compile (s)", lambda s: _fmt(s["compile_s"], ".1f")),
    ]
    names = list(summaries)
    es_devices = summaries.get("es", {}).get("devices_used", 1)
    lines = [
        f"# Growing NCA: ES vs Adam on `{config.target}` ({config.size}×{config.size})",
        "",
        f"Target loss {config.target_loss:g} (MSE on RGBA, fresh rollouts from the seed); "
        f"ES: {config.es.strategy}, population {config.es.population}, "
        f"σ={config.es.sigma_value:g}, lr {config.es.lr_value:g}, "
        + _averaged(config.es.average, "the mean") +
        f"pool {config.es.pool_size if config.es.pool else 'off'}, "
        f"population split over {es_devices} device(s); "
        f"Adam: lr {config.adam.lr:g}, batch {config.adam.batch_size}, "
        + _averaged(config.adam.average, "the iterates") +
        f"pool {config.adam.pool_size if config.adam.pool else 'off'}. "
        f"Device: {jax.devices()[0].device_kind}.",
        "",
        "| | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    lines += [f"| {label} | " + " | ".join(f(summaries[n]) for n in names) + " |" for label, f in rows]
    t = {n: summaries[n]["time_to_target_s"] for n in names}
    if t.get("es") and t.get("adam"):
        lines += ["", f"ES / Adam wall-time ratio to the target: **{t['es'] / t['adam']:.2f}**"]
    if not looks_like_path(config.target):
        lines += ["", OPENMOJI]
    lines += ["", "![target](target.png)", "",
              "Both models run in the browser: [page/index.html](page/index.html) (open it from "
              "disk; drag on a picture to erase cells and watch them regrow).", ""]
    for n in names:
        lines += [f"## {n}", "", f"![growth]({n}/growth.png)", "",
                  f"![growth gif]({n}/growth.gif) ![loss]({n}/loss.png)", ""]
    (out / "report.md").write_text("\n".join(lines))
