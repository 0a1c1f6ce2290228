"""runio.checkpoint: the one checkpoint format (orbax) — round trip, keeping the last few,
falling back past a corrupt newest checkpoint, refusing another configuration's."""

import jax.numpy as jnp
import numpy as np
import pytest

from runio.checkpoint import CheckpointMismatch, Checkpointer


def tree(step):
    return {"w": jnp.arange(4, dtype=jnp.float32) * step, "n": np.int32(step), "t": float(step)}


def save_steps(path, steps, keep=3):
    with Checkpointer(path, keep=keep) as ckpt:
        for s in steps:
            ckpt.save(s, {"state": tree(s), "extra": [np.ones(2) * s]})


def test_round_trip_keeps_dtypes_and_python_numbers(tmp_path):
    save_steps(tmp_path, [1, 2])
    with Checkpointer(tmp_path) as ckpt:
        step, items = ckpt.restore({"state": tree(0)})
    assert step == 2
    got = items["state"]
    np.testing.assert_array_equal(np.asarray(got["w"]), [0, 2, 4, 6])
    assert got["w"].dtype == jnp.float32 and got["n"].dtype == np.int32
    assert got["t"] == 2.0 and isinstance(got["t"], float)


def test_only_the_last_few_are_kept(tmp_path):
    save_steps(tmp_path, [1, 2, 3, 4, 5], keep=2)
    with Checkpointer(tmp_path, keep=2) as ckpt:
        assert ckpt.steps() == [4, 5]


def _corrupt(step_dir):
    for f in step_dir.rglob("*"):
        if f.is_file():
            f.write_bytes(b"\0garbage")


def test_a_corrupt_newest_checkpoint_falls_back_to_the_previous_one(tmp_path, capsys):
    save_steps(tmp_path, [1, 2, 3])
    _corrupt(tmp_path / "3")
    with Checkpointer(tmp_path) as ckpt:
        step, items = ckpt.restore({"state": tree(0)})
    assert step == 2
    np.testing.assert_array_equal(np.asarray(items["state"]["w"]), [0, 2, 4, 6])
    err = capsys.readouterr().err
    assert "checkpoint(s) 3" in err and "resumed from checkpoint 2" in err
    assert len(err.strip().splitlines()) == 1
    with Checkpointer(tmp_path) as ckpt:  # the torn one is gone: step 3 can be saved again
        assert ckpt.steps() == [1, 2]
        ckpt.save(3, {"state": tree(3)})


def test_no_readable_checkpoint_is_file_not_found(tmp_path):
    save_steps(tmp_path, [1])
    _corrupt(tmp_path / "1")
    with Checkpointer(tmp_path) as ckpt, pytest.raises(FileNotFoundError, match="no readable"):
        ckpt.restore({"state": tree(0)})


def test_another_configuration_is_a_mismatch(tmp_path):
    save_steps(tmp_path, [1])
    with Checkpointer(tmp_path) as ckpt:
        with pytest.raises(CheckpointMismatch, match="shape"):
            ckpt.restore({"state": {"w": jnp.zeros(5), "n": np.int32(0), "t": 0.0}})
        with pytest.raises(CheckpointMismatch, match="arrays stored"):
            ckpt.restore({"state": {"w": jnp.zeros(4)}})
        with pytest.raises(CheckpointMismatch, match="no 'other'"):
            ckpt.restore({"other": tree(0)})


def _big(step):
    """Arrays that no compressor shrinks, so garbled bytes land in data, not in padding."""
    rng = np.random.default_rng(step)
    return {"w": rng.standard_normal(40_000).astype(np.float32), "n": np.int32(step)}


def _largest_data_file(step_dir):
    return max((f for f in step_dir.rglob("*") if f.is_file()), key=lambda f: f.stat().st_size)


@pytest.mark.parametrize("where", [0.3, 0.5, 0.8])
def test_garbled_bytes_are_caught_by_the_checksum_and_the_previous_step_restored(
        tmp_path, capsys, where):
    with Checkpointer(tmp_path, keep=3) as ckpt:
        for s in (1, 2, 3):
            ckpt.save(s, {"state": _big(s)})
    data = _largest_data_file(tmp_path / "3")
    blob = bytearray(data.read_bytes())
    at = int(len(blob) * where)
    blob[at:at + 4096] = np.random.default_rng(7).bytes(len(blob[at:at + 4096]))
    data.write_bytes(bytes(blob))  # the size kept
    with Checkpointer(tmp_path) as ckpt:
        step, items = ckpt.restore({"state": _big(0)})
        assert step == 2 and ckpt.steps() == [1, 2]  # the bad one is gone
    np.testing.assert_array_equal(np.asarray(items["state"]["w"]), _big(2)["w"])
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "checkpoint(s) 3" in err[0] and "resumed from checkpoint 2" in err[0]


def test_the_checksum_covers_every_array_and_its_name():
    from runio.checkpoint import checksum

    tree = {"a": {"x": np.arange(3.0)}, "b": np.int32(4)}
    same = {"b": np.int32(4), "a": {"x": np.arange(3.0)}}
    assert np.array_equal(checksum(tree), checksum(same))  # order of the dict does not matter
    for other in ({"a": {"x": np.arange(3.0) + 1e-12}, "b": np.int32(4)},  # one value
                  {"a": {"y": np.arange(3.0)}, "b": np.int32(4)},  # one name
                  {"a": {"x": np.arange(3.0).astype(np.float32)}, "b": np.int32(4)}):  # dtype
        assert not np.array_equal(checksum(tree), checksum(other))
