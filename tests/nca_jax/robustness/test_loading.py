"""Loading trained growing NCAs from the run folders of ``nca_jax.grow``."""

import json

import jax
import numpy as np
import pytest

from nca_jax.robustness import loading
from nca_jax.runs import run_folders
from nca_jax.train import adam
from runio.checkpoint import Checkpointer
from runio.errors import ConfigError
from tests.nca_jax.tiny import GROWN, MCFG


def test_load_model_restores_the_last_checkpoint(run_dir):
    m = loading.load_model(run_dir)
    target = np.zeros((5, 5, 4), np.float32)
    trainer = adam.make(MCFG, GROWN.adam, target)
    with Checkpointer(run_dir / "checkpoints") as ckpt:
        step, items = ckpt.restore({"state": trainer.init(jax.random.PRNGKey(0))})
    state = items["state"]
    assert step == int(state.iteration) == 3
    # the trained parameters: what the trainer hands out (Adam's moving average by default)
    for a, b in zip(jax.tree.leaves(m.params), jax.tree.leaves(trainer.params(state))):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert m.mcfg == MCFG and m.target.shape == (5, 5, 4) and m.optimizer == "adam" and m.pool


def test_load_model_bad_folders(tmp_path, run_dir):
    with pytest.raises(ConfigError, match="no such folder"):
        loading.load_model(tmp_path / "missing")
    with pytest.raises(ConfigError, match="not a run folder"):
        loading.load_model(tmp_path)
    (tmp_path / "summary.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(ConfigError, match="not a grow or texture run"):
        loading.load_model(tmp_path)
    (tmp_path / "summary.json").write_text((run_dir / "summary.json").read_text())
    with pytest.raises(ConfigError, match="no checkpoints"):
        loading.load_model(tmp_path)
    assert not (tmp_path / "checkpoints").exists()  # nothing created


def test_run_folders_of_a_both_run_are_its_optimizers(tmp_path, run_dir):
    import shutil

    both = tmp_path / "both"
    shutil.copytree(run_dir, both / "adam")
    assert [p.name for p in run_folders(both)] == ["adam"]
    assert run_folders(both / "adam") == [both / "adam"]
    with pytest.raises(ConfigError, match="no summary.json"):
        run_folders(tmp_path)
