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


def python_in_process(script, *args):
    """``python SCRIPT ARGS`` run by runpy as ``__main__`` in this process, from the
    repository root, as a CompletedProcess: for many small scripts, each of which would
    otherwise pay a process start (imports of SymPy and NumPy) that dominates its run. An
    exception other than SystemExit fails the test with its traceback; warnings go to its
    stderr, as they would."""
    import contextlib
    import io
    import runpy
    import warnings

    path = ROOT / script
    out, err, cwd, argv, sys_path = io.StringIO(), io.StringIO(), os.getcwd(), sys.argv, sys.path
    try:
        os.chdir(ROOT)
        sys.argv, sys.path = [str(script), *map(str, args)], [str(path.parent), *sys.path]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings():
            warnings.showwarning = lambda message, kind, filename, lineno, *_: err.write(
                warnings.formatwarning(message, kind, filename, lineno))
            try:
                runpy.run_path(str(path), run_name="__main__")
                code = 0
            except SystemExit as exit_:      # as the interpreter maps sys.exit's argument
                code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    finally:
        os.chdir(cwd)
        sys.argv, sys.path = argv, sys_path
    return subprocess.CompletedProcess(["python", str(script), *map(str, args)], code,
                                       out.getvalue(), err.getvalue())
