"""Linear algebra: matmul (vector, matrix, batch-by-matrix).

Gradient rules, one identity each:
  vec . vec:      d(a.b)/da = ct * b                    d/db = ct * a
  mat @ vec:      d(A@b)/dA = outer(ct, b)              d/db = A.T @ ct
  vec @ mat:      d(a@B)/da = B @ ct                    d/dB = outer(a, ct)
  (...) @ (...):  d(A@B)/dA = ct @ B.T (summed to A)    d/dB = A.T @ ct (summed to B)
The gradients' ``outer`` is in ``adjoint.py``, ``transpose`` in ``shape.py``.
"""

import numpy as np

from ..errors import ShapeError
from .. import shapes
from . import notation
from .registry import OpDef, TestSpec, register


def _swap(b, x):
    """x with its last two axes swapped (the matrix transpose of a batch)."""
    axes = list(range(len(x.shape)))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return b.op("transpose", x, axes=tuple(axes))


def _infer_matmul(attrs, args):
    a, c = args
    ra, rc = len(a.shape), len(c.shape)
    def pair():  # written only for an error: a deep net infers thousands of matmuls
        return f"matmul of {shapes.describe(a)} and {shapes.describe(c)}"
    if ra == 0 or rc == 0:
        raise ShapeError(f"{pair()}: matmul needs vectors or matrices; use * for scalars")
    if (ra >= 3 and rc == 1) or (ra == 1 and rc >= 3):
        raise ShapeError(f"{pair()}: a batch times a vector is not supported; "
                         f"make the vector a (n, 1) matrix")
    inner_a, inner_c = a.shape[-1], c.shape[0 if rc == 1 else -2]
    if inner_a != inner_c:
        raise ShapeError(f"{pair()}: inner dimensions {inner_a} and {inner_c} differ")
    dtype = shapes.promote(args, "matmul")
    if ra == 1 and rc == 1:
        return (), dtype
    if rc == 1:
        return (a.shape[0],), dtype
    if ra == 1:
        return (c.shape[1],), dtype
    batch = shapes.broadcast(
        [shapes.Arg(a.name, a.op, a.shape[:-2], a.dtype),
         shapes.Arg(c.name, c.op, c.shape[:-2], c.dtype)], "matmul (batch dimensions)")
    return batch + (a.shape[-2], c.shape[-1]), dtype


def _matmul_rules(attrs, operand_shapes):
    """The identities of ``_vjp_matmul``, one per arrangement."""
    ra, rc = (len(s) for s in operand_shapes)
    if ra == 1 and rc == 1:
        return ("d({0} @ {1})/d{0} = ct * {1}", "d({0} @ {1})/d{1} = ct * {0}")
    if rc == 1:
        return ("d({0} @ {1})/d{0} = outer(ct, {1})", "d({0} @ {1})/d{1} = {0}.T @ ct")
    if ra == 1:
        return ("d({0} @ {1})/d{0} = {1} @ ct", "d({0} @ {1})/d{1} = outer({0}, ct)")
    return ("d({0} @ {1})/d{0} = ct @ {1}.T", "d({0} @ {1})/d{1} = {0}.T @ ct")


def _vjp_matmul(b, node, ct, needs):
    a, c = node.operands
    ra, rc = len(a.shape), len(c.shape)
    if ra == 1 and rc == 1:
        rules = (lambda: ct * c, lambda: ct * a)
    elif rc == 1:
        rules = (lambda: b.op("outer", ct, c), lambda: _swap(b, a) @ ct)
    elif ra == 1:
        rules = (lambda: c @ ct, lambda: b.op("outer", a, ct))
    else:
        rules = (lambda: b.sum_to(ct @ _swap(b, c), a),
                 lambda: b.sum_to(_swap(b, a) @ ct, c))
    return [rule() if need else None for rule, need in zip(rules, needs)]


register(OpDef(
    name="matmul", family="linalg", arity=2, infer=_infer_matmul, rules=_matmul_rules,
    notation=lambda attrs, shapes_, a, c: notation.MatMul(a, c),
    reference=lambda attrs, a, c: np.matmul(a, c), vjp=_vjp_matmul, numpy="{0} @ {1}",
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0), ("float", (4, 2), -2.0, 2.0))),
    doc="matrix product: vector . vector, matrix @ vector, vector @ matrix, "
        "(batch of) matrix @ matrix"))
