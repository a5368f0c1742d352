"""An exercise spec in plain language (nb or en), with its thresholds: ``coach explain ID``.

    print(explain(load_spec("lying_twist"), "nb"))
"""

from __future__ import annotations

from typing import Any

from coach import i18n
from coach.errors import CoachError
from coach.spec import ExerciseSpec, PhaseSpec, RuleSpec

# Texts live in the catalogues (coach/i18n/<lang>.json: explain.*, side_word.*)
_T: dict[str, Any] = {k: v for k, v in i18n.texts_under("explain").items() if "." not in k}
_T["timing"] = i18n.texts_under("explain.timing")
_T["severity"] = i18n.texts_under("explain.severity")


def _pairs(prefix: str) -> dict[str, tuple[str, str]]:
    return {k: (v["nb"], v["en"]) for k, v in i18n.texts_under(prefix).items()}


_VIEWS = _pairs("explain.view_name")
_HEIGHTS = _pairs("explain.height_name")
_UNITS = {k.replace("_per_s", "/s"): v[0] for k, v in _pairs("explain.unit").items()}   # (a ratio has no unit)
_UNITS_EN = {k.replace("_per_s", "/s"): v[1] for k, v in _pairs("explain.unit").items()}
_SIDE = _pairs("side_word")
_NORM_TEXT = _pairs("explain.norm")


_LANG = ["en"]   # the language being written (decimal comma in nb)


def _num(v: float | None) -> str:
    if v is None:
        return "?"
    s = f"{v:g}"
    return s.replace(".", ",") if _LANG[0] == "nb" else s




