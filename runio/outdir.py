"""Output folders that are never mixed up, overwritten by surprise, or written by two runs.

A job claims its ``--out`` folder before any heavy work:

- an existing file, a folder that cannot be created or one that cannot be written into is
  refused (a :class:`runio.errors.ConfigError` naming ``out``, before anything is computed);
- ``job.json`` records which job the folder belongs to; a folder of another job is refused,
  and so is a non-empty folder that belongs to no job, unless ``overwrite``;
- a folder of the same job is refused unless the job resumes (``resume``) or ``overwrite``
  (which removes the folder's contents);
- a lock (``.lock``: pid, host, start time) keeps a second run out while the first is
  alive — exit status 2 with a line naming the other run — and a lock left by a dead
  process on this host is taken over with a one-line warning.

    with outdir.claim(out, job="nca_jax.grow", resume=True) as folder:
        ...  # only this run writes into folder until the block ends

In a multi-process run (:mod:`runio.hosts`) ``--out`` is on a shared filesystem and process
0 alone checks, creates, locks and marks it; the others wait and fail with its error, and
process 0 releases the lock once every process has left the block.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sys
import time
from pathlib import Path
from typing import Iterator

from runio import hosts
from runio.errors import ConfigError

JOB_FILE = "job.json"
LOCK_FILE = ".lock"
NAME_MAX = 255  # bytes in one name of a path, on Linux and macOS file systems
FLAGS_FILE = "flags.txt"  # the command line of the newest run into the folder (a flagfile)
#: What a CLI asks every folder it claims to record: ``{file name: text}`` (``runio.cli``
#: sets ``flags.txt``, so ``--flagfile=OUT/flags.txt`` reruns the command).
RECORDS: dict[str, str] = {}


def _writable(out: Path) -> None:
    probe = out / f".write-test-{os.getpid()}"
    try:
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise ConfigError("out", f"cannot write into {out} ({e.strerror})") from None


def _creatable(out: Path) -> None:
    """Refuse a folder that cannot be made because its nearest existing ancestor is a file
    or not writable (the cheap part of what ``mkdir`` will find out)."""
    parent = out.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError("out", f"cannot create the folder {out} ({parent} is a file)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError("out", f"cannot create the folder {out} (permission denied)")


def job_of(out: Path) -> str | None:
    """The job a folder belongs to (None: no ``job.json``, or an unreadable one)."""
    try:
        return json.loads((out / JOB_FILE).read_text())["job"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check(out: str | os.PathLike, job: str, resume: bool = False,
          overwrite: bool = False) -> Path:
    """Refuse ``out`` for ``job`` without changing anything (see the module docstring)."""
    out = Path(out)
    longest = max((part for part in out.parts), key=lambda x: len(os.fsencode(x)), default="")
    if len(os.fsencode(longest)) > NAME_MAX:
        raise ConfigError("out", f"a folder name of {len(os.fsencode(longest))} bytes is "
                                 f"longer than the {NAME_MAX} a file system allows")
    if out.exists() and not out.is_dir():
        raise ConfigError("out", f"{out} is a file; give a folder path")
    if not out.is_dir():
        _creatable(out)
        return out
    if not os.access(out, os.W_OK | os.X_OK):
        raise ConfigError("out", f"cannot write into {out} (permission denied)")
    contents = [p for p in out.iterdir() if p.name != LOCK_FILE]
    if not contents or overwrite:
        return out
    owner = job_of(out)
    if owner is None and (out / JOB_FILE).exists():
        raise ConfigError("out", f"{out / JOB_FILE} is unreadable; restore it, or start a new "
                                 "folder")
    if owner is None:
        raise ConfigError("out", f"{out} is not empty and holds no results of {job}; choose a "
                                 f"new folder or pass overwrite")
    if owner != job:
        raise ConfigError("out", f"{out} holds results of {owner}, not {job}; choose another "
                                 f"folder")
    if not resume:
        raise ConfigError("out", f"{out} already holds a {job} run; choose a new folder or pass "
                                 f"overwrite")
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_lock(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def acquire(out: Path) -> Path:
    """Take ``out/.lock`` for this process (see the module docstring)."""
    path = out / LOCK_FILE
    me = {"pid": os.getpid(), "host": socket.gethostname(),
          "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            held = _read_lock(path)
            if held is None:  # being written this instant, or torn: look again
                time.sleep(0.05)
                held = _read_lock(path)
            if held is not None and held.get("pid") == os.getpid() and \
                    held.get("host") == me["host"]:
                return path  # this process holds it already
            same_host = held is not None and held.get("host") == me["host"]
            if held is None or (same_host and not _alive(int(held.get("pid", -1)))):
                who = (f"pid {held.get('pid')}, started {held.get('started')}" if held
                       else "unreadable")
                print(f"warning: taking over the stale lock of {out} ({who})", file=sys.stderr)
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                continue
            where = "" if same_host else f" on host {held.get('host')}"
            raise ConfigError("out", f"{out} is in use by another run (pid {held.get('pid')}"
                                     f"{where}, started {held.get('started')}); wait for it, "
                                     f"choose another folder, or delete {path} if that run "
                                     f"is gone") from None
        with os.fdopen(fd, "w") as f:
            json.dump(me, f)
        return path
    raise ConfigError("out", f"could not take the lock {path}; delete it if no run uses {out}")


def release(path: Path) -> None:
    held = _read_lock(path)
    if held is not None and held.get("pid") == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@contextlib.contextmanager
def claim(out: str | os.PathLike, job: str, resume: bool = False,
          overwrite: bool = False) -> Iterator[Path]:
    """Check ``out`` for ``job``, create it, lock it, mark it as ``job``'s, and yield it;
    the lock is released when the block ends (a killed run leaves a stale lock that the
    next run takes over). Across processes, process 0 does all of it (module docstring)."""
    lock = hosts.on_main(_prepare, Path(out), job, resume, overwrite)
    try:
        yield Path(out)
        hosts.barrier("outdir.release")  # the others are done: process 0 may unlock
    finally:  # after an error, at once (the processes may not all get to a barrier)
        if lock is not None:
            release(lock)


def _prepare(out: Path, job: str, resume: bool, overwrite: bool) -> Path:
    """Check, create, lock and mark ``out`` (see :func:`claim`); returns the lock."""
    out = check(out, job, resume, overwrite)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError("out", f"cannot create the folder {out} ({e.strerror})") from None
    _writable(out)
    lock = acquire(out)
    try:
        check(out, job, resume, overwrite)  # again, now that no other run can change it
        if overwrite:
            for p in out.iterdir():
                if p.name != LOCK_FILE:
                    shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
        if job_of(out) != job:
            tmp = out / f"{JOB_FILE}.tmp"
            tmp.write_text(json.dumps({"job": job}) + "\n")
            os.replace(tmp, out / JOB_FILE)
        for name, text in RECORDS.items():
            (out / f"{name}.tmp").write_text(text)
            os.replace(out / f"{name}.tmp", out / name)
    except BaseException:
        release(lock)
        raise
    return lock
