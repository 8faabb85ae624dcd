"""Reading the arrays of an ``.npz`` file safely, for ``graphc.load`` and ``load_params``.

The cap on the file's size alone is not enough: a small deflated member can expand to
gigabytes, and an ``.npy`` header can claim any shape. So each member's header is read
first, and a member is refused before its data is read when its dtype holds objects
(pickles) or when it would take more than ``MAX_ARRAY_BYTES``; only the keys the caller
names are read. Nothing is unpickled.
"""

import hashlib
import math
import zipfile

import numpy as np

from ..errors import GraphError

#: The most bytes one array (and all the arrays of a file together) may take once read.
MAX_ARRAY_BYTES = 256 * 1024 * 1024


class ArrayFileError(GraphError):
    """An ``.npz`` file (or one of its arrays) graphc refuses to read."""


def digest(arrays):
    """The SHA-256 of ``arrays`` (``{key: array}``): keys, dtypes, shapes and values, in
    key order; what ``Graph.save`` writes in the JSON so that ``load`` can tell the arrays
    saved with it from another save's (the bytes of an ``.npz`` hold a time, these not)."""
    h = hashlib.sha256()
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        h.update(f"{key}\0{a.dtype.str}\0{a.shape}\0".encode("utf-8", "backslashreplace"))
        h.update(a.tobytes())
    return h.hexdigest()


def keys(path):
    """The array names the ``.npz`` at ``path`` holds, in the file's order."""
    with _open(path) as zf:
        return [_key(name) for name in zf.namelist()]


def read(path, wanted):
    """``{key: array}`` for the keys in ``wanted``, each checked by its header first."""
    arrays, total = {}, 0
    with _open(path) as zf:
        members = {_key(name): name for name in zf.namelist()}
        for key in wanted:
            if key not in members:
                raise ArrayFileError(f"there is no array {key!r} in the file")
            total += _check_header(zf, members[key], key)
            if total > MAX_ARRAY_BYTES:
                raise ArrayFileError(f"the arrays together take more than {MAX_ARRAY_BYTES} "
                                     f"bytes (graphc.graph.saved_arrays.MAX_ARRAY_BYTES)")
            arrays[key] = _read_member(zf, members[key], key)
    return arrays


def _open(path):
    try:
        return zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as err:
        raise ArrayFileError(f"it is not an .npz file graphc can read ({err})") from None


def _key(name):
    return name[:-len(".npy")] if name.endswith(".npy") else name


def _check_header(zf, member, key):
    """The bytes the array ``key`` will take; refuses object dtypes and oversized arrays."""
    try:
        with zf.open(member) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f".npy format version {version} is not one graphc reads")
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ArrayFileError(f"array {key!r} has a header graphc cannot read: {err}") from None
    if dtype.hasobject:
        raise ArrayFileError(f"array {key!r} has dtype {dtype} (Python objects, which would "
                             f"need a pickle); graphc reads numeric arrays only")
    nbytes = math.prod(int(n) for n in shape) * dtype.itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise ArrayFileError(f"array {key!r} claims shape {tuple(shape)} {dtype} "
                             f"({nbytes} bytes), more than {MAX_ARRAY_BYTES} bytes "
                             f"(graphc.graph.saved_arrays.MAX_ARRAY_BYTES)")
    return nbytes


def _read_member(zf, member, key):
    try:
        with zf.open(member) as f:
            return np.lib.format.read_array(f, allow_pickle=False)
    except MemoryError:
        raise ArrayFileError(f"array {key!r} does not fit in memory") from None
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ArrayFileError(f"array {key!r} cannot be read: {err}") from None
