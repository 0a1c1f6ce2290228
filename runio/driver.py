"""The one resumable driver: runs any trainer into a run folder (:mod:`runio.runfolder`),
or into memory. It runs every job of the project — the NCA trainers, the CA rule searches
(all trials of one strategy as one trainer) and the hyperparameter search's trial groups.

A trainer is any object with ``init(key) -> state``, ``step(state) -> (state, metrics)``
and ``params(state)`` (:class:`nca_jax.train.base.Trainer`): a jitted ``step`` is compiled
ahead of time (its compilation timed apart), any other runs as it is (a step with work on
the host, such as the chaos task's compression). ``metrics`` are scalars.

- ``config.json`` is written before any work (:func:`runio.runfolder.guard`); rerunning
  into the same folder resumes from the newest readable checkpoint, and only if the
  configuration is the same (the budget fields may change);
- every ``eval_every`` iterations ``evaluate(params, iteration)`` adds numbers to the
  iteration's record, and the run stops when ``reached(record)`` says so;
- it stops at ``max_iterations`` or after ``max_seconds`` of training (JIT compilation
  excluded, timed apart), checkpointing every ``checkpoint_every`` iterations and at the
  end (orbax, :mod:`runio.checkpoint`);
- a non-finite number stops it at once, keeping the last good checkpoint;
- ``metrics.jsonl`` gets one line per iteration (cut back to the checkpoint on resume), and
  a progress bar shows the budget from the first second;
- across processes (:mod:`runio.hosts`) all of them train and checkpoint together, process
  0 alone checks the configuration and writes the records, and the result's parameters are
  this process's full copy.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from pathlib import Path
from typing import Any, Callable, NamedTuple

import jax
from tqdm import tqdm

from runio import hosts, interrupts, runfolder
from runio.checkpoint import CheckpointMismatch, Checkpointer
from runio.errors import ConfigError, Terminated, check, finite
from runio.records import append_jsonl, dumps, read_jsonl

#: Fields of a loop config that may change when a run is resumed.
BUDGET_FIELDS = ("max_seconds", "max_iterations", "progress", "tensorboard")


@dataclasses.dataclass(frozen=True)
class LoopConfig:
    max_iterations: int = 0  # 0: no limit
    max_seconds: float = 0.0  # 0: no limit
    eval_every: int = 0  # 0: never
    checkpoint_every: int = 100
    keep_checkpoints: int = 3
    progress: bool = True
    tensorboard: bool = False  # also write the metrics as TensorBoard events (tensorboardX)

    def __post_init__(self):
        check(self.max_iterations >= 0, "max_iterations",
              f"must be >= 0 (0: no limit), got {self.max_iterations}")
        check(finite(self.max_seconds) and self.max_seconds >= 0, "max_seconds",
              f"must be a finite number >= 0 (0: no limit), got {self.max_seconds}")
        check(self.max_iterations > 0 or self.max_seconds > 0, "max_seconds",
              "give a time limit (max_seconds > 0) or an iteration limit (max_iterations > 0)")
        check(self.eval_every >= 0, "eval_every", f"must be >= 0, got {self.eval_every}")
        check(self.checkpoint_every >= 1, "checkpoint_every",
              f"must be >= 1, got {self.checkpoint_every}")
        check(self.keep_checkpoints >= 1, "keep_checkpoints",
              f"must be >= 1, got {self.keep_checkpoints}")


class Trainer(NamedTuple):
    """The trainer contract, in the spirit of optax's ``GradientTransformation``."""

    init: Callable[[jax.Array], Any]  # key -> state
    step: Callable[[Any], tuple[Any, dict]]  # state -> (state, scalar metrics)
    params: Callable[[Any], Any]  # state -> what to evaluate, export and checkpoint


class Diverged(RuntimeError):
    """Training produced a non-finite number; the last good checkpoint is kept."""


class Result(NamedTuple):
    state: Any
    params: Any
    records: list[dict]  # one per iteration, as in metrics.jsonl
    iterations: int
    elapsed: float  # training wall time (s), compilation excluded
    compile_s: float
    reached_iteration: int | None
    reached_time: float | None
    stop_reason: str
    diverged: str | None  # the message when a non-finite number stopped the run


