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
