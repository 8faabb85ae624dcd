"""Validation and stopping for ``gc.train``: the loss (and accuracy) on held-out data after
each epoch, early stopping by patience, and the tolerance on the training loss."""

import numpy as np

from ..compile import compile as compile_nodes
from ..errors import DomainError, FeedError, SettingError
from ..graph import Node
from . import settings


class Validation:
    """The loss on ``data`` (every input fed whole) for given params, compiled once from a
    copy of the graph; and the accuracy when the loss is ``cross_entropy(logits, target)``:
    the fraction of rows whose largest logit is the label (integer labels, or the largest
    entry of probability rows)."""

    def __init__(self, loss, data):
        if not isinstance(data, dict):
            raise FeedError(f"train: validation= takes a dict of inputs like data, got "
                            f"{type(data).__name__}")
        graph = loss.graph.copy()
        loss = Node(graph, loss.id)
        self.data = {k: np.asarray(v) for k, v in data.items()}
        outputs = [loss]
        self.target = None
        if loss.op == "cross_entropy" and loss.operands[1].role == "input":
            outputs.append(loss.operands[0])
            self.target = loss.operands[1].name
        self.run = compile_nodes(outputs, unused="ignore")

    def check(self, params):
        """The validation feeds checked (and run) once before training, so that a missing
        or misshapen entry, or a label out of range, is reported at once, as validation
        data, not after an epoch."""
        try:
            self.run.check(**self.data, **params)
            self.run(**self.data, **params)  # a label out of range shows only when run
        except FeedError as error:
            raise FeedError(f"train: validation data: {error}") from None
        except DomainError as error:
            raise DomainError(f"train: validation data: {error}") from None

    def __call__(self, params):
        """``(loss, accuracy)``; accuracy None when the loss is no classification loss."""
        values = self.run(**self.data, **params)
        if self.target is None:
            return float(values[0]), None
        logits, target = np.asarray(values[1]), self.data[self.target]
        labels = target if target.ndim < logits.ndim else target.argmax(axis=-1)
        return float(values[0]), float(np.mean(logits.argmax(axis=-1) == labels))


class Stopping:
    """When to stop. With ``patience``: after ``patience`` epochs in a row whose validation
    loss is not below the reference by more than ``tol`` (None: 0); the reference is the
    loss of the last such improvement, as PyTorch Lightning's EarlyStopping ``min_delta``
    (so many small steps down still add up to an improvement). Without ``patience``,
    ``tol`` stops once the training loss changes by less than ``tol`` between epochs.

    ``update`` returns the reason to stop, or None; ``best_epoch`` (1-based) is always the
    epoch of the lowest validation loss seen, whether or not it beat the reference by
    ``tol``."""

    def __init__(self, patience=None, tol=None, validated=False):
        patience = settings.whole("train", "patience", patience, optional=True)
        if patience is not None and not validated:
            raise SettingError(f"train: patience={patience!r} counts epochs without "
                               f"improvement of the validation loss: give validation= "
                               f"data too")
        tol = settings.at_least("train", "tol", tol, optional=True)
        self.patience, self.tol = patience, tol
        self.best, self.best_epoch = np.inf, None
        self.reference, self.waited = np.inf, 0

    def update(self, epoch, losses, validation_loss=None):
        """After ``epoch`` (1-based) with the training ``losses`` so far."""
        if validation_loss is not None:
            if validation_loss < self.best:
                self.best, self.best_epoch = validation_loss, epoch
            if validation_loss < self.reference - (self.tol or 0.0):
                self.reference, self.waited = validation_loss, 0
            else:
                self.waited += 1
            if self.patience is not None and self.waited >= self.patience:
                return (f"early stopping: the validation loss did not improve by more than "
                        f"{self.tol or 0:g} for {self.patience} epochs (best at epoch "
                        f"{self.best_epoch})")
        if self.patience is None and self.tol is not None and len(losses) > 1:
            change = abs(losses[-1] - losses[-2])
            if change < self.tol:
                return f"tol: the training loss changed by {change:.3g} < tol={self.tol:g}"
        return None
