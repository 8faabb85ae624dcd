"""Naming the slip: which common mistake of hand backprop reproduces a wrong gradient claim.

``diagnose`` plants each slip in a backward pass of its own, on a copy of the graph, and
evaluates every pass at the claim's point (float64, ``graphc.interpret``). The slips, in
the order they are tried (named nodes before unnamed ones):

- the sign flipped (the minus of a gradient step taken into the gradient);
- a transpose in the wrong place (the true gradient transposed);
- sigmoid' written as sigma: the sigmoid's vjp giving ``ct * s`` for ``ct * s (1 - s)``;
- a local derivative left out: one edge's vjp passing its cotangent straight through;
- a fan-out sum left out: one path kept where a node feeds several;
- a mean taken as a sum (its 1/N forgotten): the true gradient times a vjp's count;
- the upstream gradient alone (d loss/d z claimed for d loss/d w1);
- the local derivative alone (d z/d w1 claimed for d loss/d w1).

The first whose value equals the claim (``np.allclose``) is named; none is when none does.
At most ``MAX_PASSES`` planted passes are built, fewer on a long path (``MAX_PLANTED``
nodes on paths in all), and no slip is sought past ``MAX_PATH`` nodes on the path, so the
cost is bounded on any graph.

>>> diagnose(work, loss.id, w1.id, -0.5, {"x1": 1, ...}, label="d loss/d w1")  # doctest: +SKIP
'your d loss/d w1 equals the true one without the factor d yhat/d z = yhat*(1 - yhat): ...'
"""

import numpy as np
import sympy as sp

from .. import ops
from ..autodiff import differentiate
from ..errors import GraphcError
from ..graph import Node, walk
from ..interpret import numbers
from ..symbolic import formulas

MAX_PASSES = 48
MAX_PLANTED = 2_000
MAX_PATH = 2_000
RTOL, ATOL = 1e-9, 1e-12
_CT, _S = sp.Symbol("ct"), sp.Symbol("s")


def diagnose(graph, of, wrt, claimed, at, index=None, label=None):
    """The slip that explains ``claimed`` (a number or array: a wrong d ``of``/d ``wrt``, of
    node ids, or its component ``index``) at the point ``at`` (numeric feeds), as a
    sentence starting "your {label} ..."; "" when no slip explains it. ``graph`` is not
    changed."""
    try:
        claimed = np.asarray(claimed, dtype=float)
        if len(walk.on_paths(graph, [wrt], of)) > MAX_PATH:
            return ""   # a slip in a chain this long names no step a student took
        return _Diagnosis(graph, of, wrt, at, index).explain(claimed, label)
    except (GraphcError, ArithmeticError, TypeError, ValueError):
        return ""  # a slip that cannot be evaluated here explains nothing