def train(trainer: Any, key: jax.Array, out: str | Path | None = None,
          loop: LoopConfig | None = None, run_config: dict | None = None,
          evaluate: Callable[[Any, int], dict] | None = None,
          reached: Callable[[dict], bool] | None = None, desc: str = "train",
          budget: tuple[str, ...] = BUDGET_FIELDS[:2]) -> Result:
    """Run ``trainer`` from ``init(key)`` until a budget of ``loop`` or ``reached`` stops
    it; returns the final state, parameters and per-iteration metrics.

    With ``out`` (a run folder, :mod:`runio.runfolder`) it checkpoints, writes
    ``metrics.jsonl`` and ``config.json`` (``run_config``: the job's configuration without
    its budget fields, what must match to resume; ``budget``: the fields a resumed run may
    change, named when another configuration is refused), and resumes from the newest
    checkpoint there. Without ``out`` nothing is written: training from a notebook."""
    if loop is None:
        raise TypeError("train() needs loop=LoopConfig(max_iterations=... or max_seconds=...)")
    if out is None:
        return _train(trainer, key, None, loop, {}, evaluate, reached, desc, None, budget)
    out = Path(out)
    hosts.on_main(out.mkdir, parents=True, exist_ok=True)
    ckpt = Checkpointer(out / runfolder.CHECKPOINTS, keep=loop.keep_checkpoints)
    try:
        return _train(trainer, key, out, loop, run_config or {}, evaluate, reached, desc, ckpt,
                      budget)
    finally:
        ckpt.close()


