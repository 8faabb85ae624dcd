"""``gc.train``: minibatch gradient descent with the generated code, and its History.

The loss and its gradients are compiled once (``gc.compile``), on a copy of the graph, so
training adds no gradient nodes to the user's graph; the data and the starting parameters
are checked once, and with the built-in SGD every step takes the compiled function's
unchecked path.

>>> import graphc as gc
>>> g = gc.Graph("line")
>>> x, y, w = g.input("x", shape=("N",)), g.input("y", shape=("N",)), g.param("w")
>>> loss = gc.mse(w * x, y).named("loss")
>>> data = {"x": np.array([1.0, 2.0]), "y": np.array([2.0, 4.0])}
>>> h = gc.train(loss, g.initial_params(), data, epochs=50, progress=False)
>>> round(float(h.params["w"]), 3)
2.0
"""

import io
import sys

import numpy as np

from ..autodiff import grad
from ..compile import compile as compile_nodes
from ..errors import FeedError, GraphcError
from ..files import write_atomic
from ..graph import Node
from .optim import SGD


class History:
    """What ``gc.train`` did: ``losses`` (the mean loss of each epoch) and ``params`` (the
    final values, ``{name: array}``).

    >>> h.plot("out/loss.png")                                    # doctest: +SKIP
    """

    def __init__(self, losses, params):
        self.losses = list(losses)
        self.params = dict(params)

    def plot(self, path, log=False):
        """Write a PNG of the loss curve to ``path`` (matplotlib: ``pip install
        graphc[plot]``), the loss axis logarithmic if ``log``; it goes to a temporary file
        first, renamed into place. Returns the path.

        >>> history.plot("loss.png", log=True)                    # doctest: +SKIP
        """
        fig = self.figure(log)
        return write_atomic(path, lambda f: fig.savefig(f, format="png"))

    def figure(self, log=False):
        """The loss curve as a matplotlib ``Figure`` (it shows itself in a notebook): the
        mean loss of each epoch over whole-numbered epochs, on a log axis if ``log``."""
        try:
            from matplotlib.figure import Figure
            from matplotlib.ticker import MaxNLocator
        except ImportError:
            raise GraphcError("History.plot and History.figure draw with matplotlib, which "
                              "is not installed: pip install graphc[plot]") from None
        fig = Figure(figsize=(5, 3.5))
        ax = fig.subplots()
        ax.plot(range(1, len(self.losses) + 1), self.losses, marker="." if
                len(self.losses) < 50 else None)
        ax.set(xlabel="epoch", ylabel="mean loss", title="training loss")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 2.5
        if log:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        return fig

    def _repr_png_(self):
        """The loss curve inline in a notebook; None (the text only) without matplotlib."""
        try:
            fig = self.figure()
        except GraphcError:
            return None
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata={"Software": None})
        return out.getvalue()

    def __repr__(self):
        last = f", last loss {self.losses[-1]:.6g}" if self.losses else ""
        return f"<History: {len(self.losses)} epochs{last}>"


