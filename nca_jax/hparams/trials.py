"""Running texture-NCA hyperparameter trials, and the random / evolved searches over them.

A *trial* is one set of the seven hyperparameters (:mod:`nca_jax.hparams`), trained with
Adam for ``train_steps`` iterations on every texture, then scored on each texture by the
texture score of :mod:`nca_jax.style.score` (VGG16 style loss of ``eval_samples`` fresh
rollouts of 4 × ``ca_steps`` steps at the trial's update rate, 0 = the texture's mean
colour, 1 = another piece of it). Trials whose shape-determining hyperparameters agree
(channels, hidden, CA steps, batch, filters) form a group that runs as one jitted, doubly
``jax.vmap``-ed computation: over trials (learning rate and update rate are traced per
trial) and over textures (the style loss's per-texture statistics are a vmapped argument,
its features/weights shared). A trial's loss on a texture is the mean
training loss over the last 10 % of iterations (kept in the records); its wall time is its
group's wall time (compile and scoring included) divided by the group's size. Each finished
group is logged in the search's folder (:mod:`nca_jax.hparams.resume`), so a search stopped
midway resumes there.

Search score of a trial: the mean of its texture scores over textures (higher is better;
a trial that diverged on any texture scores nan, ranked last). ``random`` samples all
trials up front; ``evolve`` runs evosax CMA-ES on the 7-D encoding (decoded with rounding,
see :func:`hparams.decode`), ``population`` trials per generation, for the same number of
trials and so the same training budget.

Budget. The seed's study trained 16,383 steps per trial on a GPU; the default here is 400
(2.4 %) at 32×32 and a constant lr, where a texture NCA with good settings has formed its
texture (at 200 only one trial of eight had; README; the texture job's default, 1500 with a
decaying lr, polishes it to a score ≥ 0.8). Learning rates are drawn from 10^U(−3.5, −2)
for the Niklasson model and 10^U(−4, −2.5) for SRNCA (``lr_range``): most of the seed's
10^U(−5, −3) lies below the rates at which these models form a texture in a few hundred
steps.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import time
from pathlib import Path
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from nca_jax.hparams import analysis
from nca_jax.hparams import space as hparams
from nca_jax.hparams.resume import TrialLog
from nca_jax.nca import texture as tm
from nca_jax.style import losses as style
from nca_jax.style import score as scoring
from nca_jax.style import vgg
from nca_jax.targets.textures import check_texture, load_texture
from nca_jax.train import texture as train_texture
from runio.errors import check
from runio import compiling, hosts, outdir, runfolder

JOB = "nca_jax.hparam_search"
MODES = ("random", "evolve")
CHUNK = 50  # training iterations per jitted call (progress granularity)
SCORE_STREAM = 2**31 - 1  # fold_in index of the scoring key (trial ids stay below it)
LR_RANGES = {"niklasson": (-3.5, -2.0), "srnca": (-4.0, -2.5)}  # log10, for a short budget


@dataclasses.dataclass(frozen=True)
class SearchConfig:
    mode: str = "random"
    trials: int = 8
    textures: tuple[str, ...] = ("grayscott:spots", "grayscott:stripes", "grayscott:maze")
    train_steps: int = 400
    size: int = 32
    loss: str = "vgg"
    vgg_weights: str = ""
    model: str = "niklasson"
    lr_range: tuple[float, float] | None = None  # log10 lr; None: LR_RANGES[model]
    eval_samples: int = 4  # rollouts a trial is scored on, per texture
    population: int = 4  # evolve: trials per generation
    pool_size: int = 256  # as the texture job
    seed: int = 0
    progress: bool = True

    def __post_init__(self):
        check(self.mode in MODES, "mode", f"must be one of {MODES}, got {self.mode!r}")
        check(1 <= self.trials <= 100_000, "trials", f"must be in [1, 100000], got {self.trials}")
        check(len(self.textures) > 0, "textures", "give at least one texture")
        check(self.train_steps >= 1, "train_steps", f"must be >= 1, got {self.train_steps}")
        style.check_loss(self.loss, self.size)
        check(self.model in tm.KINDS, "model", f"must be one of {tm.KINDS}, got {self.model!r}")
        if self.lr_range is not None:
            check(len(self.lr_range) == 2, "lr_range",
                  f"give two log10 rates lo,hi, got {len(self.lr_range)} values")
            lo, hi = self.lr_range
            check(-8.0 <= lo <= hi <= 0.0, "lr_range",
                  f"must be two log10 rates lo <= hi in [-8, 0], got {lo:g}, {hi:g}")
        check(1 <= self.eval_samples <= 64, "eval_samples",
              f"must be in [1, 64], got {self.eval_samples}")
        check(self.pool_size >= 4, "pool_size", f"must be >= 4 (the largest batch), "
                                                f"got {self.pool_size}")
        if self.mode == "evolve":
            check(2 <= self.population <= self.trials, "population",
                  f"must be in [2, trials={self.trials}] in evolve mode, got {self.population}")
            check(self.trials % self.population == 0, "trials",
                  f"must be a multiple of population={self.population} in evolve mode, "
                  f"got {self.trials}")


    @property
    def log10_lr(self) -> tuple[float, float]:
        return self.lr_range if self.lr_range is not None else LR_RANGES[self.model]


class Results(NamedTuple):
    losses: np.ndarray  # (K, T) final training loss per trial and texture
    scores: np.ndarray  # (K, T) texture score per trial and texture (nan: diverged)
    wall: np.ndarray  # (K,) seconds per trial


def search_score(scores: np.ndarray) -> np.ndarray:
    """``(K, T)`` texture scores → ``(K,)`` mean over textures (higher is better; nan if any
    texture is nan)."""
    return np.mean(scores, axis=-1)


@functools.lru_cache(maxsize=32)
def _group_fns(shape: tuple, cfg: SearchConfig, loss_fn, hw: tuple):
    """The jitted ``init``, ``chunk`` and ``images`` of the trials of one shape
    (:func:`hparams.shape_key`), made once per shape: a later generation, or the evolve run
    after the random one, reuses the programs compiled for a shape it has seen."""
    h = dict(zip(hparams.SHAPE_NAMES, shape))
    mcfg = tm.TextureModelConfig(kind=cfg.model, channels=h["channels"], hidden=h["hidden"],
                                 n_filters=h["filters"], update_rate=1.0, filter_seed=cfg.seed)
    tcfg = train_texture.TextureTrainConfig(lr=1e-3, batch_size=h["batch_size"],
                                            ca_steps=h["ca_steps"], pool_size=cfg.pool_size)

    def init(keys, lrs):  # (K, T, 2) keys, (K,) learning rates -> states
        one = lambda k, lr: train_texture.adam_init(k, mcfg, tcfg, hw, lr)  # noqa: E731
        return jax.vmap(jax.vmap(one, in_axes=(0, None)))(keys, lrs)

    def chunk(states, rates, shared, per, n: int):
        def single(state, rate, per_t):
            def body(s, _):
                s, m = train_texture.adam_step(s, (shared, per_t), rate, loss_fn, mcfg, tcfg)
                return s, m["loss"]
            return jax.lax.scan(body, state, None, length=n)

        inner = jax.vmap(single, in_axes=(0, None, 0))
        return jax.vmap(inner, in_axes=(0, 0, None))(states, rates, per)

    def images(params, rates, key):  # (K, T, ...) params, (K,) rates -> (K, T, n, H, W, 3)
        def one(p, rate):  # each trial runs at its own update rate, as it trained
            return tm.samples(p, key, mcfg, cfg.eval_samples,
                              scoring.STEPS_PER_CA_STEP * h["ca_steps"], hw, rate)
        return jax.vmap(jax.vmap(one, in_axes=(0, None)))(params, rates)

    return compiling.once(init), jax.jit(chunk, static_argnums=4), jax.jit(images)


def run_trials(hs: list[dict], trial_ids: list[int], cfg: SearchConfig, loss_fn, shared, per,
               hw, scorers=None, on_chunk: Callable[[int], None] = lambda n: None,
               log: TrialLog | None = None) -> Results:
    """Train every trial on every texture. ``per``: per-texture loss data stacked on axis 0;
    ``scorers``: one :class:`nca_jax.style.score.Scorer` per texture (None: no scores, nan);
    ``log``: finished trials, reused for a group whose trials it all holds and appended to
    after each group trained (:mod:`nca_jax.hparams.resume`).

    Returns the :class:`Results` in the order of ``hs``.
    """
    log = log if log is not None else TrialLog(None)
    n_tex = jax.tree.leaves(per)[0].shape[0]
    final = np.full((len(hs), n_tex), np.nan)
    scores = np.full((len(hs), n_tex), np.nan)
    wall = np.zeros(len(hs))
    groups: dict[tuple, list[int]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(hparams.shape_key(h), []).append(i)
    root = jax.random.PRNGKey(cfg.seed)
    for members in groups.values():
        kept = [log.get(trial_ids[i], hs[i]) for i in members]
        if all(k is not None for k in kept):  # trained by an earlier run into this folder
            for i, (ls, sc, w) in zip(members, kept):
                final[i], scores[i], wall[i] = ls, sc, w
            log.reused += len(members)
            on_chunk(cfg.train_steps * len(members))
            continue
        t0 = time.perf_counter()
        init, chunk, images = _group_fns(hparams.shape_key(hs[members[0]]), cfg, loss_fn,
                                         tuple(hw))
        keys = jnp.stack([jnp.stack([jax.random.fold_in(jax.random.fold_in(root, trial_ids[i]), t)
                                     for t in range(n_tex)]) for i in members])
        lrs = jnp.array([hs[i]["lr"] for i in members], jnp.float32)
        rates = jnp.array([hs[i]["update_rate"] for i in members], jnp.float32)
        states = init(keys, lrs)
        losses, done = [], 0
        while done < cfg.train_steps:
            n = min(CHUNK, cfg.train_steps - done)
            states, ls = chunk(states, rates, shared, per, n)
            losses.append(np.asarray(ls))  # (G, T, n)
            done += n
            on_chunk(n * len(members))
        ls = np.concatenate(losses, axis=-1)
        k = max(1, cfg.train_steps // 10)
        final[members] = ls[..., -k:].mean(-1)
        if scorers is not None:  # every trial and texture scored on the same fresh seeds
            imgs = images(states.params, rates, jax.random.fold_in(root, SCORE_STREAM))
            for t, sc in enumerate(scorers):
                flat = imgs[:, t].reshape(-1, *imgs.shape[-3:])
                vgg_loss = np.asarray(sc.losses(flat)).reshape(len(members), -1).mean(-1)
                scores[members, t] = sc.of_loss(vgg_loss)
        wall[members] = (time.perf_counter() - t0) / len(members)
        for i in members:
            log.put(trial_ids[i], hs[i], final[i], scores[i], wall[i])
    return Results(final, scores, wall)


def random_search(cfg: SearchConfig, run: Callable) -> tuple[list[dict], Results]:
    """All trials sampled from the ranges and run at once (grouped by shape)."""
    hs = hparams.sample(jax.random.PRNGKey(cfg.seed), cfg.trials, cfg.log10_lr)
    return hs, run(hs, list(range(cfg.trials)))


def evolve_search(cfg: SearchConfig, run: Callable) -> tuple[list[dict], Results, list[int]]:
    """CMA-ES over the encoding, ``population`` trials a generation, ``trials`` in all,
    maximising the search score (a nan trial counts as the worst).

    Returns hyperparameters, results and the generation of each trial.
    """
    from evosax.algorithms import CMA_ES  # importing evosax runs JAX: only when needed

    es = CMA_ES(population_size=cfg.population, solution=jnp.zeros(len(hparams.NAMES)))
    params = es.default_params.replace(std_init=0.3)
    key = jax.random.PRNGKey(cfg.seed + 1)
    key, k_init = jax.random.split(key)
    state = es.init(k_init, jnp.full(len(hparams.NAMES), 0.5), params)
    hs, results, gens = [], [], []
    for g in range(cfg.trials // cfg.population):
        key, k_ask, k_tell = jax.random.split(key, 3)
        pop, state = es.ask(k_ask, state, params)
        batch = [hparams.decode(u, cfg.log10_lr) for u in np.asarray(pop)]
        ids = list(range(len(hs), len(hs) + len(batch)))
        res = run(batch, ids)
        fitness = -jnp.asarray(search_score(res.scores), jnp.float32)  # CMA-ES minimises
        fitness = jnp.where(jnp.isfinite(fitness), fitness, 1e6)
        state, _ = es.tell(k_tell, pop, fitness, state, params)
        hs += batch
        results.append(res)
        gens += [g] * len(batch)
    return hs, Results(*(np.concatenate(r) for r in zip(*results))), gens


# ---------------------------------------------------------------------------- the job


def write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _rows(mode, hs, res: Results, textures, gens=None) -> list[dict]:
    sc = search_score(res.scores)
    rows = []
    for i, h in enumerate(hs):
        row = {"mode": mode, "trial": i, "generation": gens[i] if gens else ""}
        row.update(h)
        row.update({f"score[{t}]": float(res.scores[i, j]) for j, t in enumerate(textures)})
        row.update({f"loss[{t}]": float(res.losses[i, j]) for j, t in enumerate(textures)})
        row.update(score=float(sc[i]), wall_time_s=float(res.wall[i]))
        rows.append(row)
    return rows


def run(config: SearchConfig, out_dir) -> dict | None:
    """The search job: ``trials.csv``, ``scatter.png``, ``pca.png``, ``cross_texture.png``,
    ``summary.json`` and ``report.md`` in ``out_dir``. Evolve mode also runs random search
    at the same budget (same number of trials and training steps) to compare against. Returns
    the summary (None in the processes other than 0 of a multi-process run)."""
    # the cheap checks first: folder (a search of the same configuration resumes), names,
    # weights
    hosts.on_main(outdir.check, out_dir, JOB, resume=True)
    hosts.on_main(runfolder.refuse, Path(out_dir), run_config(config))
    for t in config.textures:
        check_texture(t, field="textures")
    weights = vgg.load_vgg16_params(config.vgg_weights or None)  # the score is VGG's always
    targets = [load_texture(t, config.size, config.seed, field="textures") for t in config.textures]
    with outdir.claim(out_dir, JOB, resume=True) as out:  # after the inputs are known good
        hosts.on_main(runfolder.guard, out, run_config(config))
        return _search(config, out, targets, weights)


def run_config(config: SearchConfig) -> dict:
    """What a resumed search must share with the trials it reuses: all but the progress bar."""
    return {k: v for k, v in dataclasses.asdict(config).items() if k != "progress"}


def _search(config: SearchConfig, out: Path, targets, weights) -> dict | None:
    """Run the trials; process 0 writes the results and returns the summary (the trials
    are not split across processes: the others return None)."""
    k_loss = jax.random.PRNGKey(config.seed)  # the same swd features for every texture
    # as the texture job: the NCA lives on a torus, VGG pads circularly
    made = [style.make_style_loss(config.loss, t, key=k_loss, vgg_params=weights, periodic=True)
            for t in targets]
    loss_fn, shared = made[0][0], made[0][1][0]
    per = jax.tree.map(lambda *xs: jnp.stack(xs), *[m[1][1] for m in made])
    scorers = [scoring.scorer(t, weights) for t in targets]
    hw = targets[0].shape[:2]
    modes = ("random",) if config.mode == "random" else ("random", "evolve")
    total = config.trials * config.train_steps * len(modes)
    bar = tqdm(total=total, desc="trial-iterations", disable=not (config.progress and hosts.is_main()),
               unit="it")

    log = TrialLog(out, write=hosts.is_main())  # the trials an earlier run finished

    def run_fn(hs, ids):
        return run_trials(hs, ids, config, loss_fn, shared, per, hw, scorers,
                          on_chunk=bar.update, log=log)

    t0 = time.perf_counter()
    results, rows = {}, []
    hs, res = random_search(config, run_fn)
    results["random"] = (hs, res)
    rows += _rows("random", hs, res, config.textures)
    if config.mode == "evolve":
        hs, res, gens = evolve_search(config, run_fn)
        results["evolve"] = (hs, res)
        rows += _rows("evolve", hs, res, config.textures, gens)
    bar.close()
    if not hosts.is_main():  # one writer across processes
        return None
    write_csv(out / "trials.csv", rows)
    all_h = [h for hs, _ in results.values() for h in hs]
    all_s = np.concatenate([r.scores for _, r in results.values()])
    analysis.scatter_figure(all_h, all_s, config.textures, out / "scatter.png")
    ratio = analysis.pca_figure(all_h, search_score(all_s), out / "pca.png")
    fits = analysis.cross_texture_figure(all_s, config.textures, out / "cross_texture.png")
    best = {}
    for mode, (hs, r) in results.items():
        sc = search_score(r.scores)
        i = int(np.nanargmax(sc)) if np.isfinite(sc).any() else 0
        best[mode] = {"score": float(sc[i]), "trial": i, "hyperparameters": hs[i],
                      "scores": dict(zip(config.textures, map(float, r.scores[i]))),
                      "losses": dict(zip(config.textures, map(float, r.losses[i]))),
                      "best_score_per_texture": dict(zip(
                          config.textures, map(float, np.nanmax(r.scores, axis=0))))}
    n_trials = sum(len(hs) for hs, _ in results.values())
    all_sc = search_score(all_s)
    wall = time.perf_counter() - t0
    trials_s = float(sum(r.wall.sum() for _, r in results.values()))  # whichever run trained
    summary = {"mode": config.mode, "best": best, "pca_explained_variance": ratio.tolist(),
               "cross_texture": fits, "wall_time_s": wall, "trials_time_s": trials_s,
               "wall_time_per_trial_s": trials_s / n_trials, "resumed_trials": log.reused,
               "scores": _spread(all_sc),
               "device": jax.devices()[0].device_kind, "jax_version": jax.__version__,
               "config": dataclasses.asdict(config)}
    runfolder.write_summary(out, summary)
    write_report(summary, config, out)
    return summary


SEED_STEPS = 16_383  # training steps per trial in the seed's study


def _spread(scores: np.ndarray) -> dict:
    """How the trials' search scores spread: quartiles, and how many learned a texture."""
    ok = scores[np.isfinite(scores)]
    q = np.percentile(ok, [0, 25, 50, 75, 100]).tolist() if len(ok) else [float("nan")] * 5
    return {"min": q[0], "q25": q[1], "median": q[2], "q75": q[3], "max": q[4],
            "n": int(len(scores)), "diverged": int(len(scores) - len(ok)),
            "above_0.5": int(np.sum(ok >= 0.5)), "below_0.1": int(np.sum(ok < 0.1))}


