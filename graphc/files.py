"""Writing files so that an error or a kill leaves the old file or nothing, never half.

>>> write_atomic(Path("out/neuron.py"), lambda f: f.write(b"..."))   # doctest: +SKIP
PosixPath('out/neuron.py')
"""

import contextlib
import os
import secrets
from pathlib import Path


def write_atomic(path, write):
    """Call ``write(f)`` on a new binary file beside ``path`` (its folder created), then
    rename it into place; return the path. On any error the temporary file is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        with open(temp, "xb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return path
