"""A signal whose exception Python drops (raised inside a garbage-collection callback, as
JAX's) is raised again by the next ``interrupts.check``, so the training loop still ends
the run; without the drop it is raised once, where the signal lands."""

import gc
import signal

import jax
import pytest

from runio import driver, interrupts
from runio.checkpoint import Checkpointer
from runio.errors import Terminated
from tests.runio.test_driver import RUN, config, walk


def dropped(handler, signum):
    """Deliver ``signum`` inside a GC callback, where Python prints and drops its
    exception (as it did to a SIGTERM landing in JAX's ``_xla_gc_callback``)."""
    def callback(phase, info):
        if phase == "start":
            handler(signum, None)

    gc.callbacks.append(callback)
    try:
        gc.collect()  # the callback's exception goes to sys.unraisablehook, not here
    finally:
        gc.callbacks.remove(callback)


@pytest.mark.parametrize("handler, signum, kind", [
    (interrupts.on_sigterm, signal.SIGTERM, Terminated),
    (interrupts.on_sigint, signal.SIGINT, KeyboardInterrupt)])
def test_a_dropped_signal_is_raised_again_once(handler, signum, kind, monkeypatch):
    monkeypatch.setattr("sys.unraisablehook", lambda args: None)
    dropped(handler, signum)
    assert interrupts.pending()
    with pytest.raises(kind):
        interrupts.check()
    assert not interrupts.pending()
    interrupts.check()  # nothing left to raise


def test_a_delivered_signal_is_handled_once():
    with pytest.raises(Terminated):
        interrupts.on_sigterm(signal.SIGTERM, None)
    interrupts.handled()  # what the loop's handler does
    interrupts.check()


def test_the_loop_ends_a_run_whose_signal_was_dropped_with_a_checkpoint(tmp_path,
                                                                         monkeypatch):
    monkeypatch.setattr("sys.unraisablehook", lambda args: None)
    trainer = walk()
    calls = {"n": 0}

    def step(state):  # the SIGTERM lands in a GC callback during the third iteration
        calls["n"] += 1
        if calls["n"] == 3:
            dropped(interrupts.on_sigterm, signal.SIGTERM)
        return trainer.step(state)

    with pytest.raises(driver.Interrupted) as e:
        driver.train(trainer._replace(step=step), jax.random.PRNGKey(0), tmp_path,
                     config(max_iterations=7), RUN)
    assert e.value.signal_name == "SIGTERM" and "at iteration 3" in e.value.message
    assert calls["n"] == 3 and not interrupts.pending()
    with Checkpointer(tmp_path / "checkpoints") as ckpt:
        assert ckpt.latest_step() == 3  # the last finished iteration
