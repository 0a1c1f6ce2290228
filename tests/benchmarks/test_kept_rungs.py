"""The kept models' rungs: stages chained by hand, the confirmed loss preferred, lineages
followed through ``init_from``, and the kept runs' own records of reaching their target."""

import json

import pytest

from benchmarks import kept_rungs
from benchmarks.kept_rungs import Stage, rungs
from tests.benchmarks.cli import one_line_error


def test_a_rung_in_a_later_stage_costs_every_earlier_stage_in_full():
    a = Stage([(25, 10.0, 0.04), (50, 20.0, 0.015), (75, 30.0, 0.012)], 80, 32.0, 100, 1e9)
    b = Stage([(25, 5.0, 0.009), (50, 10.0, 0.0045), (75, 15.0, 0.0029)], 75, 15.0, 50, 2e9)
    got = rungs([a, b])
    assert got["0.05"] == {"wall_s": 10.0, "iterations": 25, "rollouts": 2500, "flops": 2.5e10}
    assert got["0.02"] == {"wall_s": 20.0, "iterations": 50, "rollouts": 5000, "flops": 5e10}
    # stage a: 80 iterations, 32 s, 8,000 rollouts, 8e10 FLOPs; then b's own counts
    assert got["0.01"] == {"wall_s": 37.0, "iterations": 105, "rollouts": 9250,
                           "flops": pytest.approx(1.3e11)}
    assert got["0.005"] == {"wall_s": 42.0, "iterations": 130, "rollouts": 10500,
                            "flops": pytest.approx(1.8e11)}
    assert got["0.003"]["iterations"] == 155 and got["0.003"]["wall_s"] == 47.0
    assert rungs([a])["0.003"] is None


def test_a_confirmed_loss_decides_over_the_quick_estimate(tmp_path):
    recs = [{"iteration": 1, "loss": 0.5, "wall_time_s": 0.1},  # no evaluation
            {"iteration": 25, "eval_loss": 0.0028, "confirm_loss": 0.0031, "wall_time_s": 1.0},
            {"iteration": 50, "eval_loss": 0.0029, "confirm_loss": 0.0030, "wall_time_s": 2.0}]
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    evals = kept_rungs.evaluations(path)
    assert evals == [(25, 1.0, 0.0031), (50, 2.0, 0.0030)]
    assert rungs([Stage(evals, 50, 2.0, 1, 1.0)], (0.005, 0.003)) == {
        "0.005": {"wall_s": 1.0, "iterations": 25, "rollouts": 25, "flops": 25.0},
        "0.003": {"wall_s": 2.0, "iterations": 50, "rollouts": 50, "flops": 50.0}}


def test_a_lineage_follows_init_from_to_its_first_stage(tmp_path):
    def run(name, parent):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "summary.json").write_text(json.dumps({"config": {"init_from": parent}}))
        return folder

    first = run("first", "")
    second = run("second", str(first))
    third = run("third", str(second))
    assert kept_rungs.lineage(third) == [first, second, third]
    assert kept_rungs.lineage(first) == [first]
    assert kept_rungs.last_stages(tmp_path) == ["third"]


def test_kept_models_reach_their_target_where_their_summaries_say():
    """The job's own record (iterations to its target, summed over earlier stages) against the
    rung read back from the kept metrics."""
    checked = 0
    for name in kept_rungs.last_stages(kept_rungs.MODELS):
        chain = kept_rungs.lineage(kept_rungs.MODELS / name)
        summaries = [json.loads((p / "summary.json").read_text()) for p in chain]
        last = summaries[-1]
        if not last["reached_target"]:
            continue
        stages = [kept_rungs.stage(p) for p in chain]
        got = rungs(stages, (last["target_loss"],))[f"{last['target_loss']:g}"]
        before = sum(s["iterations"] for s in summaries[:-1])
        assert got["iterations"] == before + last["iterations_to_target"], name
        assert got["rollouts"] == pytest.approx(sum(s["rollouts"] for s in summaries)), name
        checked += 1
    assert checked >= 3  # both Adam models and the ES carrot


def test_an_unknown_model_is_a_one_line_error():
    assert "--models: nope" in one_line_error("benchmarks.kept_rungs", "--models=nope")
