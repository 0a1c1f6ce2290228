import pytest

from benchmarks.common import tables


def test_rows_of_one_shape_share_a_table_and_constants_are_stated_once():
    rows = [
        {"benchmark": "x", "device": "cpu", "config": {"population": 6}, "rate": 10.0},
        {"benchmark": "x", "device": "cpu", "config": {"population": 40}, "rate": 20.0},
        {"benchmark": "x", "device": "cpu", "seconds": 1.5},
    ]
    text = tables(rows)
    blocks = [block for block in text.split("\n\n") if block.strip()]
    assert len(blocks) == 3  # the constants' sentence, then one table per row shape
    assert blocks[0] == "All rows: device = cpu."
    first = blocks[1].splitlines()
    assert first[0] == "| rate | population |"
    assert first[2:] == ["| 10 | 6 |", "| 20 | 40 |"]
    assert blocks[2].splitlines()[0] == "| device | seconds |"


def test_plain_text_tables_align_their_columns():
    rows = [{"benchmark": "x", "config": {"population": 6}, "rate": 10.0},
            {"benchmark": "x", "config": {"population": 4096}, "rate": 2.5}]
    lines = [line for line in tables(rows, markdown=False).splitlines() if line.strip()]
    assert lines[0].split() == ["rate", "population"]
    # every row's second column starts where its header does
    col = lines[0].index("population")
    assert [line[col:].strip() for line in lines[1:]] == ["6", "4,096"]


def test_latest_keeps_the_newest_row_of_each_configuration():
    from benchmarks.report import latest

    rows = [  # newest first
        {"device": "cpu", "n_devices": 2, "config": {"population": 6}, "rate": 3.0},
        {"device": "cpu", "n_devices": 2, "config": {"population": 40}, "rate": 2.0},
        {"device": "cpu", "n_devices": 2, "config": {"population": 6}, "rate": 1.0},
        {"device": "gpu", "n_devices": 1, "config": {"population": 6}, "rate": 9.0},
    ]
    assert [r["rate"] for r in latest(rows, "population_scaling")] == [3.0, 2.0, 9.0]


def test_sections_are_the_modules_that_exist():
    from benchmarks.report import modules

    names = modules()
    assert "es_vs_adam" in names and "peers" in names
    assert "sharding" not in names and "common" not in names and "report" not in names


def test_add_files_rows_recorded_elsewhere_under_their_benchmarks(tmp_path):
    import json

    from benchmarks.report import add

    results = tmp_path / "results"
    results.mkdir()
    (results / "peers.jsonl").write_text('{"benchmark": "peers", "ratio": 1}\n')
    rows = [{"benchmark": "peers", "ratio": 2}, {"benchmark": "es_vs_adam_runs", "seed": 0},
            {"benchmark": "peers", "ratio": 3}]
    new = tmp_path / "device.jsonl"
    new.write_text("".join(json.dumps(r) + "\n" for r in rows) + "\n")
    assert add([str(new)], results) == {"peers": 2, "es_vs_adam_runs": 1}
    read = {p.stem: [json.loads(x) for x in p.read_text().splitlines()]
            for p in results.glob("*.jsonl")}
    assert [r["ratio"] for r in read["peers"]] == [1, 2, 3]  # appended, in order
    assert read["es_vs_adam_runs"] == [rows[1]]


@pytest.mark.parametrize("text,words", [
    ('{"ratio": 1}\n', "benchmark"),  # a row that names no benchmark
    ('{"benchmark": "x"}\nnot json\n', "line 2"),
])
def test_add_refuses_rows_it_cannot_file(tmp_path, text, words, capsys):
    from benchmarks.report import add

    bad = tmp_path / "bad.jsonl"
    bad.write_text(text)
    with pytest.raises(SystemExit) as e:
        add([str(bad)], tmp_path / "results")
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2 and words in err and "--add" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "results").exists()  # nothing half-filed
