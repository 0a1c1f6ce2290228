import json

from benchmarks.es_vs_adam import times_to_losses


def test_times_to_losses_takes_the_first_evaluation_at_or_below_each_rung(tmp_path):
    recs = [{"iteration": 1, "loss": 0.5, "wall_time_s": 0.1},  # no evaluation: ignored
            {"iteration": 25, "loss": 0.1, "eval_loss": 0.06, "wall_time_s": 1.0},
            {"iteration": 50, "loss": 0.1, "eval_loss": 0.02, "wall_time_s": 2.0},
            {"iteration": 75, "loss": 0.1, "eval_loss": 0.03, "wall_time_s": 3.0},
            {"iteration": 100, "loss": 0.1, "eval_loss": 0.004, "wall_time_s": 4.0}]
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    assert times_to_losses(path, (0.05, 0.02, 0.01, 0.005, 0.003)) == {
        "0.05": 2.0, "0.02": 2.0, "0.01": 4.0, "0.005": 4.0, "0.003": None}
