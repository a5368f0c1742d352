"""An exercise spec in plain language (nb or en), with its thresholds: ``coach explain ID``.

    print(explain(load_spec("lying_twist"), "nb"))
"""

from __future__ import annotations

from typing import Any

from coach.errors import CoachError
from coach.spec import CONTRAINDICATION_TAGS, ExerciseSpec, PhaseSpec, RuleSpec

_T: dict[str, dict[str, str]] = {
    "camera": {"nb": "Kamera", "en": "Camera"},
    "equipment": {"nb": "Utstyr", "en": "Equipment"},
    "sides": {"nb": "Sider", "en": "Sides"},
    "no_sides": {"nb": "ingen (begge sider samtidig)", "en": "none (both sides together)"},
    "then": {"nb": "så", "en": "then"},
    "not_for": {"nb": "Ikke gjør øvelsen ved", "en": "Do not do this exercise with"},
    "advice": {"nb": "Få råd fra fysioterapeut eller lege først ved", "en": "Get advice from a physiotherapist or doctor first with"},
    "steps": {"nb": "Gangen i øvelsen", "en": "How the exercise runs"},
    "checks": {"nb": "Hva kameraet følger med på", "en": "What the camera checks"},
    "each_side": {"nb": "hver side", "en": "each side"},
    "profile": {"nb": "Tilpasset for", "en": "Adjusted for"},
    "view": {"nb": "{view}, {height}", "en": "{view}, {height}"},
    "setup": {"nb": "Startstilling: øvelsen starter når alt under «{phase}» har vært riktig i {stable_s} s.",
              "en": "Start position: the exercise starts once everything listed for “{phase}” has been right for {stable_s} s."},
    "hold": {"nb": "Hold minst {min_s} s{aim}. Klokka går bare når formen er riktig; "
                   "den står på pause mens noe må rettes.",
             "en": "Hold at least {min_s} s{aim}. The clock runs only while your form is "
                   "right; it pauses while something needs fixing."},
    "hold_aim": {"nb": " (mål {target_s} s{max})", "en": " (aim for {target_s} s{max})"},
    "hold_max": {"nb": ", høyst {max_s} s", "en": ", at most {max_s} s"},
    "hold_only_max": {"nb": " (høyst {max_s} s)", "en": " (at most {max_s} s)"},
    "hold_pos": {"nb": "Slik kommer du i stillingen: {rules}.", "en": "Getting into position: {rules}."},
    "reps": {"nb": "Gjenta {range} ganger. En repetisjon telles når {measure} går {dir} {enter} og tilbake {back} {exit} "
                   "(minst {min_period_s} s mellom to).",
             "en": "Repeat {range} times. A repetition counts when {measure} goes {dir} {enter} and back {back} "
                   "{exit} (at least {min_period_s} s apart)."},
    "peak": {"nb": "Hold minst {peak_min_s} s i ytterstillingen hver gang.", "en": "Hold at least {peak_min_s} s at the end of each one."},
    "rest": {"nb": "Hvil i {duration_s} s.", "en": "Rest for {duration_s} s."},
    "above": {"nb": "over", "en": "above"},
    "below": {"nb": "under", "en": "below"},
    "up_to": {"nb": "opp til", "en": "up to"},
    "down_to": {"nb": "ned til", "en": "down to"},
    "rule_range": {"nb": "mellom {min} og {max}", "en": "between {min} and {max}"},
    "rule_min": {"nb": "minst {min}", "en": "at least {min}"},
    "rule_max": {"nb": "høyst {max}", "en": "at most {max}"},
    "rule_line": {"nb": "{measure} skal være {bound}. Sier fra etter {persist_s} s utenfor{hyst}: «{cue}»",
                  "en": "{measure} should be {bound}. Speaks up after {persist_s} s outside{hyst}: “{cue}”"},
    "hyst": {"nb": " (regnes som rettet når den er {h} innenfor)", "en": " (counts as fixed once {h} back inside)"},
    "where": {"nb": "Gjelder: {phases}.", "en": "Applies: {phases}."},
    "timing": {
        "hold_short": {"nb": "Sier fra hvis et hold blir kortere enn avtalt: «{cue}»",
                       "en": "Speaks up when a hold is shorter than agreed: “{cue}”"},
        "hold_long": {"nb": "Sier fra hvis du blir liggende lenger enn {max_s} s: «{cue}»",
                      "en": "Speaks up when you stay longer than {max_s} s: “{cue}”"},
        "reps_range": {"nb": "Sier fra hvis antallet havner utenfor {range}: «{cue}»",
                       "en": "Speaks up when the count falls outside {range}: “{cue}”"},
        "rep_period": {"nb": "Sier fra hvis en runde tar under {min_s} s: «{cue}»",
                       "en": "Speaks up when a cycle takes less than {min_s} s: “{cue}”"},
        "side_skipped": {"nb": "Sier fra hvis en side blir hoppet over: «{cue}»",
                         "en": "Speaks up when a side is skipped: “{cue}”"},
    },
    "severity": {
        "safety": {"nb": "sikkerhet", "en": "safety"}, "setup": {"nb": "oppsett", "en": "set-up"},
        "form": {"nb": "form", "en": "form"}, "pace": {"nb": "tempo", "en": "pace"},
        "count": {"nb": "telling", "en": "count"},
    },
    "cant_see": {"nb": "Ser ikke kameraet en kroppsdel, sier treneren fra om det i stedet for å rette på deg.",
                 "en": "When the camera cannot see a body part, the coach says so instead of correcting you."},
}

