"""The texture job and the texture search refuse bad input before any heavy work."""

import json

import pytest

from nca_jax.hparams import trials
from nca_jax.jobs import hparam_search
from nca_jax.jobs import texture
from nca_jax.targets import grayscott
from runio.errors import ConfigError


@pytest.fixture
def no_simulation(monkeypatch):
    def simulate(*args, **kwargs):
        raise AssertionError("a target was simulated before the bad input was refused")

    monkeypatch.setattr(grayscott, "simulate", simulate)


def test_the_job_refuses_an_out_under_a_file_before_simulating(tmp_path, no_simulation):
    (tmp_path / "file").write_text("x")
    config = texture.TextureConfig(target="grayscott:spots", size=16, progress=False)
    with pytest.raises(ConfigError, match="cannot create the folder") as e:
        texture.run(config, tmp_path / "file" / "run")
    assert e.value.field == "out"


def test_the_job_refuses_a_folder_of_another_configuration_before_simulating(tmp_path,
                                                                           no_simulation):
    config = texture.TextureConfig(target="grayscott:spots", size=16, progress=False)
    out = tmp_path / "run"
    out.mkdir()
    (out / "job.json").write_text(json.dumps({"job": texture.JOB}))
    other = texture.run_config(texture.TextureConfig(target="grayscott:maze", size=16))
    (out / "config.json").write_text(json.dumps(other))
    with pytest.raises(ConfigError, match="another configuration .*target") as e:
        texture.run(config, out)
    assert e.value.field == "out"
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "job.json"]


def test_the_search_refuses_a_bad_name_before_simulating_the_good_ones(tmp_path, no_simulation):
    config = trials.HparamSearchConfig(textures=("grayscott:spots", "grayscott:nosuch"), size=16,
                                 progress=False)
    with pytest.raises(ConfigError, match="unknown Gray-Scott preset 'nosuch'") as e:
        hparam_search.run(config, tmp_path / "search")
    assert e.value.field == "textures"
    assert not (tmp_path / "search").exists()
