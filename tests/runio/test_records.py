import json

import numpy as np

from runio.records import append_jsonl, differences, read_jsonl, write_json


def test_json_writers_accept_numpy(tmp_path):
    write_json(tmp_path / "a.json", {"x": np.float32(0.5), "v": np.arange(3)})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 0.5, "v": [0, 1, 2]}
    append_jsonl(tmp_path / "m.jsonl", {"i": np.int64(1)})
    append_jsonl(tmp_path / "m.jsonl", {"i": 2})
    lines = (tmp_path / "m.jsonl").read_text().splitlines()
    assert [json.loads(line)["i"] for line in lines] == [1, 2]


def test_json_is_strict_non_finite_numbers_become_null(tmp_path):
    write_json(tmp_path / "s.json", {"loss": float("nan"), "x": [np.float32("inf"), 1.5]})
    text = (tmp_path / "s.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"loss": None, "x": [None, 1.5]}


def test_read_jsonl_skips_a_torn_last_line(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"i": 1}\n{"i": 2}\n{"i": 3, "lo')
    assert read_jsonl(path) == [{"i": 1}, {"i": 2}]
    assert read_jsonl(tmp_path / "missing.jsonl") == []


def test_differences_name_the_top_level_keys_that_changed():
    old = {"lr": 0.1, "model": {"hidden": 32}, "seed": 0, "gone": 1}
    new = {"lr": 0.1, "model": {"hidden": 16}, "seed": 0, "added": (1, 2)}
    assert differences(old, new) == ["added", "gone", "model"]
    assert differences(new, dict(new)) == []
