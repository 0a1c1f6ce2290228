"""Running the robustness battery on trained models and writing it for people:
``results.json`` (strict JSON), one figure per experiment, growth strips, ``report.md``."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
from tqdm import tqdm

from nca_jax.robustness import plots
from nca_jax.robustness.battery import (REPORT_STEPS, BatteryConfig, battery_for_model,
                                        canvas_for, recovery)
from nca_jax.robustness.loading import TrainedModel, unique_names
from runio import hosts
from runio.records import write_json


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
    out = Path(out)
    models = unique_names(list(models))
    for m in models:
        canvas_for(m.target, config)  # bad canvas: fail before any work
    raw, summaries = {}, {}
    for m in tqdm(models, desc="damage battery", unit="model", disable=not (progress and hosts.is_main())):
        raw[m.name] = battery_for_model(m.params, m.mcfg, m.target, config)
        summaries[m.name] = damage_summary(raw[m.name])
    results: dict = {
        "config": {**dataclasses.asdict(config), "models": [
            {"name": m.name, "checkpoint": m.checkpoint, "optimizer": m.optimizer, "pool": m.pool,
             "target": m.summary["config"]["target"], "grid": list(m.target.shape[:2]),
             "canvas": canvas_for(m.target, config), "model": dataclasses.asdict(m.mcfg)}
            for m in models]},
    }
    per_model = {n: _json_ready(r) for n, r in raw.items()}
    for e in EXPERIMENTS:
        results[e] = {n: per_model[n][e] for n in per_model}
    results["summary"] = {n: {"loss_at": _loss_at(raw[n]), "damages": summaries[n]} for n in raw}
    if hosts.is_main():  # one writer across processes
        write_json(out / "results.json", results)
        figures = plots.write_figures(raw, config, out)
        write_report(results, figures, config, out)
    return results


def _loss_at(res: dict) -> dict[str, float | None]:
    mean = res["long_horizon"]["losses"].mean(0)
    return {str(s): (finite_or_none(mean[s]) if s < mean.size else None) for s in REPORT_STEPS}


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
        f"step. Recovery = steps after the damage (for FGSM during growth: after its last step, "
        f"{config.fgsm_until}) from which the damaged rollouts' mean loss stays within 2× of "
        "the undamaged rollouts' mean loss at the same step (same keys: the long-horizon "
        "curve) to the last simulated step, or \"never\" if it ends outside.",
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
                  "| damage | at step | undamaged loss there | peak loss after "
                  "| steps until it stays within 2× of undamaged |",
                  "| --- | --- | --- | --- | --- |"]
        for dname, r in s["damages"].items():
            steps = "never" if r["recovery_steps"] is None else str(r["recovery_steps"])
            lines.append(f"| {dname} | {r['damage_step']} | {_fmt(r['undamaged_loss'])} | "
                         f"{_fmt(r['peak_loss'])} | {steps} |")
        lines.append("")
        for title, path in figures.get("strips", {}).get(name, []):
            lines += [f"![{title}]({path})", ""]
    lines += ["## Figures", ""]
    for e in EXPERIMENTS:
        if e in figures:
            lines += [f"![{e}]({figures[e]})", ""]
    (out / "report.md").write_text("\n".join(lines))


def damage_summary(res: dict) -> dict[str, dict]:
    """Per damage: the undamaged loss at the damage step, the peak loss after it, and the
    steps from which the mean loss stays within 2× of the undamaged mean loss at the same step
    (None: never), from the damage step (erasing, FGSM after growth) or from the attack's
    last step (FGSM during growth)."""
    clean = res["long_horizon"]["losses"].mean(0)
    out = {}
    for name, r in res["erase"].items():
        out[f"erase {name}"] = _damage_row(r["losses"].mean(0), r["damage_step"], clean)
    r = res["fgsm_during_growth"]
    out[f"FGSM during growth ε={r['eps']:g}"] = _damage_row(r["losses"].mean(0),
                                                             r["last_step"], clean)
    for key, r in res["fgsm_after_growth"].items():
        out[f"FGSM after growth ε={key}"] = _damage_row(r["losses"].mean(0), r["damage_step"],
                                                         clean)
    return out


def finite_or_none(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _damage_row(mean, start, clean) -> dict:
    peak, steps = recovery(mean, start, clean)
    at = float(clean[start]) if start < clean.size else math.nan
    return {"damage_step": start, "undamaged_loss": finite_or_none(at),
            "peak_loss": finite_or_none(peak), "recovery_steps": steps}
