"""The whole battery on a tiny trained model: results.json, figures and report.md."""

import dataclasses
import json

import numpy as np
import pytest

from nca_jax.robustness import loading
from nca_jax.robustness import report as battery_report
from runio.errors import ConfigError
from tests.nca_jax.tiny import SHORT


def test_battery_writes_results_figures_and_report(run_dir, tmp_path):
    models = [loading.load_model(run_dir),
              loading.load_model(run_dir)._replace(pool=False, name="other")]
    cfg = dataclasses.replace(SHORT, canvas=8)
    res = battery_report.run_battery(models, cfg, tmp_path, progress=False)
    j = json.loads((tmp_path / "results.json").read_text())
    for k in ("config", "long_horizon", "erase", "fgsm_during_growth", "fgsm_after_growth", "larger_canvas"):
        assert k in j
    names = ["adam +pool", "other"]
    assert [m["name"] for m in j["config"]["models"]] == names and j["config"]["seeds"] == 2
    for n in names:
        lh = j["long_horizon"][n]
        assert len(lh["loss_mean"]) == 13 and np.shape(lh["loss"]) == (2, 13)
        np.testing.assert_allclose(lh["loss_mean"], np.mean(lh["loss"], 0), rtol=1e-5)
        assert lh["strip_steps"] == [0, 1, 2, 3, 4, 10]
        assert set(j["erase"][n]) == {"2x2", "3x3", "bottom_half"}
        e = j["erase"][n]["3x3"]
        assert np.shape(e["loss"]) == (2, 12) and e["strip_steps"] == [4, 5]
        # before the damage the erase run is the long-horizon run (same keys)
        np.testing.assert_allclose(np.asarray(e["loss"])[:, :5], np.asarray(lh["loss"])[:, :5], rtol=1e-5)
        assert np.shape(j["fgsm_during_growth"][n]["loss"]) == (2, 11)
        assert set(j["fgsm_after_growth"][n]) == {"0.01", "0.1"}
        assert np.shape(j["larger_canvas"][n]["loss"]) == (2, 13) and j["larger_canvas"][n]["canvas"] == 8
        d = res["summary"][n]["damages"]["erase 3x3"]
        mean, clean = np.mean(e["loss"], 0), np.mean(lh["loss"], 0)
        back = [i for i in range(len(mean) - 5) if mean[5 + i] <= 2 * clean[5 + i]]
        assert d["peak_loss"] == pytest.approx(max(mean[5:]), rel=1e-5)
        assert d["recovery_steps"] == (back[0] if back else None)
        assert d["undamaged_loss"] == pytest.approx(clean[5], rel=1e-5)
    for f in ("long_horizon", "erase", "fgsm_during_growth", "fgsm_after_growth", "larger_canvas"):
        assert (tmp_path / f"{f}.png").stat().st_size > 0
    assert len(list((tmp_path / "strips").glob("*.png"))) == 10
    report = (tmp_path / "report.md").read_text()
    assert "## adam +pool" in report and "![erase](erase.png)" in report
    assert "| loss at step | 40 | 200 | 1000 |" in report and "steps until it stays within 2×" in report
    with pytest.raises(ConfigError, match="smaller than a model's training size 5×5") as e:
        battery_report.run_battery(models, dataclasses.replace(SHORT, canvas=4), tmp_path / "x",
                           progress=False)
    assert e.value.field == "canvas"