def _train(trainer, key, out, loop, run_config, evaluate, reached, desc, ckpt, budget
           ) -> Result:
    state = trainer.init(key)
    counters = {"iteration": 0.0, "elapsed": 0.0, "reached_iteration": -1.0,
                "reached_time": -1.0}
    records, writes = [], hosts.is_main()  # one writer across processes
    if out is not None:
        hosts.on_main(runfolder.guard, out, run_config, budget)
        if ckpt.latest_step() is not None:
            try:
                _, items = ckpt.restore({"state": state, "counters": counters})
            except (CheckpointMismatch, FileNotFoundError) as e:
                raise ConfigError("out", f"cannot resume the checkpoints in {out} ({e})"
                                  ) from None
            state, counters = items["state"], items["counters"]
        metrics_path = out / runfolder.METRICS
        records = [r for r in read_jsonl(metrics_path)
                   if r.get("iteration", 0) <= counters["iteration"]]

        def start_records():
            metrics_path.write_text("".join(dumps(r) + "\n" for r in records))
        hosts.on_main(start_records)  # after every process has read the records
    writes = writes and out is not None
    it = int(counters["iteration"])

    progress = loop.progress and hosts.is_main()
    if progress:
        print(f"{desc}: compiling…", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    lower = getattr(trainer.step, "lower", None)  # a jitted step: compile it now
    step = lower(state).compile() if lower is not None else trainer.step
    if evaluate is not None and loop.eval_every:
        evaluate(trainer.params(state), 0)
    compile_s = time.perf_counter() - t0

    def stop_reason() -> str | None:
        if counters["reached_iteration"] >= 0:
            return "reached target"
        if loop.max_iterations and it >= loop.max_iterations:
            return "max_iterations"
        if loop.max_seconds and counters["elapsed"] >= loop.max_seconds:
            return "max_seconds"
        return None

    by_time = loop.max_seconds > 0
    total = loop.max_seconds if by_time else loop.max_iterations

    def position() -> float:
        return min(total, counters["elapsed"] if by_time else it)

    board = _board(out) if loop.tensorboard and writes else None
    bar = tqdm(total=total, initial=position(), desc=desc, unit="s" if by_time else "it",
               disable=not progress, leave=True, dynamic_ncols=True,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f}{unit} "
                          "[{elapsed}<{remaining}{postfix}]")
    stop, diverged = stop_reason(), None
    saved = ckpt.latest_step() if ckpt is not None else None
    good = (it, state, dict(counters))  # the last iteration whose bookkeeping is done
    try:
        while stop is None:
            interrupts.check()  # a signal dropped in a GC callback still ends the run here
            tic = time.perf_counter()
            state, m = step(state)
            it += 1
            rec = {"iteration": it, **{k: float(v) for k, v in m.items()}}
            bad = [k for k, v in rec.items() if not math.isfinite(v)]
            if not bad and evaluate is not None and loop.eval_every and it % loop.eval_every == 0:
                rec.update(evaluate(trainer.params(state), it))
                bad = [k for k, v in rec.items() if not math.isfinite(v)]
            if bad:
                last = ckpt.latest_step() if ckpt is not None else None
                kept = (f"kept the last good checkpoint (iteration {last})" if last is not None
                        else "no checkpoint had been written yet")
                diverged = f"{desc}: non-finite {', '.join(bad)} at iteration {it}; {kept}"
                break
            counters["elapsed"] += time.perf_counter() - tic
            counters["iteration"] = float(it)
            rec["wall_time_s"] = counters["elapsed"]
            if reached is not None and reached(rec):
                counters.update(reached_iteration=float(it), reached_time=counters["elapsed"])
            if writes:
                append_jsonl(metrics_path, rec)
            if board is not None:
                for k, v in rec.items():
                    if k != "iteration":
                        board.add_scalar(f"{desc}/{k}", v, it)
            records.append(rec)
            stop = stop_reason()
            if by_time:  # each process has its own clock: process 0's decides, for all
                stop = hosts.agree(stop)
            if ckpt is not None and (it % loop.checkpoint_every == 0 or stop is not None):
                ckpt.save(it, {"state": state, "params": trainer.params(state),
                               "counters": counters})
                saved = it
            bar.update(position() - bar.n)
            shown = " ".join(f"{k}={v:.4g}" for k, v in rec.items()
                             if k not in ("iteration", "wall_time_s", "lr"))
            bar.set_postfix_str(f"it={it} {shown}", refresh=False)
            good = (it, state, dict(counters))
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM under runio.cli
        interrupts.handled()
        bar.close()
        if board is not None:
            board.close()
        raise _interrupted(e, trainer, ckpt, good, saved, desc) from None
    bar.close()
    if board is not None:
        board.close()
    if diverged:
        stop = diverged
    return Result(state=state, params=hosts.local(trainer.params(state)), records=records,
                  iterations=it,
                  elapsed=counters["elapsed"], compile_s=compile_s,
                  reached_iteration=(int(counters["reached_iteration"])
                                     if counters["reached_iteration"] >= 0 else None),
                  reached_time=(counters["reached_time"]
                                if counters["reached_iteration"] >= 0 else None),
                  stop_reason=stop, diverged=diverged)


TENSORBOARD = "tensorboard"  # the event files' folder in a run folder


def _board(out: Path):
    """A TensorBoard writer into ``out/tensorboard`` (``tensorboard --logdir=OUT``)."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ConfigError("tensorboard", "needs the tensorboardX package: pip install "
                                         "tensorboardX (or the [tensorboard] extra)") from None
    return SummaryWriter(str(out / TENSORBOARD), flush_secs=10)


class Interrupted(Exception):
    """A run stopped by Ctrl-C or SIGTERM, its state checkpointed where that was cheap."""

    def __init__(self, message: str, signal_name: str):
        super().__init__(message)
        self.message, self.signal_name = message, signal_name


def _interrupted(e: KeyboardInterrupt, trainer, ckpt, good, saved, desc: str) -> Interrupted:
    """Checkpoint the last finished iteration (one save, single-process runs) and say how
    to resume."""
    it, state, counters = good
    if ckpt is not None and it and it != saved and jax.process_count() == 1:
        try:
            ckpt.save(it, {"state": state, "params": trainer.params(state),
                           "counters": counters})
            saved = it
        except Exception:  # noqa: BLE001  (a second interrupt, a full disk: keep the last)
            pass
    where = (f"rerun the same command to resume from checkpoint {saved}" if saved
             else "no checkpoint was written; rerun the same command to start again")
    name = "SIGTERM" if isinstance(e, Terminated) else "Ctrl-C"
    return Interrupted(f"{desc}: interrupted ({name}) at iteration {it}; {where}", name)
