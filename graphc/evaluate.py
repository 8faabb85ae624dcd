"""``gc.evaluate``: the value of nodes at a point, in numbers or exactly.

Numbers come from the reference interpreter, run on the graph as ``gc.compile`` optimises
it (``passes.optimize``: so ``bce(sigmoid(z), y)`` is computed from ``z`` and its gradient
as ``yhat - y``, as generated code computes them, finite for logits of any size); exact values
from ``graphc.symbolic``. ``graphc.interpret.reference`` gives the numbers of the graph as
written, with no rewrite: the oracle that generated code is tested against.
"""

from .errors import SettingError
from .interpret import nodes_of, numbers
from .passes import optimize
from .symbolic import exact_values, plain_feeds


def evaluate(nodes, at=None, exact=False, check_finite=False):
    """The value of a node (or a list of nodes) at the point ``at``.

    By default the reference interpreter computes it as a NumPy array. With ``exact=True``
    it is a SymPy expression, such as ``sigmoid(-1) - 1`` (``sp.Array`` for a tensor);
    floats in ``at`` are taken as the decimals they print as, so 0.1 is 1/10, and fractions
    and SymPy values (``sp.sqrt(2)/2``) as they are (numbers take them as floats). An exact
    value that grows past the budget of ``graphc.symbolic.exact`` raises ExactBudgetError.
    ``check_finite=True`` checks every float feed and node value, in order, and raises
    NonFiniteError (a FloatingPointError) naming the first that is nan or infinite, its op
    and its operands, as ``gc.compile(..., check_finite=True, opt=0)`` does: the graph is
    then run as opt=0 leaves it, every node its own (numbers only).

    >>> evaluate(loss, at={"x": [1, -1], "w": [1, 2], "y": 1})    # doctest: +SKIP
    array(1.31326169)
    >>> evaluate(dloss_dz, at={"x": [1, -1], "w": [1, 2], "y": 1}, exact=True)  # doctest: +SKIP
    -1 + sigmoid(-1)
    """
    single, nodes, graph = nodes_of(nodes, "evaluate")
    if not nodes:
        return []
    if exact and check_finite:
        raise SettingError("evaluate: check_finite=True checks numbers; it does not go with "
                           "exact=True")
    if exact:
        values = exact_values(nodes, at)
    else:
        ids = [n.id for n in nodes]
        run_on = optimize(graph, ids, opt=0 if check_finite else 1)  # opt=0: no node fused
        values = numbers(graph, ids, plain_feeds(at), run_on=run_on, check_finite=check_finite)
    return values[0] if single else values
