"""Running the `simchain` command line in its own process, the way a user does.

Each call is a separate process with its own arguments, working folder, environment, standard
streams and exit status, running `python -m simchain.cli` (the module as `__main__`) and
ending as the interpreter ends a program: `SystemExit` codes as Python maps them, an uncaught
exception printed as a traceback with exit code 1, threads joined and `atexit` handlers run.

What a fresh interpreter spends most of such a call on is importing Python, pandas, pyarrow,
pydantic and simchain's modules. So the processes are forked from a launcher that has done
those imports once (one launcher per test process, started on first use, `simchain.cli` itself
left unimported so that every call executes it afresh). A fresh interpreter runs the call
instead (`subprocess.run`) when SIMCHAIN_TEST_FRESH=1, when the call changes a variable read
on import (SIMCHAIN_*, PYTHON*), where forking is not safe (no fork on Windows; macOS system
libraries may not survive one) and where the launcher cannot start.
"""

from __future__ import annotations

import atexit
import json
import locale
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

TIMEOUT = 120
DEBUG = "SIMCHAIN_DEBUG"

# The launcher: imports what `simchain.cli` imports (and the modules its commands import on
# use), then forks one child per request read from stdin and answers with its exit status.
LAUNCHER = r"""
import importlib, json, os, sys

for name in MODULES:
    try:
        importlib.import_module(name)
    except Exception:
        pass
if "simchain.cli" in sys.modules:  # a module imports the command line: no fork of it
    sys.exit(3)
import simchain.cli
del sys.modules["simchain.cli"]
import simchain
del simchain.cli
import gc
gc.collect()


def child(request):
    import atexit, runpy, threading, traceback
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(f, fd)
        os.close(f)
    sys.stdin = os.fdopen(0, "r", closefd=False)
    sys.stdout = sys.__stdout__
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["simchain.cli", *request["args"]]
    code = 0
    try:
        runpy.run_module("simchain.cli", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        threading._shutdown()
    except BaseException:
        traceback.print_exc()
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code & 0xFF)


channel = sys.stdout
sys.stdout = sys.stderr
channel.write(json.dumps({"ready": os.getpid()}) + "\n")
channel.flush()
for line in sys.stdin:
    request = json.loads(line)
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        child(request)
    channel.write(json.dumps({"pid": pid}) + "\n")
    channel.flush()
    _, status, usage = os.wait4(pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    channel.write(json.dumps({"status": os.waitstatus_to_exitcode(status), "cpu": cpu}) + "\n")
    channel.flush()
"""

#: Modules `simchain.cli` imports on use (reports, experiments, animation...): loaded by the
#: launcher too, as a fresh process would load them when the command needs them.
MODULES = (
    "simchain.ahead",
    "simchain.simulate",
    "simchain.output",
    "simchain.progress",
    "simchain.report",
    "simchain.report.experiment",
    "simchain.report.animate",
    "simchain.experiment.runner",
    "simchain.experiment.spec",
    "simchain.classroom",
    "simchain.scenario.jsonschema",
    "simchain.policies",
    "rich.progress",
    "multiprocessing",
    "concurrent.futures",
)


def _at_import(env: dict[str, str]) -> dict[str, str]:
    """The variables that can change what importing does (SIMCHAIN_PURE picks the model's
    build, PYTHON* the interpreter's set-up): a call whose differ from the launcher's gets a
    fresh interpreter."""
    return {k: v for k, v in env.items() if k.startswith(("SIMCHAIN_", "PYTHON")) and k != DEBUG}


class _Launcher:
    def __init__(self) -> None:
        code = f"MODULES = {MODULES!r}\n{LAUNCHER}"
        env = {k: v for k, v in os.environ.items() if k != DEBUG}
        self.imported_with = _at_import(env)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.lock = threading.Lock()
        self.buffer = b""
        atexit.register(self.close)
        try:
            self._answer(TIMEOUT)["ready"]
        except (TimeoutError, RuntimeError, KeyError):
            self.close()
            raise OSError("the launcher did not start") from None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.alive():
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def _answer(self, timeout: float) -> dict[str, Any]:
        """The launcher's next line, within `timeout` seconds."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            data = os.read(fd, 1 << 16)
            if not data:
                raise RuntimeError("the launcher ended")
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def run(
        self, cwd: Path, args: list[str], env: dict[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        with self.lock, tempfile.TemporaryDirectory(prefix="simchain-cli-") as tmp:
            out, err = Path(tmp, "stdout"), Path(tmp, "stderr")
            request = {
                "cwd": str(cwd),
                "args": args,
                "env": env,
                "stdout": str(out),
                "stderr": str(err),
            }
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
            pid = self._answer(TIMEOUT)["pid"]
            try:
                answer = self._answer(timeout)
            except TimeoutError:
                os.kill(pid, 9)
                self._answer(TIMEOUT)
                raise subprocess.TimeoutExpired(
                    [sys.executable, "-m", "simchain.cli", *args], timeout
                ) from None
            global cpu_seconds
            cpu_seconds += answer["cpu"]
            return subprocess.CompletedProcess(
                [sys.executable, "-m", "simchain.cli", *args],
                answer["status"],
                _text(out.read_bytes()),
                _text(err.read_bytes()),
            )


def _text(data: bytes) -> str:
    """Bytes as `subprocess.run(text=True)` decodes them (locale encoding, universal
    newlines)."""
    text = data.decode(locale.getpreferredencoding(False))
    return text.replace("\r\n", "\n").replace("\r", "\n")


_launcher: _Launcher | None = None
#: CPU time of the processes forked so far (their own: a fresh process's is its parent's to
#: count), for timing the suite.
cpu_seconds = 0.0


def _get_launcher() -> _Launcher | None:
    global _launcher
    if not hasattr(os, "fork") or sys.platform == "darwin":  # as simchain.ahead.cores
        return None
    if _launcher is None or not _launcher.alive():
        try:
            _launcher = _Launcher()
        except OSError:
            _launcher = None
    return _launcher


def simchain(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`simchain ARGS` in `cwd`, with wide rich tables and no debug tracebacks; `env`
    changes environment variables (e.g. PATH)."""
    env = {**os.environ, "COLUMNS": "200", **(env or {})}  # rich: no wrapped names
    env.pop(DEBUG, None)
    launcher = None
    if os.environ.get("SIMCHAIN_TEST_FRESH", "") in ("", "0"):
        launcher = _get_launcher()
    if launcher is not None and _at_import(env) == launcher.imported_with:
        return launcher.run(Path(cwd), list(args), env, TIMEOUT)
    return subprocess.run(
        [sys.executable, "-m", "simchain.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
    )
