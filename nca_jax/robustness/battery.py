"""The robustness battery for trained growing NCAs, as pure functions: erasing, FGSM
attacks, long horizons, larger canvases, and the recovery metrics.

Step numbering: the state "at step t" is the grid after ``t`` NCA steps from the seed;
step ``t`` draws its fire mask from ``fold_in(key, t - 1)`` exactly as
:func:`nca_jax.nca.growing.trajectory`. A damage "at step d" is applied to the state right
after step ``d`` (so the state shown at step ``d`` is the damaged one and step ``d - 1`` is
the last undamaged state). Every loss is the MSE on RGBA against the target
(:func:`nca_jax.nca.losses.mse`); a curve holds the loss at steps ``0..T``.

Every experiment is one jitted pure function of ``(params, target, keys)``, vmapped over
the seed keys (one stochastic rollout per key). The same keys are used for every
experiment and every model (common random numbers), so the undamaged part of a damage
curve equals the long-horizon curve.
"""

from __future__ import annotations

import dataclasses
import math
from functools import partial
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from nca_jax.nca import growing, losses
from runio.errors import ConfigError, check, finite

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
        check(1 <= self.seeds <= 4096, "seeds", f"must be in [1, 4096], got {self.seeds}")
        check(1 <= self.steps <= 100_000, "steps", f"must be in [1, 100000], got {self.steps}")
        check(finite(self.fgsm_eps_growth) and self.fgsm_eps_growth >= 0, "fgsm_eps_growth",
              f"must be a finite number >= 0, got {self.fgsm_eps_growth}")
        check(len(self.fgsm_eps_after) > 0, "fgsm_eps_after", "give at least one value")
        check(all(finite(e) and e >= 0 for e in self.fgsm_eps_after), "fgsm_eps_after",
              f"each must be a finite number >= 0, got {self.fgsm_eps_after}")
        check(0 <= self.canvas <= 4096, "canvas",
              f"must be in [0, 4096] (0: default), got {self.canvas}")
        check(1 <= self.damage_step <= 100_000, "damage_step",
              f"must be in [1, 100000], got {self.damage_step}")
        check(0 <= self.erase_steps <= 100_000, "erase_steps",
              f"must be in [0, 100000], got {self.erase_steps}")
        check(self.damage_step <= self.fgsm_steps <= 100_000, "fgsm_steps",
              f"must be in [damage_step={self.damage_step}, 100000], got {self.fgsm_steps}")
        check(1 <= self.fgsm_until <= self.fgsm_steps, "fgsm_until",
              f"must be in [1, fgsm_steps={self.fgsm_steps}], got {self.fgsm_until}")


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
        raise ConfigError("canvas", f"{canvas} is smaller than the training size {h}×{w}")
    top, left = canvas // 2 - h // 2, canvas // 2 - w // 2
    return np.pad(np.asarray(target, np.float32),
                  ((top, canvas - h - top), (left, canvas - w - left), (0, 0)))


# ------------------------------------------------------------------ the rollout engine

Perturb = Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]  # (t, x after step t) -> x


def _curve(params, x0, key, target, mcfg: growing.ModelConfig, n_steps: int,
           perturb: Perturb | None, snap_steps: tuple[int, ...]):
    """Loss at steps 0..n_steps of one rollout and the states at ``snap_steps``."""
    snaps0 = jnp.zeros((len(snap_steps),) + x0.shape, x0.dtype)
    snap_at = jnp.asarray(snap_steps, jnp.int32)
    snaps0 = jnp.where((snap_at == 0)[:, None, None, None], x0[None], snaps0)

    def body(carry, t):
        x, snaps = carry
        x = growing.step(params, x, jax.random.fold_in(key, t), mcfg)
        if perturb is not None:
            x = perturb(t + 1, x)
        snaps = jnp.where((snap_at == t + 1)[:, None, None, None], x[None], snaps)
        return (x, snaps), losses.mse(x, target)

    (_, snaps), ls = jax.lax.scan(body, (x0, snaps0), jnp.arange(n_steps))
    return jnp.concatenate([losses.mse(x0, target)[None], ls]), snaps


def _batched(params, target, keys, mcfg, n_steps, perturb, snap_steps):
    h, w = target.shape[:2]
    x0 = growing.seed(mcfg, h, w)
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


PERSISTENCE_STEPS = (40, 1000)


