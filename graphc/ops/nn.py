"""Neural-network ops: softmax, log_softmax, embedding, and accuracy (a measure, not a loss).

Both are numerically stable for logits of any size: softmax subtracts the row max,
log_softmax uses log-sum-exp. ``check_labels`` (class labels in range) is shared with the
losses and with ``one_hot``.

Gradient rules:
  softmax:        dx = y * (ct - sum(ct * y, axis))
  log_softmax:    dx = ct - exp(y) * sum(ct, axis)
  embedding(table, ids):        dtable = embedding_grad(ct, ids): ct's rows added at the ids
  embedding_grad(ct, ids, like): dct = embedding(ct', ids)   (the rows read back)
accuracy (the fraction of rows whose argmax is the label) carries no gradient.
"""

import numpy as np
import sympy as sp

from ..errors import DomainError, ShapeError
from .. import shapes
from . import notation
from .registry import OpDef, TestSpec, register


def _prepare_axis(attrs, args, op):
    axis = shapes.normalize_axis(attrs.get("axis", -1), len(args[0].shape), op, args[0])
    return {"axis": axis}


def _infer_same_float(attrs, args, op):
    shapes.require_float(args[0], op)
    if not args[0].shape:
        raise ShapeError(f"{op} of {shapes.describe(args[0])}: needs at least one axis")
    return tuple(args[0].shape), args[0].dtype


# Array methods, not np.max and np.sum: on a (128, 10) batch those functions' own overhead
# is most of the time.

def np_log_softmax(z, axis):
    z = np.asarray(z)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _np_softmax(z, axis):
    z = np.asarray(z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def _vjp_softmax(b, node, ct, needs):
    axis = node.attrs["axis"]
    return [node * (ct - b.op("sum", ct * node, axis=axis, keepdims=True))]


def _vjp_log_softmax(b, node, ct, needs):
    axis = node.attrs["axis"]
    return [ct - b.op("exp", node) * b.op("sum", ct, axis=axis, keepdims=True)]


def _exact_softmax(attrs, z):
    e = notation.emap(sp.exp, z)
    return e / np.sum(e, axis=attrs["axis"], keepdims=True)


def exact_log_softmax(attrs, z):
    total = np.sum(notation.emap(sp.exp, z), axis=attrs["axis"], keepdims=True)
    return z - notation.emap(sp.log, total)


_RULES = {"softmax": ("d softmax({0})/d{0} = {out} * (ct - sum(ct * {out}))",),
          "log_softmax": ("d log_softmax({0})/d{0} = ct - exp({out}) * sum(ct)",)}

for _name, _ref, _vjp, _exact, _notation in (
        ("softmax", _np_softmax, _vjp_softmax, _exact_softmax, notation.Softmax),
        ("log_softmax", np_log_softmax, _vjp_log_softmax, exact_log_softmax,
         notation.LogSoftmax)):
    register(OpDef(
        name=_name, family="nn", arity=1, attrs=("axis",), exact=_exact, rules=_RULES[_name],
        notation=lambda attrs, shapes_, z, cls=_notation: cls(z),
        prepare=lambda attrs, args, op=_name: _prepare_axis(attrs, args, op),
        infer=lambda attrs, args, op=_name: _infer_same_float(attrs, args, op),
        reference=lambda attrs, z, ref=_ref: ref(z, attrs["axis"]), vjp=_vjp,
        numpy=f"{_ref.__name__}({{0}}, axis={{axis}})", helpers=(_ref,),
        test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),), attrs={"axis": -1}),
        doc=f"{_name} along axis (the last by default), stable for any logits"))


def first_bad(values, bad):
    """The first of ``values`` where the mask ``bad`` holds, and where it is: `` at index
    1``, `` at index (1, 0)``, or "" for a scalar (argmax: no array of indices is built)."""
    at = np.unravel_index(int(np.argmax(bad)), np.shape(bad))
    index = int(at[0]) if len(at) == 1 else tuple(int(i) for i in at)
    return np.asarray(values)[at], f" at index {index}" if at else ""


