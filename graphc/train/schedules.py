"""Learning-rate schedules: each is a function ``epoch -> lr`` (epochs counted from 0, as
torch.optim.lr_scheduler steps them), passed as ``lr=`` to ``gc.train`` or an optimizer.

>>> import graphc as gc
>>> [gc.optim.StepLR(0.1, step_size=2, gamma=0.5)(e) for e in range(5)]
[0.1, 0.1, 0.05, 0.05, 0.025]
"""

import math
import numbers

from ..errors import SettingError
from . import settings


class Schedule:
    """A learning-rate schedule; a subclass defines ``rate(epoch)``; calling it checks the
    epoch. Its repr shows its settings, so a History's optimizer reads back plainly."""

    def __call__(self, epoch):
        whole = isinstance(epoch, numbers.Integral) or (
            isinstance(epoch, float) and epoch.is_integer())
        if isinstance(epoch, bool) or not whole or epoch < 0:
            raise SettingError(f"{type(self).__name__}: the epoch must be an int >= 0, "
                             f"got {epoch!r}")
        return float(self.rate(int(epoch)))

    def rate(self, epoch):
        """The rate of ``epoch``."""
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class constant(Schedule):  # noqa: N801 - reads as a function: constant(0.1)
    """The same rate every epoch."""

    def __init__(self, lr):
        self.lr = settings.positive("constant", "lr", lr)

    def rate(self, epoch):
        return self.lr


class StepLR(Schedule):
    """``lr * gamma ** (epoch // step_size)``, as torch's StepLR."""

    def __init__(self, lr, step_size, gamma=0.1):
        self.lr = settings.positive("StepLR", "lr", lr)
        self.step_size = settings.whole("StepLR", "step_size", step_size)
        self.gamma = settings.positive("StepLR", "gamma", gamma)

    def rate(self, epoch):
        return self.lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(Schedule):
    """``lr * gamma ** epoch``, as torch's ExponentialLR."""

    def __init__(self, lr, gamma):
        self.lr, self.gamma = settings.positive("ExponentialLR", "lr", lr), \
            settings.positive("ExponentialLR", "gamma", gamma)

    def rate(self, epoch):
        return self.lr * self.gamma ** epoch


class InverseTimeLR(Schedule):
    """``lr / t`` with ``t = epoch + 1`` (1, 1/2, 1/3, ...): the decaying rate of the
    perceptron convergence proof (the rates sum to infinity, their squares do not)."""

    def __init__(self, lr):
        self.lr = settings.positive("InverseTimeLR", "lr", lr)

    def rate(self, epoch):
        return self.lr / (epoch + 1)


class CosineLR(Schedule):
    """``min_lr + (lr - min_lr) * (1 + cos(pi * epoch / epochs)) / 2``: torch's
    CosineAnnealingLR with ``T_max=epochs`` up to ``epochs`` (from ``lr`` at epoch 0 down
    to ``min_lr`` at ``epochs``), but after ``epochs`` it stays at ``min_lr``, where
    torch's rises again along the cosine (it is meant for exactly ``T_max`` epochs)."""

    def __init__(self, lr, epochs, min_lr=0.0):
        self.lr = settings.positive("CosineLR", "lr", lr)
        epochs = settings.whole("CosineLR", "epochs", epochs)
        if not 0 <= settings.real(min_lr) <= self.lr:
            raise SettingError(f"CosineLR: min_lr must be a number in [0, lr={self.lr:g}], "
                               f"got {min_lr!r}")
        self.epochs, self.min_lr = epochs, float(min_lr)

    def rate(self, epoch):
        t = min(epoch, self.epochs) / self.epochs
        return self.min_lr + (self.lr - self.min_lr) * (1 + math.cos(math.pi * t)) / 2
