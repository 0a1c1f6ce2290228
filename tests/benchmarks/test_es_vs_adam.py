import json

import pytest

from benchmarks import es_vs_adam
from benchmarks.es_vs_adam import times_to_losses
from tests.benchmarks.cli import one_line_error


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
    assert times_to_losses(path, (0.05, 0.02, 0.01, 0.005, 0.003), field="iteration") == {
        "0.05": 50, "0.02": 50, "0.01": 100, "0.005": 100, "0.003": None}


def test_spread_ignores_missing_values():
    from benchmarks.es_vs_adam import spread

    assert spread([3.0, None, 1.0, 2.0, float("nan")]) == {"median": 2.0, "min": 1.0,
                                                           "max": 3.0, "n": 3}
    assert spread([None, None])["n"] == 0


def test_band_holds_each_runs_last_loss_until_its_next_evaluation():
    import numpy as np

    from benchmarks.es_vs_adam import band

    a = [(1.0, 0.5), (2.0, 0.1)]  # stops at t = 2 (target reached): keeps 0.1
    b = [(1.5, 0.3), (3.0, 0.2)]
    got = band([a, b], np.array([0.5, 1.0, 1.5, 2.5, 3.0]))
    nan = float("nan")
    want = np.array([[nan, 0.5, 0.4, 0.2, 0.15],  # medians
                     [nan, 0.5, 0.3, 0.1, 0.1],  # minima
                     [nan, 0.5, 0.5, 0.3, 0.2]])  # maxima
    np.testing.assert_allclose(got, want)


def test_summary_ratios_are_medians_over_adams():
    from benchmarks.es_vs_adam import summarise

    def run(method, seed, t01):
        return {"target": "carrot", "method": method, "seed": seed,
                "seconds_to_loss": {"0.01": t01}, "compile_s": 1.0, "final_loss": 0.01,
                "persistence": 2.0}

    rows = summarise([run("adam", 0, 2.0), run("adam", 1, 4.0),
                      run("open_es", 0, 9.0), run("open_es", 1, None), run("open_es", 2, 3.0)])
    es = next(r for r in rows if r["method"] == "open_es")
    assert es["seconds_to_loss"]["0.01"] == {"median": 6.0, "min": 3.0, "max": 9.0, "n": 2}
    assert es["over_adam"]["0.01"] == 2.0  # 6 / 3


def test_each_width_is_compared_with_adam_on_the_same_rule():
    from benchmarks.es_vs_adam import summarise

    def run(method, hidden, t01, flops):
        return {"target": "carrot", "method": method, "seed": 0, "hidden": hidden,
                "seconds_to_loss": {"0.003": t01}, "iterations_to_loss": {"0.003": 1},
                "flops_to_loss": {"0.003": flops}, "compile_s": 1.0, "final_loss": 0.003,
                "persistence": 1.0}

    rows = summarise([run("adam", 8, 2.0, 10.0), run("adam", 32, 4.0, 40.0),
                      run("open_es", 8, 6.0, 50.0), run("open_es", 32, 6.0, 400.0)])
    by_arm = {r["method"]: r for r in rows}
    assert set(by_arm) == {"adam hidden 8", "adam hidden 32", "open_es hidden 8",
                           "open_es hidden 32"}
    assert by_arm["open_es hidden 8"]["flops_over_adam"] == 5.0  # 50 / 10, not 50 / 40
    assert by_arm["open_es hidden 32"]["flops_over_adam"] == 10.0
    assert by_arm["open_es hidden 8"]["over_adam"]["0.003"] == 3.0
    assert "over_adam" not in by_arm["adam hidden 8"]