def check_labels(labels, classes, where=""):
    """Class labels must lie in [0, classes); DomainError naming the first bad one and
    its index, after ``where`` (how generated code names the node: "node 'loss' (...): ")."""
    labels = np.asarray(labels)
    if not labels.size or (labels.min() >= 0 and labels.max() < classes):
        return  # two reductions: cheaper than building the mask below
    bad = (labels < 0) | (labels >= classes)
    if np.any(bad):
        first, at = first_bad(labels, bad)
        raise DomainError(f"{where}class label {first} is out of range [0, {classes}){at} "
                          f"({int(np.sum(bad))} bad labels)")


# ---- accuracy: not a loss, a measure -----------------------------------------------------

def _infer_accuracy(attrs, args):
    scores, labels = args
    where = f"accuracy of scores {shapes.describe(scores)}"
    if not scores.shape:
        raise ShapeError(f"{where}: scores must be (C,) or (N, C)")
    ints = labels.dtype in shapes.INTS
    expected = tuple(scores.shape[:-1]) if ints else tuple(scores.shape)
    if tuple(labels.shape) != expected:
        raise ShapeError(f"{where}: labels {shapes.describe(labels)} ({labels.dtype}) must be "
                         f"integer labels of shape {shapes.fmt(scores.shape[:-1])} or rows "
                         f"(such as one-hot) of shape {shapes.fmt(scores.shape)}")
    return (), shapes.float_of(scores.dtype)


def _np_accuracy(scores, labels, where=""):
    """The fraction of rows whose largest score is at the label (or at the row's argmax)."""
    if np.issubdtype(np.asarray(labels).dtype, np.integer):
        check_labels(labels, np.shape(scores)[-1], where)
    else:
        labels = np.argmax(labels, axis=-1)
    return np.mean(np.argmax(scores, axis=-1) == labels)


def _exact_accuracy(attrs, scores, labels):
    rows = int(np.prod(np.shape(scores)[:-1], dtype=int))
    hits = int(round(float(_np_accuracy(scores, labels)) * rows))
    return np.asarray(sp.Rational(hits, rows), dtype=object)


_Accuracy = notation.named("accuracy", 2)


register(OpDef(
    name="accuracy", family="nn", arity=2, nondiff=(0, 1), infer=_infer_accuracy,
    reference=lambda attrs, scores, labels: _np_accuracy(scores, labels),
    exact=_exact_accuracy,
    notation=lambda attrs, shapes_, s, t: _Accuracy(s, t),
    numpy="_np_accuracy({0}, {1}, {node})", helpers=(_np_accuracy, check_labels, first_bad),
    vjp=lambda b, node, ct, needs: [None, None],  # piecewise constant: no gradient
    test=TestSpec(inputs=(("float", (6, 3), -2.0, 2.0), ("labels", (6,), 3)), grad=False),
    doc="the fraction of rows of scores (C,) or (N, C) whose argmax is the label "
        "(integer labels, or rows such as one-hot); not differentiable"))


# ---- embedding: rows of a table picked by integer ids ------------------------------------
# Its gradient op, embedding_grad, stays beside it (as conv2d's do): both check the ids.

def check_ids(ids, rows, where=""):
    """Ids must lie in [0, rows); DomainError naming the first bad one, its index and the
    table size, after ``where`` (as ``check_labels``)."""
    ids = np.asarray(ids)
    if not ids.size or (ids.min() >= 0 and ids.max() < rows):
        return
    bad = (ids < 0) | (ids >= rows)
    first, at = first_bad(ids, bad)
    raise DomainError(f"{where}embedding: id {first} is out of range [0, {rows}){at} for a "
                      f"table of {rows} rows ({int(np.sum(bad))} bad ids)")


def _infer_embedding(attrs, args):
    table, ids = args
    shapes.require_float(table, "embedding")
    if len(table.shape) != 2 or ids.dtype not in shapes.INTS:
        raise ShapeError(f"embedding of table {shapes.describe(table)} ({table.dtype}) and "
                         f"ids {shapes.describe(ids)} ({ids.dtype}): the table must be "
                         f"(V, D) floats and the ids integers (int64) of any shape")
    return tuple(ids.shape) + (table.shape[1],), table.dtype


