"""The errors graphc raises.

Every error is a ``GraphcError``, and also the built-in exception that fits (``ValueError``
or ``TypeError``), so ``except ValueError`` keeps working for callers who do not know graphc.
Messages name the node (with ``repr()``), the op and every shape involved.
"""


class GraphcError(Exception):
    """Base class of every error graphc raises on purpose."""


class GraphError(GraphcError, ValueError):
    """The graph's structure is wrong: a cycle, an unknown op, a bad operand, a duplicate name."""


class ShapeError(GraphcError, ValueError):
    """Shapes do not fit an op.

    Carries what a diagram of the mistake needs: ``graph`` (the graph as built so far),
    ``op`` (the op that failed) and ``operands`` (the names of its operands).
    """

    def __init__(self, message, *, graph=None, op=None, operands=()):
        super().__init__(message)
        self.graph = graph
        self.op = op
        self.operands = tuple(operands)


class DTypeError(GraphcError, TypeError):
    """A dtype does not fit: an integer where a float is needed, an unknown dtype."""


class FeedError(GraphcError, ValueError):
    """A value fed to a graph at run time is missing, unknown or of the wrong shape."""


class DifferentiationError(GraphcError, ValueError):
    """A gradient cannot be taken: a non-scalar output, an op without a gradient."""


class SettingError(GraphcError, ValueError):
    """An option's value is outside what it accepts: an optimizer's ``betas``, a schedule's
    ``min_lr``, ``train``'s ``patience``. The message names the option and the value."""


class DomainError(GraphcError, ValueError):
    """A value is outside what an op accepts, such as a class label out of range."""


class ClaimError(GraphcError, ValueError):
    """A user's claim or value text is malformed, too large, or uses something not allowed."""


class ExactBudgetError(GraphcError, ArithmeticError):
    """An exact value grew past its budget (``graphc.symbolic.exact``): numbers are used."""


class NonFiniteError(GraphcError, FloatingPointError):
    """A node's value is nan or infinite where a finite check was asked for
    (``gc.compile(..., check_finite=True)``, ``gc.evaluate(..., check_finite=True)``)."""


def at_node(name, op, operands):
    """How a message names a node: ``node 'loss' (cross_entropy of 'z', 'y')``, from its
    name (None: ``cross_entropy of 'z', 'y'``), its op and its operands' names."""
    names = ", ".join(repr(n) for n in operands)
    what = f"{op} of {names}" if names else op
    return what if name is None else f"node {name!r} ({what})"
