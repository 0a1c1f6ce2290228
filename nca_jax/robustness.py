"""Robustness battery for trained growing NCAs: erasing, FGSM attacks, long horizons,
larger canvases (what ``python -m nca_jax.damage`` runs).

Step numbering: the state "at step t" is the grid after ``t`` NCA steps from the seed;
step ``t`` draws its fire mask from ``fold_in(key, t - 1)`` exactly as
:func:`nca_jax.model.trajectory`. A damage "at step d" is applied to the state right after
step ``d`` (so the state shown at step ``d`` is the damaged one and step ``d - 1`` is the
last undamaged state). Every loss is the MSE on RGBA against the target
(:func:`nca_jax.losses.mse`); a curve holds the loss at steps ``0..T``.

Every experiment is one jitted pure function of ``(params, target, keys)``, vmapped over
the seed keys (one stochastic rollout per key). The same keys are used for every
experiment and every model (common random numbers), so the undamaged part of a damage
curve equals the long-horizon curve.
"""

from __future__ import annotations

import dataclasses
import json
import math
from functools import partial
from pathlib import Path
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from nca_jax import losses, model
from runio.cli import BadInput

LONG_STRIP = (0, 1, 2, 3, 4, 10, 30, 40, 100, 1000)
ERASE_MASKS = ("2x2", "3x3", "bottom_half")
REPORT_STEPS = (40, 200, 1000)


@dataclasses.dataclass(frozen=True)
class BatteryConfig:
    seeds: int = 8
    steps: int = 2000  # long horizon and larger canvas
    damage_step: int = 51  # erasing and FGSM after growth
    erase_steps: int = 400  # steps simulated after the erasure
    fgsm_steps: int = 1000  # length of the FGSM curves (steps 0..fgsm_steps)
    fgsm_until: int = 40  # FGSM during growth: after every step 1..fgsm_until
    fgsm_eps_growth: float = 7e-7
    fgsm_eps_after: tuple[float, ...] = (0.007, 0.07)
    canvas: int = 0  # 0: default_canvas(training grid) per model
    seed: int = 0

    def __post_init__(self):
        if self.seeds < 1:
            raise BadInput(f"--seeds={self.seeds}: must be >= 1")
        if self.steps < 1:
            raise BadInput(f"--steps={self.steps}: must be >= 1")
        if self.fgsm_eps_growth < 0 or not math.isfinite(self.fgsm_eps_growth):
            raise BadInput(f"--fgsm_eps_growth={self.fgsm_eps_growth}: must be a number >= 0")
        if not self.fgsm_eps_after:
            raise BadInput("--fgsm_eps_after: give at least one value")
        for e in self.fgsm_eps_after:
            if e < 0 or not math.isfinite(e):
                raise BadInput(f"--fgsm_eps_after={e}: each must be a number >= 0")
        if self.canvas < 0:
            raise BadInput(f"--canvas={self.canvas}: must be >= 0 (0: default)")
        if not 1 <= self.damage_step or self.erase_steps < 0 or self.fgsm_steps < self.damage_step:
            raise BadInput("need damage_step >= 1, erase_steps >= 0, fgsm_steps >= damage_step")
        if not 1 <= self.fgsm_until <= self.fgsm_steps:
            raise BadInput("need 1 <= fgsm_until <= fgsm_steps")


def default_canvas(grid: int) -> int:
    """Default larger canvas for a model trained on a ``grid``×``grid`` grid: 2·grid + 9
    (39 for 15×15)."""
    return 2 * grid + 9


# ----------------------------------------------------------------------------- damages