_VIEWS = {"side": ("fra siden", "side-on"), "front": ("forfra", "front-on"),
          "feet_end": ("fra fotenden", "from the feet end"),
          "side_or_feet_end": ("fra siden eller fra fotenden", "side-on or from the feet end")}
_HEIGHTS = {"floor": ("i gulvhøyde", "at floor height"), "seat": ("i setehøyde", "at seat height"),
            "hip": ("i hoftehøyde", "at hip height"), "chest": ("i brysthøyde", "at chest height")}
_UNITS = {"deg": "°", "body": " × overkroppslengde", "deg/s": "°/s", "body/s": " × overkroppslengde/s",
          "s": " s", "ratio": ""}
_UNITS_EN = {"deg": "°", "body": " × torso length", "deg/s": "°/s", "body/s": " × torso length/s",
             "s": " s", "ratio": ""}
_SIDE = {"right": ("høyre", "right"), "left": ("venstre", "left")}


_LANG = ["en"]   # the language being written (decimal comma in nb)


def _num(v: float | None) -> str:
    if v is None:
        return "?"
    s = f"{v:g}"
    return s.replace(".", ",") if _LANG[0] == "nb" else s


_NORM_TEXT = {"torso": ("overkroppslengde", "torso length"), "shoulder_width": ("skulderbredde", "shoulder width")}


def _val(v: float | None, unit: str | None, lang: str, norm: str | None = None) -> str:
    table = _UNITS if lang == "nb" else _UNITS_EN
    text = table.get(unit or "", "")
    if norm in _NORM_TEXT and unit in ("body", "body/s"):
        text = text.replace(_NORM_TEXT["torso"][0 if lang == "nb" else 1], _NORM_TEXT[norm][0 if lang == "nb" else 1])
    return f"{_num(v)}{text}"


def _norm_of(spec: ExerciseSpec, measure: str | None) -> str | None:
    """The body unit a measure divides by (torso length or shoulder width)."""
    m = spec.measures.get(measure or "", {})
    if m.get("type") in ("speed", "oscillation_amplitude"):
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
    s = s.replace("{side}", _SIDE.get(side or "right", ("høyre", "right"))[idx])
    s = s.replace("{other_side}", _SIDE["left" if side != "left" else "right"][idx])
    return s


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
        out.append(f"{_tr('not_for', lang)}: " + "; ".join(CONTRAINDICATION_TAGS[c][i] for c in spec.contraindications) + ".")
    if spec.cautions:
        out.append(f"{_tr('advice', lang)}: " + "; ".join(CONTRAINDICATION_TAGS[c][i] for c in spec.cautions) + ".")

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
            pos = [_cue(spec.rules[r].cue, lang, first_side) for r in p.position]
            out.append("   " + _tr("hold_pos", lang, rules="; ".join(s.rstrip(".") for s in pos)))
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
        line += (f" (målt som endring fra det første {_num(r.baseline_s)} s av holdet)" if lang == "nb"
                 else f" (measured as the change from the first {_num(r.baseline_s)} s of the hold)")
    if r.only_when:
        line += (f" (bare når «{r.only_when}» er i orden)" if lang == "nb" else f" (only while “{r.only_when}” is right)")
    if r.mirror_on_side:
        line += (" (speilvendt på " + _SIDE[r.mirror_on_side][0] + " side)") if lang == "nb" else \
            f" (mirrored on the {r.mirror_on_side} side)"
    return f"{r.id}: {line[:1].upper()}{line[1:]}"