def minibatches(n, batch_size, rng):
    """Index arrays of one epoch: a shuffled cover of ``range(n)``, each sample once, in
    batches of ``batch_size`` (the last may be smaller); None or >= n: one batch, in order.

    >>> [b.tolist() for b in minibatches(5, 2, np.random.default_rng(0))]  # doctest: +SKIP
    [[4, 2], [1, 3], [0]]
    """
    if batch_size is not None and (isinstance(batch_size, bool) or int(batch_size) < 1):
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    if batch_size is None or batch_size >= n:
        return [np.arange(n)]
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def train(loss, params, data, epochs=10, batch_size=None, lr=0.1, momentum=0.0, seed=0,
          progress=None, optimizer=None):
    """Minimize the scalar node ``loss`` over ``params`` by minibatch gradient descent.

    ``params`` is ``{name: starting value}`` (``g.initial_params(seed)``); ``data`` feeds
    every input: arrays of inputs whose first dimension is named (``("N", 4)``) share that
    batch axis and are shuffled each epoch (``numpy.random.default_rng(seed)``) and cut
    into batches of ``batch_size`` (None: the full batch); other inputs are fed whole.
    ``optimizer`` (anything with ``step(params, grads)``) replaces ``SGD(lr, momentum)``.
    A tqdm bar shows when ``progress`` is True, or None and stderr is a terminal. The same
    arguments give the same History: ``losses`` (per epoch, the mean over the samples of
    the loss each batch had before its step) and the final ``params``.

    >>> h = gc.train(loss, g.initial_params(0), data, epochs=20, batch_size=4,
    ...              progress=False)                              # doctest: +SKIP
    """
    names = list(params)
    run = _compile(loss, names)
    batched, n = _batched(loss.graph, data, names)
    data, params, batched = _checked(run, data, params, batched)
    call, optimizer = _stepping(run, names, optimizer, lr, momentum)
    rng = np.random.default_rng(seed)
    order = [name for name, _, _ in run.inputs]
    losses, bar = [], _bar(epochs, progress)
    try:
        for _ in range(epochs):
            total = 0.0
            for idx in minibatches(n, batch_size, rng):
                feeds = {**data, **{k: v[idx] for k, v in batched.items()}, **params}
                value, *grads = call(*[feeds[name] for name in order])
                total += float(value) * len(idx)
                params = optimizer.step(params, dict(zip(names, grads)))
            losses.append(total / n)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{losses[-1]:.4g}")
    finally:
        if bar is not None:
            bar.close()
    return History(losses, params)


def _stepping(run, names, optimizer, lr, momentum):
    """How each step computes (from arrays in INPUTS order) and the optimizer. SGD makes
    new arrays of the parameters' dtype, so it gets the unchecked path; a user's optimizer
    may hand back lists or other dtypes, or change a gradient in place (which could share
    memory with the data there), so it gets the checked call."""
    if optimizer is None:
        return run.unchecked, SGD(names, lr=lr, momentum=momentum)
    order = [name for name, _, _ in run.inputs]
    return (lambda *arrays: run(**dict(zip(order, arrays)))), optimizer


def _checked(run, data, params, batched):
    """``data``, ``params`` and the ``batched`` entries of data, checked once as the
    compiled function's call checks them (names, shapes, dtypes), so that every step can
    take the unchecked path."""
    given = {**data, **params}
    arrays = dict(zip([name for name, _, _ in run.inputs], run.check(**given)))
    checked = {**{k: np.asarray(v) for k, v in given.items()}, **arrays}
    return ({k: checked[k] for k in data}, {k: checked[k] for k in params},
            {k: checked[k] for k in batched})


def _compile(loss, names):
    """The loss and its gradients by ``names``, compiled from a copy of the graph."""
    if not isinstance(loss, Node):
        raise TypeError(f"train takes the loss as a graph node, got {loss!r}")
    graph = loss.graph.copy()
    loss = Node(graph, loss.id)
    wrt = [graph.node(name) for name in names]
    return compile_nodes([loss] + grad(loss, wrt), unused="ignore")


def _batched(graph, data, names):
    """The entries of ``data`` with a batch axis (a named first dimension), and its size
    (1 when no entry has one: every step sees all the data)."""
    clash = sorted(set(data) & set(names))
    if clash:
        raise FeedError(f"train: {clash} given both as data and as params")
    batched = {}
    for key, value in data.items():
        shape = graph.node(key).shape
        if shape and isinstance(shape[0], str):
            batched[key] = np.asarray(value)
    sizes = {k: len(v) for k, v in batched.items()}
    if len(set(sizes.values())) > 1:
        raise FeedError(f"train: the batched inputs differ in length along axis 0: {sizes}")
    if 0 in sizes.values():
        raise FeedError(f"train: no samples to train on: {sizes}")
    return batched, next(iter(sizes.values()), 1)


def _bar(epochs, progress):
    """A tqdm progress bar over the epochs, or None."""
    if progress is None:
        progress = bool(getattr(sys.stderr, "isatty", lambda: False)())
    if not progress:
        return None
    from tqdm import tqdm
    return tqdm(total=epochs, desc="train", unit="epoch")