def erase_mask(name: str, height: int, width: int) -> jnp.ndarray:
    """``(height, width)`` float mask, 0 where the damage erases (all channels), else 1.

    ``"2x2"``/``"3x3"``: the k×k square starting at ``((h - k) // 2, (w - k) // 2)``
    (exactly centred when ``h - k`` is even, else half a cell up/left; it always holds
    the seed cell ``(h // 2, w // 2)``). ``"bottom_half"``: the rows ``>= (h + 1) // 2``
    (the bottom ⌊h/2⌋ rows; on odd heights the middle row is kept).
    """
    r = jnp.arange(height)[:, None]
    c = jnp.arange(width)[None, :]
    if name in ("2x2", "3x3"):
        k = int(name[0])
        r0, c0 = (height - k) // 2, (width - k) // 2
        hole = (r >= r0) & (r < r0 + k) & (c >= c0) & (c < c0 + k)
    elif name == "bottom_half":
        hole = jnp.broadcast_to(r >= (height + 1) // 2, (height, width))
    else:
        raise ValueError(f"unknown erase mask {name!r}; one of {ERASE_MASKS}")
    return 1.0 - hole.astype(jnp.float32)


def fgsm(x: jnp.ndarray, target: jnp.ndarray, eps: float) -> jnp.ndarray:
    """FGSM perturbation ``eps · sign(∂ MSE(x, target) / ∂x)`` of one grid ``(H, W, C)``
    (hidden channels do not enter the loss: their gradient and perturbation are 0)."""
    g = jax.grad(lambda s: losses.mse(s, target))(x)
    return eps * jnp.sign(g)


def pad_target(target: np.ndarray, canvas: int) -> np.ndarray:
    """Zero-pad an ``(H, W, 4)`` target to ``canvas``×``canvas`` so that its cell
    ``(H // 2, W // 2)`` (under the seed) lands on the canvas seed ``(canvas // 2,)*2``."""
    h, w = target.shape[:2]
    if canvas < max(h, w):
        raise BadInput(f"--canvas={canvas}: smaller than the training size {h}×{w}")
    top, left = canvas // 2 - h // 2, canvas // 2 - w // 2
    return np.pad(np.asarray(target, np.float32),
                  ((top, canvas - h - top), (left, canvas - w - left), (0, 0)))


# ------------------------------------------------------------------ the rollout engine

Perturb = Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]  # (t, x after step t) -> x


def _curve(params, x0, key, target, mcfg: model.ModelConfig, n_steps: int,
           perturb: Perturb | None, snap_steps: tuple[int, ...]):
    """Loss at steps 0..n_steps of one rollout and the states at ``snap_steps``."""
    snaps0 = jnp.zeros((len(snap_steps),) + x0.shape, x0.dtype)
    snap_at = jnp.asarray(snap_steps, jnp.int32)
    snaps0 = jnp.where((snap_at == 0)[:, None, None, None], x0[None], snaps0)

    def body(carry, t):
        x, snaps = carry
        x = model.step(params, x, jax.random.fold_in(key, t), mcfg)
        if perturb is not None:
            x = perturb(t + 1, x)
        snaps = jnp.where((snap_at == t + 1)[:, None, None, None], x[None], snaps)
        return (x, snaps), losses.mse(x, target)

    (_, snaps), ls = jax.lax.scan(body, (x0, snaps0), jnp.arange(n_steps))
    return jnp.concatenate([losses.mse(x0, target)[None], ls]), snaps


def _batched(params, target, keys, mcfg, n_steps, perturb, snap_steps):
    h, w = target.shape[:2]
    x0 = model.seed(mcfg, h, w)
    ls, snaps = jax.vmap(lambda k: _curve(params, x0, k, target, mcfg, n_steps, perturb,
                                          snap_steps))(keys)
    return ls, snaps[0]


_STATIC = ("mcfg", "n_steps", "snap_steps")


@partial(jax.jit, static_argnames=_STATIC)
def long_horizon(params, target, keys, mcfg, n_steps: int, snap_steps: tuple[int, ...] = ()):
    """Undamaged growth: losses ``(seeds, n_steps + 1)`` and seed 0's states at
    ``snap_steps``. With a padded target this is also the larger-canvas experiment."""
    return _batched(params, target, keys, mcfg, n_steps, None, snap_steps)


