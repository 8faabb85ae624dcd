"""More reductions: max, min, var, std, logsumexp and prod (whole, or along axes, with
keepdims), and the ops only their gradients create (tie_share, prod_others, prod_pairs).

Gradient rules (ct broadcast back over the reduced axes; n the number reduced):
  max, min:  ct * tie_share(x, out): the gradient goes to every element equal to the max
             (min), divided by their count; ties share it evenly, as PyTorch's amax does
  var:       ct * 2 (x - mean(x)) / (n - ddof)
  std:       ct * (x - mean(x)) / ((n - ddof) std)   (nan where std is 0, as in PyTorch)
  logsumexp: ct * exp(x - out) = ct * softmax(x), stable: x - out <= 0
  prod:      ct * prod_others(x): the product of the other elements, by products of the
             elements before and after each one, so a zero is right without dividing;
             prod_others' own gradient is prod_pairs (not differentiable: no third)
"""

import numpy as np
import sympy as sp

from ..errors import ShapeError
from .. import shapes
from . import notation
from .reduce import notation_reduce, prepare_reduce, reduced, spread
from .registry import OpDef, TestSpec, register

_MATRIX = (("float", (3, 4), -2.0, 2.0),)


def _prepare(attrs, args, op):
    """axis/keepdims as for sum, and ddof (var and std only) checked."""
    out = prepare_reduce(attrs, args, op)
    if op in ("var", "std"):
        out["ddof"] = _checked_ddof(attrs.get("ddof", 0), out["axes"], args[0], op)
    return out


def _checked_ddof(ddof, axes, x, op):
    if shapes.integer(ddof) is None or ddof < 0:
        raise ShapeError(f"{op} of {shapes.describe(x)}: ddof must be a non-negative int "
                         f"(0: NumPy's default, 1: PyTorch's unbiased default), got {ddof!r}")
    dims = [x.shape[a] for a in axes]
    if all(isinstance(d, int) for d in dims) and int(np.prod(dims)) - ddof <= 0:
        raise ShapeError(f"{op} of {shapes.describe(x)} over axis {axes}: ddof={ddof} leaves "
                         f"no degrees of freedom ({int(np.prod(dims))} elements)")
    return int(ddof)


def _infer(attrs, args, op):
    """max, min and prod keep the dtype (of integers too, as NumPy); var, std and
    logsumexp give floats, as mean does."""
    x = args[0]
    dtype = x.dtype if op in ("max", "min", "prod") else shapes.float_of(x.dtype)
    return reduced(x.shape, attrs["axes"], attrs["keepdims"]), dtype


def _kw(attrs):
    return {"axis": attrs["axes"], "keepdims": attrs["keepdims"]}


# ---- max and min: ties share the gradient -----------------------------------------------

def _vjp_extreme(b, node, ct, needs):
    x, a = node.operands[0], node.attrs
    share = b.op("tie_share", x, node, axes=a["axes"], keepdims=a["keepdims"])
    return [share * spread(b, node, ct)]


# ---- var and std: built from mean and count, so second derivatives follow ----------------

def _centred_over(b, node):
    """(x - mean(x), n - ddof) for var's and std's gradients."""
    x, a = node.operands[0], node.attrs
    centred = x - b.op("mean", x, axes=a["axes"], keepdims=True)
    n = b.op("count", x, axes=a["axes"])
    return centred, (n - a["ddof"] if a["ddof"] else n)


def _vjp_var(b, node, ct, needs):
    centred, dof = _centred_over(b, node)
    return [centred * spread(b, node, ct) * (2.0 / dof)]


def _vjp_std(b, node, ct, needs):
    centred, dof = _centred_over(b, node)
    return [centred * spread(b, node, ct / node) / dof]


def _exact_var(attrs, x):
    x = np.asarray(x, dtype=object)
    axes = attrs["axes"]
    n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    centred = x - np.sum(x, axis=axes, keepdims=True) / sp.Integer(n)
    total = np.sum(centred * centred, axis=axes, keepdims=attrs["keepdims"])
    return np.asarray(total / sp.Integer(n - attrs["ddof"]), dtype=object)


# ---- logsumexp: the max subtracted -------------------------------------------------------

def _np_logsumexp(x, axis, keepdims):
    """log(sum(exp(x))) over axis, the max subtracted first so 1000 stays finite (a max of
    +-inf is left out of the shift, so all -inf gives -inf, not nan)."""
    x = np.asarray(x)
    m = x.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else out.squeeze(axis=axis)


def _vjp_logsumexp(b, node, ct, needs):
    x = node.operands[0]
    return [b.op("exp", x - spread(b, node, node)) * spread(b, node, ct)]


def _exact_logsumexp(attrs, x):
    total = np.sum(notation.emap(sp.exp, x), **_kw(attrs))
    return np.asarray(notation.emap(sp.log, total), dtype=object)


