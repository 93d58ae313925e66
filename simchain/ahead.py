"""A run's report started ahead: a process forked before the run loads matplotlib and the
report code while this one simulates, then writes the report once the run folder is written.

One job: overlap the report's start-up with the run, on a machine with a spare core. Loading
matplotlib takes about half a second; forked before the simulation (which keeps one core
busy), the copy does it on the other core, and once told the folder it writes the report
(`write_report`, its figures drawn by two processes) while this one only waits. Nothing here
draws or simulates; should the copy fail, this process writes the report itself.
"""

from __future__ import annotations

import contextlib
import gc
import os
import select
import signal
import sys
from pathlib import Path
from types import TracebackType
from typing import NoReturn


def processes() -> int:
    """How many processes may work at once, each forked from this one: the processor cores
    this process may run on; 1 where forking is not safe (Windows has no fork; on macOS,
    system libraries may not survive one, and Python's multiprocessing no longer forks)."""
    if not hasattr(os, "fork") or sys.platform == "darwin":
        return 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class ReportAhead:
    """A forked copy of this process, waiting to write a run folder's report (`write`);
    closing it unused (`close`, or leaving a `with` block) stops the copy. Fork it before any
    thread starts (e.g. a progress bar's)."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers  # processes drawing the figures
        told, self._tell = os.pipe()
        self.pid = os.fork()  # the copy's; 0 once it has been waited for
        if self.pid == 0:  # the copy: never returns
            os.close(self._tell)
            _serve(told, workers)
        os.close(told)

    def write(self, folder: Path) -> Path:
        """Have the copy write `folder`'s report.html and figures (the folder complete) and
        wait for it; returns the page's path."""
        with contextlib.suppress(BrokenPipeError):  # the copy is gone: see below
            os.write(self._tell, os.fsencode(str(folder)))
        if self._wait() != 0:  # the copy failed: its error, if any, is raised here
            from simchain.report.run import write_report

            return write_report(folder, workers=self.workers)
        return folder / "report.html"

    def close(self) -> None:
        """Stop the copy, unless it is done: the run failed or was interrupted, or wanted
        no report after all."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
        self._wait()

    def _wait(self) -> int:
        if self.pid == 0:
            return 0
        os.close(self._tell)
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        return os.waitstatus_to_exitcode(status)

    def __enter__(self) -> ReportAhead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _serve(told: int, workers: int) -> NoReturn:
    """The copy: load the report code (and, while the run goes on, what the report loads on
    its way: `prepare`), read the folder until the parent closes the pipe (nothing: no report
    wanted) and write its report. Exits 0 when done, 1 on any error
    (the parent then writes the report itself); it prints nothing."""
    status = 1
    try:
        gc.disable()  # a short-lived process: no collection walks what matplotlib loads
        from simchain.report.run import prepare, write_report  # matplotlib: while the run goes on

        gc.freeze()
        gc.enable()
        if not select.select([told], [], [], 0)[0]:  # the run is still going on
            prepare()
        folder = b""
        while chunk := os.read(told, 4096):
            folder += chunk
        if folder:
            write_report(Path(os.fsdecode(folder)), workers=workers)
        status = 0
    finally:
        os._exit(status)