def write_report(summary: dict, config: SearchConfig, out: Path) -> None:
    b, sp = summary["best"], summary["scores"]
    lo, hi = config.log10_lr
    lines = [
        f"# Texture-NCA hyperparameter search ({config.mode})",
        "",
        f"{config.trials} trials per mode × {len(config.textures)} textures "
        f"({', '.join(config.textures)}), model `{config.model}`, {config.size}×{config.size}, "
        f"{config.train_steps} Adam iterations per trial and texture "
        f"({100 * config.train_steps / SEED_STEPS:.2g} % of the seed's {SEED_STEPS:,}), lr "
        f"10^U({lo:g}, {hi:g}), `{config.loss}` training loss. Score of a trial = mean over "
        "textures of its texture score (VGG16 style loss of fresh rollouts; 0 = the "
        "texture's mean colour, 1 = another piece of it), higher is better. Device: "
        f"{summary['device']}; {summary['wall_time_per_trial_s']:.0f} s per trial (all "
        f"textures, compile and scoring included), {summary['wall_time_s']:.0f} s "
        + (f"in this run ({summary['resumed_trials']} trials taken from an earlier run into "
           "this folder)." if summary["resumed_trials"] else "in all."),
        "",
        f"Spread of the {sp['n']} trials' scores: min {sp['min']:.2f}, quartiles "
        f"{sp['q25']:.2f} / {sp['median']:.2f} / {sp['q75']:.2f}, max {sp['max']:.2f}; "
        f"{sp['above_0.5']} at or above 0.5, {sp['below_0.1']} below 0.1 (no texture), "
        f"{sp['diverged']} diverged.",
        "",
        "| mode | best score | " + " | ".join(f"score on {t}" for t in config.textures)
        + " | best hyperparameters |",
        "| --- | --- |" + " --- |" * len(config.textures) + " --- |",
    ]
    for mode, r in b.items():
        hp = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                       for k, v in r["hyperparameters"].items())
        lines.append(f"| {mode} | {r['score']:.3f} | "
                     + " | ".join(f"{r['scores'][t]:.3f}" for t in config.textures)
                     + f" | {hp} |")
    if "evolve" in b:
        d = b["evolve"]["score"] - b["random"]["score"]
        verdict = "better" if d > 0 else "not better"
        lines += ["", f"Evolved (CMA-ES, population {config.population}) vs random search at the "
                  f"same budget: best score {b['evolve']['score']:.3f} vs "
                  f"{b['random']['score']:.3f} (difference {d:+.3f}, evolve is {verdict}; "
                  "one seed, so a hint, not a verdict)."]
    ev = summary["pca_explained_variance"]
    lines += ["", "## Structure", "",
              "PCA of the standardised hyperparameter vectors, explained variance: "
              + ", ".join(f"PC{i + 1} {v:.0%}" for i, v in enumerate(ev)) + ".", ""]
    for f in summary["cross_texture"]:
        lines.append(f"- score on {f['texture']} vs {config.textures[0]}: slope "
                     f"{f['slope']:.3g}, intercept {f['intercept']:.3g}, Pearson r {f['r']:.3f} "
                     f"(n={f['n']})")
    lines += ["", "![scatter](scatter.png)", "", "![pca](pca.png)", "",
              "![cross-texture](cross_texture.png)", "", "Every trial: `trials.csv`.", ""]
    (out / "report.md").write_text("\n".join(lines))