@partial(jax.jit, static_argnames=_STATIC)
def erase(params, target, keys, mcfg, n_steps: int, mask, damage_step,
          snap_steps: tuple[int, ...] = ()):
    """State multiplied by ``mask`` ``(H, W)`` (0: erased, all channels) right after step
    ``damage_step`` (mask and step are traced: one compilation for every damage)."""
    mask = jnp.asarray(mask, jnp.float32)[..., None]

    def perturb(t, x):
        return jnp.where(t == damage_step, x * mask, x)

    return _batched(params, target, keys, mcfg, n_steps, perturb, snap_steps)


@partial(jax.jit, static_argnames=_STATIC)
def fgsm_attack(params, target, keys, mcfg, n_steps: int, eps, first, last,
                snap_steps: tuple[int, ...] = ()):
    """FGSM perturbation added right after every step ``first..last`` (inclusive)."""

    def perturb(t, x):
        return jnp.where((t >= first) & (t <= last), x + fgsm(x, target, eps), x)

    return _batched(params, target, keys, mcfg, n_steps, perturb, snap_steps)


# ---------------------------------------------------------------------------- metrics


def recovery(curve, start: int, reference: float) -> tuple[float, int | None]:
    """``(peak, steps)`` of a loss curve after a damage at index ``start``.

    ``peak`` = max of ``curve[start:]``; ``steps`` = the first ``i >= 0`` with
    ``curve[start + i] <= 2 · reference`` (0 if the damaged state itself is within 2×),
    ``None`` if that never happens within the curve.
    """
    tail = np.asarray(curve, np.float64)[start:]
    peak = float(np.max(tail)) if tail.size else math.nan
    ok = np.nonzero(tail <= 2.0 * reference)[0]
    return peak, (int(ok[0]) if ok.size else None)


def _r6(a) -> list:
    """Floats to 6 significant digits; non-finite values (a diverging model) as ``None``
    so the file stays strict JSON."""
    a = np.asarray(a, np.float64)
    return np.vectorize(lambda v: float(f"{v:.6g}") if math.isfinite(v) else None,
                        otypes=[object])(a).tolist() if a.size else []


