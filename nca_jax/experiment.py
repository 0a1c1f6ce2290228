"""The growing-NCA job: train with ES and/or Adam, write results for people.

``run(config, out_dir)`` is what ``python -m nca_jax.grow`` calls. Per optimizer it
writes ``metrics.jsonl``, ``checkpoints/`` (orbax), ``summary.json``, ``growth.png``,
``growth.gif`` and ``loss.png``; with ``optimizer="both"`` into ``es/`` and ``adam/`` plus
a side-by-side ``report.md``. Rerunning into the same folder resumes from the last
checkpoint; on CPU the result is bitwise equal to an uninterrupted run.

Both trainers are judged the same way: every ``eval_every`` iterations the current
parameters are scored on fresh rollouts from the seed (:func:`evaluate.fresh_loss`); the
run stops when that loss is ≤ ``target_loss``, after ``max_seconds`` of training or after
``max_iterations``. Wall time excludes JIT compilation (reported separately).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import jax
import numpy as np
from tqdm import tqdm

from nca_jax import evaluate, model, targets, train_adam, train_es, viz
from nca_jax.checkpoint import Checkpointer
from runio import devices
from runio.cli import BadInput
from runio.records import append_jsonl, prepare_out, write_json

OPTIMIZERS = ("both", "es", "adam")
_BUDGET_KEYS = ("max_seconds", "max_iterations", "progress")  # may change when resuming
STRIP_STEPS = (0, 1, 2, 3, 4, 10, 30, 40, 100, 1000)


class Diverged(RuntimeError):
    """Training produced a non-finite loss; the last good checkpoint is kept."""


@dataclasses.dataclass(frozen=True)
class GrowConfig:
    target: str = "carrot"
    size: int = 9
    padding: int = 0
    optimizer: str = "both"
    seed: int = 0
    target_loss: float = 0.003
    max_seconds: float = 40.0
    max_iterations: int = 0  # 0: no limit
    eval_every: int = 25
    eval_samples: int = 16
    checkpoint_every: int = 200
    keep_checkpoints: int = 3
    gif_steps: int = 100
    progress: bool = True
    model: model.ModelConfig = model.ModelConfig()
    adam: train_adam.AdamConfig = train_adam.AdamConfig()
    es: train_es.ESConfig = train_es.ESConfig()

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise BadInput(f"optimizer must be one of {OPTIMIZERS}")
        if self.max_seconds <= 0 and self.max_iterations <= 0:
            raise BadInput("need max_seconds > 0 or max_iterations > 0")
        if self.eval_every < 1 or self.checkpoint_every < 1 or self.eval_samples < 1:
            raise BadInput("eval_every, checkpoint_every and eval_samples must be >= 1")


def make_trainer(name: str, config: GrowConfig, target: np.ndarray):
    if name == "es":
        return train_es.make(config.model, config.es, target)
    return train_adam.make(config.model, config.adam, target)


def rollouts_per_iteration(name: str, config: GrowConfig) -> int:
    if name == "es":
        return config.es.population * config.es.batch_size
    return config.adam.batch_size


def _read_metrics(path: Path, upto: int) -> list[dict]:
    """Records of iterations ≤ ``upto`` (a resumed run drops those after its checkpoint)."""
    if not path.exists():
        return []
    recs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r for r in recs if r["iteration"] <= upto]


def train(name: str, config: GrowConfig, target: np.ndarray, out: Path) -> dict:
    """Train one optimizer into ``out`` (resuming from its checkpoints); returns the summary."""
    out.mkdir(parents=True, exist_ok=True)
    trainer = make_trainer(name, config, target)
    target_j = jax.numpy.asarray(target)
    root = jax.random.PRNGKey(config.seed)
    k_train, k_eval, k_final, k_viz = jax.random.split(root, 4)
    state = trainer.init(k_train)
    ckpt = Checkpointer(out / "checkpoints", keep=config.keep_checkpoints)
    counters = {"iteration": 0.0, "elapsed": 0.0, "reached": 0.0, "reached_iteration": -1.0,
                "reached_time": -1.0, "last_eval": math.nan}
    run_cfg = {k: v for k, v in config_dict(config).items() if k not in _BUDGET_KEYS}
    cfg_path = out / "run_config.json"
    if ckpt.latest_step() is not None:
        if cfg_path.exists() and json.loads(cfg_path.read_text()) != json.loads(json.dumps(run_cfg)):
            raise BadInput(f"--out={out} holds a run with a different configuration; "
                           "use a new folder (only --max_seconds / --max_iterations may change)")
        try:
            state, saved = ckpt.restore(state)
        except ValueError as e:
            raise BadInput(f"--out={out}: cannot resume its checkpoints ({e})") from None
        counters.update(saved)
    write_json(cfg_path, run_cfg)
    it = int(counters["iteration"])
    metrics_path = out / "metrics.jsonl"
    records = _read_metrics(metrics_path, it)
    metrics_path.write_text("".join(json.dumps(r) + "\n" for r in records))

    def eval_loss(params, i):
        return float(evaluate.fresh_loss(params, target_j, jax.random.fold_in(k_eval, i),
                                         config.model, config.eval_samples,
                                         config.es.min_steps if name == "es" else config.adam.min_steps,
                                         config.es.max_steps if name == "es" else config.adam.max_steps))

    t0 = time.perf_counter()
    step = trainer.step.lower(state).compile()
    eval_loss(trainer.params(state), 0)
    compile_s = time.perf_counter() - t0

    def done() -> str | None:
        if counters["reached"]:
            return "reached target loss"
        if config.max_iterations and it >= config.max_iterations:
            return "max_iterations"
        if config.max_seconds and counters["elapsed"] >= config.max_seconds:
            return "max_seconds"
        return None

    use_time = config.max_seconds > 0
    bar = tqdm(total=config.max_seconds if use_time else config.max_iterations,
               initial=counters["elapsed"] if use_time else it, desc=name,
               unit="s" if use_time else "it", disable=not config.progress, leave=True,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f}{unit} "
                          "[{elapsed}<{remaining}{postfix}]")
    stop = done()
    diverged = None
    while stop is None:
        tic = time.perf_counter()
        state, m = step(state)
        it += 1
        loss = float(m["loss"])
        rec = {"iteration": it, "loss": loss, "lr": float(m["lr"])}
        if "best_loss" in m:
            rec["best_loss"] = float(m["best_loss"])
        if not math.isfinite(loss):
            diverged = f"{name}: non-finite loss at iteration {it}; kept the last good checkpoint"
            break
        if it % config.eval_every == 0:
            e = eval_loss(trainer.params(state), it)
            rec["eval_loss"] = e
            counters["last_eval"] = e
            if not math.isfinite(e):
                diverged = f"{name}: non-finite loss on fresh rollouts at iteration {it}"
                break
        dt = time.perf_counter() - tic
        counters["elapsed"] += dt
        counters["iteration"] = float(it)
        rec["wall_time_s"] = counters["elapsed"]
        if it % config.eval_every == 0 and rec["eval_loss"] <= config.target_loss:
            counters.update(reached=1.0, reached_iteration=float(it), reached_time=counters["elapsed"])
        append_jsonl(metrics_path, rec)
        records.append(rec)
        stop = done()
        if it % config.checkpoint_every == 0 or stop is not None:
            ckpt.save(it, state, counters)
        bar.update((counters["elapsed"] if use_time else it) - bar.n)
        bar.set_postfix_str(f"it={it} loss={loss:.4f} fresh={counters['last_eval']:.4f}", refresh=False)
    bar.close()
    ckpt.close()

    params = trainer.params(state)
    if diverged:
        stop = diverged
    final = float(evaluate.fresh_loss(params, target_j, k_final, config.model, 64,
                                      *_steps(name, config))) if not diverged else math.nan
    summary = {
        "optimizer": name,
        "final_loss": final,
        "wall_time_s": counters["elapsed"],
        "compile_s": compile_s,
        "iterations": it,
        "rollouts": it * rollouts_per_iteration(name, config),
        "reached_target": bool(counters["reached"]),
        "target_loss": config.target_loss,
        "time_to_target_s": counters["reached_time"] if counters["reached"] else None,
        "iterations_to_target": int(counters["reached_iteration"]) if counters["reached"] else None,
        "stop_reason": stop,
        "device": jax.devices()[0].device_kind,
        "devices_used": devices_used(name, config),
        "jax_version": jax.__version__,
        "config": config_dict(config),
    }
    if not diverged:
        _figures(params, config, target, out, k_viz, records, name)
    write_json(out / "summary.json", summary)
    if diverged:
        raise Diverged(diverged)
    return summary


def devices_used(name: str, config: GrowConfig) -> int:
    """ES splits its population over devices; Adam's batch runs on one."""
    if name != "es":
        return 1
    return config.es.devices or devices.auto_count(config.es.population)


