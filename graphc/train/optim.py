"""Optimizers over dicts of arrays: SGD with momentum, and the perceptron rule and pocket
(from perceptron.py).

Parameter values live with the caller as ``{name: array}``; an optimizer returns a new dict
and never changes the caller's arrays.

>>> import graphc as gc
>>> opt = gc.optim.SGD(["w"], lr=0.5)
>>> opt.step({"w": np.array([1.0, 2.0])}, {"w": np.array([2.0, -2.0])})["w"]
array([0., 3.])
"""

import numpy as np

from ..errors import ShapeError
from .perceptron import perceptron_update, pocket  # noqa: F401 (gc.optim.*)


class SGD:
    """Stochastic gradient descent, with momentum as in PyTorch:
    ``v = momentum * v + g`` (``v = g`` on the first step), then ``p = p - lr * v``.

    ``params`` names the parameters it updates (names or param nodes); ``step`` takes and
    returns dicts keyed by those names (other entries are passed through unchanged).

    >>> opt = SGD(["W1", "b1"], lr=0.1, momentum=0.9)             # doctest: +SKIP
    >>> params = opt.step(params, grads)                          # doctest: +SKIP
    """

    def __init__(self, params, lr=0.1, momentum=0.0):
        self.names = [p if isinstance(p, str) else p.name for p in params]
        if not float(lr) >= 0:
            raise ValueError(f"SGD: lr must be >= 0, got {lr!r}")
        if not 0 <= float(momentum) < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        self.lr, self.momentum = float(lr), float(momentum)
        self.velocity = {}  # name -> the momentum buffer v, once a step has run

    def step(self, params, grads):
        """New parameter values after one step; ``grads`` is a dict by name, or a sequence
        in the order of ``self.names``.

        >>> SGD(["w"], lr=1).step({"w": np.ones(2)}, [np.ones(2)])["w"]
        array([0., 0.])
        """
        if not isinstance(grads, dict):
            grads = dict(zip(self.names, grads, strict=True))
        new = dict(params)
        for name in self.names:
            p, g = np.asarray(params[name]), np.asarray(grads[name])
            if p.shape != g.shape:
                raise ShapeError(f"SGD: param {name!r} has shape {p.shape} but its gradient "
                                 f"has shape {g.shape}")
            if self.momentum:
                v = self.velocity.get(name)
                g = g.copy() if v is None else self.momentum * v + g
                self.velocity[name] = g
            new[name] = (p - self.lr * g).astype(p.dtype, copy=False)
        return new

    def __repr__(self):
        return f"SGD({self.names}, lr={self.lr}, momentum={self.momentum})"

