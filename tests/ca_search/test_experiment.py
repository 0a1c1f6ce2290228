import csv
import json

import numpy as np
import pytest

from ca_search import chaos, density, rules, symmetry
from ca_search import SearchConfig, run_search
from ca_search.reproduce import SEED_TABLE1, table1_markdown
from runio.errors import ConfigError

TINY = dict(trials=2, generations=4, population=10, n_ics=32, performance_ics=256, chunk=2)


def _read_history(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def _run_and_resume(config, tmp_path):
    """Run ``config`` whole, and interrupted after one chunk then resumed: the two must end
    identical. Returns the whole run's summary."""
    full = run_search(config, tmp_path / "full", progress=False)
    assert run_search(config, tmp_path / "cut", progress=False, stop_after_chunks=1) is None
    resumed = run_search(config, tmp_path / "cut", progress=False)
    assert resumed["trials"] == full["trials"]
    assert (tmp_path / "cut/history.csv").read_text() == (tmp_path / "full/history.csv").read_text()
    return full


@pytest.mark.parametrize("strategy", ["ga", "bglpso"])
def test_density_search_outputs_and_resume(tmp_path, strategy):
    full = _run_and_resume(SearchConfig(task="density", strategy=strategy, **TINY), tmp_path)

    rows = _read_history(tmp_path / "full/history.csv")
    assert list(rows[0]) == ["trial", "generation", "best_fitness", "mean_fitness"]
    assert len(rows) == 2 * (4 + 1)
    for t, trial in enumerate(full["trials"]):
        best = [float(r["best_fitness"]) for r in rows if int(r["trial"]) == t]
        mean = [float(r["mean_fitness"]) for r in rows if int(r["trial"]) == t]
        # the best-ever fitness the strategy tracked is the best of the logged generations
        assert trial["best_fitness"] == pytest.approx(max(best), abs=1e-6)
        assert all(m <= b + 1e-9 for m, b in zip(mean, best))
        assert 0.0 <= trial["best_fitness"] <= 1.0
        bits = rules.from_hex(trial["best_rule"])
        assert trial["p149"] == pytest.approx(
            density.performance(bits, __import__("jax").random.PRNGKey(1), 256))
        # Rhodes's "at the conclusion of the search": the last logged generation's best
        assert trial["final_generation_best"] == pytest.approx(best[-1], abs=1e-6)
    for name in ["summary.json", "fitness.png", "best_rule.png", "report.md"]:
        assert (tmp_path / "full" / name).exists()
    summary = json.loads((tmp_path / "full/summary.json").read_text())
    scores = [t["best_fitness"] for t in summary["trials"]]
    assert summary["best_fitness_mean"] == pytest.approx(np.mean(scores))
    assert summary["best_fitness_std"] == pytest.approx(np.std(scores))
    finals = [t["final_generation_best"] for t in summary["trials"]]
    assert summary["final_generation_best_mean"] == pytest.approx(np.mean(finals))
    lo, hi = summary["best_fitness_ci95"]
    assert min(scores) <= lo <= np.mean(scores) <= hi <= max(scores)
    assert summary["success_rate"] == np.mean([t["flat_performance"] >= 0.9
                                               for t in summary["trials"]])


def test_coevolving_symmetric_search_resumes_and_picks_its_rule_on_unbiased_ics(tmp_path):
    full = _run_and_resume(SearchConfig(ics="coevolve", symmetric=True, **TINY), tmp_path)
    # what is logged is F on the flat half of the ICs: a fraction of 16
    _check_picked_symmetric_rules(full, tmp_path / "full/history.csv", 16)


def _check_picked_symmetric_rules(summary, history, logged_ics):
    """Each trial's rule is symmetric, chosen on its own unbiased ICs (key 3) with P_149
    measured on others (key 1); the logged fitness is a fraction of ``logged_ics``."""
    import jax

    for trial in summary["trials"]:
        bits = rules.from_hex(trial["best_rule"])
        assert symmetry.is_symmetric(bits)
        assert trial["best_fitness"] == pytest.approx(
            density.performance(bits, jax.random.PRNGKey(3), 256))
        assert trial["p149"] == pytest.approx(density.performance(bits, jax.random.PRNGKey(1), 256))
    rows = _read_history(history)
    assert all(float(r["best_fitness"]) * logged_ics == pytest.approx(
        round(float(r["best_fitness"]) * logged_ics)) for r in rows)


def test_unbiased_search_from_a_run_starts_from_its_rules_and_picks_on_other_ics(tmp_path):
    import jax

    from ca_search import population
    from ca_search.jobs.search import starting_genomes

    first = run_search(SearchConfig(ics="coevolve", symmetric=True, **TINY), tmp_path / "a",
                       progress=False)
    config = SearchConfig(ics="unbiased", symmetric=True, init_from=str(tmp_path / "a"), **TINY)
    starts = starting_genomes(config)
    for t, trial in enumerate(first["trials"]):  # trial i starts from run a's trial-i rule
        assert np.array_equal(symmetry.table(starts[t], 3), rules.from_hex(trial["best_rule"]))
    # member 0 is the rule; the others differ from it in about init_flip of their bits
    pop = np.asarray(population.started_genomes(jax.random.PRNGKey(0), starts[0], 2000, 0.1))
    assert np.array_equal(pop[0], starts[0])
    assert abs((pop[1:] != starts[0]).mean() - 0.1) < 0.005
    assert np.array_equal(population.started_genomes(jax.random.PRNGKey(0), starts[0], 5, 0.0),
                          np.repeat(starts[0][None], 5, 0))

    full = _run_and_resume(config, tmp_path)
    # what is logged is the fraction of the 32 unbiased ICs of each generation
    _check_picked_symmetric_rules(full, tmp_path / "full/history.csv", 32)


def test_unbiased_fitness_is_the_reference_fraction_on_unbiased_ics():
    import jax

    from ca_search import reference
    from ca_search.population import population_density_fitness

    key = jax.random.PRNGKey(5)
    tables = np.stack([rules.from_hex("005f005f005f005f005fff5f005fff5f"),
                       rules.from_hex("10110014035db95f3f51ff1d131dff1f")])
    got = np.asarray(population_density_fitness(tables[None], key[None], 64, 149, 298,
                                                ic="unbiased"))[0]
    cells = np.asarray(density.sample_ics(key, 64, 149, "unbiased"))
    assert 0.3 < cells.mean() < 0.7  # each cell a fair coin, not a flat density
    final = reference.simulate(tables, np.broadcast_to(cells, (2,) + cells.shape), 298)
    majority = (2 * cells.sum(1) > 149).astype(np.uint8)
    want = (final == majority[None, :, None]).all(-1).mean(1)
    assert np.allclose(got, want)


@pytest.mark.parametrize("init_from, message", [
    ("zz", "neither an r = 3 rule"),
    ("1451305c0050ce5f1711ff5f0f53cf5f", "not invariant under complement"),
])
def test_a_bad_start_is_one_error_naming_init_from(init_from, message):
    from ca_search.jobs.search import starting_genomes

    with pytest.raises(ConfigError, match=message) as e:
        starting_genomes(SearchConfig(symmetric=True, init_from=init_from, **TINY))
    assert e.value.field == "init_from"


def test_chaos_search_reports_level9_scores(tmp_path):
    config = SearchConfig(task="chaos", strategy="bpso", **TINY)
    summary = run_search(config, tmp_path, progress=False)
    rows = _read_history(tmp_path / "history.csv")
    for t, trial in enumerate(summary["trials"]):
        best = max(float(r["best_fitness"]) for r in rows if int(r["trial"]) == t)
        assert trial["best_fitness"] == pytest.approx(best, abs=1e-6)
        assert 0.2 < trial["nc_pt_level9"] < 1.5
        bits = rules.from_hex(trial["best_rule"])
        assert trial["block_entropy"] == pytest.approx(chaos.block_entropy_fitness(
            bits, __import__("jax").random.PRNGKey(config.seed + 1), 10, config.n_cells,
            config.steps))
    assert summary["block_entropy_mean"] == pytest.approx(
        np.mean([t["block_entropy"] for t in summary["trials"]]))


def test_existing_results_are_never_overwritten_silently(tmp_path):
    (tmp_path / "old.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not empty"):
        run_search(SearchConfig(**TINY), tmp_path, progress=False)
    assert (tmp_path / "old.txt").read_text() == "keep me"


@pytest.mark.parametrize("kwargs, allowed", [
    ({"strategy": "cmaes"}, "ga, bpso, bglpso"), ({"task": "order"}, "density, chaos"),
    ({"population": 1}, r"\[2, 100000\]"), ({"trials": 0}, r"\[1, 10000\]"),
    ({"generations": 0}, r"\[1, 10\^6\]"), ({"strategy": "ga", "population": 4}, "elite"),
    ({"ics": "all"}, "flat, coevolve, unbiased"), ({"ics": "coevolve", "task": "chaos"}, "density-task"),
    ({"ics": "coevolve", "n_ics": 1}, "at least 2"), ({"ics": "unbiased", "task": "chaos"},
                                                      "density-task"),
    ({"init_flip": 0.7}, r"\[0, 0.5\]"),
])
def test_config_validation_names_the_field_and_what_is_allowed(kwargs, allowed):
    with pytest.raises(ConfigError, match=allowed) as e:
        SearchConfig(**kwargs)
    assert e.value.field in kwargs


def test_table1_ranks_and_seed_numbers():
    def fake(value, p=0.5):
        return {"best_fitness_mean": value, "best_fitness_std": 0.01, "p149_mean": p,
                "p149_std": 0.0, "wall_time_s": 1.0, "nc_pt_level9_mean": value,
                "nc_pt_level9_std": 0.0}
    summaries = {"density": {"ga": fake(0.9), "bpso": fake(0.5), "bglpso": fake(0.6)},
                 "chaos": {"ga": fake(0.5), "bpso": fake(0.7), "bglpso": fake(0.6)}}
    text = table1_markdown(summaries, SearchConfig())
    assert "*density: the ordering of the strategies matches Rhodes's.*" in text
    assert "*chaos: the ordering of the strategies differs from Rhodes's.*" in text
    for task, row in SEED_TABLE1.items():
        for value in row.values():
            assert f"| {value} |" in text


def test_table1_notes_explain_every_row_for_the_reading_run():
    def fake(value):
        return {"best_fitness_mean": value, "best_fitness_std": 0.01, "p149_mean": 0.5,
                "p149_std": 0.0, "wall_time_s": 1.0, "nc_pt_level9_mean": value,
                "nc_pt_level9_std": 0.0, "final_generation_best_mean": value - 0.05,
                "final_generation_best_std": 0.01}
    summaries = {"density": {"ga": fake(0.95), "bpso": fake(0.7), "bglpso": fake(0.8)},
                 "chaos": {"ga": fake(0.53), "bpso": fake(0.53), "bglpso": fake(0.53)}}
    for init, inertia in [("uniform", "feng"), ("iid", "printed")]:
        text = table1_markdown(summaries, SearchConfig(init=init, inertia=inertia))
        notes = text.split("## Row by row")[1]
        assert f"`init={init}`, `inertia={inertia}`" in notes
        bullets = [line for line in notes.splitlines() if line.startswith("- **")]
        assert len(bullets) == 6  # one per row of the table
        # the GA note gives the final-generation value and its gap to Rhodes's 0.90
        ga = next(b for b in bullets if b.startswith("- **density, GA**"))
        assert "ours 0.900 at the final generation (+0.000)" in ga
        pso = next(b for b in bullets if b.startswith("- **density, BPSO**"))
        assert ("Feng" in pso) == (inertia == "feng")
