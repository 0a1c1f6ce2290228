"""Test-session set-up: one JAX compilation cache shared by every process of the run.

Many tests (and the CLIs and notebook kernels they start as subprocesses) compile the same
programs: the same model step, trainer and evaluators at the same shapes. A persistent
cache in a fresh temporary folder, shared through the environment by the xdist workers and
their subprocesses, compiles each program once per test run. Nothing survives the run, so
every run still checks compilation from scratch.

Most tests are bound by compilation, not by running what they compile, so XLA's
optimisations are switched off for the run (``JAX_DISABLE_MOST_OPTIMIZATIONS``, also
inherited by subprocesses): the suite takes about half the CPU time. The notebooks that
train for real switch them back on, as users run them; set the variable to 0 to run
everything optimised. XLA:CPU's older loop emitters compile faster still (``tests/xla.py``);
set ``XLA_FLAGS`` yourself to leave them out.
"""

import os
import shutil
import tempfile

import pytest

from tests import xla

_OWNER = "CA_JAX_LAB_TEST_CACHE_OWNER"


def pytest_configure(config):
    os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")
    if "XLA_FLAGS" not in os.environ and xla.supported():
        os.environ["XLA_FLAGS"] = xla.FAST_COMPILE
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):  # set by the user or by the controller
        return
    folder = tempfile.mkdtemp(prefix="ca-jax-lab-jit-cache-")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = folder
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")
    os.environ[_OWNER] = str(os.getpid())


def pytest_unconfigure(config):
    if os.environ.get(_OWNER) == str(os.getpid()):
        shutil.rmtree(os.environ.pop("JAX_COMPILATION_CACHE_DIR"), ignore_errors=True)


# The long poles start first, so that no worker ends the run alone with one of them.
FIRST = ("tests/notebooks/", "tests/runio/test_hosts.py", "tests/nca_jax/web/test_page.py",
         "tests/ca_search/test_sharding.py")


def pytest_collection_modifyitems(items):
    def rank(item):
        return next((i for i, p in enumerate(FIRST) if item.nodeid.startswith(p)), len(FIRST))
    items.sort(key=rank)


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    """The folder of a finished tiny ``nca_jax.grow`` run (Adam, 5×5, 3 iterations)."""
    from nca_jax.jobs import grow
    from tests.nca_jax.tiny import GROWN

    out = tmp_path_factory.mktemp("grow") / "run"
    grow.run(GROWN, out)
    return out