class _Diagnosis:
    """One copy of the graph: the true pass, the planted ones, their values at the point."""

    def __init__(self, graph, of, wrt, at, index):
        self.work = graph.copy()
        self.of, self.wrt, self.at, self.index = of, wrt, at, index
        self.true = differentiate(self.work, of, [wrt])
        self.path = sorted(walk.on_paths(self.work, [wrt], of), reverse=True)  # loss first
        self.forward = dict(zip(self.path, numbers(self.work, self.path, at, float64=True)))
        self.ids = []    # what each candidate's value is read from, by node id

    def explain(self, claimed, label):
        g = self.work
        label = label or f"d {g.record(self.of).name}/d {g.record(self.wrt).name}"
        candidates = self._candidates()
        values = numbers(g, self.ids, self.at, float64=True) if self.ids else []
        value_of = dict(zip(self.ids, values))
        truth = value_of[self.true.results[0]]
        found = []
        for rank, _, what, message in sorted(candidates, key=lambda c: (c[1][0], c[0], c[1][1])):
            value = what(truth, value_of)
            if value is None or _equal(self._pick(value), self._pick(truth)):
                continue    # this slip changes nothing at this point
            if _equal(self._pick(value), claimed):
                found.append((rank, message()))
            if found and (found[0][0] > 1 or len(found) == 2):
                break
        return self._sentence(label, found)

    def _sentence(self, label, found):
        """The first explanation; a second beside a sign or transpose, which at a point
        such as x2 = -1 can be the same number as another slip."""
        if not found:
            return ""
        said = f"your {label} {found[0][1]}"
        return said + (f"; or it {found[1][1]}" if len(found) == 2 and found[0][0] <= 1 else "")

    def _pick(self, value):
        """The claimed component of a value of ``wrt``'s shape."""
        if self.index is not None and value.shape == self.forward[self.wrt].shape:
            return value[self.index]
        return value

    def _read(self, v):
        self.ids.append(v)
        return lambda truth, value_of: value_of[v]

    def _planted(self, vjps, of=None):
        """The id of d ``of``/d ``wrt`` with ``vjps`` in place of those nodes' own."""
        return differentiate(self.work, self.of if of is None else of, [self.wrt],
                             vjps=vjps).results[0]

    def _candidates(self):
        """(rank, order, value from (truth, values by id), message) for each slip; they are
        tried by named nodes first (see _order), then rank, then nearness to the loss."""
        self.ids.append(self.true.results[0])
        found = [(0, (False, 0), lambda t, _: -t, self._sign),
                 (1, (False, 0), _transposed, self._transpose)]
        passes = [c for make in (self._sigmoids, self._locals, self._fan_outs, self._alone)
                  for c in make()]
        most = min(MAX_PASSES, MAX_PLANTED // max(len(self.path), 1))
        for rank, node, plant, message in passes[:most]:
            try:
                found.append((rank, self._order(node), self._read(plant()), message))
            except GraphcError:
                continue        # a slip that cannot be planted here
        found += [(rank, self._order(node), what, message)
                  for rank, node, what, message in self._counts() + self._upstreams()]
        return found

    def _order(self, v):
        """Named nodes first, then the nearest to the loss."""
        return (not self.work.record(v).named, self.path.index(v) if v in self.path else 0)

    def _name(self, v):
        return self.work.record(v).name

    # -- the slips: each yields (rank, node, how to build it, message) ---------------------

    def _sign(self):
        return ("has the wrong sign: the minus of a gradient step (w - lr * gradient) "
                "belongs to the step, not to the gradient")

    def _transpose(self):
        shape = self.forward[self.wrt].shape
        return (f"is the true one transposed: a gradient has the shape of what it is taken "
                f"with respect to, {shape} for {self._name(self.wrt)}, and a transpose in "
                f"its product is in the wrong place")

    def _sigmoids(self):
        for m in self.path:
            if self.work.record(m).op == "sigmoid":
                node = Node(self.work, m)
                yield (2, m, lambda m=m: self._planted({m: _sigmoid_as_sigma}),
                       lambda node=node: self._sigma_message(node))

    def _sigma_message(self, node):
        s, z = node.name, node.operands[0].name
        return (f"equals the true one with sigmoid'({z}) written as sigmoid({z}): "
                f"d {s}/d {z} is {s}*(1 - {s}), not {s}")

    def _locals(self):
        for m in self.path:
            node = Node(self.work, m)
            if node.op in walk.FED or node.op in ("const",):
                continue
            for k, operand in enumerate(node.operands):
                if operand.id in self.path and self._passes_through(node, operand):
                    yield (3, m, lambda m=m, k=k: self._planted({m: _through(m, k, self.work)}),
                           lambda node=node, k=k: self._local_message(node, k))

    def _passes_through(self, node, operand):
        out, into = self.forward[node.id].shape, self.forward[operand.id].shape
        try:
            return np.broadcast_shapes(out, into) == out and len(into) <= len(out)
        except ValueError:
            return False

    def _local_message(self, node, k):
        operand = node.operands[k]
        divisor = node.operands[1] if node.op == "div" and k == 0 else None
        if divisor is not None and divisor.op == "const" and divisor.shape == ():
            n = divisor.record.value.item()
            shown = f"{divisor.name} = {n:g}" if divisor.record.named else f"{n:g}"
            return (f"equals the true one times {n:g}: the 1/N ({shown}) that "
                    f"{node.name} divides by is forgotten, a mean taken as a sum")
        factor = f"d {node.name}/d {operand.name}"
        local = self._local_formula(node, k)
        factor += f" = {local}" if local is not None else ""
        whose = f"the {node.op}'s" if node.op != "elementwise" else f"{node.name}'s"
        return f"equals the true one without the factor {factor}: {whose} local derivative " \
               f"is missing"

    def _local_formula(self, node, k):
        """d node / d operand k, read from what the true pass sends back along that edge
        (linear in the node's upstream gradient), over the forward nodes' names."""
        c, total = self.true.contributions.get((node.id, k)), self.true.totals.get(node.id)
        if c is None or total is None or self.work.record(c).shape != ():
            return None
        t = sp.Symbol("upstream")
        try:
            f = formulas(self.work, [c], keep=set(self.path), given={total: t})[0]
            local = sp.factor_terms(sp.diff(f, t))
        except (GraphcError, TypeError, ValueError, AttributeError):
            return None
        return None if local.has(t) else local

    def _fan_outs(self):
        for u in self.path:
            edges = [(c, k) for c in self.work.users(u) if c in self.path
                     for k, o in enumerate(self.work.operands(c)) if o == u]
            if u == self.of or len(edges) < 2:
                continue
            for kept in edges:
                dropped = [e for e in edges if e != kept]
                yield (4, kept[0], lambda dropped=dropped: self._planted(_dropping(
                    dropped, self.work)), lambda u=u, kept=kept, edges=edges:
                    self._fan_out_message(u, kept, edges))

    def _fan_out_message(self, u, kept, edges):
        names = list(dict.fromkeys(self._name(c) for c, _ in edges))
        return (f"equals the true one along the path through {self._name(kept[0])} alone: "
                f"{self._name(u)} feeds {', '.join(names)}, and the fan-out sum over them "
                f"is missing")

    def _alone(self):
        for u in self.path:
            if u not in (self.of, self.wrt) and self.forward[u].shape == ():
                yield (7, u, lambda u=u: self._planted({}, of=u),
                       lambda u=u: self._alone_message(u))

    def _alone_message(self, u):
        up, loss = self._name(u), self._name(self.of)
        return (f"equals d {up}/d {self._name(self.wrt)} alone: the upstream gradient "
                f"d {loss}/d {up} is missing")

    def _counts(self):
        """A mean taken as a sum: the truth times the count a vjp on the path divides by."""
        counts = [v for v in self.true.added if self.work.record(v).op == "count"
                  and self.work.record(v).origin and self.work.record(v).origin[0][0]
                  in self.path]
        found = []
        for v in counts:
            m = self.work.record(v).origin[0][0]
            self.ids.append(v)
            found.append((5, m, lambda t, value_of, v=v: _times(t, value_of[v]),
                          lambda m=m, v=v: self._count_message(m, v)))
        return found

    def _count_message(self, m, v):
        n = int(numbers(self.work, [v], self.at, float64=True)[0])
        record = self.work.record(m)
        return (f"equals the true one times {n}: the 1/N (N = {n}) of the mean in "
                f"{record.name} ({record.op}) is forgotten, a mean taken as a sum")

    def _upstreams(self):
        found = []
        for u in self.path:
            total = self.true.totals.get(u)
            if u in (self.of, self.wrt) or total is None:
                continue
            found.append((6, u, self._read(total), lambda u=u: self._upstream_message(u)))
        return found

    def _upstream_message(self, u):
        up, loss = self._name(u), self._name(self.of)
        return (f"equals d {loss}/d {up}, the upstream gradient at {up}: the local factor "
                f"d {up}/d {self._name(self.wrt)} is missing")


def _equal(value, claimed):
    value = np.asarray(value, dtype=float)
    return value.shape == claimed.shape and bool(np.allclose(value, claimed, RTOL, ATOL))


def _times(truth, count):
    """The truth times a count other than 1 (a mean of one number is its sum)."""
    return None if float(count) == 1 else truth * float(count)


def _transposed(truth, _):
    return truth.T if truth.ndim == 2 else None


def _sigmoid_as_sigma(b, node, ct, needs):
    return [b.ew(_CT * _S, {_CT: ct, _S: node})]


def _through(m, k, graph):
    """Node ``m``'s vjp with what flows into operand ``k`` being its cotangent itself."""
    own = ops.get(graph.record(m).op).vjp

    def vjp(b, node, ct, needs):
        grads = list(own(b, node, ct, needs))
        grads[k] = b.sum_to(ct, node.operands[k])
        return grads
    return vjp


def _dropping(edges, graph):
    """Vjps for the consumers in ``edges`` ((node, slot)) that send nothing along them."""
    vjps = {}
    for c in dict.fromkeys(c for c, _ in edges):
        slots = {k for d, k in edges if d == c}
        own = ops.get(graph.record(c).op).vjp

        def vjp(b, node, ct, needs, own=own, slots=slots):
            needs = [n and k not in slots for k, n in enumerate(needs)]
            grads = list(own(b, node, ct, needs)) if any(needs) else [None] * len(needs)
            return [None if k in slots else g for k, g in enumerate(grads)]
        vjps[c] = vjp
    return vjps
