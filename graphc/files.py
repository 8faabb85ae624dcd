"""Writing files so that an error or a kill leaves the old file or nothing, never half.

The data goes to a temporary file beside the target (``.NAME.PID.HEX.tmp``), renamed into
place when whole. A writer killed on the way leaves its temporary behind; the next write
of the same target removes it (``remove_stale``).

>>> write_atomic(Path("out/neuron.py"), lambda f: f.write(b"..."))   # doctest: +SKIP
PosixPath('out/neuron.py')
"""

import contextlib
import os
import re
import secrets
import time
from pathlib import Path


def write_atomic(path, write):
    """Call ``write(f)`` on a new binary file beside ``path`` (its folder created), then
    rename it into place; return the path. On any error the temporary file is removed,
    and an OSError names ``path``, not the temporary file. Once written, the temporaries
    of ``path`` that killed writers left are removed (``remove_stale``)."""
    path = Path(path)
    started = time.time()
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        with open(temp, "xb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            if not isinstance(err, FileExistsError) or err.filename != str(temp):
                os.unlink(temp)
        if isinstance(err, OSError) and err.errno is not None and \
                err.filename in (None, str(temp)):
            raise OSError(err.errno, err.strerror, str(path)) from err
        raise
    remove_stale(path, before=started)
    return path


def remove_stale(path, before):
    """Remove the temporary files of ``path`` that writers which no longer run left
    (``.NAME.PID.HEX.tmp``, its own pattern only), last changed before ``before`` (a
    time as ``time.time()`` gives it); return how many. Another running process's
    temporaries stay, so two writers of one file never break each other."""
    path = Path(path)
    # [0-9]{1,10}, not \d+: only ASCII digits, and no pid past what os.kill takes
    pattern = re.compile(rf"\.{re.escape(path.name)}\.([0-9]{{1,10}})\.[0-9a-f]{{8}}\.tmp")
    removed = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            match = pattern.fullmatch(entry.name)
            if match is None or _running(int(match[1])):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and \
                        entry.stat(follow_symlinks=False).st_mtime < before:
                    os.unlink(entry.path)
                    removed += 1
    return removed


def _running(pid):
    """Whether a process with id ``pid`` runs (this one included)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # someone else's process, or no pid of this system:
        return True                   # not ours to remove
    return True
