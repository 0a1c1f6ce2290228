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
