"""The one resumable training loop, on a toy trainer (a random walk whose 'loss' is its
position): budgets, resume, metrics, non-finite stop, target reached, configuration check."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from runio import driver as loop
from nca_jax.train.base import Trainer
from runio.checkpoint import Checkpointer
from runio.errors import ConfigError
from runio.records import read_jsonl

RUN = {"kind": "toy"}


def walk(poison_at=None):
    """A random walk ``x`` with its key and step count; ``loss`` is ``x`` (NaN from
    iteration ``poison_at`` on)."""

    def init(key):
        return {"x": jnp.zeros(()), "key": key, "it": jnp.zeros((), jnp.int32)}

    @jax.jit
    def step(s):
        key, k = jax.random.split(s["key"])
        it = s["it"] + 1
        x = s["x"] + jax.random.normal(k)
        loss = x if poison_at is None else jnp.where(it >= poison_at, jnp.nan, x)
        return {"x": x, "key": key, "it": it}, {"loss": loss}

    return Trainer(init=init, step=step, params=lambda s: s["x"])


def reference(n, seed=0):
    """The walk by hand: positions after 1..n steps."""
    key, xs, x = jax.random.PRNGKey(seed), [], 0.0
    for _ in range(n):
        key, k = jax.random.split(key)
        x = x + float(jax.random.normal(k))
        xs.append(x)
    return xs


def config(**kw):
    return loop.LoopConfig(**{"max_iterations": 7, "checkpoint_every": 3, "progress": False,
                              **kw})


def test_runs_to_max_iterations_writing_one_metrics_line_each(tmp_path):
    res = loop.train(walk(), jax.random.PRNGKey(0), tmp_path, config(), RUN)
    assert res.iterations == 7 and res.stop_reason == "max_iterations"
    recs = read_jsonl(tmp_path / "metrics.jsonl")
    assert [r["iteration"] for r in recs] == list(range(1, 8))
    np.testing.assert_allclose([r["loss"] for r in recs], reference(7), rtol=1e-5, atol=1e-6)
    assert all(b["wall_time_s"] >= a["wall_time_s"] for a, b in zip(recs, recs[1:]))
    with Checkpointer(tmp_path / "checkpoints") as ckpt:
        assert ckpt.steps() == [3, 6, 7]  # every 3 and at the end


def test_resumed_run_equals_uninterrupted(tmp_path):
    loop.train(walk(), jax.random.PRNGKey(0), tmp_path / "a", config(), RUN)
    loop.train(walk(), jax.random.PRNGKey(0), tmp_path / "b", config(max_iterations=4), RUN)
    # the interrupted run got to 4, its newest checkpoint is 4: metrics past it are dropped
    res = loop.train(walk(), jax.random.PRNGKey(0), tmp_path / "b", config(), RUN)
    assert res.iterations == 7 and float(res.params) == pytest.approx(reference(7)[-1], rel=1e-5)
    a, b = (read_jsonl(tmp_path / d / "metrics.jsonl") for d in "ab")
    assert [r["loss"] for r in a] == [r["loss"] for r in b]
    assert [r["iteration"] for r in b] == list(range(1, 8))


def test_metrics_past_the_last_checkpoint_are_cut_on_resume(tmp_path):
    loop.train(walk(), jax.random.PRNGKey(0), tmp_path, config(max_iterations=4), RUN)
    # as if killed after iteration 5 was logged but before a checkpoint
    with open(tmp_path / "metrics.jsonl", "a") as f:
        f.write('{"iteration": 5, "loss": 123.0, "wall_time_s": 1.0}\n')
    loop.train(walk(), jax.random.PRNGKey(0), tmp_path, config(max_iterations=6), RUN)
    recs = read_jsonl(tmp_path / "metrics.jsonl")
    assert [r["iteration"] for r in recs] == list(range(1, 7))
    assert 123.0 not in [r["loss"] for r in recs]


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    res = loop.train(walk(poison_at=5), jax.random.PRNGKey(0), tmp_path, config(), RUN)
    assert res.diverged and "non-finite loss at iteration 5" in res.diverged
    assert "last good checkpoint (iteration 3)" in res.diverged
    with Checkpointer(tmp_path / "checkpoints") as ckpt:
        assert ckpt.steps() == [3]
    assert [r["iteration"] for r in read_jsonl(tmp_path / "metrics.jsonl")] == [1, 2, 3, 4]


def test_reached_stops_and_records_when(tmp_path):
    xs = reference(50)
    first = next(i for i, x in enumerate(xs, 1) if abs(x) >= 2.0)
    res = loop.train(walk(), jax.random.PRNGKey(0), tmp_path, config(max_iterations=50), RUN,
                     reached=lambda r: abs(r["loss"]) >= 2.0)
    assert res.reached_iteration == res.iterations == first
    assert res.stop_reason == "reached target"


def test_evaluate_adds_to_the_records_every_eval_every(tmp_path):
    seen = []

    def evaluate(params, i):
        seen.append(i)
        return {"eval": float(params) * 2}

    loop.train(walk(), jax.random.PRNGKey(0), tmp_path, config(eval_every=2), RUN, evaluate)
    recs = read_jsonl(tmp_path / "metrics.jsonl")
    assert seen == [0, 2, 4, 6]  # 0: during compilation (not recorded)
    assert [r["iteration"] for r in recs if "eval" in r] == [2, 4, 6]
    for r in recs:
        if "eval" in r:
            assert r["eval"] == pytest.approx(2 * r["loss"], rel=1e-6)


def test_resuming_another_configuration_is_refused_the_budget_may_change(tmp_path):
    loop.train(walk(), jax.random.PRNGKey(0), tmp_path, config(max_iterations=3), RUN)
    with pytest.raises(ConfigError, match="another configuration .*differs in kind") as e:
        loop.train(walk(), jax.random.PRNGKey(0), tmp_path, config(), {"kind": "other"})
    assert e.value.field == "out"
    res = loop.train(walk(), jax.random.PRNGKey(0), tmp_path, config(max_iterations=5), RUN)
    assert res.iterations == 5


@pytest.mark.parametrize("kw,field", [({"max_iterations": 0}, "max_seconds"),  # no limit
                                      ({"max_seconds": float("nan")}, "max_seconds"),
                                      ({"max_seconds": -1.0}, "max_seconds"),
                                      ({"max_iterations": -1}, "max_iterations"),
                                      ({"checkpoint_every": 0}, "checkpoint_every")])
def test_bad_loop_configs(kw, field):
    with pytest.raises(ConfigError) as e:
        loop.LoopConfig(**{"max_iterations": 5, **kw})
    assert e.value.field == field


def test_without_a_folder_nothing_is_written_and_the_result_is_the_same(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = loop.train(walk(), jax.random.PRNGKey(0), loop=config())
    assert list(tmp_path.iterdir()) == []
    assert res.iterations == 7 and float(res.params) == pytest.approx(reference(7)[-1], abs=1e-5)
    np.testing.assert_allclose([r["loss"] for r in res.records], reference(7), rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(TypeError, match="LoopConfig"):
        loop.train(walk(), jax.random.PRNGKey(0))


def test_a_garbled_newest_checkpoint_falls_back_and_ends_bit_for_bit(tmp_path, capsys):
    whole = loop.train(walk(), jax.random.PRNGKey(0), tmp_path / "whole", config(max_iterations=6),
                       RUN)
    folder = tmp_path / "garbled"
    loop.train(walk(), jax.random.PRNGKey(0), folder, config(max_iterations=6), RUN)
    newest = max((f for f in (folder / "checkpoints" / "6").rglob("*") if f.is_file()),
                 key=lambda f: f.stat().st_size)
    blob = bytearray(newest.read_bytes())
    mid = len(blob) // 2
    blob[mid:mid + 16] = bytes(16 - b % 7 for b in blob[mid:mid + 16])  # the size kept
    newest.write_bytes(bytes(blob))
    capsys.readouterr()
    res = loop.train(walk(), jax.random.PRNGKey(0), folder, config(max_iterations=6), RUN)
    err = capsys.readouterr().err
    assert "checkpoint(s) 6" in err and "resumed from checkpoint 3" in err
    assert res.iterations == 6 and float(res.params) == float(whole.params)  # bit for bit
    recs = read_jsonl(folder / "metrics.jsonl")
    assert [r["iteration"] for r in recs] == list(range(1, 7))
