"""Optimizers over dicts of arrays: SGD (momentum, weight decay), Adam, RMSprop, global
gradient-norm clipping, learning-rate schedules, and the perceptron rule and pocket
(from perceptron.py).

Parameter values live with the caller as ``{name: array}``; an optimizer returns a new dict
and never changes the caller's arrays. The update formulas are PyTorch's (torch.optim, the
pseudocode in each class's documentation), so a student can check one against the other.

>>> import graphc as gc
>>> opt = gc.optim.SGD(["w"], lr=0.5)
>>> opt.step({"w": np.array([1.0, 2.0])}, {"w": np.array([2.0, -2.0])})["w"]
array([0., 3.])
"""

import math

import numpy as np

from ..errors import DomainError, SettingError, ShapeError
from . import settings
from .perceptron import perceptron_update, pocket
from .schedules import CosineLR, ExponentialLR, InverseTimeLR, StepLR, constant

__all__ = ["SGD", "Adam", "RMSprop", "clip_grad_norm", "perceptron_update", "pocket", "StepLR",
           "ExponentialLR", "InverseTimeLR", "CosineLR", "constant"]


def clip_grad_norm(grads, max_norm):
    """``(clipped, total_norm)``: the gradients scaled so that their global L2 norm (all
    arrays together) is at most ``max_norm``, as ``torch.nn.utils.clip_grad_norm_``:
    ``coef = max_norm / (total_norm + 1e-6)``, applied only when ``coef < 1``.

    >>> clip_grad_norm({"w": np.array([3.0, 4.0])}, 1.0)[1]
    5.0
    """
    limit = settings.positive("clip_grad_norm", "clip_norm", max_norm)
    total = math.sqrt(sum(float(np.sum(np.square(g))) for g in grads.values()))
    coef = limit / (total + 1e-6)
    if coef >= 1:
        return dict(grads), total
    return {k: np.asarray(g) * coef for k, g in grads.items()}, total


