"""Two-decimal values stored as integers of hundredths (spec A15), and rates computed exactly.

`parse_hundredths("12.5")` → 1250; `format_hundredths(1250)` → "12.50"; `rate(1234, 5678)` → Decimal("21.73")
(ROUND_HALF_UP, never Python's round); `format_rate(None)` → "—" (a zero denominator has no rate).
"""
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from app.core.validators import has_digit_lookalike

AMOUNT_RE = re.compile(r"^[0-9]{1,12}(?:\.[0-9]{0,2})?$")
CENT = Decimal("0.01")
NO_RATE = "—"


class AmountError(ValueError):
    """Text that is not a non-negative amount with at most two decimals."""


def parse_hundredths(text, maximum=9_999_999_999):
    """'1,234.5' / '１２.５０' / '0' → integer hundredths; '' → None; raises AmountError otherwise."""
    value = unicodedata.normalize("NFKC", str(text or "")).replace(",", "").replace(" ", "").strip()
    if not value:
        return None
    if not AMOUNT_RE.match(value) or has_digit_lookalike(text):  # NFKC made ² a 2
        raise AmountError(value)
    hundredths = int(Decimal(value) * 100)
    if hundredths > maximum:
        raise AmountError(value)
    return hundredths


def format_hundredths(value):
    """8750 → '87.50'; None → ''."""
    if value is None:
        return ""
    return f"{Decimal(value) / 100:.2f}"


def rate(numerator, denominator):
    """numerator / denominator × 100 rounded half up to two decimals; None when either is missing or the
    denominator is 0."""
    if numerator is None or not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(CENT, rounding=ROUND_HALF_UP)


def format_rate(value):
    """Decimal('21.73') → '21.73%'; None → '—'."""
    return NO_RATE if value is None else f"{value}%"
