import pytest

from nca_jax.jobs import grow
from tests.nca_jax.tiny import GROWN


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    """The folder of a finished tiny ``grow`` run (Adam, 5×5, 3 iterations)."""
    out = tmp_path_factory.mktemp("grow") / "run"
    grow.run(GROWN, out)
    return out