# ---- prod: exact at zeros ----------------------------------------------------------------

def _vjp_prod(b, node, ct, needs):
    x = node.operands[0]
    return [b.op("prod_others", x, axes=node.attrs["axes"]) * spread(b, node, ct)]


def _notation(name, attrs, operand_shapes, x):
    if name in ("var", "std") and not operand_shapes[0]:
        return sp.Integer(0)  # a number does not vary
    return notation_reduce(name, attrs, operand_shapes, x)


_SPECS = {
    "max": (np.max, _vjp_extreme, lambda attrs, x: np.max(x, **_kw(attrs)),
            "d max({0})/d{0} = ct * tie_share({0}, {out})",
            "the largest element, or along axis; the gradient goes to every element equal "
            "to the max, divided by their count (ties share it evenly, as PyTorch's amax "
            "does; torch.max(x, dim) gives it to one index)"),
    "min": (np.min, _vjp_extreme, lambda attrs, x: np.min(x, **_kw(attrs)),
            "d min({0})/d{0} = ct * tie_share({0}, {out})",
            "the smallest element, or along axis; ties share the gradient evenly, as "
            "PyTorch's amin does"),
    "var": (np.var, _vjp_var, _exact_var,
            "d var({0})/d{0} = ct * 2 ({0} - mean({0})) / (n - ddof)",
            "the variance, or along axis, divided by n - ddof: ddof=0 (the default) as "
            "NumPy; PyTorch's torch.var is unbiased by default, ddof=1 (correction=1)"),
    "std": (np.std, _vjp_std,
            lambda attrs, x: notation.emap(sp.sqrt, _exact_var(attrs, x)),
            "d std({0})/d{0} = ct * ({0} - mean({0})) / ((n - ddof) {out})",
            "the standard deviation, sqrt(var) with var's ddof (0 as NumPy; PyTorch's "
            "default is ddof=1); its gradient is nan where std is 0, as in PyTorch"),
    "logsumexp": (_np_logsumexp, _vjp_logsumexp, _exact_logsumexp,
                  "d logsumexp({0})/d{0} = ct * exp({0} - {out})",
                  "log(sum(exp(x))), or along axis, stable (the max subtracted): logits of "
                  "1000 give a finite value; its gradient is softmax(x) * ct"),
    "prod": (np.prod, _vjp_prod, lambda attrs, x: np.prod(x, **_kw(attrs)),
             "d prod({0})/d{0} = ct * prod_others({0})",
             "the product of the elements, or along axis; the gradient at each element is "
             "the product of the others (right at zeros: no division); its second derivative "
             "too, but not its third"),
}


def _numpy(name):
    ddof = ", ddof={ddof}" if name in ("var", "std") else ""
    if name == "logsumexp":
        return "_np_logsumexp({0}, axis={axes}, keepdims={keepdims})"
    return f"{{0}}.{name}(axis={{axes}}, keepdims={{keepdims}}{ddof})"  # the method: quicker


def _define(name, reference, vjp, exact, rule, doc):
    stats = name in ("var", "std")
    register(OpDef(
        name=name, family="reduce", arity=1,
        attrs=("axis", "keepdims", "axes") + (("ddof",) if stats else ()),
        prepare=lambda attrs, args: _prepare(attrs, args, name),
        infer=lambda attrs, args: _infer(attrs, args, name),
        reference=lambda attrs, x: reference(x, **_kw(attrs),
                                             **({"ddof": attrs["ddof"]} if stats else {})),
        notation=lambda attrs, shapes_, x: _notation(name, attrs, shapes_, x),
        exact=exact, vjp=vjp, rules=(rule,), numpy=_numpy(name),
        helpers=(_np_logsumexp,) if name == "logsumexp" else (),
        test=TestSpec(inputs=_MATRIX, attrs={"axis": 1, "keepdims": name != "prod",
                                             **({"ddof": 1} if name == "std" else {})},
                      ),
        doc=doc))


for _name, _spec in _SPECS.items():
    _define(_name, *_spec)


# ---- the ops only these gradients create -------------------------------------------------

def _np_tie_share(x, m, axes, keepdims):
    """1/count at each element equal to its max (or min) m over axes, else 0."""
    if not keepdims:
        m = np.expand_dims(m, axes)
    hits = (x == m).astype(x.dtype)
    return hits / hits.sum(axis=axes, keepdims=True)


def _exact_tie_share(attrs, x, m):
    if not attrs["keepdims"]:
        m = np.expand_dims(np.asarray(m, dtype=object), attrs["axes"])
    hits = notation.emap(lambda a, top: sp.Integer(1 if a == top else 0), x, m)
    return hits / np.sum(hits, axis=attrs["axes"], keepdims=True)


