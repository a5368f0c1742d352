"""An exercise spec in plain language (nb or en), with its thresholds: ``coach explain ID``.

    print(explain(load_spec("lying_twist"), "nb"))
"""

from __future__ import annotations

from typing import Any

from coach import i18n
from coach.engine.rules import MARGIN_FACTOR
from coach.errors import CoachError
from coach.i18n.numbers import bound_text, number
from coach.i18n.units import with_unit
from coach.measures import body_norm
from coach.spec import ExerciseSpec, PhaseSpec, RuleSpec

# Texts live in the catalogues (coach/i18n/<lang>.json: explain.*, side_word.*)
_T: dict[str, Any] = {k: v for k, v in i18n.texts_under("explain").items() if "." not in k}
_T["timing"] = i18n.texts_under("explain.timing")
_T["severity"] = i18n.texts_under("explain.severity")


def _pairs(prefix: str) -> dict[str, tuple[str, str]]:
    return {k: (v["nb"], v["en"]) for k, v in i18n.texts_under(prefix).items()}


_VIEWS = _pairs("explain.view_name")
_HEIGHTS = _pairs("explain.height_name")
_SIDE = _pairs("side_word")


def _num(v: float | None, lang: str) -> str:
    """A plain number as the language writes it (``1,5`` in Norwegian)."""
    return "?" if v is None else number(v, lang)


def _shown(v: Any, lang: str) -> str:
    return _num(float(v), lang) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v).lower()


def _val(v: float | None, unit: str | None, lang: str, norm: str | None = None) -> str:
    """A threshold with its unit: "1,12 × overkroppslengde", "30°", "2 s"."""
    if v is None:
        return "?"
    return with_unit(bound_text(v, unit, lang), unit, lang, norm)


def _norm_of(spec: ExerciseSpec, measure: str | None) -> str | None:
    """The body unit a measure divides by (torso length or shoulder width)."""
    return body_norm(spec.measures, measure)


def _tr(key: str, lang: str, **kw: Any) -> str:
    s = _T[key][lang]
    for k, v in kw.items():
        s = s.replace("{" + k + "}", str(v))
    return s


def describe(spec: ExerciseSpec, measure: str, lang: str, _depth: int = 0) -> str:
    """A measure in words (from coach.measures); a measure of another measure (``of:``, a
    speed, a swing, a rolling value) describes that one in words too, never by its id. A
    rolling median inside another measure only steadies it and is not mentioned."""
    m = spec.measures.get(measure, {})
    try:
        from coach.measures import describe_measure  # noqa: PLC0415
        params = {k: v for k, v in m.items() if k != "type"}
        of = params.get("of")
        if isinstance(of, str) and of in spec.measures and _depth < 6:
            inner = spec.measures[of]
            steadied = inner.get("type") == "rolling" and inner.get("stat", "median") == "median" \
                and isinstance(inner.get("of"), str)
            params["of"] = _as_noun(describe(spec, inner["of"] if steadied else of, lang, _depth + 1), lang)
        text = describe_measure(m.get("type", ""), params, lang)
        if text:
            return text
    except Exception:  # noqa: BLE001 - words are a nicety; never fail an explanation on them
        pass
    return i18n.t("explain.some_measure", lang)


def _as_noun(text: str, lang: str) -> str:
    """A measure described as a question ("hvor langt nesen er over ...") put inside another
    description is quoted, so the sentence still reads: hvor raskt «hvor langt ...» endrer seg."""
    if text.split(" ", 1)[0].lower() in ("hvor", "how", "where"):
        return f"«{text}»" if lang == "nb" else f"“{text}”"
    return text


def _cue(text: dict[str, str], lang: str, side: str | None) -> str:
    s = text[lang]
    idx = 0 if lang == "nb" else 1
    s = s.replace("{side}", _SIDE[side or "right"][idx])
    s = s.replace("{other_side}", _SIDE["left" if side != "left" else "right"][idx])
    return s


def _cues(spec: ExerciseSpec, rids: tuple[str, ...], lang: str, side: str | None) -> str:
    """The rules' cues, each once, joined."""
    said = dict.fromkeys(_cue(spec.rules[r].cue, lang, side) for r in rids)
    return "; ".join(s.rstrip(".") for s in said)


