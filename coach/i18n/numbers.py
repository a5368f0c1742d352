"""Numbers and measured values as a person reads them, per language.

One formatter for every number shown to a person (overlay, reports, ``coach explain``,
the workbench, the terminal): Norwegian writes a decimal comma (``0,05``), English a
point. The workbench page repeats the same rules in JavaScript (``tools/tune/templates/page.html``:
``fmtNum``, ``valueText``); a browser test checks both give the same text.

    number(9.125, "nb", 1)                        -> "9,1"
    value_text(30.4, "deg", "nb", (None, 30))     -> "30,4"   (not "30", which reads as inside ≤ 30)

Units in words (they need the catalogues) are in :mod:`coach.i18n.units`.

A measured value is shown with its unit's precision (whole degrees, two decimals of a body
length, tenths of a second) and, where that rounding would make it read the same as one of
its bounds while it is not equal to it, with one or two more decimals: a value shown
red is never shown as exactly its limit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

# Decimal separator per language.
DECIMAL_SEP = {"nb": ",", "en": "."}
# Decimals a value of each unit is shown with.
UNIT_DECIMALS = {"deg": 0, "deg/s": 0, "body": 2, "body/s": 2, "s": 1, "ratio": 2, "reps": 0}
# Most decimals added so a value does not read as its bound.
MAX_EXTRA_DECIMALS = 2


def _lang(lang: str) -> str:
    return lang if lang in DECIMAL_SEP else "en"


def rounded(value: float, decimals: int) -> Decimal:
    """``value`` rounded to ``decimals`` places, ties away from zero (as JavaScript's
    ``toFixed`` does, so the page and the Python side agree digit for digit)."""
    return Decimal(float(value)).quantize(Decimal(1).scaleb(-max(0, int(decimals))), rounding=ROUND_HALF_UP)


def number(value: float | int | None, lang: str, decimals: int | None = None, trim: bool = False) -> str:
    """``value`` with ``decimals`` decimals (None: as few as needed, at most 3) and the
    language's decimal separator; ``trim`` drops trailing zeros. NaN / None -> "–"."""
    if value is None:
        return "–"
    v = float(value)
    if not math.isfinite(v):
        return "–"
    if decimals is None:
        decimals, trim = 3, True
    d = rounded(v, decimals)
    if d == 0:
        d = abs(d)          # no "-0"
    s = f"{d:f}"
    if trim and "." in s:
        s = s.rstrip("0").rstrip(".")
    return s.replace(".", DECIMAL_SEP[_lang(lang)])


def unit_decimals(unit: str | None) -> int:
    return UNIT_DECIMALS.get(unit or "", 2)


def bound_text(bound: float, unit: str | None, lang: str) -> str:
    """A threshold: one decimal more than the unit's values, trailing zeros dropped
    (``0,04``, ``30``, ``7,5``, ``1,12``)."""
    return number(bound, lang, unit_decimals(unit) + 1, trim=True)


def value_text(value: float | None, unit: str | None, lang: str,
               bounds: Iterable[float | None] = ()) -> str:
    """A measured value with its unit's precision, or with one or two more decimals where
    that rounding would put it on another side of a bound than it is (or on the bound):
    30.4 against ``≤ 30`` is "30,4", never "30"; a value shown is never read as inside
    when it is out, nor as on the limit when it is not."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    v = float(value)
    nd = unit_decimals(unit)
    limits = [float(b) for b in bounds if b is not None and math.isfinite(float(b))]
    for extra in range(MAX_EXTRA_DECIMALS + 1):
        shown = float(rounded(v, nd + extra))
        if all((shown > b) - (shown < b) == (v > b) - (v < b) for b in limits):
            break
    return number(v, lang, nd + extra)


def seconds_text(seconds: float | None, lang: str, decimals: int = 1) -> str:
    """``12,5 s`` / ``12.5 s``."""
    return f"{number(seconds, lang, decimals, trim=True)} s"


def percent_text(fraction: float | None, lang: str) -> str:
    """``0.734`` -> ``73 %`` (a space before the sign, as both languages write it here)."""
    if fraction is None or not math.isfinite(float(fraction)):
        return "–"
    return f"{number(100.0 * float(fraction), lang, 0)} %"


def duration_text(seconds: float | None, lang: str) -> str:
    """A remaining time in words-free form: ``45 s``, ``2 min 05 s``, ``1 t 02 min``
    (``h`` in English)."""
    if seconds is None or not math.isfinite(float(seconds)):
        return "–"
    s = int(round(max(0.0, float(seconds))))
    if s < 60:
        return f"{s} s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} {'t' if lang == 'nb' else 'h'} {m:02d} min"