def _infer_tie_share(attrs, args):
    return tuple(args[0].shape), args[0].dtype


_TieShare = notation.named("tie_share", 2, lambda ranks: ranks[0])

register(OpDef(
    name="tie_share", family="reduce", arity=2, attrs=("axes", "keepdims"), nondiff=(0, 1),
    infer=_infer_tie_share,
    reference=lambda attrs, x, m: _np_tie_share(np.asarray(x), m, attrs["axes"],
                                                attrs["keepdims"]),
    notation=lambda attrs, shapes_, x, m: _TieShare(x, m), exact=_exact_tie_share,
    numpy="_np_tie_share({0}, {1}, axes={axes}, keepdims={keepdims})",
    helpers=(_np_tie_share,),
    vjp=lambda b, node, ct, needs: [None, None],  # piecewise constant: no gradient flows
    test=TestSpec(inputs=(("float", (3, 4), 1.0, 1.0), ("float", (3,), 1.0, 1.0)),
                  attrs={"axes": (1,), "keepdims": False}, grad=False),
    doc="where each element equals its max (min) over axes, 1 / their count, else 0: "
        "how max and min share their gradient among ties"))


def _moved(x, axes):
    """x with the reduced axes last, joined into one of n elements, and the axis order."""
    x = np.asarray(x)
    order = [a for a in range(x.ndim) if a not in axes] + list(axes)
    moved = np.transpose(x, order)
    return moved.reshape(moved.shape[:x.ndim - len(axes)] + (-1,)), moved.shape, order


def _np_prod_others(x, axes):
    """At each element, the product of the other elements over axes: the product of those
    before it times that of those after it (exclusive cumulative products), so a zero is
    right without dividing."""
    flat, shape, order = _moved(x, axes)
    ones = np.ones_like(flat[..., :1])
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)
    return np.transpose((before * after[..., ::-1]).reshape(shape), np.argsort(order))


def _np_prod_pairs(x, c, axes):
    """prod_others' gradient: at each element k, the sum over i != k of c_i times the
    product of the elements other than i and k. Row k of an (n, n) stack is x with x_k set
    to 1, whose prod_others holds those products: n^2 numbers, no division."""
    flat, shape, order = _moved(x, axes)
    cflat = _moved(np.broadcast_to(c, np.shape(x)), axes)[0]
    eye = np.eye(flat.shape[-1], dtype=bool)
    rows = np.where(eye, np.ones_like(flat[..., None, :]), flat[..., None, :])
    pairs = np.where(eye, 0, _np_prod_others(rows, (rows.ndim - 1,)))
    total = (pairs * cflat[..., None, :]).sum(axis=-1)
    return np.transpose(total.reshape(shape), np.argsort(order))


def _prepare_axes(attrs, args, op):
    return {"axes": shapes.normalize_axes(attrs.get("axes"), len(args[0].shape), op,
                                          args[0])}


_ProdOthers = notation.named("prod_others", 1)
_ProdPairs = notation.named("prod_pairs", 2, lambda ranks: ranks[0])

register(OpDef(
    name="prod_others", family="reduce", arity=1, attrs=("axes",),
    prepare=lambda attrs, args: _prepare_axes(attrs, args, "prod_others"),
    infer=_infer_tie_share,
    reference=lambda attrs, x: _np_prod_others(x, attrs["axes"]),
    notation=lambda attrs, shapes_, x: _ProdOthers(x),
    numpy="_np_prod_others({0}, axes={axes})", helpers=(_moved, _np_prod_others),
    vjp=lambda b, node, ct, needs: [
        b.op("prod_pairs", node.operands[0], ct, axes=node.attrs["axes"])],
    rules=("d prod_others({0})/d{0} = prod_pairs({0}, ct)",),
    test=TestSpec(inputs=_MATRIX, attrs={"axes": (1,)}, second=False),
    doc="the product of the other elements over axes, at each element (prod's gradient); "
        "its second derivative (prod's third) is not available: prod_pairs has none"))

register(OpDef(
    name="prod_pairs", family="reduce", arity=2, attrs=("axes",),
    prepare=lambda attrs, args: _prepare_axes(attrs, args, "prod_pairs"),
    infer=_infer_tie_share,
    reference=lambda attrs, x, c: _np_prod_pairs(x, c, attrs["axes"]),
    notation=lambda attrs, shapes_, x, c: _ProdPairs(x, c),
    numpy="_np_prod_pairs({0}, {1}, axes={axes})",
    helpers=(_moved, _np_prod_others, _np_prod_pairs),
    vjp=None,
    test=TestSpec(inputs=_MATRIX * 2, attrs={"axes": (1,)}, grad=False),
    doc="prod_others' gradient: at each element k, sum over i != k of ct_i times the "
        "product of the elements other than i and k; not differentiable (prod's third "
        "derivative is not available)"))