def curve_record(ls: np.ndarray) -> dict:
    """Per-seed losses ``(seeds, T + 1)`` → mean, std, min, max over seeds and all seeds
    (non-finite entries written as ``null``)."""
    ls = np.asarray(ls, np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return {"loss_mean": _r6(ls.mean(0)), "loss_std": _r6(ls.std(0)),
                "loss_min": _r6(ls.min(0)),
                "loss_max": _r6(ls.max(0)), "loss": _r6(ls)}


# ------------------------------------------------------------------------ loading models


class TrainedModel(NamedTuple):
    name: str  # label in figures and results, unique within a battery
    checkpoint: str
    optimizer: str  # "adam" | "es"
    pool: bool
    params: Any
    mcfg: model.ModelConfig
    target: np.ndarray  # (H, W, 4), the training target (size + 2·padding)
    summary: dict


def _dc(cls, d: dict):
    """Frozen dataclass from its ``asdict`` form (lists back to tuples; unknown keys ignored)."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in names})


def grow_config(cfg: dict):
    from nca_jax import experiment, train_adam, train_es

    nested = {"model": _dc(model.ModelConfig, cfg["model"]),
              "adam": _dc(train_adam.AdamConfig, cfg["adam"]),
              # only the parameters are needed: load on one device, whatever the run used
              "es": dataclasses.replace(_dc(train_es.ESConfig, cfg["es"]), devices=1)}
    flat = {k: v for k, v in cfg.items() if k not in nested}
    return dataclasses.replace(_dc(experiment.GrowConfig, flat), **nested)


def run_folders(path: str | Path) -> list[Path]:
    """The run folders under a ``--checkpoint`` path: the folder itself when it holds
    ``summary.json``, else its ``es/`` and ``adam/`` (an ``--optimizer=both`` run)."""
    p = Path(path)
    if not p.is_dir():
        raise BadInput(f"--checkpoint={path}: no such folder")
    if (p / "summary.json").is_file():
        return [p]
    subs = [p / n for n in ("es", "adam") if (p / n / "summary.json").is_file()]
    if not subs:
        raise BadInput(f"--checkpoint={path}: not a growing-NCA checkpoint (no summary.json)")
    return subs


def load_model(checkpoint_dir: str | Path, name: str | None = None) -> TrainedModel:
    """A trained growing NCA from a run folder of ``python -m nca_jax.grow`` (the folder
    holding ``summary.json`` and ``checkpoints/``): the parameters of its last checkpoint,
    its model config and its training target. Raises :class:`BadInput` (one line) for a
    missing folder or one that is not a growing-NCA checkpoint."""
    from nca_jax import experiment, targets
    from nca_jax.checkpoint import Checkpointer

    d = Path(checkpoint_dir)
    flag = f"--checkpoint={checkpoint_dir}"
    if not d.is_dir():
        raise BadInput(f"{flag}: no such folder")
    not_ckpt = f"{flag}: not a growing-NCA checkpoint"
    try:
        summary = json.loads((d / "summary.json").read_text())
        optimizer = summary["optimizer"]
        cfg = grow_config(summary["config"])
    except FileNotFoundError:
        raise BadInput(f"{not_ckpt} (no summary.json)") from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise BadInput(f"{not_ckpt} (summary.json unreadable: {type(e).__name__} {e})") from None
    if optimizer not in ("adam", "es"):
        raise BadInput(f"{not_ckpt} (optimizer {optimizer!r})")
    ck = d / "checkpoints"
    if not ck.is_dir() or not any(ck.iterdir()):
        raise BadInput(f"{not_ckpt} (no checkpoints/)")
    try:
        target = targets.load_target(cfg.target, cfg.size, cfg.padding)
    except BadInput as e:
        raise BadInput(f"{flag}: cannot rebuild its training target: {e}") from None
    trainer = experiment.make_trainer(optimizer, cfg, target)
    template = trainer.init(jax.random.PRNGKey(0))
    try:
        ckpt = Checkpointer(ck)
        if ckpt.latest_step() is None:
            raise ValueError("no saved step")
        state, _ = ckpt.restore(template)
        ckpt.close()
    except Exception as e:  # orbax raises many types for foreign folders
        raise BadInput(f"{not_ckpt} ({type(e).__name__}: {e})") from None
    pool = cfg.adam.pool if optimizer == "adam" else cfg.es.pool
    label = name or f"{optimizer}{' +pool' if pool else ''}"
    return TrainedModel(label, str(d), optimizer, pool, trainer.params(state), cfg.model,
                        np.asarray(target, np.float32), summary)


def unique_names(models: list[TrainedModel]) -> list[TrainedModel]:
    """Make labels unique by appending the run folder to repeated ones."""
    counts: dict[str, int] = {}
    for m in models:
        counts[m.name] = counts.get(m.name, 0) + 1
    out, seen = [], set()
    for i, m in enumerate(models):
        name = m.name if counts[m.name] == 1 else f"{m.name} ({Path(m.checkpoint).name})"
        if name in seen:
            name = f"{name} #{i + 1}"
        seen.add(name)
        out.append(m._replace(name=name))
    return out


# -------------------------------------------------------------------------- the battery


def model_canvas(m: TrainedModel, config: BatteryConfig) -> int:
    grid = max(m.target.shape[:2])
    canvas = config.canvas or default_canvas(grid)
    if canvas < grid:
        raise BadInput(f"--canvas={canvas}: smaller than the training size {grid}×{grid} of "
                       f"--checkpoint={m.checkpoint}")
    return canvas


def _clip(steps, n):
    return tuple(s for s in steps if 0 <= s <= n)


def battery_for_model(m: TrainedModel, config: BatteryConfig) -> dict:
    """All experiments for one model: ``{experiment: record}`` with curves as numpy arrays
    of shape ``(seeds, T + 1)`` under ``"losses"`` and strips under ``"strip"``."""
    keys = jax.random.split(jax.random.PRNGKey(config.seed), config.seeds)
    tgt = jnp.asarray(m.target)
    d = config.damage_step
    res: dict = {}

    strip = _clip(LONG_STRIP, config.steps)
    ls, snaps = long_horizon(m.params, tgt, keys, m.mcfg, config.steps, strip)
    res["long_horizon"] = {"losses": np.asarray(ls), "strip": (strip, np.asarray(snaps))}

    n_erase = d + config.erase_steps
    erase_strip = _clip((d - 1, d, d + 9, d + 29, d + 49), n_erase)
    res["erase"] = {}
    for name in ERASE_MASKS:
        mask = erase_mask(name, *m.target.shape[:2])
        ls, snaps = erase(m.params, tgt, keys, m.mcfg, n_erase, mask, d, erase_strip)
        res["erase"][name] = {"losses": np.asarray(ls), "strip": (erase_strip, np.asarray(snaps)),
                              "damage_step": d}

    n = config.fgsm_steps
    ls, _ = fgsm_attack(m.params, tgt, keys, m.mcfg, n, config.fgsm_eps_growth, 1,
                        config.fgsm_until)
    res["fgsm_during_growth"] = {"losses": np.asarray(ls), "eps": config.fgsm_eps_growth,
                                 "first_step": 1, "last_step": config.fgsm_until}
    res["fgsm_after_growth"] = {}
    for eps in config.fgsm_eps_after:
        ls, _ = fgsm_attack(m.params, tgt, keys, m.mcfg, n, eps, d, d)
        res["fgsm_after_growth"][f"{eps:g}"] = {"losses": np.asarray(ls), "eps": eps,
                                                "damage_step": d}

    canvas = model_canvas(m, config)
    big = jnp.asarray(pad_target(m.target, canvas))
    ls, snaps = long_horizon(m.params, big, keys, m.mcfg, config.steps, strip)
    res["larger_canvas"] = {"losses": np.asarray(ls), "strip": (strip, np.asarray(snaps)),
                            "canvas": canvas}
    return res


def damage_summary(res: dict) -> dict[str, dict]:
    """Per damage: pre-damage loss, peak loss after it, steps back within 2× (None: never).

    Erasing / FGSM after growth: reference = mean loss at step ``d - 1``, measured from
    step ``d``. FGSM during growth: reference = the undamaged mean loss at the attack's
    last step, measured from that step.
    """
    out = {}
    for name, r in res["erase"].items():
        mean = r["losses"].mean(0)
        d = r["damage_step"]
        out[f"erase {name}"] = _damage_row(mean, d, float(mean[d - 1]))
    r = res["fgsm_during_growth"]
    last = r["last_step"]
    clean = res["long_horizon"]["losses"].mean(0)
    ref = float(clean[last]) if last < clean.size else math.nan
    out[f"FGSM during growth ε={r['eps']:g}"] = _damage_row(r["losses"].mean(0), last, ref)
    for key, r in res["fgsm_after_growth"].items():
        mean = r["losses"].mean(0)
        d = r["damage_step"]
        out[f"FGSM after growth ε={key}"] = _damage_row(mean, d, float(mean[d - 1]))
    return out


def _num(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _damage_row(mean, start, reference) -> dict:
    peak, steps = recovery(mean, start, reference)
    return {"damage_step": start, "pre_damage_loss": _num(reference), "peak_loss": _num(peak),
            "recovery_steps": steps}


def _json_ready(res: dict) -> dict:
    def conv(r):
        out = {}
        for k, v in r.items():
            if k == "losses":
                out.update(curve_record(v))
            elif k == "strip":
                out["strip_steps"] = list(v[0])
            else:
                out[k] = v
        return out

    j = {"long_horizon": conv(res["long_horizon"]),
         "erase": {k: conv(v) for k, v in res["erase"].items()},
         "fgsm_during_growth": conv(res["fgsm_during_growth"]),
         "fgsm_after_growth": {k: conv(v) for k, v in res["fgsm_after_growth"].items()},
         "larger_canvas": conv(res["larger_canvas"])}
    return j


EXPERIMENTS = ("long_horizon", "erase", "fgsm_during_growth", "fgsm_after_growth", "larger_canvas")


def run_battery(models: list[TrainedModel], config: BatteryConfig, out: str | Path,
                progress: bool = True) -> dict:
    """Run every experiment on every model; write ``results.json``, one PNG per
    experiment overlaying all models, growth strips (``strips/``) and ``report.md`` into
    ``out`` (an existing folder). Returns the results as written to ``results.json``."""
    from tqdm import tqdm

    from nca_jax import damage_plots
    from runio.records import write_json

    out = Path(out)
    models = unique_names(list(models))
    for m in models:
        model_canvas(m, config)  # bad canvas: fail before any work
    raw, summaries = {}, {}
    for m in tqdm(models, desc="damage battery", unit="model", disable=not progress):
        raw[m.name] = battery_for_model(m, config)
        summaries[m.name] = damage_summary(raw[m.name])
    results: dict = {
        "config": {**dataclasses.asdict(config), "models": [
            {"name": m.name, "checkpoint": m.checkpoint, "optimizer": m.optimizer, "pool": m.pool,
             "target": m.summary["config"]["target"], "grid": list(m.target.shape[:2]),
             "canvas": model_canvas(m, config), "model": dataclasses.asdict(m.mcfg)}
            for m in models]},
    }
    per_model = {n: _json_ready(r) for n, r in raw.items()}
    for e in EXPERIMENTS:
        results[e] = {n: per_model[n][e] for n in per_model}
    results["summary"] = {n: {"loss_at": _loss_at(raw[n]), "damages": summaries[n]} for n in raw}
    write_json(out / "results.json", results)
    figures = damage_plots.write_figures(raw, config, out)
    write_report(results, figures, config, out)
    return results


def _loss_at(res: dict) -> dict[str, float | None]:
    mean = res["long_horizon"]["losses"].mean(0)
    return {str(s): (_num(mean[s]) if s < mean.size else None) for s in REPORT_STEPS}


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def write_report(results: dict, figures: dict, config: BatteryConfig, out: Path) -> None:
    cfg = results["config"]
    lines = [
        "# Robustness battery",
        "",
        f"{config.seeds} stochastic rollouts per model and experiment (same keys for all); "
        "loss = MSE on RGBA against the training target; curves show the mean over seeds "
        "with a min–max band, log scale. Damages act on the state right after the named "
        f"step. Recovery = steps after the damage until the mean loss is back within 2× the "
        f"pre-damage loss (step {config.damage_step - 1} for erasing and FGSM after growth; "
        f"for FGSM during growth the undamaged loss at step {config.fgsm_until}, counted from "
        f"step {config.fgsm_until}).",
        "",
        "| model | checkpoint | target | grid | larger canvas |",
        "| --- | --- | --- | --- | --- |",
    ]
    for m in cfg["models"]:
        lines.append(f"| {m['name']} | `{m['checkpoint']}` | {m['target']} | "
                     f"{m['grid'][0]}×{m['grid'][1]} | {m['canvas']}×{m['canvas']} |")
    lines.append("")
    for name, s in results["summary"].items():
        lines += [f"## {name}", "",
                  "| loss at step | " + " | ".join(s["loss_at"]) + " |",
                  "| --- |" + " --- |" * len(s["loss_at"]),
                  "| mean MSE | " + " | ".join(_fmt(v) for v in s["loss_at"].values()) + " |",
                  "",
                  "| damage | at step | pre-damage loss | peak loss after "
                  "| steps back within 2× |",
                  "| --- | --- | --- | --- | --- |"]
        for dname, r in s["damages"].items():
            steps = "never" if r["recovery_steps"] is None else str(r["recovery_steps"])
            lines.append(f"| {dname} | {r['damage_step']} | {_fmt(r['pre_damage_loss'])} | "
                         f"{_fmt(r['peak_loss'])} | {steps} |")
        lines.append("")
        for title, path in figures.get("strips", {}).get(name, []):
            lines += [f"![{title}]({path})", ""]
    lines += ["## Figures", ""]
    for e in EXPERIMENTS:
        if e in figures:
            lines += [f"![{e}]({figures[e]})", ""]
    (out / "report.md").write_text("\n".join(lines))
