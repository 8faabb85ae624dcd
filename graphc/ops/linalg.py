"""Linear algebra: matmul (vector, matrix, batch-by-matrix), outer, transpose.

Gradient rules, one identity each:
  vec . vec:      d(a.b)/da = ct * b                    d/db = ct * a
  mat @ vec:      d(A@b)/dA = outer(ct, b)              d/db = A.T @ ct
  vec @ mat:      d(a@B)/da = B @ ct                    d/dB = outer(a, ct)
  (...) @ (...):  d(A@B)/dA = ct @ B.T (summed to A)    d/dB = A.T @ ct (summed to B)
"""

import numpy as np
import sympy as sp

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
    pair = f"matmul of {shapes.describe(a)} and {shapes.describe(c)}"
    if ra == 0 or rc == 0:
        raise ShapeError(f"{pair}: matmul needs vectors or matrices; use * for scalars")
    if (ra >= 3 and rc == 1) or (ra == 1 and rc >= 3):
        raise ShapeError(f"{pair}: a batch times a vector is not supported; "
                         f"make the vector a (n, 1) matrix")
    inner_a, inner_c = a.shape[-1], c.shape[0 if rc == 1 else -2]
    if inner_a != inner_c:
        raise ShapeError(f"{pair}: inner dimensions {inner_a} and {inner_c} differ")
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
    name="matmul", family="linalg", arity=2, infer=_infer_matmul,
    notation=lambda attrs, shapes_, a, c: notation.MatMul(a, c),
    reference=lambda attrs, a, c: np.matmul(a, c), vjp=_vjp_matmul, numpy="{0} @ {1}",
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0), ("float", (4, 2), -2.0, 2.0))),
    doc="matrix product: vector . vector, matrix @ vector, vector @ matrix, "
        "(batch of) matrix @ matrix"))


def _infer_outer(attrs, args):
    u, v = args
    if len(u.shape) != 1 or len(v.shape) != 1:
        raise ShapeError(f"outer of {shapes.describe(u)} and {shapes.describe(v)}: "
                         f"both operands must be vectors")
    return (u.shape[0], v.shape[0]), shapes.promote(args, "outer")


register(OpDef(
    name="outer", family="linalg", arity=2, infer=_infer_outer,
    notation=lambda attrs, shapes_, u, v: notation.Outer(u, v),
    reference=lambda attrs, u, v: np.multiply.outer(u, v), numpy="np.multiply.outer({0}, {1})",
    # d outer(u, v)/du = ct @ v; d/dv = u @ ct
    vjp=lambda b, node, ct, needs: [
        ct @ node.operands[1] if needs[0] else None,
        node.operands[0] @ ct if needs[1] else None],
    test=TestSpec(inputs=(("float", (3,), -2.0, 2.0), ("float", (4,), -2.0, 2.0))),
    doc="outer product of two vectors: (m,) x (k,) -> (m, k)"))


def _prepare_transpose(attrs, args):
    ndim = len(args[0].shape)
    axes = attrs.get("axes")
    axes = tuple(reversed(range(ndim))) if axes is None else tuple(axes)
    if sorted(axes) != list(range(ndim)):
        raise ShapeError(f"transpose of {shapes.describe(args[0])}: axes {axes} are not "
                         f"a permutation of {tuple(range(ndim))}")
    return {"axes": axes}


def _notation_transpose(attrs, operand_shapes, x):
    axes = attrs["axes"]
    if axes == tuple(range(len(axes))):
        return x  # a vector or scalar "transposed"
    if len(axes) == 2:
        return notation.Transpose(x)
    return notation.Permute(x, sp.Tuple(*axes))


def _vjp_transpose(b, node, ct, needs):
    inverse = tuple(int(i) for i in np.argsort(node.attrs["axes"]))
    return [b.op("transpose", ct, axes=inverse)]  # d(x.T)/dx = ct.T


register(OpDef(
    name="transpose", family="shape", arity=1, attrs=("axes",), notation=_notation_transpose,
    prepare=_prepare_transpose,
    infer=lambda attrs, args: (tuple(args[0].shape[i] for i in attrs["axes"]),
                               args[0].dtype),
    reference=lambda attrs, x: np.transpose(x, attrs["axes"]), vjp=_vjp_transpose,
    numpy="np.transpose({0}, {axes})",
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),)),
    doc="permute axes; by default reverse them (x.T)"))