def _np_embedding(table, ids, where=""):
    """The rows of ``table`` at ``ids``: (*ids.shape, D)."""
    check_ids(ids, np.shape(table)[0], where)
    return np.asarray(table)[ids]


def _np_embedding_grad(ct, ids, like, where=""):
    """ct's rows added into zeros like the table at ``ids``; a repeated id sums its rows."""
    rows, width = np.shape(like)
    check_ids(ids, rows, where)
    ct = np.asarray(ct)
    out = np.zeros((rows, width), dtype=ct.dtype)
    np.add.at(out, np.ravel(ids), np.reshape(ct, (-1, width)))
    return out


def _exact_embedding_grad(attrs, ct, ids, like):
    """The same sums of SymPy numbers, from SymPy zeros."""
    rows, width = np.shape(like)
    ids = np.asarray(ids).astype(np.int64)
    check_ids(ids, rows)
    out = np.full((rows, width), sp.S.Zero, dtype=object)
    np.add.at(out, np.ravel(ids), np.reshape(np.asarray(ct, dtype=object), (-1, width)))
    return out


def _infer_embedding_grad(attrs, args):
    ct, ids, like = args
    expected = tuple(ids.shape) + (like.shape[-1],) if like.shape else None
    if len(like.shape) != 2 or tuple(ct.shape) != expected or ids.dtype not in shapes.INTS:
        raise ShapeError(f"embedding_grad of {shapes.describe(ct)}: ids "
                         f"{shapes.describe(ids)} ({ids.dtype}) and table "
                         f"{shapes.describe(like)} do not fit (ct must be (*ids, D))")
    return tuple(like.shape), shapes.float_of(ct.dtype)


_Embedding = notation.named("embedding", 2, lambda ranks: ranks[1] + 1)


_EmbeddingGrad = notation.named("embedding_grad", 2, lambda ranks: 2)


register(OpDef(
    name="embedding", family="nn", arity=2, nondiff=(1,), infer=_infer_embedding,
    rules=("d {0}[{1}]/d{0} = ct's rows added into zeros like {0} at the ids",),
    reference=lambda attrs, table, ids: _np_embedding(table, ids),
    exact=lambda attrs, table, ids: _np_embedding(table, np.asarray(ids).astype(np.int64)),
    numpy="_np_embedding({0}, {1}, {node})", helpers=(_np_embedding, check_ids, first_bad),
    notation=lambda attrs, shapes_, table, ids: _Embedding(table, ids),
    vjp=lambda b, node, ct, needs: [
        b.op("embedding_grad", ct, node.operands[1], node.operands[0]), None],
    test=TestSpec(inputs=(("float", (5, 3), -2.0, 2.0), ("labels", (2, 4), 5))),
    doc="the rows of table (V, D) at integer ids of any shape: (*ids.shape, D); the "
        "gradient adds ct's rows into the table's, a repeated id summing them"))

register(OpDef(
    name="embedding_grad", family="nn", arity=3, nondiff=(1, 2),
    infer=_infer_embedding_grad,
    rules=("d embedding_grad({0})/d{0} = embedding(ct, ids): the rows read back",),
    reference=lambda attrs, ct, ids, like: _np_embedding_grad(ct, ids, like),
    exact=_exact_embedding_grad,
    numpy="_np_embedding_grad({0}, {1}, {2}, {node})",
    helpers=(_np_embedding_grad, check_ids, first_bad),
    notation=lambda attrs, shapes_, ct, ids, like: _EmbeddingGrad(ct, ids),
    vjp=lambda b, node, ct, needs: [b.op("embedding", ct, node.operands[1]), None, None],
    test=TestSpec(inputs=(("float", (2, 4, 3), -2.0, 2.0), ("labels", (2, 4), 5),
                          ("float", (5, 3), -2.0, 2.0))),
    doc="embedding's gradient: ct (*ids, D) added row by row into zeros like the table "
        "(V, D) at the ids (np.add.at), a repeated id summing its rows"))
