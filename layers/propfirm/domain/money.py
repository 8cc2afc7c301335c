"""Money: `Decimal` end to end, quantized only for display."""

from __future__ import annotations

from decimal import Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)

# ISO 4217 minor units for the currencies an account may plausibly use; everything else has 2.
_CURRENCY_DIGITS = {"JPY": 0, "KRW": 0, "HUF": 0, "CLP": 0, "VND": 0, "ISK": 0, "KWD": 3, "BHD": 3}


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
