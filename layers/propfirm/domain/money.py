"""Money: `Decimal` end to end, parsed strictly from strings, quantized only for display."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

ZERO = Decimal(0)
HUNDRED = Decimal(100)

# ISO 4217 minor units for the currencies an account may plausibly use; everything else has 2.
_CURRENCY_DIGITS = {"JPY": 0, "KRW": 0, "HUF": 0, "CLP": 0, "VND": 0, "ISK": 0, "KWD": 3, "BHD": 3}


class MoneyError(ValueError):
    """A money value that is not a finite decimal string."""


def parse_money(value: object) -> Decimal:
    """A finite Decimal from a decimal string; floats and other types are refused (they are not exact)."""
    if type(value) is not str:
        raise MoneyError(f"money must be a decimal string, got {type(value).__name__} {value!r}")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise MoneyError(f"not a decimal amount: {value!r}") from None
    if not amount.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    return amount


def currency_digits(currency: str) -> int:
    return _CURRENCY_DIGITS.get(currency.upper(), 2)


def display(amount: Decimal, digits: int = 2) -> str:
    """The amount with at least `digits` decimals, never changing its value (no rounding)."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -digits:
        return str(amount.quantize(Decimal(1).scaleb(-digits)))
    return str(amount)


def pct_of(amount: Decimal, pct: Decimal) -> Decimal:
    """`pct` percent of `amount`, exactly (Decimal division by 100 only shifts the exponent)."""
    return amount * pct / HUNDRED
