"""Run commands as a user runs them, from the repository root."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def graphc_command():
    """The installed ``graphc`` console script beside this Python, else ``python -m graphc``."""
    script = Path(sys.executable).parent / "graphc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "graphc"]


def run(args, cwd=ROOT, env=None, timeout=300):
    """Run a command line; returns the CompletedProcess with text output. ``timeout`` (s)
    guards against a hang: it is never a timing assertion."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(args, cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def graphc(*args, **kwargs):
    return run(graphc_command() + [str(a) for a in args], **kwargs)


def graphc_in_process(*args):
    """``graphc ARGS`` run by ``graphc.cli.main`` in this process, from the repository root,
    as a CompletedProcess: for the many variants of one command whose process start (over
    a second each) would dominate the suite; each such test file also runs one real
    ``graphc`` process."""
    import contextlib
    import io

    from graphc import cli
    out, err, cwd = io.StringIO(), io.StringIO(), os.getcwd()
    argv = [str(a) for a in args]
    try:
        os.chdir(ROOT)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as exit_:      # argparse's usage errors
                code = exit_.code
    finally:
        os.chdir(cwd)
    return subprocess.CompletedProcess(["graphc", *argv], code, out.getvalue(), err.getvalue())