def _shown(v: Any) -> str:
    return _num(float(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v).lower()


def _val(v: float | None, unit: str | None, lang: str, norm: str | None = None) -> str:
    table = _UNITS if lang == "nb" else _UNITS_EN
    text = table.get(unit or "", "")
    if norm in _NORM_TEXT and unit in ("body", "body/s"):
        text = text.replace(_NORM_TEXT["torso"][0 if lang == "nb" else 1], _NORM_TEXT[norm][0 if lang == "nb" else 1])
    return f"{_num(v)}{text}"


def _norm_of(spec: ExerciseSpec, measure: str | None) -> str | None:
    """The body unit a measure divides by (torso length or shoulder width)."""
    m = spec.measures.get(measure or "", {})
    if m.get("type") in ("speed", "oscillation_amplitude", "change"):
        return _norm_of(spec, m.get("of"))
    if "normalise" in m:
        return str(m["normalise"])
    try:
        from coach.measures import measure_params  # noqa: PLC0415
        ps = measure_params(m.get("type", "")).get("normalise")
        return ps.default if ps is not None else None
    except Exception:  # noqa: BLE001
        return None


def _tr(key: str, lang: str, **kw: Any) -> str:
    s = _T[key][lang]
    for k, v in kw.items():
        s = s.replace("{" + k + "}", str(v))
    return s


def describe(spec: ExerciseSpec, measure: str, lang: str) -> str:
    """A measure in words (from coach.measures), falling back to its name."""
    m = spec.measures.get(measure, {})
    try:
        from coach.measures import describe_measure  # noqa: PLC0415
        params = {k: v for k, v in m.items() if k != "type"}
        text = describe_measure(m.get("type", ""), params, lang)
        if text:
            return text
    except Exception:  # noqa: BLE001 - words are a nicety; never fail an explanation on them
        pass
    return measure.replace("_", " ")


def _cue(text: dict[str, str], lang: str, side: str | None) -> str:
    s = text[lang]
    idx = 0 if lang == "nb" else 1
    s = s.replace("{side}", _SIDE[side or "right"][idx])
    s = s.replace("{other_side}", _SIDE["left" if side != "left" else "right"][idx])
    return s


def _tag(tag: str, lang: str) -> str:
    """A contraindication tag in words."""
    return i18n.t(f"explain.contraindication.{tag}", lang)


def _phase_name(p: PhaseSpec, lang: str) -> str:
    return p.names[lang] if p.names else p.id.replace("_", " ")


def explain(spec: ExerciseSpec, lang: str = "en") -> str:
    """The exercise's phases and rules in plain language with their thresholds."""
    if lang not in ("nb", "en"):
        raise CoachError(f"lang: unknown language {lang!r}, expecting one of [nb, en]")
    _LANG[0] = lang
    i = 0 if lang == "nb" else 1
    other = spec.names["en" if lang == "nb" else "nb"]
    out: list[str] = [f"{spec.names[lang]} ({other}) — {spec.id}"]
    if spec.profile_label:
        out.append(f"{_tr('profile', lang)}: {spec.profile_label}")
    for x in spec.safety_loosened:
        out.append(_tr("safety_loosened", lang, rule=x["rule"], field=x["field"], spec=_shown(x["spec"]),
                       profile=_shown(x["profile"]), reason=x["reason"]))
    out.append("")
    out.append(spec.summary[lang])
    out.append("")
    out.append(f"{_tr('camera', lang)}: {_VIEWS[spec.camera_view][i]}, {_HEIGHTS[spec.camera_height][i]}. "
               f"{spec.camera_placement[lang]}")
    out.append(f"{_tr('equipment', lang)}: {spec.equipment[lang]}")
    first_side = spec.sides[0] if spec.sides else None
    if spec.sides:
        out.append(f"{_tr('sides', lang)}: " + f", {_tr('then', lang)} ".join(_SIDE[s][i] for s in spec.sides) + ".")
    else:
        out.append(f"{_tr('sides', lang)}: {_tr('no_sides', lang)}.")
    if spec.contraindications:
        out.append(f"{_tr('not_for', lang)}: " + "; ".join(_tag(c, lang) for c in spec.contraindications) + ".")
    if spec.cautions:
        out.append(f"{_tr('advice', lang)}: " + "; ".join(_tag(c, lang) for c in spec.cautions) + ".")

    out.append("")
    out.append(_tr("steps", lang) + ":")
    for n, p in enumerate(spec.phases, 1):
        name = _phase_name(p, lang)
        head = f"{n}. {name}" + (f" ({_tr('each_side', lang)})" if p.per_side else "")
        if p.cue:
            head += f": {_cue(p.cue, lang, first_side)}"
        out.append(head)
        if p.kind == "setup":
            out.append("   " + _tr("setup", lang, phase=name, stable_s=_num(p.stable_s)))
        elif p.kind == "hold":
            mx = _tr("hold_max", lang, max_s=_num(p.max_s)) if p.max_s is not None else ""
            if p.target_s != p.min_s:
                aim = _tr("hold_aim", lang, target_s=_num(p.target_s), max=mx)
            else:
                aim = _tr("hold_only_max", lang, max_s=_num(p.max_s)) if p.max_s is not None else ""
            out.append("   " + _tr("hold", lang, min_s=_num(p.min_s), aim=aim))
            pos = list(dict.fromkeys(_cue(spec.rules[r].cue, lang, first_side) for r in p.position))  # (no repeats)
            out.append("   " + _tr("hold_pos", lang, rules="; ".join(s.rstrip(".") for s in pos)))
            if p.recognise_s is not None:
                out.append("   " + _tr("recognise", lang, recognise_s=_num(p.recognise_s)))
        elif p.kind == "reps":
            unit = spec.measure_units.get(p.measure or "", "")
            lo, hi = p.min_reps, p.max_reps
            rng = f"{lo}–{hi}" if lo and hi else str(p.target_reps)
            up = p.direction == "up"
            nm = _norm_of(spec, p.measure)
            out.append("   " + _tr("reps", lang, range=rng, measure=describe(spec, p.measure or "", lang),
                                   dir=_tr("up_to" if up else "down_to", lang), enter=_val(p.enter, unit, lang, nm),
                                   back=_tr("below" if up else "above", lang), exit=_val(p.exit, unit, lang, nm),
                                   min_period_s=_num(p.min_period_s)))
            if p.peak_min_s:
                out.append("   " + _tr("peak", lang, peak_min_s=_num(p.peak_min_s)))
        elif p.kind == "rest":
            out.append("   " + _tr("rest", lang, duration_s=_num(p.duration_s)))

    out.append("")
    out.append(_tr("checks", lang) + ":")
    for r in sorted(spec.rules.values(), key=lambda r: (r.rank, r.id)):
        out.append(f"- [{_T['severity'][r.severity][lang]}] {_rule_line(spec, r, lang, first_side)}")
        if r.phases:
            out.append("  " + _tr("where", lang, phases=", ".join(_phase_name(spec.phase(p), lang) for p in r.phases)))
    out.append("")
    out.append(_tr("settings", lang) + ":")
    for section in (spec.coaching, spec.timing):
        out.append("  " + " · ".join(f"{k} {_num(float(v))}" for k, v in section.model_dump().items()))
    out.append("")
    out.append(_tr("cant_see", lang))
    return "\n".join(out) + "\n"


def _rule_line(spec: ExerciseSpec, r: RuleSpec, lang: str, side: str | None) -> str:
    if r.check == "side_skipped" and spec.sides:
        side = spec.sides[-1]   # the side that gets skipped is usually the second
    cue = _cue(r.cue, lang, side)
    if r.kind == "timing":
        holds = [p for p in spec.phases if p.kind == "hold" and (not r.phases or p.id in r.phases)]
        reps = [p for p in spec.phases if p.kind == "reps" and (not r.phases or p.id in r.phases)]
        max_s = next((p.max_s for p in holds if p.max_s is not None), None)
        rng = next((f"{p.min_reps}–{p.max_reps}" for p in reps), "")
        s = _T["timing"][r.check or ""][lang]
        s = s.replace("{cue}", cue).replace("{max_s}", _num(max_s)).replace("{range}", rng)
        if r.min_s is not None:
            s = s.replace("{min_s}", _num(r.min_s))
        for k in ("min_s", "target_s", "achieved_s", "reps", "min_reps", "max_reps", "target_reps", "left_s"):
            val = None
            src = holds[0] if holds else (reps[0] if reps else None)
            if src is not None and hasattr(src, k):
                val = getattr(src, k)
            s = s.replace("{" + k + "}", _num(val) if val is not None else "…")
        return f"{r.id}: {s}"
    nm = _norm_of(spec, r.measure)
    if r.min is not None and r.max is not None:
        bound = _tr("rule_range", lang, min=_val(r.min, r.unit, lang, nm), max=_val(r.max, r.unit, lang, nm))
    elif r.min is not None:
        bound = _tr("rule_min", lang, min=_val(r.min, r.unit, lang, nm))
    else:
        bound = _tr("rule_max", lang, max=_val(r.max, r.unit, lang, nm))
    hyst = _tr("hyst", lang, h=_val(r.hysteresis, r.unit, lang, nm)) if r.hysteresis else ""
    line = _tr("rule_line", lang, measure=describe(spec, r.measure or "", lang), bound=bound,
               persist_s=_num(r.persist_s), hyst=hyst, cue=cue)
    if r.baseline_s:
        line += _tr("baseline", lang, baseline_s=_num(r.baseline_s))
    if r.only_when:
        line += _tr("only_when", lang, rule=r.only_when)
    if r.mirror_on_side:
        line += _tr("mirrored", lang, side=_SIDE[r.mirror_on_side][0 if lang == "nb" else 1])
    return f"{r.id}: {line[:1].upper()}{line[1:]}"
