"""Training: optimisers (optim.py) and the minibatch loop with its History (loop.py)."""

from . import optim
from .loop import History, minibatches, train

__all__ = ["History", "minibatches", "optim", "train"]
