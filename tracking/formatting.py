"""Swiss formats: 1'234.5, CHF 1'234, 31.12.2026, 45 %."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from tracking.vocab import NO_DATA


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | int | Decimal | None, decimals: int = 0) -> str:
    """1234.5 -> 1'234.5 (Swiss thousands separator, decimal point)."""
    if _missing(value):
        return "–"
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "'")


def chf(value: float | int | Decimal | None) -> str:
    return "–" if _missing(value) else f"CHF {number(value)}"


def percent(value: float | None, decimals: int = 0, missing: str = NO_DATA) -> str:
    """Progress in percent (0..100) -> '45 %'; missing -> «keine Daten»."""
    return missing if _missing(value) else f"{number(value, decimals)} %"


def share(value: float | None, decimals: int = 0) -> str:
    """A share 0..1 -> '67 %'."""
    return "–" if _missing(value) else f"{number(value * 100, decimals)} %"


def change(current: float | None, previous: float | None, scale: float = 1.0, unit: str = "") -> str | None:
    """A key figure's change since the previous period, rounded to whole units: «+3 Pp.», «-2»;
    None when either value is missing or nothing changed (a metric then shows no arrow)."""
    if _missing(current) or _missing(previous):
        return None
    diff = round((current - previous) * scale)
    return f"{diff:+d}{unit}" if diff else None


def date(value: dt.date | dt.datetime | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return value.strftime("%d.%m.%Y")


def datetime(value: dt.datetime | None) -> str:
    return "–" if value is None else value.strftime("%d.%m.%Y %H:%M")


def count(n: int, singular: str, plural: str) -> str:
    """«1 Minute», «5 Minuten», «1'240 Zeilen»: the number and the noun in the matching form."""
    return f"{number(n)} {singular if n == 1 else plural}"