def _tag(tag: str, lang: str) -> str:
    """A contraindication tag in words."""
    return i18n.t(f"explain.contraindication.{tag}", lang)


def _phase_name(p: PhaseSpec, lang: str) -> str:
    return p.names[lang] if p.names else p.id.replace("_", " ")


def explain(spec: ExerciseSpec, lang: str = "en") -> str:
    """The exercise's phases and rules in plain language with their thresholds."""
    if lang not in ("nb", "en"):
        raise CoachError(f"lang: unknown language {lang!r}, expecting one of [nb, en]")
    i = 0 if lang == "nb" else 1
    out: list[str] = [f"{spec.names[lang]} ({spec.id})"]
    if spec.profile_label:
        out.append(f"{_tr('profile', lang)}: {spec.profile_label}")
    for x in spec.safety_loosened:
        out.append(_tr("safety_loosened", lang, rule=x["rule"], field=x["field"], spec=_shown(x["spec"], lang),
                       profile=_shown(x["profile"], lang), reason=x["reason"]))
    out.append("")
    out.append(spec.summary[lang])
    out.append("")
    out.append(f"{_tr('camera', lang)}: {_VIEWS[spec.camera_view][i]}, {_HEIGHTS[spec.camera_height][i]}. "
               f"{spec.camera_placement[lang]}")
    if spec.camera_max_off_deg is not None:
        out.append(_tr("camera_bound", lang, deg=_num(spec.camera_max_off_deg, lang)))
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
            out.append("   " + _tr("setup", lang, phase=name, stable_s=_num(p.stable_s, lang)))
        elif p.kind == "hold":
            mx = _tr("hold_max", lang, max_s=_num(p.max_s, lang)) if p.max_s is not None else ""
            if p.target_s != p.min_s:
                aim = _tr("hold_aim", lang, target_s=_num(p.target_s, lang), max=mx)
            else:
                aim = _tr("hold_only_max", lang, max_s=_num(p.max_s, lang)) if p.max_s is not None else ""
            out.append("   " + _tr("hold", lang, min_s=_num(p.min_s, lang), aim=aim))
            out.append("   " + _tr("hold_pos", lang, rules=_cues(spec, p.position, lang, first_side)))
            if p.entry_only:
                out.append("   " + _tr("hold_entry_only", lang, rules=_cues(spec, p.entry_only, lang, first_side)))
            if p.recognise_s is not None:
                out.append("   " + _tr("recognise", lang, recognise_s=_num(p.recognise_s, lang)))
            if p.per_side and p.side_from is not None:
                name, least, positive = p.side_from
                unit = spec.measure_units.get(name, "")
                value = _val(least, unit, lang, _norm_of(spec, name))
                if positive is not None:
                    out.append("   " + _tr("side_from_signed", lang, measure=describe(spec, name, lang), value=value,
                                           side=i18n.t(f"side_word.{positive}", lang)))
                else:
                    out.append("   " + _tr("side_from", lang, measure=describe(spec, name, lang), value=value))
        elif p.kind == "reps":
            unit = spec.measure_units.get(p.measure or "", "")
            lo, hi = p.min_reps, p.max_reps
            rng = f"{lo}–{hi}" if lo and hi else str(p.target_reps)
            up = p.direction == "up"
            nm = _norm_of(spec, p.measure)
            if p.count == "turning_points":
                out.append("   " + _tr("reps_turning", lang, range=rng, measure=describe(spec, p.measure or "", lang),
                                       amplitude=_val(p.min_amplitude, unit, lang, nm),
                                       min_period_s=_num(p.min_period_s, lang)))
            else:
                out.append("   " + _tr("reps", lang, range=rng, measure=describe(spec, p.measure or "", lang),
                                       dir=_tr("up_to" if up else "down_to", lang), enter=_val(p.enter, unit, lang, nm),
                                       back=_tr("below" if up else "above", lang), exit=_val(p.exit, unit, lang, nm),
                                       min_period_s=_num(p.min_period_s, lang)))
            if p.peak_min_s:
                out.append("   " + _tr("peak", lang, peak_min_s=_num(p.peak_min_s, lang)))
        elif p.kind == "rest":
            out.append("   " + _tr("rest", lang, duration_s=_num(p.duration_s, lang)))

    out.append("")
    out.append(_tr("checks", lang) + ":")
    for r in sorted(spec.rules.values(), key=lambda r: (r.rank, r.id)):
        out.append(f"- [{_T['severity'][r.severity][lang]}] {_rule_line(spec, r, lang, first_side)}")
        if r.phases:
            out.append("  " + _tr("where", lang, phases=", ".join(_phase_name(spec.phase(p), lang) for p in r.phases)))
    out.append("")
    out.append(_tr("settings", lang) + ":")
    for section in (spec.coaching, spec.timing):
        out.append("  " + " · ".join(_setting(k, v, lang) for k, v in section.model_dump().items()))
    out.append("")
    out.append(_tr("cant_see", lang))
    return "\n".join(out) + "\n"


