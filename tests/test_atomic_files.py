"""Atomic writes (graphc/files.py): an error or a SIGKILL while writing a generated module,
a diagram or a saved graph leaves the old file or none, whole; the temporary file a killed
writer leaves is removed by the next write of the same target; an OSError names the
target, never the temporary file."""

import ast
import errno
import json
import os
import random
import secrets
import signal
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import graphc as gc
import visualize
from graphc import files


def temporaries(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def dead_pid():
    """The id of a process that has ended (a child, reaped)."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def plant(folder, name, pid, age=60):
    path = folder / name.format(pid=pid)
    path.write_bytes(b"half")
    old = time.time() - age
    os.utime(path, (old, old))
    return path


def test_the_next_write_removes_the_temporaries_killed_writers_left(tmp_path):
    dead = dead_pid()
    plant(tmp_path, ".m.py.{pid}.0123abcd.tmp", dead)
    plant(tmp_path, ".m.py.{pid}.ffffffff.tmp", dead)
    keep = [plant(tmp_path, ".other.py.{pid}.0123abcd.tmp", dead),  # another target
            plant(tmp_path, ".m.py.{pid}.0123abcd.tmp", os.getppid()),  # a running writer
            plant(tmp_path, ".m.py.{pid}.notours.tmp", dead),  # not the writer's pattern
            plant(tmp_path, ".m.py.{pid}.0123abcd.tmp.bak", dead),
            plant(tmp_path, "m.py.{pid}.0123abcd.tmp", dead)]
    fresh = plant(tmp_path, ".m.py.{pid}.00000000.tmp", dead, age=-60)  # newer than the write
    files.write_atomic(tmp_path / "m.py", lambda f: f.write(b"new"))
    assert (tmp_path / "m.py").read_bytes() == b"new"
    assert temporaries(tmp_path) == sorted(p.name for p in keep + [fresh]
                                           if p.name.endswith(".tmp"))
    assert all(p.exists() for p in keep)


def test_a_failing_open_names_the_target_not_the_temporary(tmp_path, monkeypatch):
    monkeypatch.setattr(secrets, "token_hex", lambda n: "0123abcd")
    target = tmp_path / "module.py"
    (tmp_path / f".module.py.{os.getpid()}.0123abcd.tmp").mkdir()  # open(temp, "xb") fails
    with pytest.raises(FileExistsError) as info:
        files.write_atomic(target, lambda f: f.write(b"x"))
    assert info.value.filename == str(target)
    assert ".tmp" not in str(info.value) and "module.py" in str(info.value)
    assert (tmp_path / f".module.py.{os.getpid()}.0123abcd.tmp").is_dir()  # not ours: kept


def test_a_full_disk_names_the_target_and_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "module.py"
    target.write_text("old")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left on device") as info:
        files.write_atomic(target, lambda f: f.write(b"new"))
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(target)
    assert target.read_text() == "old" and temporaries(tmp_path) == []


def valued(value, name="g"):
    g = gc.Graph(name)
    x = g.input("x", shape=(2,))
    g.param("w", shape=(2,), init=np.full(2, value))
    loss = gc.sum(x * g.const("c", np.full(2, value))).named("loss")
    return g, loss


def test_a_saved_graph_beside_the_arrays_of_another_save_is_refused(tmp_path):
    """g.save writes the .npz, then the .json: a kill between the two renames leaves the
    old JSON beside the new arrays, which must not load as a graph of the old one's
    structure with the other's values."""
    valued(1.0)[0].save(tmp_path / "a.json")
    valued(2.0)[0].save(tmp_path / "b.json")
    os.replace(tmp_path / "b.npz", tmp_path / "a.npz")
    with pytest.raises(gc.SavedGraphError, match=r"a\.npz.* not hold the arrays saved with"):
        gc.load(tmp_path / "a.json")
    valued(3.0)[0].save(tmp_path / "a.json")
    assert gc.load(tmp_path / "a.json")["c"].record.value.tolist() == [3.0, 3.0]


# ---- the kill test ------------------------------------------------------------------------

def chain(n, name):
    g = gc.Graph(name)
    x, w = g.input("x", shape=(3,)), g.param("w", shape=(3,))
    h = x * w
    for _ in range(n):
        h = gc.tanh(h)
    return g, gc.sum(h).named("loss")


def versions(kind, tmp_path):
    """Two versions of one target (its old and its new content) and the call that writes
    the new one, for a generated module, a diagram and a saved graph."""
    old_graph, old_loss = chain(50, "old")
    new_graph, new_loss = chain(400, "new")
    if kind == "module":
        path = tmp_path / "module.py"
        old, new = gc.compile(old_loss), gc.compile(new_loss)
        return path, (lambda: old.save(path)), (lambda: new.save(path))
    if kind == "diagram":
        path = tmp_path / "diagram.svg"
        old, new = visualize.draw(old_loss), visualize.draw(chain(100, "new")[1])
        return path, (lambda: visualize.export(old, path)), (lambda: visualize.export(new, path))
    path = tmp_path / "graph.json"
    old_graph, new_graph = valued(1.0, "old")[0], valued(2.0, "new")[0]
    return path, (lambda: old_graph.save(path)), (lambda: new_graph.save(path))


def whole(kind, path):
    """The file is whole: it parses (and a saved graph loads with its arrays)."""
    if kind == "module":
        ast.parse(path.read_text())
    elif kind == "diagram":
        ET.fromstring(path.read_bytes())
    else:  # both files whole; a JSON beside the other save's arrays is refused, never mixed
        json.loads(path.read_text())
        np.load(path.with_suffix(".npz"))
        try:
            g = gc.load(path)
        except gc.SavedGraphError as err:
            assert "not hold the arrays saved with" in str(err)
        else:
            assert {"old": 1.0, "new": 2.0}[g.name] == g["c"].record.value[0]


def kill_while_writing(write, delay):
    """Fork a child that writes again and again, each write held open a moment before it
    is renamed into place (os.fsync made slow); SIGKILL it ``delay`` seconds after it
    first reaches fsync, so the kill lands in the middle of a write or just after one."""
    ready, signal_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            real = os.fsync

            def slow(fd):
                os.write(signal_w, b"w")
                time.sleep(0.02)
                real(fd)
            os.fsync = slow
            while True:
                write()
        finally:
            os._exit(1)
    os.close(signal_w)
    os.read(ready, 1)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(ready)


@pytest.mark.parametrize("kind", ["module", "diagram", "graph"])
def test_a_killed_writer_leaves_the_old_file_whole_and_the_next_write_cleans_up(
        tmp_path, kind):
    path, write_old, write_new = versions(kind, tmp_path)
    write_old()
    sidecar = path.with_suffix(".npz")
    rng = random.Random(16)
    left = 0
    for delay in [0.0] + [rng.uniform(0, 0.04) for _ in range(3)]:
        kill_while_writing(write_new, delay)
        whole(kind, path)
        left += len(temporaries(tmp_path))
    assert left > 0  # the first kill, at least, lands between writing and renaming
    write_new()
    whole(kind, path)
    assert temporaries(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [path.name] + ([sidecar.name] if kind == "graph" else []))


def test_a_temporary_named_with_a_huge_or_non_ascii_pid_is_kept_and_breaks_no_write(tmp_path):
    from graphc.files import write_atomic
    odd = [tmp_path / ".m.py.99999999999999999999999.0123abcd.tmp",
           tmp_path / ".m.py.\u0661\u0662\u0663.0123abcd.tmp",
           tmp_path / ".m.py.4294967296.0123abcd.tmp"]
    for path in odd:
        path.write_text("not graphc's")
        os.utime(path, (0, 0))
    write_atomic(tmp_path / "m.py", lambda f: f.write(b"whole\n"))
    assert (tmp_path / "m.py").read_text() == "whole\n"
    assert all(path.exists() for path in odd)