def test_large_targets_run_es_at_a_third_of_the_rate_with_a_late_pool():
    from nca_jax.jobs.grow import GrowConfig
    from nca_jax.train import strategies

    base = GrowConfig()
    es, adam = es_vs_adam.method_configs(base, "carrot", "open_es")
    assert es == base.es and adam == base.adam  # the carrot runs the grow job's defaults
    es, _ = es_vs_adam.method_configs(base, "rabbit_face", "snes")
    assert es.strategy == "snes" and es.pool_below == 0.025 and es.pool
    assert base.es.pool_below == float("inf")  # the carrot's pool takes every generation
    assert es.lr == pytest.approx(strategies.STRATEGIES["snes"].lr / 3)
    assert es.sigma_value == strategies.STRATEGIES["snes"].sigma
    es, adam = es_vs_adam.method_configs(base, "rabbit_face", "adam")
    assert es == base.es and (adam.lr, adam.lr_schedule) == (4e-3, "piecewise")


def test_truncated_strategies_and_noes_pool_run_without_the_pool():
    from nca_jax.jobs.grow import GrowConfig

    base = GrowConfig()
    assert base.es.pool  # the grow job's ES has a pool...
    for method in ("persistent_es", "noise_reuse_es"):  # ...the truncated strategies none
        es, _ = es_vs_adam.method_configs(base, "carrot", method)
        assert es.strategy == method and not es.pool
    es, adam = es_vs_adam.method_configs(base, "carrot", "open_es", pool=False)
    assert not es.pool and adam == base.adam
    assert es_vs_adam.arm({"method": "open_es", "config": {"pool": False}}) == "open_es no pool"
    assert es_vs_adam.arm({"method": "adam", "config": {}}) == "adam"


def test_populations_set_the_es_population_and_split_the_summary():
    from nca_jax.jobs.grow import GrowConfig

    base = GrowConfig()
    es, adam = es_vs_adam.method_configs(base, "carrot", "open_es", 4096)
    assert es.population == 4096 and es.lr == base.es.lr and adam == base.adam
    es, _ = es_vs_adam.method_configs(base, "carrot", "adam", 4096, 0.03)
    assert es == base.es  # Adam has no population and keeps its own rate
    es, _ = es_vs_adam.method_configs(base, "rabbit_face", "open_es", 1024, 0.03)
    assert (es.population, es.lr, es.pool_below) == (1024, 0.03, 0.025)  # the rate as given
    assert es_vs_adam.arm({"method": "open_es", "population": 1024, "es_lr": 0.03}) == \
        "open_es ×1024 lr 0.03"

    def run(method, population, seed, t):
        return {"target": "carrot", "method": method, "population": population, "seed": seed,
                "seconds_to_loss": {"0.01": t}, "iterations_to_loss": {"0.003": 100 * t},
                "compile_s": 1.0, "final_loss": 0.01, "persistence": 1.0}

    rows = es_vs_adam.summarise([run("adam", None, 0, 2.0), run("open_es", 256, 0, 8.0),
                                 run("open_es", 256, 1, 6.0), run("open_es", 4096, 0, 1.0)])
    by = {r["method"]: r for r in rows}
    assert list(by) == ["adam", "open_es ×256", "open_es ×4096"]
    assert by["open_es ×256"]["seconds_to_loss"]["0.01"]["median"] == 7.0
    assert by["open_es ×256"]["over_adam"]["0.01"] == 3.5  # 7 / 2
    assert by["open_es ×4096"]["over_adam"]["0.01"] == 0.5
    assert by["open_es ×256"]["iterations_to_target"]["median"] == 700.0


@pytest.mark.parametrize("arg", ["--populations=64,x", "--populations=63", "--populations=0",
                                 "--es_lr=0", "--es_lr=2", "--hidden=0",
                                 "--es_sigma=0"])
def test_bad_populations_rates_and_widths_are_one_line_errors(arg):
    assert arg.split("=")[0] in one_line_error("benchmarks.es_vs_adam", arg)


def test_es_sigma_sets_every_es_runs_sigma_and_names_its_arm():
    from nca_jax.jobs.grow import GrowConfig

    base = GrowConfig()
    es, adam = es_vs_adam.method_configs(base, "carrot", "open_es", sigma=0.01)
    assert es.sigma_value == 0.01 and adam == base.adam
    assert es_vs_adam.arm({"method": "open_es", "es_sigma": 0.01, "hidden": 8,
                           "config": {"pool": False}}) == "open_es σ 0.01 no pool hidden 8"
