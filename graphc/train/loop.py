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
from ..errors import FeedError, GraphcError, SettingError
from ..files import write_atomic
from ..graph import Node
from . import settings
from .optim import SGD, clip_grad_norm
from .stopping import Stopping, Validation


class History:
    """What ``gc.train`` did: ``losses`` (the mean loss of each epoch), ``params`` (the
    final values, ``{name: array}``), ``lrs`` (the rate of each epoch); with validation
    data ``validation_losses``, ``validation_accuracies`` (None entries when the loss is no
    ``cross_entropy``), ``best_epoch`` and ``best_params`` (the lowest validation loss);
    ``stopped`` (why training ended) and ``epochs`` (how many ran).

    >>> h.plot("out/loss.png")                                    # doctest: +SKIP
    """

    def __init__(self, losses, params, *, lrs=(), validation_losses=(),
                 validation_accuracies=(), best_epoch=None, best_params=None, stopped=None):
        self.losses, self.params, self.lrs = list(losses), dict(params), list(lrs)
        self.validation_losses = list(validation_losses)
        self.validation_accuracies = list(validation_accuracies)
        self.best_epoch, self.best_params = best_epoch, best_params
        self.epochs = len(self.losses)
        self.stopped = stopped or f"ran all {self.epochs} epochs"

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
        mean loss of each epoch over whole-numbered epochs, and the validation loss beside
        it when there is one, on a log axis if ``log``."""
        try:
            from matplotlib.figure import Figure
            from matplotlib.ticker import MaxNLocator
        except ImportError:
            raise GraphcError("History.plot and History.figure draw with matplotlib, which "
                              "is not installed: pip install graphc[plot]") from None
        fig = Figure(figsize=(5, 3.5))
        ax = fig.subplots()
        marker = "." if len(self.losses) < 50 else None
        ax.plot(range(1, len(self.losses) + 1), self.losses, marker=marker, label="training")
        if self.validation_losses:
            ax.plot(range(1, len(self.validation_losses) + 1), self.validation_losses,
                    marker=marker, label="validation")
            ax.legend()
        ax.set(xlabel="epoch", ylabel="mean loss",
               title="training and validation loss" if self.validation_losses else
               "training loss")
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
        if self.validation_losses:
            last += f", last validation loss {self.validation_losses[-1]:.6g}"
        return f"<History: {len(self.losses)} epochs{last}>"


def minibatches(n, batch_size, rng):
    """Index arrays of one epoch: a shuffled cover of ``range(n)``, each sample once, in
    batches of ``batch_size`` (the last may be smaller); None or >= n: one batch, in order.

    >>> [b.tolist() for b in minibatches(5, 2, np.random.default_rng(0))]  # doctest: +SKIP
    [[4, 2], [1, 3], [0]]
    """
    settings.whole("train", "batch_size", batch_size, optional=True)
    if batch_size is None or batch_size >= n:
        return [np.arange(n)]
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def train(loss, params, data, epochs=10, batch_size=None, lr=0.1, momentum=0.0, seed=0,
          progress=None, optimizer=None, *, validation=None, patience=None, tol=None,
          clip_norm=None, weight_decay=0.0):
    """Minimize the scalar node ``loss`` over ``params`` by minibatch gradient descent.

    ``params`` is ``{name: starting value}`` (``g.initial_params(seed)``); ``data`` feeds
    every input: arrays of inputs whose first dimension is named (``("N", 4)``) share that
    batch axis and are shuffled each epoch (``numpy.random.default_rng(seed)``) and cut
    into batches of ``batch_size`` (None: the full batch); other inputs are fed whole.
    ``optimizer`` (with ``step(params, grads)``) replaces ``SGD(lr, momentum,
    weight_decay)``; ``lr`` may be a schedule (epoch -> rate). ``clip_norm`` clips the
    gradients' global norm before each step. ``validation`` (a dict like ``data``) is
    evaluated after each epoch; ``patience``, ``tol``: see README "## Training". tqdm
    shows a bar if ``progress`` (None: stderr is a terminal). The module's doctest shows a
    call."""
    names = list(params)
    run = _compile(loss, names)
    batched, n = _batched(loss.graph, data, names)
    data, params, batched = _checked(run, data, params, batched)
    clip_norm = settings.positive("train", "clip_norm", clip_norm, optional=True)
    call, optimizer, clip_norm = _stepping(run, names, optimizer, lr, momentum,
                                           weight_decay, clip_norm)
    rng, order = np.random.default_rng(seed), [name for name, _, _ in run.inputs]
    stopping = Stopping(patience, tol, validation is not None)
    record, bar = _Record(loss, validation, stopping, params), _bar(epochs, progress)
    try:
        for epoch in range(epochs):
            getattr(optimizer, "start_epoch", lambda epoch: None)(epoch)
            total = 0.0
            for idx in minibatches(n, batch_size, rng):
                feeds = {**data, **{k: v[idx] for k, v in batched.items()}, **params}
                value, *grads = call(*[feeds[name] for name in order])
                total += float(value) * len(idx)
                params = optimizer.step(params, _clipped(names, grads, clip_norm))
            if record.epoch(total / n, params, optimizer, bar):
                break
    finally:
        if bar is not None:
            bar.close()
    return record.history(params)


def _clipped(names, grads, clip_norm):
    """The step's gradients by name, their global norm clipped to ``clip_norm`` if given."""
    grads = dict(zip(names, grads))
    return grads if clip_norm is None else clip_grad_norm(grads, clip_norm)[0]


