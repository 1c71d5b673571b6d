"""Run each source's render in a child process under a time and a memory budget.

A render that hangs, loops, eats memory or crashes inside a C library fails that source only, with a
clear error; the parent kills what is left when it is interrupted, so nothing outlives a build. Children
are forked from a parent that has already imported the renderers, so a child starts in milliseconds.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from .dist import signals_held

MB = 1024 * 1024


@dataclass(frozen=True)
class Budget:
    """Per child: wall-clock seconds, and megabytes of address space it may add to what it was forked with."""

    seconds: float
    megabytes: int


@dataclass(frozen=True)
class Exceeded:
    """Why a child gave no result: "time", "memory" or "crash", and what to tell the user."""

    kind: str
    message: str


@contextmanager
def scratch() -> Iterator[Path]:
    """A temporary folder for the renders (WeasyPrint writes each font there), removed afterwards: children end with
    os._exit, which runs no finaliser, and one killed over its budget cleans nothing up."""
    folder = Path(tempfile.mkdtemp(prefix="publish-render-"))
    before, tempfile.tempdir = tempfile.tempdir, str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = before
        shutil.rmtree(folder, ignore_errors=True)


def available() -> bool:
    """Forking is what makes children cheap; where it is missing, renders run in-process without budgets."""
    return "fork" in multiprocessing.get_all_start_methods()


def run_all(function: Callable[[Any], Any], items: Sequence[Any], budget: Budget, jobs: int = 1,
            done: Callable[[int, Any], Any] | None = None) -> list[Any]:
    """[function(item) for item in items], at most `jobs` children at once; an Exceeded where a child failed.

    With `done`, each result is passed to done(index, result) as soon as it arrives, and what it returns is kept."""
    done = done or (lambda index, result: result)
    context = multiprocessing.get_context("fork")
    results: list[Any] = [None] * len(items)
    waiting = list(enumerate(items))
    running: dict[Any, tuple[int, Any, float]] = {}  # pipe end -> (index, process, deadline)
    try:
        while waiting or running:
            while waiting and len(running) < max(1, jobs):
                index, item = waiting.pop(0)
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(target=_child, args=(writer, function, item, budget.megabytes), daemon=True)
                with signals_held():  # an interrupt inside os.fork's handlers would be swallowed
                    process.start()
                writer.close()
                running[reader] = (index, process, time.monotonic() + budget.seconds)
            soonest = min(deadline for _, _, deadline in running.values())
            for reader in wait(list(running), timeout=max(0.0, soonest - time.monotonic())):
                index, process, _ = running.pop(reader)
                results[index] = done(index, _receive(reader, process, budget))
            now = time.monotonic()
            for reader, (index, process, deadline) in list(running.items()):
                if now >= deadline:
                    del running[reader]
                    _stop(process, reader)
                    results[index] = done(index, Exceeded("time", f"rendering took longer than its budget of "
                                                                  f"{budget.seconds:g} s (render_timeout in [tool.publish])"))
    finally:  # interrupted (Ctrl-C, SIGTERM) or failed: no child outlives the build
        for reader, (_, process, _) in running.items():
            _stop(process, reader)
    return results


def _receive(reader, process, budget: Budget) -> Any:
    try:
        kind, value = reader.recv()
    except (EOFError, OSError):
        kind, value = "died", None
    finally:
        reader.close()
        process.join()
    if kind == "ok":
        return value
    if kind == "memory":
        return Exceeded("memory", f"rendering ran out of its memory budget of {budget.megabytes} MB "
                                  "(render_memory in [tool.publish])")
    if kind == "error":
        return Exceeded("crash", f"the render failed: {value}")
    code = process.exitcode
    how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit status {code}"
    return Exceeded("crash", f"the render process died ({how}); it may have run out of its memory budget "
                             f"of {budget.megabytes} MB (render_memory in [tool.publish])")


def _stop(process, reader) -> None:
    if process.is_alive():
        process.kill()
    process.join()
    reader.close()


def _child(writer, function: Callable[[Any], Any], item: Any, megabytes: int) -> None:
    """In the child: limit memory, run, send ("ok", result) or why not."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler is for the parent
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_SETMASK, set())  # forked while the parent held them
    restore = _limit_memory(megabytes)
    try:
        message = ("ok", function(item))
    except MemoryError:
        message = ("memory", None)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which names the source
        message = ("error", f"{type(exc).__name__}: {exc}")
    restore()  # room to pickle the result
    try:
        writer.send(message)
    except MemoryError:
        writer.send(("memory", None))
    writer.close()


def _limit_memory(megabytes: int) -> Callable[[], None]:
    """Cap the address space at what the child has now plus `megabytes`; return how to lift the cap again."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = current + megabytes * MB
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, OSError, ValueError):  # not Linux: no cap, the time budget still holds
        return lambda: None
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
