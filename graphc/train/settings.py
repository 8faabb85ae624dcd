"""The checks of training options, in one place, so that an optimizer, a schedule and
``gc.train`` say the same of the same value: a number is a finite real number (an int, a
float, a Fraction, a Decimal, a NumPy scalar), never a bool or text (``lr="0.1"`` is
refused, not read), and never NaN or infinite."""

import decimal
import math
import numbers

from ..errors import SettingError


def real(value):
    """``value`` as a float, or NaN (which fails every bound) if it is not a finite real
    number."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, decimal.Decimal)):
        return float("nan")
    try:
        number = float(value)
    except OverflowError:  # an int past float's range
        return float("nan")
    return number if math.isfinite(number) else float("nan")


def at_least(kind, what, value, low=0.0, strict=False, optional=False):
    """``value`` as a float ``>= low`` (``> low`` if ``strict``; None passes if
    ``optional``), or a SettingError naming ``kind`` (the optimizer, the schedule,
    ``train``) and the option ``what``."""
    if optional and value is None:
        return None
    number = real(value)
    if not (number > low if strict else number >= low):
        bound = f"{'>' if strict else '>='} {low:g}{' or None' if optional else ''}"
        raise SettingError(f"{kind}: {what} must be a finite number {bound}, got {value!r}")
    return number


def positive(kind, what, value, optional=False):
    return at_least(kind, what, value, strict=True, optional=optional)


def fraction(kind, what, value):
    """``value`` as a float in ``[0, 1)`` (a momentum, a decay rate)."""
    number = real(value)
    if not 0 <= number < 1:
        raise SettingError(f"{kind}: {what} must be in [0, 1), got {value!r}")
    return number


def whole(kind, what, value, low=1, optional=False):
    """``value`` as an int ``>= low`` (None passes if ``optional``)."""
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        alternative = " or None" if optional else ""
        raise SettingError(f"{kind}: {what} must be an int >= {low}{alternative}, got "
                           f"{value!r}")
    return int(value)

