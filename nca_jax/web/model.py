"""Trained NCAs as plain numbers for the browser page: weights, kernels, step rules, and a
test vector (a state, an update mask and the next state computed by JAX).

``load(run)`` reads a run folder of ``python -m nca_jax.grow`` (its ``es/`` and ``adam/``
when both ran) or of ``python -m nca_jax.texture``; ``describe(model)`` gives what
``nca.js`` runs. The page recomputes the test vector's step on load and shows the largest
difference, so an export that does not run the same model says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from nca_jax.nca import growing, perception
from nca_jax.nca import texture as tm
from nca_jax import runs
from nca_jax.web import masks

FIELD = "checkpoint"
TEXTURE_GRID = 128
TEST_GRID = 24  # the test vector's grid (every step rule here works at any size)
TEST_SEED = 12345
GROW_STEPS = 60  # the growing test state: this many steps from the seed


class PageModel(NamedTuple):
    name: str
    kind: str  # "growing" | "niklasson" | "srnca"
    params: Any
    config: Any  # growing.ModelConfig | tm.TextureModelConfig
    grid: tuple[int, int]  # the page's grid (height, width)
    target: np.ndarray | None  # growing: the training target (H, W, 4)


def load(run: str | Path, grid: int = 0) -> list[PageModel]:
    """The models of a run folder (``grid``: the page's grid side, 0 = the default)."""
    out = []
    for r in runs.load_runs(run):
        if r.kind == "texture":
            out.append(texture_model(texture_name(r.model, r.summary.get("target", r.folder.name)),
                                     r.params, r.model, grid))
        else:
            out.append(growing_model(growing_name(r.optimizer, run), r.params, r.model,
                                     r.target, grid))
    return out


def growing_name(optimizer: str, run: str | Path) -> str:
    """A growing model's panel title: its optimizer and its run folder."""
    return f"{optimizer} · {Path(run).resolve().name}"


def growing_model(name: str, params, mcfg: growing.ModelConfig, target: np.ndarray,
                  grid: int = 0) -> PageModel:
    """A growing NCA for the page (``grid`` 0: its training canvas)."""
    h, w = (grid, grid) if grid else target.shape[:2]
    return PageModel(name, "growing", params, mcfg, (int(h), int(w)), np.asarray(target))


def texture_model(name: str, params, mcfg: tm.TextureModelConfig, grid: int = 0) -> PageModel:
    """A texture NCA for the page (``grid`` 0: 128)."""
    side = grid or TEXTURE_GRID
    return PageModel(name, mcfg.kind, params, mcfg, (side, side), None)


def texture_name(mcfg: tm.TextureModelConfig, target: str) -> str:
    """A texture model's panel title: its kind and its target."""
    return f"{mcfg.kind} texture · {target}"


# ------------------------------------------------------------------------ one step in JAX

def kernels(model: PageModel) -> np.ndarray:
    """The perception kernels ``(F, 3, 3)`` in the order of the perception vector."""
    if model.kind == "growing":
        return np.stack([perception.KERNELS[f] for f in model.config.filters])
    return tm.filter_bank(model.config)


def mask_shape(model: PageModel, h: int, w: int) -> tuple[int, ...]:
    c = model.config.channels
    return (h, w, c) if model.kind == "srnca" else (h, w, 1)


def fire_rate(model: PageModel) -> float:
    return model.config.fire_rate if model.kind == "growing" else model.config.update_rate


def seed_state(model: PageModel, h: int, w: int) -> np.ndarray:
    if model.kind == "growing":
        return np.asarray(growing.seed(model.config, h, w))
    return np.asarray(tm.seed(None, model.config, h, w))


def step(model: PageModel, x: np.ndarray, fire: np.ndarray) -> np.ndarray:
    """One JAX step of ``x`` with the update mask ``fire`` (numpy in, numpy out)."""
    fn = _GROWING_STEP if model.kind == "growing" else _TEXTURE_STEP
    return np.asarray(fn(model.params, jnp.asarray(x), jnp.asarray(fire), model.config))


def run(model: PageModel, x: np.ndarray, seed: int, first: int, n: int) -> np.ndarray:
    """``n`` steps with the page's masks (seed ``seed``, steps ``first .. first+n-1``)."""
    h, w = x.shape[:2]
    for t in range(first, first + n):
        x = step(model, x, masks.fire(seed, t, mask_shape(model, h, w), fire_rate(model)))
    return x


_GROWING_STEP = jax.jit(growing.step_with_fire, static_argnums=3)
_TEXTURE_STEP = jax.jit(tm.step_with_fire, static_argnums=3)


def render(model: PageModel, x: np.ndarray) -> np.ndarray:
    """The RGB image ``(H, W, 3)`` uint8 the page draws for state ``x``."""
    x = np.asarray(x, np.float32)
    if model.kind == "growing":
        a = np.clip(x[..., 3:4], 0.0, 1.0)
        rgb = 1.0 - a + np.clip(x[..., :3], 0.0, 1.0)
    else:
        rgb = x[..., :3] if model.kind == "srnca" else x[..., :3] + 0.5
    return (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def test_vector(model: PageModel) -> dict:
    """A non-trivial state of ``TEST_GRID``², an update mask and JAX's next state."""
    n = TEST_GRID
    x = seed_state(model, n, n)
    if model.kind != "growing":  # a textured state: a few random steps from noise
        x = np.random.default_rng(TEST_SEED).uniform(-0.5, 0.5, x.shape).astype(np.float32)
        if model.kind == "srnca":
            x = x + 0.5
    x = run(model, x, TEST_SEED, 0, GROW_STEPS if model.kind == "growing" else 8)
    fire = masks.fire(TEST_SEED, 10_000, mask_shape(model, n, n), fire_rate(model))
    y = step(model, x, fire)
    return {"height": n, "width": n, "x": _flat(x), "fire": fire.astype(np.uint8).ravel().tolist(),
            "y": _flat(y)}


def _flat(a: np.ndarray) -> list[float]:
    return [float(v) for v in np.asarray(a, np.float32).ravel()]


def describe(model: PageModel) -> dict:
    """What ``nca.js`` needs to run the model: config, weights (row-major), test vector."""
    params = jax.tree.map(np.asarray, model.params)
    hidden, out = params["hidden"], params["out"]
    cfg = model.config
    d = {
        "name": model.name,
        "kind": model.kind,
        "channels": cfg.channels,
        "hidden": int(hidden["kernel"].shape[1]),
        "kernels": [_flat(k) for k in kernels(model)],
        "padding": cfg.padding if model.kind == "growing" else "circular",
        "w1": _flat(hidden["kernel"]),  # (F·C, hidden)
        "b1": _flat(hidden["bias"]) if "bias" in hidden else None,
        "w2": _flat(out["kernel"]),  # (hidden, C)
        "b2": _flat(out["bias"]) if "bias" in out else None,
        "relu": model.kind != "srnca",
        "fire_rate": fire_rate(model),
        "mask_per": "element" if model.kind == "srnca" else "cell",
        "alive_threshold": cfg.alive_threshold if model.kind == "growing" else None,
        "height": model.grid[0],
        "width": model.grid[1],
        "test": test_vector(model),
    }
    return d