class _Record:
    """The History being written, epoch by epoch, with the validation and stopping."""

    def __init__(self, loss, validation, stopping, params):
        self.validate = None if validation is None else Validation(loss, validation)
        if self.validate is not None:
            self.validate.check(params)
        self.stopping = stopping
        self.losses, self.lrs, self.val_losses, self.val_accs = [], [], [], []
        self.best_params, self.best_epoch, self.stopped = None, None, None

    def epoch(self, loss, params, optimizer, bar):
        """Record one epoch; True when training should stop."""
        validate, stopping = self.validate, self.stopping
        self.losses.append(loss)
        self.lrs.append(getattr(optimizer, "lr", None))
        shown = {"loss": f"{loss:.4g}"}
        val = None
        if validate is not None:
            val, acc = validate(params)
            self.val_losses.append(val)
            self.val_accs.append(acc)
            shown["val"] = f"{val:.4g}"
        self.stopped = stopping.update(len(self.losses), self.losses, val)
        if validate is not None and stopping.best_epoch == len(self.losses):
            self.best_params, self.best_epoch = dict(params), stopping.best_epoch
        if bar is not None:
            bar.update(1)
            bar.set_postfix(**shown)
        return self.stopped is not None

    def history(self, params):
        extra = {"lrs": self.lrs, "validation_losses": self.val_losses,
                 "validation_accuracies": self.val_accs, "best_epoch": self.best_epoch,
                 "best_params": self.best_params}
        if self.stopped is not None:
            extra["stopped"] = f"{self.stopped}, after epoch {len(self.losses)}"
        return History(self.losses, params, **extra)


def _stepping(run, names, optimizer, lr, momentum, weight_decay, clip_norm):
    """How each step computes (from arrays in INPUTS order), the optimizer, and the
    clip_norm the loop still applies (the built-in SGD clips itself). SGD makes
    new arrays of the parameters' dtype, so it gets the unchecked path; a user's optimizer
    may hand back lists or other dtypes, or change a gradient in place (which could share
    memory with the data there), so it gets the checked call."""
    if optimizer is None:
        return run.unchecked, SGD(names, lr=lr, momentum=momentum,
                                  weight_decay=weight_decay, clip_norm=clip_norm), None
    if weight_decay:
        raise SettingError("train: weight_decay= sets the built-in SGD's decay; with "
                         "optimizer= give weight_decay to the optimizer instead")
    order = [name for name, _, _ in run.inputs]
    return (lambda *arrays: run(**dict(zip(order, arrays)))), optimizer, clip_norm


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
