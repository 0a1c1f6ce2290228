"""runio.runfolder: the run-folder format — named checkpoints that plain orbax reads, the
one resume guard, and one-line errors for records it cannot trust."""

import dataclasses
import json

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest

from nca_jax.runs import load_run
from runio import runfolder
from runio.checkpoint import Checkpointer
from runio.errors import ConfigError
from tests.nca_jax.tiny import MCFG


def test_plain_orbax_restores_the_parameters_under_their_names(run_dir):
    run = load_run(run_dir)
    step_dir = run_dir / "checkpoints" / str(run.step) / "default"
    raw = ocp.StandardCheckpointer().restore(step_dir.absolute())
    assert set(raw) == {"state", "params", "counters", "integrity"}  # + the checksum
    # the growing rule's two 1×1 layers, as Flax names them (no bias by default)
    assert set(raw["params"]) == {"hidden", "out"}
    assert raw["params"]["hidden"]["kernel"].shape == (len(MCFG.filters) * MCFG.channels,
                                                       MCFG.hidden)
    for path, leaf in jax.tree_util.tree_flatten_with_path(run.params)[0]:
        names = [k.key for k in path]
        np.testing.assert_array_equal(raw["params"][names[0]][names[1]], np.asarray(leaf))
    assert int(raw["counters"]["iteration"]) == run.step == 3


def test_a_checkpoint_of_the_positional_format_is_one_line_error(tmp_path, run_dir):
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "summary.json").write_text((run_dir / "summary.json").read_text())
    leaves = jax.tree.leaves(load_run(run_dir).params)
    with Checkpointer(folder / "checkpoints") as ckpt:  # what version 0.1 wrote
        ckpt._manager.save(3, args=ocp.args.StandardSave(
            {"params": {f"{i:04d}": np.asarray(x) for i, x in enumerate(leaves)}}))
        ckpt._manager.wait_until_finished()
    with pytest.raises(ConfigError, match="by position") as e:
        load_run(folder)
    assert "new folder" in e.value.message and "\n" not in str(e.value)


def test_guard_writes_once_then_refuses_another_config_and_keeps_the_record(tmp_path):
    record = {"a": 1, "b": [1, 2]}
    runfolder.guard(tmp_path, record)
    written = (tmp_path / "config.json").read_text()
    assert json.loads(written) == record
    runfolder.guard(tmp_path, dict(record))  # the same configuration resumes
    with pytest.raises(ConfigError, match=r"differs in b\); use a new folder, or change only "
                                          r"the budget \(max_seconds\)"):
        runfolder.guard(tmp_path, {"a": 1, "b": [1, 3]}, ("max_seconds",))
    assert (tmp_path / "config.json").read_text() == written


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", ""])
def test_an_unreadable_config_record_is_refused_and_kept(tmp_path, text):
    (tmp_path / "config.json").write_text(text)
    with pytest.raises(ConfigError, match="config.json is unreadable.*restore it, or start a "
                                          "new folder"):
        runfolder.guard(tmp_path, {"a": 1})
    assert (tmp_path / "config.json").read_text() == text


def test_an_unreadable_job_record_is_refused_and_kept(tmp_path):
    from runio import outdir

    (tmp_path / "job.json").write_text("garbage{")
    (tmp_path / "metrics.jsonl").write_text("")
    with pytest.raises(ConfigError, match="job.json is unreadable; restore it, or start a new"):
        outdir.check(tmp_path, "nca_jax.grow", resume=True)
    assert (tmp_path / "job.json").read_text() == "garbage{"


def test_a_config_comes_back_from_its_record_with_its_infinities():
    """The records write non-finite numbers as null; a config read back is the one written."""
    from nca_jax.runs import dataclass_from
    from nca_jax.train.es import ESConfig
    from runio.records import dumps

    cfg = ESConfig(pool_below=float("inf"), sigma=None, decay_thresholds=(0.01, 0.005),
                   decay_factors=(0.5, 0.5))
    back = dataclass_from(ESConfig, json.loads(dumps(dataclasses.asdict(cfg))))
    assert back == cfg
