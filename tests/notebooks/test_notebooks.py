"""Execute every teaching notebook at its smoke scale; check a few key results."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
EXPECTED = ["01_growing_nca_es_vs_adam.ipynb", "02_texture_nca_and_hyperparameters.ipynb",
            "03_evolving_ca_rules.ipynb"]


def key_results(nb) -> dict:
    """The JSON after ``KEY_RESULTS`` printed by the notebook's last cell."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for line in out.get("text", "").splitlines():
                if line.startswith("KEY_RESULTS "):
                    return json.loads(line[len("KEY_RESULTS "):])
    raise AssertionError("the notebook printed no KEY_RESULTS line")


def check_01(r: dict) -> None:
    assert set(r["final_loss"]) == {"es", "adam"}
    # both models learn something: far below the loss of an empty grid (~0.1 on the carrot)
    assert all(0 <= v < 0.05 for v in r["final_loss"].values()), r
    assert len(r["damage_models"]) == 2


def check_02(r: dict) -> None:
    # 10 smoke iterations sit on the plateau before a texture forms (learning itself is
    # tests/nca_jax/train/test_texture.py's); here: the run stays finite and bounded
    assert 0 < r["texture_final_loss"] < 1.5 * r["texture_initial_loss"], r
    # the score is 0 for the flat image; the untrained NCA paints the flat grey of its seed
    assert abs(r["texture_initial_score"]) < 0.2, r
    assert r["n_random_trials"] >= 2 and r["n_evolve_trials"] >= 2
    # every search trial was scored (a nan would mean a trial diverged in 2 steps)
    assert all(math.isfinite(v) for v in r["best_score"].values()), r["best_score"]
    assert len(r["textures"]) == 2


def check_03(r: dict) -> None:
    assert abs(r["p149_gkl"] - 0.816) < 0.02, r  # the literature's P_149 of GKL
    assert r["p149_coevolved"] >= 0.80, r  # the README's rule found by the coevolving search
    assert set(r["table"]) == {"density", "chaos"}
    for task in ("density", "chaos"):
        assert set(r["table"][task]) == {"ga", "bpso", "bglpso"}


CHECKS = {"01": check_01, "02": check_02, "03": check_03}
TRAINING = EXPECTED[:2]  # the notebooks whose run time is training, not compilation


def test_all_notebooks_present():
    assert NAMES == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, name
    assert any(c.source.startswith("PAPER_SCALE = False") for c in nb.cells[:4]), name


def test_committed_notebooks_are_what_build_py_writes(tmp_path):
    subprocess.run([sys.executable, str(NOTEBOOKS / "build.py"), str(tmp_path)], check=True)
    for name in EXPECTED:
        assert (tmp_path / name).read_text() == (NOTEBOOKS / name).read_text(), name


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_executes(name, tmp_path, monkeypatch):
    # the kernel imports this checkout's packages, whatever is installed
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(REPO) + (os.pathsep + path if path else ""))
    monkeypatch.setenv("CA_JAX_LAB_NOTEBOOK_SCALE", "smoke")  # the real scales: one switch away
    if name in TRAINING:  # optimised as users run them; 03 is bound by compilation
        monkeypatch.setenv("JAX_DISABLE_MOST_OPTIMIZATIONS", "0")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on any cell error
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", name
    CHECKS[name[:2]](key_results(nb))