def _steps(name: str, config: GrowConfig) -> tuple[int, int]:
    c = config.es if name == "es" else config.adam
    return c.min_steps, c.max_steps


def _figures(params, config, target, out: Path, key, records, name) -> None:
    h, w = target.shape[:2]
    x0 = model.seed(config.model, h, w)
    n = max(max(STRIP_STEPS), config.gif_steps)
    traj = np.asarray(jax.jit(model.trajectory, static_argnums=(3, 4))(params, x0, key, n, config.model))
    viz.growth_strip(traj[list(STRIP_STEPS)], STRIP_STEPS, out / "growth.png",
                     title=f"{name}: growth from the seed (steps)")
    viz.growth_gif(traj[: config.gif_steps + 1], out / "growth.gif")
    viz.loss_curve(records, out / "loss.png", config.target_loss, title=name)


def config_dict(config: GrowConfig) -> dict:
    return dataclasses.asdict(config)


def _fmt(x, spec=".4f"):
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def write_report(summaries: dict[str, dict], config: GrowConfig, out: Path) -> None:
    rows = [
        ("reached target", lambda s: "yes" if s["reached_target"] else "no"),
        ("wall time to target (s)", lambda s: _fmt(s["time_to_target_s"], ".1f")),
        ("iterations to target", lambda s: _fmt(s["iterations_to_target"], "d")),
        ("final loss (fresh rollouts)", lambda s: _fmt(s["final_loss"], ".5f")),
        ("total wall time (s)", lambda s: _fmt(s["wall_time_s"], ".1f")),
        ("iterations", lambda s: str(s["iterations"])),
        ("rollouts", lambda s: str(s["rollouts"])),
        ("JIT compile (s)", lambda s: _fmt(s["compile_s"], ".1f")),
    ]
    names = list(summaries)
    lines = [
        f"# Growing NCA: ES vs Adam on `{config.target}` ({config.size}×{config.size})",
        "",
        f"Target loss {config.target_loss:g} (MSE on RGBA, fresh rollouts from the seed); "
        f"ES: OpenAI-ES, population {config.es.population}, σ={config.es.sigma:g}, "
        f"{config.es.optimizer} lr {config.es.lr:g}, pool {'on' if config.es.pool else 'off'}, "
        f"population split over {devices_used('es', config)} device(s); "
        f"Adam: lr {config.adam.lr:g}, batch {config.adam.batch_size}, pool "
        f"{'on' if config.adam.pool else 'off'}. Device: {jax.devices()[0].device_kind}.",
        "",
        "| | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    lines += [f"| {label} | " + " | ".join(f(summaries[n]) for n in names) + " |" for label, f in rows]
    t = {n: summaries[n]["time_to_target_s"] for n in names}
    if t.get("es") and t.get("adam"):
        lines += ["", f"ES / Adam wall-time ratio to the target: **{t['es'] / t['adam']:.2f}**"]
    lines += ["", "![target](target.png)", ""]
    for n in names:
        lines += [f"## {n}", "", f"![growth]({n}/growth.png)", "",
                  f"![growth gif]({n}/growth.gif) ![loss]({n}/loss.png)", ""]
    (out / "report.md").write_text("\n".join(lines))


def run(config: GrowConfig, out_dir: str | Path) -> dict[str, dict]:
    """Train as configured into ``out_dir``; returns ``{optimizer: summary}``."""
    target = targets.load_target(config.target, config.size, config.padding)
    out = prepare_out(out_dir, resume=True)
    viz.target_png(target, out / "target.png")
    names = ("es", "adam") if config.optimizer == "both" else (config.optimizer,)
    summaries = {}
    for name in names:
        sub = out / name if config.optimizer == "both" else out
        summaries[name] = train(name, config, target, sub)
    if config.optimizer == "both":
        write_report(summaries, config, out)
    return summaries