def persistence(params, target, keys, mcfg: growing.ModelConfig,
                steps: tuple[int, int] = PERSISTENCE_STEPS) -> dict:
    """Does a grown shape last? The mean loss over the seed ``keys`` at ``steps[0]`` (the
    end of training rollouts) and ``steps[1]`` (far past them), and their ratio
    ``loss(late) / loss(early)``: about 1 for a shape that stays, ≫ 1 for one that
    dissolves or keeps growing."""
    early, late = steps
    ls, _ = long_horizon(params, jnp.asarray(target), keys, mcfg, late)
    mean = np.asarray(ls).mean(0)
    return {f"loss_{early}": float(mean[early]), f"loss_{late}": float(mean[late]),
            "ratio": float(mean[late] / mean[early])}


def recovery(curve, start: int, undamaged) -> tuple[float, int | None]:
    """``(peak, steps)`` of a loss curve after a damage at index ``start``, measured against
    the ``undamaged`` curve of the same rollouts (same keys, same steps).

    ``peak`` = max of ``curve[start:]``; ``steps`` = the first ``i >= 0`` from which
    ``curve[start + j] <= 2 · undamaged[start + j]`` for every ``j >= i`` up to the end of the
    shorter curve (a dip that drifts away again is not a recovery; 0 if the damaged state is
    within 2× throughout), ``None`` if the curve is not within 2× at its last step.
    """
    curve = np.asarray(curve, np.float64)
    ref = np.asarray(undamaged, np.float64)
    tail = curve[start:]
    peak = float(np.max(tail)) if tail.size else math.nan
    n = min(curve.size, ref.size) - start
    if n <= 0:
        return peak, None
    bad = np.nonzero(~(curve[start:start + n] <= 2.0 * ref[start:start + n]))[0]
    if not bad.size:
        return peak, 0
    return peak, (int(bad[-1]) + 1 if bad[-1] + 1 < n else None)


# -------------------------------------------------------------------------- the battery


def canvas_for(target: np.ndarray, config: BatteryConfig) -> int:
    """The larger canvas for a model trained on ``target``."""
    grid = max(target.shape[:2])
    canvas = config.canvas or default_canvas(grid)
    if canvas < grid:
        raise ConfigError("canvas", f"{canvas} is smaller than a model's training size "
                                    f"{grid}×{grid}")
    return canvas


def _clip(steps, n):
    return tuple(s for s in steps if 0 <= s <= n)


def battery_for_model(params, mcfg: growing.ModelConfig, target: np.ndarray,
                      config: BatteryConfig) -> dict:
    """All experiments for one model: ``{experiment: record}`` with curves as numpy arrays
    of shape ``(seeds, T + 1)`` under ``"losses"`` and strips under ``"strip"``."""
    keys = jax.random.split(jax.random.PRNGKey(config.seed), config.seeds)
    tgt = jnp.asarray(target)
    d = config.damage_step
    res: dict = {}

    strip = _clip(LONG_STRIP, config.steps)
    ls, snaps = long_horizon(params, tgt, keys, mcfg, config.steps, strip)
    res["long_horizon"] = {"losses": np.asarray(ls), "strip": (strip, np.asarray(snaps))}

    n_erase = d + config.erase_steps
    erase_strip = _clip((d - 1, d, d + 9, d + 29, d + 49), n_erase)
    res["erase"] = {}
    for name in ERASE_MASKS:
        mask = erase_mask(name, *target.shape[:2])
        ls, snaps = erase(params, tgt, keys, mcfg, n_erase, mask, d, erase_strip)
        res["erase"][name] = {"losses": np.asarray(ls), "strip": (erase_strip, np.asarray(snaps)),
                              "damage_step": d}

    n = config.fgsm_steps
    ls, _ = fgsm_attack(params, tgt, keys, mcfg, n, config.fgsm_eps_growth, 1,
                        config.fgsm_until)
    res["fgsm_during_growth"] = {"losses": np.asarray(ls), "eps": config.fgsm_eps_growth,
                                 "first_step": 1, "last_step": config.fgsm_until}
    res["fgsm_after_growth"] = {}
    for eps in config.fgsm_eps_after:
        ls, _ = fgsm_attack(params, tgt, keys, mcfg, n, eps, d, d)
        res["fgsm_after_growth"][f"{eps:g}"] = {"losses": np.asarray(ls), "eps": eps,
                                                "damage_step": d}

    canvas = canvas_for(target, config)
    big = jnp.asarray(pad_target(target, canvas))
    ls, snaps = long_horizon(params, big, keys, mcfg, config.steps, strip)
    res["larger_canvas"] = {"losses": np.asarray(ls), "strip": (strip, np.asarray(snaps)),
                            "canvas": canvas}
    return res
