"""Units in words, per language (the words are in the catalogues, ``unit.*``).

    unit_suffix("body", "nb")                   -> " × overkroppslengde"
    with_unit("0,05", "body", "nb", short=True) -> "0,05 × overkropp"
    bounds_text((None, 30), "deg", "en")        -> "≤ 30°"
    axis_label("deg", "nb")                     -> "grader (°)"
"""

from __future__ import annotations

from coach.i18n import t
from coach.i18n.numbers import bound_text


# A measure's unit code ("deg", "body", "deg/s", "body/s", "s", "ratio") and, for body
# lengths, what they are lengths of ("torso" or "shoulder_width"): the words are in the
# catalogues (unit.*).
def _t(key: str, lang: str, **kw: str) -> str:
    return t(key, lang, **kw)


def unit_suffix(unit: str | None, lang: str, norm: str | None = None, short: bool = False) -> str:
    """What follows a number of ``unit``: "°", " s", " × overkroppslengde" (``short``:
    " × overkropp", for the overlay), "°/s", " × torso length/s"; "" for a plain ratio."""
    unit = unit or ""
    per_s = unit.endswith("/s")
    base = unit[:-2] if per_s else unit
    if base == "deg":
        text = _t("unit.deg", lang)
    elif base == "body":
        kind = "body_short" if short else "body"
        text = _t(f"unit.{kind}.{norm if norm in ('torso', 'shoulder_width') else 'torso'}", lang)
    elif base == "s":
        text = _t("unit.s", lang)
    else:
        return ""
    return text + ("/s" if per_s else "")


def with_unit(text: str, unit: str | None, lang: str, norm: str | None = None, short: bool = False) -> str:
    """A number already written (``value_text``, ``bound_text``) followed by its unit."""
    return text if text == "–" else text + unit_suffix(unit, lang, norm, short)


def bounds_text(bounds: tuple[float | None, float | None], unit: str | None, lang: str,
                norm: str | None = None, short: bool = False) -> str:
    """``(None, 30)`` -> "≤ 30°", ``(-0.04, 0.04)`` -> "-0,04 til 0,04 × overkroppslengde"
    ("-0.04 to 0.04 ..."), ``(None, None)`` -> ""."""
    lo, hi = bounds
    b = lambda v: bound_text(v, unit, lang)  # noqa: E731
    if lo is not None and hi is not None:
        text = f"{b(lo)}–{b(hi)}" if lo >= 0 else _t("unit.range", lang, low=b(lo), high=b(hi))
    elif hi is not None:
        text = f"≤ {b(hi)}"
    elif lo is not None:
        text = f"≥ {b(lo)}"
    else:
        return ""
    return with_unit(text, unit, lang, norm, short)


def axis_label(unit: str | None, lang: str, norm: str | None = None) -> str:
    """The title of a plot's value axis: "grader (°)", "× overkroppslengde", "sekunder"."""
    unit = unit or ""
    per_s = unit.endswith("/s")
    base = unit[:-2] if per_s else unit
    if base == "body":
        text = unit_suffix("body", lang, norm).strip()
    elif base in ("deg", "s"):
        text = _t(f"unit.axis.{base}", lang)
    else:
        text = _t("unit.axis.ratio", lang)
    return text + (_t("unit.axis.per_s", lang) if per_s else "")
