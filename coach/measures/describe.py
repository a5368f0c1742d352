"""A measure in plain words (nb or en), for `coach explain` and the report. The words are in
the catalogues (``measure.describe.*``, ``measure.point.*``, ``measure.part.*``, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coach import i18n
from coach.measures.base import fmt_value
from coach.measures.points import ALIAS_PREFIXES, PAIRED_NAMES, MeasureError
from coach.measures.registry import type_class


def _part(key: str, lang: str, form: str = "part") -> str:
    """A body part by its landmark key without side ("knee", "foot_index", "nose"), as
    ``form``: "part" ("kne", after "venstre"), "part_the" ("kneet") or "parts_the" ("knærne")."""
    name = f"measure.{form}.{key}"
    return i18n.t(name, lang) if i18n.has_key(name, lang) else key.replace("_", " ")


def _split(name: str) -> tuple[str | None, str]:
    """("near", "knee") for "near_knee"; (None, "nose") for a plain landmark."""
    key = name.strip().lower()
    for prefix in ALIAS_PREFIXES + ("left_", "right_"):
        if key.startswith(prefix) and key[len(prefix):] in PAIRED_NAMES:
            return prefix[:-1], key[len(prefix):]
    return None, key


def point_text(name: Any, lang: str) -> str:
    """A spec point name in words: "moving_knee" -> "working-side knee" / "kneet på den
    siden du øver", "mid_ear" -> "ørene"'s midpoint, "nose" -> "nesen"."""
    if not isinstance(name, str):
        return str(name)
    prefix, key = _split(name)
    if prefix is None:
        return _part(key, lang, "part_the")
    form = {"left": "part", "right": "part", "mid": "parts_the"}.get(prefix, "part_the")
    return i18n.t(f"measure.point.{prefix}", lang, part=_part(key, lang, form))


def points_text(names: Any, lang: str) -> str:
    """Several points in words, joined with "og" / "and"; points that share a side word
    share it once ("skulderen, hoften og kneet nærmest kameraet")."""
    names = [n for n in (names or []) if isinstance(n, str)]
    if not names:
        return "?"
    split = [_split(n) for n in names]
    prefixes = {p for p, _k in split}
    if len(names) > 1 and len(prefixes) == 1 and None not in prefixes and "mid" not in prefixes:
        prefix = prefixes.pop()
        form = "part" if prefix in ("left", "right") else "part_the"
        parts = _join([_part(k, lang, form) for _p, k in split], lang)
        return i18n.t(f"measure.point.{prefix}", lang, part=parts)
    return _join([point_text(n, lang) for n in names], lang)


def _join(items: list[str], lang: str) -> str:
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {i18n.t('measure.and', lang)} {items[-1]}"


def window_text(seconds: Any, lang: str) -> str:
    """"det siste sekundet" / "de siste 3 sekundene"."""
    try:
        v = float(seconds)
    except (TypeError, ValueError):
        v = 1.0
    if v == 1.0:
        return i18n.t("measure.window.one", lang)
    return i18n.t("measure.window.many", lang, seconds=i18n.number(v, lang, 1, trim=True))


def body_norm(measures: Mapping[str, Any], name: str | None, _depth: int = 0) -> str | None:
    """What a body-length measure of a spec is a share of: "torso" (the default) or
    "shoulder_width"; followed through ``of:`` (speeds, rolling values, changes). None for
    a measure that is not a length."""
    m = measures.get(name or "") if name else None
    if not isinstance(m, Mapping) or _depth > 8:
        return None
    if "normalise" in m:
        return str(m["normalise"])
    if m.get("of"):
        return body_norm(measures, m.get("of"), _depth + 1)
    try:
        ps = type_class(str(m.get("type", ""))).PARAMS.get("normalise")
    except MeasureError:
        return None
    return (ps.default or "torso") if ps is not None else None


def _word(group: str, value: Any, default: str, lang: str) -> str:
    key = f"measure.{group}.{value}"
    return i18n.t(key if i18n.has_key(key, lang) else f"measure.{group}.{default}", lang)


def describe_measure(type_name: str, params: Mapping[str, Any], lang: str = "en") -> str:
    """A short plain-language description of a measure ("en" or "nb") for docs and reports."""
    if lang not in i18n.LANGS:
        raise MeasureError(f"lang: unsupported language (expected one of [{', '.join(sorted(i18n.LANGS))}], "
                           f"got {fmt_value(lang)})", param="lang")
    type_class(type_name)

    def item(key: str, i: int | None = None) -> Any:
        v = params.get(key)
        if i is not None:
            v = v[i] if isinstance(v, (list, tuple)) and len(v) > i else None
        return v

    def p(key: str, i: int | None = None) -> str:
        v = item(key, i)
        return point_text(v, lang) if v is not None else "?"

    def line(key: str, i: int | None = None) -> str:
        v = item(key, i)
        if isinstance(v, (list, tuple)) and len(v) == 2:
            return i18n.t("measure.line", lang, a=point_text(v[0], lang), b=point_text(v[1], lang))
        return "?"

    def say(key: str, **kw: Any) -> str:
        return i18n.t(f"measure.describe.{key}", lang, **kw)

    of = params.get("of", "?")
    if type_name == "joint_angle":
        return say(type_name, p0=p("points", 0), p1=p("points", 1), p2=p("points", 2))
    if type_name == "segment_angle" and params.get("signed"):
        return say("segment_angle_signed", line=line("points"))
    if type_name == "segment_angle":
        reference = params.get("reference", "vertical")
        words = f"measure.reference.{reference}"
        ref = i18n.t(words, lang) if i18n.has_key(words, lang) else str(reference)
        return say(type_name, line=line("points"), reference=ref)
    if type_name == "line_tilt":
        return say(type_name, line=line("points"), p1=p("points", 1))
    if type_name == "yaw_between":
        return say(type_name, line0=line("lines", 0), line1=line("lines", 1))
    if type_name == "distance":
        return say(type_name, p0=p("points", 0), p1=p("points", 1))
    if type_name == "offset":
        if params.get("line"):
            return say("offset_line", point=p("point"), line=line("line"))
        if params.get("along"):
            return say("offset_along", point=p("point"), line=line("along"))
        direction = i18n.t("measure.direction.above" if params.get("axis") == "y" else "measure.direction.beside", lang)
        return say("offset_axis", point=p("point"), direction=direction, to=p("to"))
    if type_name == "midline_crossing":
        return say(type_name, point=p("point"))
    if type_name == "visibility":
        return say(type_name, points=points_text(params.get("points", []), lang))
    if type_name == "rolling":
        return say(type_name, stat=_word("stat", params.get("stat", ""), "median", lang), of=of,
                   window=window_text(params.get("window_s", 1.0), lang))
    if type_name == "tilt_from_start":
        return say(type_name, p0=p("points", 0), p1=p("points", 1))
    if type_name == "change" and params.get("share_start") and params.get("start_in_setup"):
        return say("change_setup", of=of)
    if type_name == "change" and params.get("share_start"):
        return say("change_shared", of=of)
    if type_name in ("speed", "oscillation_amplitude", "oscillation_period", "change"):
        return say(type_name, of=of)
    return say(type_name)
