import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax.jobs import grow
from nca_jax.nca import growing
from nca_jax.train import adam, es
from runio.checkpoint import Checkpointer
from runio.records import read_jsonl

TINY = grow.GrowConfig(
    size=5, optimizer="es", max_seconds=0, max_iterations=6, eval_every=2, eval_samples=2,
    checkpoint_every=2, progress=False, gif_steps=3,
    model=growing.ModelConfig(channels=8, hidden=4),
    es=es.ESConfig(population=4, min_steps=3, max_steps=4, pool=True, pool_size=8,
                   batch_size=2),
    adam=adam.AdamConfig(batch_size=2, min_steps=3, max_steps=4, pool_size=8),
)


def final_state(cfg, out):
    """The trainer state of the newest checkpoint in ``out``."""
    target = np.zeros((cfg.size, cfg.size, 4), np.float32)
    make = grow.METHODS[cfg.optimizer].make
    template = make(cfg.model, cfg.method_config(cfg.optimizer), target).init(
        jax.random.PRNGKey(0))
    with Checkpointer(out / "checkpoints") as ckpt:
        return ckpt.restore({"state": template})[1]["state"]


@pytest.mark.parametrize("optimizer", ["es", "adam"])
def test_resumed_run_equals_uninterrupted_run(tmp_path, optimizer):
    cfg = dataclasses.replace(TINY, optimizer=optimizer)
    grow.run(cfg, tmp_path / "a")
    grow.run(dataclasses.replace(cfg, max_iterations=3), tmp_path / "b")
    s = grow.run(cfg, tmp_path / "b")[optimizer]
    sa, sb = final_state(cfg, tmp_path / "a"), final_state(cfg, tmp_path / "b")
    for x, y in zip(jax.tree.leaves(sa), jax.tree.leaves(sb)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert int(sa.iteration) == int(sb.iteration) == 6
    # the resumed run's records are the uninterrupted ones (apart from wall time)
    recs = read_jsonl(tmp_path / "b" / "metrics.jsonl")
    ref = read_jsonl(tmp_path / "a" / "metrics.jsonl")
    assert [r["iteration"] for r in recs] == list(range(1, 7))
    assert [r["loss"] for r in recs] == [r["loss"] for r in ref]
    per_it = cfg.es.population * cfg.es.batch_size if optimizer == "es" else cfg.adam.batch_size
    assert s["iterations"] == 6 and s["rollouts"] == 6 * per_it
    for f in ("summary.json", "growth.png", "growth.gif", "loss.png"):
        assert (tmp_path / "b" / f).stat().st_size > 0
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["config"]["es"]["population"] == 4 and summary["optimizer"] == optimizer


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    real = grow.METHODS["es"]

    def poisoned(*args):
        tr = real.make(*args)

        @jax.jit
        def step(state):
            state, m = tr.step(state)
            bad = state.iteration >= 5
            return state, dict(m, loss=jnp.where(bad, jnp.nan, m["loss"]))

        return tr._replace(step=step)

    monkeypatch.setitem(grow.METHODS, "es", real._replace(make=poisoned))
    with pytest.raises(grow.Diverged, match="non-finite loss at iteration 5"):
        grow.run(TINY, tmp_path)
    with Checkpointer(tmp_path / "checkpoints") as ckpt:
        assert ckpt.latest_step() == 4
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert "non-finite" in summary["stop_reason"] and summary["iterations"] == 5


def test_both_writes_report(tmp_path):
    cfg = dataclasses.replace(TINY, optimizer="both", max_iterations=2)
    s = grow.run(cfg, tmp_path)
    report = (tmp_path / "report.md").read_text()
    assert set(s) == {"es", "adam"}
    for name in ("es", "adam"):
        assert f"{name}/growth.png" in report and (tmp_path / name / "summary.json").exists()
    assert str(s["es"]["rollouts"]) in report and str(s["adam"]["rollouts"]) in report


def test_resume_with_a_different_configuration_is_refused(tmp_path):
    from runio.errors import ConfigError

    cfg = dataclasses.replace(TINY, max_iterations=2)
    grow.run(cfg, tmp_path)
    changed = dataclasses.replace(cfg, es=dataclasses.replace(cfg.es, sigma=0.5))
    with pytest.raises(ConfigError, match="another configuration"):
        grow.run(changed, tmp_path)
    grow.run(dataclasses.replace(cfg, max_iterations=3), tmp_path)  # budget may change
    assert json.loads((tmp_path / "summary.json").read_text())["iterations"] == 3


def test_a_corrupt_newest_checkpoint_and_a_torn_save_resume_to_the_same_end(tmp_path, capsys):
    cfg = dataclasses.replace(TINY, optimizer="adam")
    grow.run(cfg, tmp_path / "a")
    grow.run(dataclasses.replace(cfg, max_iterations=4), tmp_path / "b")
    ckpts = tmp_path / "b" / "checkpoints"
    for f in (ckpts / "4").rglob("*"):  # the newest checkpoint is damaged ...
        if f.is_file():
            f.write_bytes(b"\0torn")
    # ... and a save that a kill interrupted left its temporary folder behind
    (ckpts / "6.orbax-checkpoint-tmp-123").mkdir()
    grow.run(cfg, tmp_path / "b")
    assert "resumed from checkpoint 2" in capsys.readouterr().err  # one warning
    sa, sb = final_state(cfg, tmp_path / "a"), final_state(cfg, tmp_path / "b")
    for x, y in zip(jax.tree.leaves(sa), jax.tree.leaves(sb)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    recs = read_jsonl(tmp_path / "b" / "metrics.jsonl")
    assert [r["iteration"] for r in recs] == list(range(1, 7))


def test_init_from_starts_every_optimizer_from_a_runs_parameters(run_dir, tmp_path):
    import dataclasses

    import jax
    import numpy as np
    import pytest

    from nca_jax.jobs import grow
    from nca_jax.runs import load_run
    from runio.errors import ConfigError
    from tests.nca_jax.tiny import GROWN

    trained = load_run(run_dir).params
    for name in ("adam", "es"):
        cfg = dataclasses.replace(GROWN, optimizer=name, init_from=str(run_dir))
        trainer = grow.METHODS[name].make(cfg.model, cfg.method_config(name),
                                          np.zeros((5, 5, 4), np.float32), None,
                                          grow._start_params(cfg))
        got = trainer.params(trainer.init(jax.random.PRNGKey(3)))
        for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(trained)):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    other = dataclasses.replace(GROWN, init_from=str(run_dir),
                                model=dataclasses.replace(GROWN.model, hidden=6))
    with pytest.raises(ConfigError, match="trained another model") as e:
        grow.run(other, tmp_path / "x")
    assert e.value.field == "init_from" and not (tmp_path / "x").exists()