class Optimizer:
    """What SGD, Adam and RMSprop share: the names they update, ``lr`` (a number, or a
    schedule ``epoch -> lr``; ``start_epoch(epoch)`` sets ``self.lr`` from it, and
    ``gc.train`` calls it before each epoch), L2 ``weight_decay`` (``g = g + wd * p``, as
    torch) and optional ``clip_norm`` (global norm clipping before the update)."""

    kind = "Optimizer"

    def __init__(self, params, lr, weight_decay=0.0, clip_norm=None):
        self.names = [p if isinstance(p, str) else p.name for p in params]
        self.schedule = lr if callable(lr) else None
        self.lr = settings.at_least(self.kind, "lr", lr(0) if callable(lr) else lr)
        self.weight_decay = settings.at_least(self.kind, "weight_decay", weight_decay)
        self.clip_norm = settings.positive(self.kind, "clip_norm", clip_norm, optional=True)
        self.state = {}  # name -> the buffers of that parameter, once a step has run

    def start_epoch(self, epoch):
        """Set ``self.lr`` to the schedule's rate for ``epoch`` (counted from 0); a no-op
        with a constant rate."""
        if self.schedule is not None:
            self.lr = settings.at_least(self.kind, f"lr at epoch {epoch}",
                                        self.schedule(epoch))

    def step(self, params, grads):
        """New parameter values after one step; ``grads`` is a dict by name, or a sequence
        in the order of ``self.names``.

        >>> SGD(["w"], lr=1).step({"w": np.ones(2)}, [np.ones(2)])["w"]
        array([0., 0.])
        """
        if not isinstance(grads, dict):
            grads = dict(zip(self.names, grads, strict=True))
        if self.clip_norm is not None:
            grads = {**grads, **clip_grad_norm({k: grads[k] for k in self.names},
                                               self.clip_norm)[0]}
        new = dict(params)
        for name in self.names:
            p, g = np.asarray(params[name]), np.asarray(grads[name])
            if p.shape != g.shape:
                raise ShapeError(f"{self.kind}: param {name!r} has shape {p.shape} but its "
                                 f"gradient has shape {g.shape}")
            if self.weight_decay:
                g = g + self.weight_decay * p
            state = self.state.setdefault(name, {})
            new[name] = (p - self.lr * self.direction(g, state)).astype(p.dtype, copy=False)
        return new

    def direction(self, g, state):
        """The step's direction for one parameter (its buffers in ``state``)."""
        raise NotImplementedError

    def __repr__(self):
        lr = self.schedule if self.schedule is not None else self.lr
        extra = "".join(f", {k}={v!r}" for k, v in self.settings().items())
        return f"{self.kind}({self.names}, lr={lr!r}{extra})"

    def settings(self):
        """The keyword settings that ``repr`` shows."""
        return {"weight_decay": self.weight_decay, "clip_norm": self.clip_norm}


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD``: ``g = g + weight_decay * p``;
    with momentum ``v = momentum * v + g`` (``v = g`` on the first step) and ``g = v``;
    then ``p = p - lr * g``.

    ``params`` names the parameters it updates (names or param nodes); ``step`` takes and
    returns dicts keyed by those names (other entries are passed through unchanged).

    >>> opt = SGD(["W1", "b1"], lr=0.1, momentum=0.9)             # doctest: +SKIP
    >>> params = opt.step(params, grads)                          # doctest: +SKIP
    """

    kind = "SGD"

    def __init__(self, params, lr=0.1, momentum=0.0, weight_decay=0.0, clip_norm=None):
        super().__init__(params, lr, weight_decay, clip_norm)
        settings.fraction("SGD", "momentum", momentum)
        self.momentum = float(momentum)

    @property
    def velocity(self):
        """name -> the momentum buffer v, once a step has run."""
        return {k: s["v"] for k, s in self.state.items() if "v" in s}

    def direction(self, g, state):
        if not self.momentum:
            return g
        v = state.get("v")
        state["v"] = g.copy() if v is None else self.momentum * v + g
        return state["v"]

    def settings(self):
        return {"momentum": self.momentum, **super().settings()}


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (L2 weight decay added to the gradient, not AdamW):
    ``m = b1*m + (1-b1)*g``, ``v = b2*v + (1-b2)*g**2`` (both from 0), at step t
    ``m_hat = m / (1 - b1**t)``, ``v_hat = v / (1 - b2**t)``, and
    ``p = p - lr * m_hat / (sqrt(v_hat) + eps)``.

    >>> Adam(["w"], lr=0.1).step({"w": np.ones(1)}, [np.array([5.0])])["w"]
    array([0.9])
    """

    kind = "Adam"

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 clip_norm=None):
        super().__init__(params, lr, weight_decay, clip_norm)
        if isinstance(betas, str) or not isinstance(betas, (tuple, list)) or \
                len(betas) != 2 or not all(0 <= settings.real(b) < 1 for b in betas):
            raise SettingError(f"Adam: betas must be two numbers in [0, 1), got {betas!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = settings.positive(self.kind, "eps", eps)

    def direction(self, g, state):
        b1, b2 = self.betas
        t = state["t"] = state.get("t", 0) + 1
        state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
        state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g * g
        m_hat, v_hat = state["m"] / (1 - b1 ** t), state["v"] / (1 - b2 ** t)
        return m_hat / (np.sqrt(v_hat) + self.eps)

    def settings(self):
        return {"betas": self.betas, "eps": self.eps, **super().settings()}


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop`` (not centered, no momentum):
    ``v = alpha*v + (1-alpha)*g**2`` (from 0), ``p = p - lr * g / (sqrt(v) + eps)``.

    >>> RMSprop(["w"], lr=0.01).step({"w": np.ones(1)}, [np.array([1.0])])["w"].round(6)
    array([0.9])
    """

    kind = "RMSprop"

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 clip_norm=None):
        super().__init__(params, lr, weight_decay, clip_norm)
        self.alpha = settings.fraction("RMSprop", "alpha", alpha)
        self.eps = settings.positive(self.kind, "eps", eps)

    def direction(self, g, state):
        state["v"] = self.alpha * state.get("v", 0.0) + (1 - self.alpha) * g * g
        return g / (np.sqrt(state["v"]) + self.eps)

    def settings(self):
        return {"alpha": self.alpha, "eps": self.eps, **super().settings()}