def _setting(key: str, value: float, lang: str) -> str:
    """One coaching/timing setting by its name in the catalogue (the spec key is in schema.md)."""
    from coach import i18n

    name = i18n.t(f"setting.{key}", lang) if i18n.has_key(f"setting.{key}", lang) else key
    return f"{name} {_num(float(value), lang)}" + (" s" if key.endswith("_s") else "")


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
        s = s.replace("{cue}", cue).replace("{max_s}", _num(max_s, lang)).replace("{range}", rng)
        if r.min_s is not None:
            s = s.replace("{min_s}", _num(r.min_s, lang))
        for k in ("min_s", "target_s", "achieved_s", "reps", "min_reps", "max_reps", "target_reps", "left_s"):
            val = None
            src = holds[0] if holds else (reps[0] if reps else None)
            if src is not None and hasattr(src, k):
                val = getattr(src, k)
            s = s.replace("{" + k + "}", _num(val, lang) if val is not None else "…")
        return f"{_rule_head(spec, r, lang)}: {s}"
    nm = _norm_of(spec, r.measure)
    if r.min is not None and r.max is not None:
        bound = _tr("rule_range", lang, min=_val(r.min, r.unit, lang, nm), max=_val(r.max, r.unit, lang, nm))
    elif r.min is not None:
        bound = _tr("rule_min", lang, min=_val(r.min, r.unit, lang, nm))
    else:
        bound = _tr("rule_max", lang, max=_val(r.max, r.unit, lang, nm))
    hyst = _tr("hyst", lang, h=_val(r.hysteresis, r.unit, lang, nm)) if r.hysteresis else ""
    line = _tr("rule_line", lang, measure=describe(spec, r.measure or "", lang), bound=bound,
               persist_s=_num(r.persist_s, lang), hyst=hyst, cue=cue)
    if getattr(r, "relative_to_start", False) and r.baseline_s:
        first = _tr("first_second", lang) if r.baseline_s == 1 else \
            _tr("first_seconds", lang).replace("{n}", _num(r.baseline_s, lang))
        line += _tr("baseline_start_or_hold", lang, first=first)
    elif getattr(r, "relative_to_start", False):
        line += _tr("baseline_start", lang)
    elif r.baseline_s:
        line += _tr("baseline_one", lang) if r.baseline_s == 1 else \
            _tr("baseline", lang, baseline_s=_num(r.baseline_s, lang))
    if getattr(r, "error", 0.0) and r.severity in MARGIN_FACTOR:
        line += _tr("evidence", lang, error=_val(r.error * MARGIN_FACTOR[r.severity], r.unit, lang, nm))
    if r.only_when:
        line += _tr("only_when", lang, rule=i18n.rule_name(spec.id, r.only_when, lang))
    if r.mirror_on_side:
        line += _tr("mirrored", lang, side=_SIDE[r.mirror_on_side][0 if lang == "nb" else 1])
    return f"{_rule_head(spec, r, lang)}: {line[:1].upper()}{line[1:]}"


def _rule_head(spec: ExerciseSpec, r: RuleSpec, lang: str) -> str:
    """The rule's name and, for a profile, its id: "Skuldrene nede (shoulder_lifting)"."""
    return f"{i18n.rule_name(spec.id, r.id, lang)} ({r.id})"
