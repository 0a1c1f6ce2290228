import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax import experiment, model, train_adam, train_es
from nca_jax.checkpoint import Checkpointer

TINY = experiment.GrowConfig(
    size=5, optimizer="es", max_seconds=0, max_iterations=6, eval_every=2, eval_samples=2,
    checkpoint_every=2, progress=False, gif_steps=3,
    model=model.ModelConfig(channels=8, hidden=4),
    es=train_es.ESConfig(population=4, min_steps=3, max_steps=4, pool=True, pool_size=8, batch_size=2),
    adam=train_adam.AdamConfig(batch_size=2, min_steps=3, max_steps=4, pool_size=8),
)


def final_state(cfg, out):
    target = np.zeros((cfg.size, cfg.size, 4), np.float32)
    template = experiment.make_trainer(cfg.optimizer, cfg, target).init(jax.random.PRNGKey(0))
    return Checkpointer(out / "checkpoints").restore(template)


@pytest.mark.parametrize("optimizer", ["es", "adam"])
def test_resumed_run_equals_uninterrupted_run(tmp_path, optimizer):
    cfg = dataclasses.replace(TINY, optimizer=optimizer)
    experiment.run(cfg, tmp_path / "a")
    experiment.run(dataclasses.replace(cfg, max_iterations=3), tmp_path / "b")
    s = experiment.run(cfg, tmp_path / "b")[optimizer]
    (sa, ca), (sb, cb) = final_state(cfg, tmp_path / "a"), final_state(cfg, tmp_path / "b")
    for x, y in zip(jax.tree.leaves(sa), jax.tree.leaves(sb)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert ca["iteration"] == cb["iteration"] == 6
    # the resumed run's records are the uninterrupted ones (apart from wall time)
    recs = [json.loads(line) for line in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    ref = [json.loads(line) for line in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in recs] == list(range(1, 7))
    assert [r["loss"] for r in recs] == [r["loss"] for r in ref]
    per_it = cfg.es.population * cfg.es.batch_size if optimizer == "es" else cfg.adam.batch_size
    assert s["iterations"] == 6 and s["rollouts"] == 6 * per_it
    for f in ("summary.json", "growth.png", "growth.gif", "loss.png"):
        assert (tmp_path / "b" / f).stat().st_size > 0
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["config"]["es"]["population"] == 4 and summary["optimizer"] == optimizer


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    real = experiment.make_trainer

    def poisoned(name, config, target):
        tr = real(name, config, target)

        @jax.jit
        def step(state):
            state, m = tr.step(state)
            bad = state.iteration >= 5
            return state, dict(m, loss=jnp.where(bad, jnp.nan, m["loss"]))

        return tr._replace(step=step)

    monkeypatch.setattr(experiment, "make_trainer", poisoned)
    with pytest.raises(experiment.Diverged, match="non-finite loss at iteration 5"):
        experiment.run(TINY, tmp_path)
    assert Checkpointer(tmp_path / "checkpoints").latest_step() == 4
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert "non-finite" in summary["stop_reason"] and summary["iterations"] == 5


def test_both_writes_report(tmp_path):
    cfg = dataclasses.replace(TINY, optimizer="both", max_iterations=2)
    s = experiment.run(cfg, tmp_path)
    report = (tmp_path / "report.md").read_text()
    assert set(s) == {"es", "adam"}
    for name in ("es", "adam"):
        assert f"{name}/growth.png" in report and (tmp_path / name / "summary.json").exists()
    assert str(s["es"]["rollouts"]) in report and str(s["adam"]["rollouts"]) in report
