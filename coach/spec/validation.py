"""Validating a spec document: the typed models of :mod:`coach.spec.schema` check every field
(type, range, unit, vocabulary); the checks here are the ones between fields (a rule's
measure exists and its bounds carry that measure's unit, phases name real rules, ...).
Every mistake is one ``file:line: field: message`` line, and all of them are listed.
Measures are built once per side from the closed vocabulary of :mod:`coach.measures`, so a
bad point name fails here, not mid-session."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from coach import i18n
from coach import measures as measures_mod
from coach.errors import CoachError
from coach.spec import schema
from coach.spec.loading import (
    _PLACEHOLDER_RE, PLACEHOLDERS, Doc, Issues, Path_, SpecError, fmt_num, parse_yaml, short, validate_doc,
)
from coach.spec.models import ExerciseSpec, PhaseSpec, RuleSpec
from coach.vocab import CONTRAINDICATIONS, DEFAULT_VIEWS, TIMING_CHECK_PHASES, default_max_off_deg

if TYPE_CHECKING:
    from coach.spec.profiles import Profile

__all__ = ["CONTRAINDICATIONS", "check_spec_doc", "parse_spec"]

_PHASE = TypeAdapter(schema.Phase)
_RULE = TypeAdapter(schema.Rule)


def parse_spec(text: str, file: str = "<spec>", stem: str | None = None,
               profile: "Profile | None" = None, check_measures: bool = True) -> ExerciseSpec:
    """Validate spec text. ``stem`` (file name) is the id when the text has none."""
    try:
        doc = parse_yaml(text, file)
        loosened: tuple[dict[str, Any], ...] = ()
        if profile is not None:
            spec_id = doc.data.get("id", stem) if isinstance(doc.data, dict) else stem
            doc, loosened = profile.apply(spec_id, doc)
        return check_spec_doc(doc, stem, check_measures, loosened)
    except SpecError:
        raise
    except RecursionError:
        raise SpecError(f"{file}:1: (top): nested too deeply") from None


def check_spec_doc(doc: Doc, stem: str | None, check_measures: bool = True,
                   loosened: tuple[dict[str, Any], ...] = ()) -> ExerciseSpec:
    issues, model, data = validate_doc(doc, schema.ExerciseDoc)
    _check_texts(data, issues)
    for key in ("contraindications", "cautions"):
        if isinstance(data.get(key), list):
            _unique(data[key], (key,), issues)
    if isinstance(data.get("sides"), dict) and isinstance(data["sides"].get("order"), list):
        _unique(data["sides"]["order"], ("sides", "order"), issues)
    pieces = _Pieces(data, issues)
    units, order = _check_measures(data.get("measures"), pieces.sides, issues, check_measures)
    spec_id = _check_id(data, stem, issues)
    phases = _check_phases(pieces, units, issues)
    rules = _check_rules(pieces, units, phases, issues)
    issues.raise_if_any()
    assert model is not None
    return _build(model, spec_id or "", phases, rules, units, order, doc, loosened)


# --------------------------------------------------------------------------- the pieces

class _Pieces:
    """The parts of a document that validated on their own (the cross-field checks run on
    them even when another part has mistakes, so every mistake is listed at once)."""

    def __init__(self, data: dict[str, Any], issues: Issues) -> None:
        raw_phases = data.get("phases")
        raw_rules = data.get("rules")
        self.phases: list[Any] = []
        if isinstance(raw_phases, list):
            self.phases = [_quiet(_PHASE, p) for p in raw_phases]
        self.rules: dict[str, Any] = {}
        if isinstance(raw_rules, dict):
            self.rules = {str(k): _quiet(_RULE, r) for k, r in raw_rules.items()}
        self.rule_ids = set(self.rules)
        self.measure_names = set(data["measures"]) if isinstance(data.get("measures"), dict) else set()
        sides = data.get("sides")
        order = sides.get("order") if isinstance(sides, dict) else None
        self.sides: tuple[str, ...] = tuple(order) if isinstance(order, list) and \
            all(s in ("left", "right") for s in order) else ()
        self.has_sides = sides != "none"
        self.complete = isinstance(raw_phases, list) and isinstance(raw_rules, dict) and \
            not issues.has(("phases",)) and not issues.has(("rules",))


def _quiet(adapter: TypeAdapter, value: Any) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


# --------------------------------------------------------------------------- texts

def _check_texts(data: Any, issues: Issues, path: Path_ = ()) -> None:
    """Placeholders: only known ones, the same in both languages; none in plain texts."""
    if isinstance(data, dict):
        if set(data) == {"nb", "en"} and all(isinstance(v, str) for v in data.values()):
            _check_text(data, path, issues)
            return
        for k, v in data.items():
            _check_texts(v, issues, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _check_texts(v, issues, path + (i,))


_PLAIN_FIELDS = {"names", "summary", "equipment", "placement", "body_part"}


def _check_text(text: dict[str, str], path: Path_, issues: Issues) -> None:
    plain = bool(path) and path[-1] in _PLAIN_FIELDS
    found = {}
    for lang in ("nb", "en"):
        names = _PLACEHOLDER_RE.findall(text[lang])
        found[lang] = set(names)
        for name in names:
            if plain:
                issues.add(path + (lang,), f"no placeholders allowed here, got {{{name}}}")
            elif name not in PLACEHOLDERS:
                issues.add(path + (lang,), f"unknown placeholder {{{name}}}, expecting one of "
                           f"[{', '.join(sorted(PLACEHOLDERS))}]")
    if found["nb"] != found["en"]:
        issues.add(path, f"nb and en must use the same placeholders, got {sorted(found['nb'])} and "
                   f"{sorted(found['en'])}")


# --------------------------------------------------------------------------- id, measures

_NAME = r"[a-z][a-z0-9_]*"


def _check_id(data: dict[str, Any], stem: str | None, issues: Issues) -> str | None:
    raw = data.get("id")
    spec_id = raw if isinstance(raw, str) else stem
    if spec_id is None or not re.fullmatch(_NAME, spec_id):
        if not issues.has(("id",)):
            issues.add(("id",), "missing exercise id")
        return None
    if stem is not None and isinstance(raw, str) and raw != stem:
        issues.add(("id",), f"must match the file name '{stem}', got '{raw}'")
    return spec_id


def _check_measures(raw: Any, sides: tuple[str, ...], issues: Issues,
                    check: bool) -> tuple[dict[str, str], tuple[str, ...]]:
    """Each measure against the closed vocabulary, in dependency order; their units."""
    path: Path_ = ("measures",)
    if not isinstance(raw, dict):
        return {}, ()
    units: dict[str, str] = {}
    deps: dict[str, tuple[str, ...]] = {}
    ok: dict[str, dict] = {}
    for name, ms in raw.items():
        p = path + (name,)
        if not re.fullmatch(_NAME, str(name)):
            issues.add(p, f"'{name}' is not a valid name (lower-case letters, digits, _)")
        if not isinstance(ms, dict) or issues.has(p):
            continue
        if not check:
            units[name] = str(ms.get("unit", "deg"))
            deps[name], ok[name] = (), ms
            continue
        tname = ms.get("type")
        if tname not in measures_mod.MEASURE_TYPES:
            issues.add(p + ("type",), f"unknown measure type {short(tname)}, expecting one of "
                       f"[{', '.join(sorted(measures_mod.MEASURE_TYPES))}]")
            continue
        params = measures_mod.measure_params(tname)
        bad = [k for k in ms if k != "type" and k not in params]
        for key in bad:
            issues.add(p + (key,), f"unknown parameter for {tname}, expecting one of [{', '.join(sorted(params))}]")
        if bad:
            continue
        of = ms.get("of")
        deps[name] = (of,) if isinstance(of, str) else ()
        ok[name] = ms
    for name, ds in list(deps.items()):
        for d in ds:
            if d not in raw:
                issues.add(path + (name, "of"), f"unknown measure '{d}', expecting one of [{', '.join(raw)}]")
                ok.pop(name, None)
    order = _topo(path, ok, deps, issues)
    if check:
        for name in order:
            if any(d not in units for d in deps[name]):
                continue   # what it reads did not build
            built = None
            for side in (sides or (None,)):
                built = _build_one(issues, path + (name,), name, ok[name], side, units)
                if built is None:
                    break
            if built is not None:
                units[name] = built.unit
    return units, tuple(order)


def _build_one(issues: Issues, p: Path_, name: str, ms: dict, side: str | None, units: dict) -> Any:
    try:
        return measures_mod.build_measure(name, ms, side, source_units=units)
    except CoachError as exc:  # MeasureError: "param: what is wrong (expected ..., got ...)"
        msg = str(exc)
        param = getattr(exc, "param", None)
        if param and param in ms and msg.startswith(param + ":"):
            issues.add(p + (param,), msg[len(param) + 1:].strip())
        else:
            issues.add(p, msg)
    except Exception as exc:  # a measure bug must still not escape as a traceback here
        issues.add(p, f"cannot build measure: {exc.__class__.__name__}: {exc}")
    return None


def _topo(path: Path_, out: dict, deps: dict, issues: Issues) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str, chain: tuple[str, ...]) -> bool:
        if state.get(n) == 2:
            return True
        if state.get(n) == 1:
            issues.add(path + (n,), f"measures depend on each other in a cycle: {' -> '.join(chain + (n,))}")
            return False
        state[n] = 1
        good = all(visit(d, chain + (n,)) for d in deps[n] if d in out)
        state[n] = 2
        if good:
            order.append(n)
        return good

    for n in out:
        visit(n, ())
    return order


# --------------------------------------------------------------------------- phases

def _check_phases(pieces: _Pieces, units: dict[str, str], issues: Issues) -> list[PhaseSpec | None]:
    out: list[PhaseSpec | None] = []
    seen: set[str] = set()
    for i, ph in enumerate(pieces.phases):
        p: Path_ = ("phases", i)
        if ph is None:
            out.append(None)
            continue
        if ph.id in seen:
            issues.add(p + ("id",), f"phase id '{ph.id}' used twice")
        seen.add(ph.id)
        out.append(_phase(ph, p, units, pieces, issues, first=i == 0))
    valid = [x for x in out if x is not None]
    if len(valid) == len(out) and valid:
        per_side = [i for i, x in enumerate(valid) if x.per_side]
        if per_side and not pieces.has_sides:
            issues.add(("sides",), "a phase has per_side: true but the exercise has no sides")
        if pieces.has_sides and not per_side and not issues.has(("sides",)):
            issues.add(("sides",), "the exercise has sides but no phase has per_side: true")
        if per_side and per_side != list(range(per_side[0], per_side[-1] + 1)):
            issues.add(("phases", per_side[-1], "per_side"), "per-side phases must follow each other")
    return out


def _phase(ph: Any, p: Path_, units: dict[str, str], pieces: _Pieces, issues: Issues, first: bool) -> PhaseSpec | None:
    kw: dict[str, Any] = {"id": ph.id, "kind": ph.kind, "per_side": ph.per_side,
                          "cue": _text(ph.cue), "names": _text(ph.names)}
    n = len(issues.paths)
    if ph.kind == "setup":
        kw.update(stable_s=ph.stable_s, timeout_s=ph.timeout_s)
    elif ph.kind == "hold":
        if ph.target_s < ph.min_s:
            issues.add(p + ("target_s",), f"must be >= min_s ({fmt_num(ph.min_s)}), got {fmt_num(ph.target_s)}")
        if ph.max_s is not None and ph.max_s < ph.target_s:
            issues.add(p + ("max_s",), f"must be >= target_s ({fmt_num(ph.target_s)}), got {fmt_num(ph.max_s)}")
        for fname in ("position", "recognise_when", "entry_only"):
            _unique(getattr(ph, fname), p + (fname,), issues)
        for j, rid in enumerate(ph.entry_only):
            if rid not in ph.position:
                issues.add(p + ("entry_only", j), f"'{rid}' must be one of the phase's position rules")
        if ph.position and set(ph.position) <= set(ph.entry_only):
            issues.add(p + ("entry_only",), "must leave at least one position rule to tell when the person leaves")
        side_from = _side_from(ph, p, units, pieces, issues)
        if ph.recognise_when and ph.recognise_s is None:
            issues.add(p + ("recognise_when",), "needs recognise_s (how long before the coach follows)")
        if ph.recognise_s is not None and first:
            issues.add(p + ("recognise_s",), "the first phase has no earlier step to move on from")
        kw.update(min_s=ph.min_s, target_s=ph.target_s, max_s=ph.max_s, position=tuple(ph.position),
                  release_s=ph.release_s, settle_s=ph.settle_s, countdown_s=tuple(ph.countdown_s),
                  recognise_s=ph.recognise_s, recognise_when=tuple(ph.recognise_when), side_from=side_from,
                  entry_only=tuple(ph.entry_only))
    elif ph.kind == "reps":
        kw.update(_reps(ph, p, units, pieces, issues))
    else:
        kw["duration_s"] = ph.duration_s
    if len(issues.paths) != n:
        return None
    return PhaseSpec(**kw)


def _side_from(ph: Any, p: Path_, units: dict[str, str], pieces: _Pieces,
               issues: Issues) -> tuple[str, float, str | None] | None:
    sf = ph.side_from
    if sf is None:
        return None
    p = p + ("side_from",)
    if not ph.per_side:
        issues.add(p, "only a per-side phase has sides to tell apart")
        return None
    if sf.measure not in pieces.measure_names:
        issues.add(p + ("measure",), f"unknown measure '{sf.measure}', expecting one of "
                   f"[{', '.join(sorted(pieces.measure_names))}]")
        return None
    if sf.measure not in units:
        return None
    sfx = schema.UNIT_SUFFIX.get(units[sf.measure], "value")
    given = {k for k in sf.model_fields_set if k.startswith("min_")}
    for k in sorted(given - {f"min_{sfx}"}):
        issues.add(p + (k,), f"unknown field (measure '{sf.measure}' is in {units[sf.measure]}: use the suffix "
                   f"_{sfx}), expecting one of [min_{sfx}]")
    if f"min_{sfx}" not in given:
        issues.add(p, f"missing required field 'min_{sfx}'")
        return None
    return sf.measure, float(getattr(sf, f"min_{sfx}")), sf.positive_side


def _reps(ph: Any, p: Path_, units: dict[str, str], pieces: _Pieces, issues: Issues) -> dict[str, Any]:
    kw: dict[str, Any] = {"measure": ph.measure, "direction": ph.direction, "min_period_s": ph.min_period_s,
                          "min_reps": ph.min_reps, "target_reps": ph.target_reps, "max_reps": ph.max_reps,
                          "count_error": ph.count_error, "peak_min_s": ph.peak_min_s, "idle_end_s": ph.idle_end_s}
    if ph.measure not in pieces.measure_names:
        issues.add(p + ("measure",), f"unknown measure '{ph.measure}', expecting one of "
                   f"[{', '.join(sorted(pieces.measure_names))}]")
        return kw
    if ph.measure not in units:
        return kw   # the measure itself has a mistake (said there)
    sfx = schema.UNIT_SUFFIX.get(units[ph.measure], "value")
    if ph.min_reps is not None and ph.target_reps < ph.min_reps:
        issues.add(p + ("target_reps",), f"must be >= min_reps ({ph.min_reps}), got {ph.target_reps}")
    if ph.max_reps is not None and ph.target_reps > ph.max_reps:
        issues.add(p + ("target_reps",), f"must be <= max_reps ({ph.max_reps}), got {ph.target_reps}")
    kw.update(count=ph.count, range_fraction=ph.range_fraction)
    given = {k for k in ph.model_fields_set if k.startswith(("enter_", "exit_", "min_amplitude_"))}
    turning = ph.count == "turning_points"
    allowed = {f"min_amplitude_{sfx}"} if turning else {f"enter_{sfx}", f"exit_{sfx}"}
    for k in sorted(given - allowed):
        if k.startswith("min_amplitude_" if turning else ("enter_", "exit_")):
            why = f"measure '{ph.measure}' is in {units[ph.measure]}: use the suffix _{sfx}"
        else:
            why = f"not used with count: {ph.count}"
        issues.add(p + (k,), f"unknown field ({why}), expecting one of [{', '.join(sorted(allowed))}]")
    for k in sorted(allowed - given):
        issues.add(p, f"missing required field '{k}'")
    if given != allowed:
        return kw
    if turning:
        kw.update(min_amplitude=getattr(ph, f"min_amplitude_{sfx}"))
        return kw
    enter, exit_ = getattr(ph, f"enter_{sfx}"), getattr(ph, f"exit_{sfx}")
    up = ph.direction == "up"
    if (up and not exit_ < enter) or (not up and not exit_ > enter):
        issues.add(p + (f"exit_{sfx}",), f"must be {'below' if up else 'above'} enter_{sfx} ({fmt_num(enter)}) for "
                   f"direction {ph.direction} (that gap is the hysteresis), got {fmt_num(exit_)}")
    kw.update(enter=enter, exit=exit_)
    return kw


# --------------------------------------------------------------------------- rules

def _check_rules(pieces: _Pieces, units: dict[str, str], phases: list[PhaseSpec | None],
                 issues: Issues) -> dict[str, RuleSpec]:
    known_phases = [p for p in phases if p is not None]
    phase_ids = [ph.id for ph in pieces.phases if ph is not None]
    rules: dict[str, RuleSpec] = {}
    for rid, r in pieces.rules.items():
        p: Path_ = ("rules", rid)
        if not re.fullmatch(_NAME, rid):
            issues.add(p, f"'{rid}' is not a valid rule id (lower-case letters, digits, _)")
            continue
        if r is None:
            continue
        n = len(issues.paths)
        for i, ph in enumerate(r.phases or ()):
            if ph not in phase_ids and len(phase_ids) == len(pieces.phases):
                issues.add(p + ("phases", i), f"unknown value '{ph}', expecting one of [{', '.join(phase_ids)}]")
        _unique(r.phases or [], p + ("phases",), issues)
        targets = [ph for ph in known_phases if (ph.id in r.phases if r.phases else True)]
        kw: dict[str, Any] = {"id": rid, "severity": r.severity, "cue": _text(r.cue), "praise": _text(r.praise),
                              "phases": tuple(r.phases or ())}
        if hasattr(r, "measure"):
            kw.update(_measure_rule(r, p, units, pieces, targets, issues))
        else:
            kw.update(_timing_rule(r, p, targets, issues, complete=len(known_phases) == len(pieces.phases)))
        if len(issues.paths) == n and "kind" in kw:
            rules[rid] = RuleSpec(**kw)
    if pieces.complete and len(rules) == len(pieces.rules):
        _check_references(rules, known_phases, issues)
    return rules


def _measure_rule(r: Any, p: Path_, units: dict[str, str], pieces: _Pieces, targets: list[PhaseSpec],
                  issues: Issues) -> dict[str, Any]:
    names = r.measure if isinstance(r.measure, list) else [r.measure]
    mpath = p + ("measure",)
    listed = isinstance(r.measure, list)
    for i, n in enumerate(names):
        if n not in pieces.measure_names:
            where = mpath + (i,) if listed else mpath
            if listed:
                issues.add(where, f"unknown value '{n}', expecting one of [{', '.join(sorted(pieces.measure_names))}]")
            else:
                issues.add(where, f"unknown measure '{n}', expecting one of [{', '.join(sorted(pieces.measure_names))}]")
    if listed:
        _unique(names, mpath, issues)
    if issues.has(mpath) or any(n not in units for n in names):
        return {}
    meas, unit = names[0], units[names[0]]
    for i, n in enumerate(names):
        if units[n] != unit:
            issues.add(mpath + (i,), f"all measures of a rule need the same unit: '{n}' is in {units[n]}, "
                       f"'{meas}' in {unit}")
    sfx = schema.UNIT_SUFFIX.get(unit, "value")
    own = {f"min_{sfx}", f"max_{sfx}", f"hysteresis_{sfx}", f"error_{sfx}"}
    given = {k for k in r.model_fields_set if k in schema._RULE_BOUNDS}
    for k in sorted(given - own):
        allowed = sorted((set(schema._MeasureRuleFields.model_fields) - {"kind"}) | own)
        issues.add(p + (k,), f"unknown field (measure '{meas}' is in {unit}: use the suffix _{sfx}), "
                   f"expecting one of [{', '.join(allowed)}]")
    lo, hi = getattr(r, f"min_{sfx}", None), getattr(r, f"max_{sfx}", None)
    hyst = getattr(r, f"hysteresis_{sfx}", None)
    if lo is None and hi is None and not given - own:   # (a bound in the wrong unit is said above)
        issues.add(p, f"needs a bound: min_{sfx} and/or max_{sfx}")
    if lo is not None and hi is not None and lo >= hi:
        if _from_elsewhere(issues, p + (f"min_{sfx}",)) and not _from_elsewhere(issues, p + (f"max_{sfx}",)):
            issues.add(p + (f"min_{sfx}",), f"must be below max_{sfx} ({fmt_num(hi)}), got {fmt_num(lo)}")
        else:
            issues.add(p + (f"max_{sfx}",), f"must be above min_{sfx} ({fmt_num(lo)}), got {fmt_num(hi)}")
    elif lo is not None and hi is not None and hyst is not None and hyst * 2 >= hi - lo:
        issues.add(p + (f"hysteresis_{sfx}",), "must be less than half the gap between the bounds")
    if r.relative_to_hold_start_s is not None and (not r.phases or not all(ph.kind == "hold" for ph in targets)):
        issues.add(p + ("relative_to_hold_start_s",), "needs 'phases' listing only hold phases")
    if r.relative_to is not None:
        if not r.phases or any(ph.kind == "setup" for ph in targets):
            issues.add(p + ("relative_to",), "needs 'phases' listing only phases after the set-up (the start "
                       "position is what it compares with)")
        elif pieces.complete and not any(getattr(ph, "kind", None) == "setup" for ph in pieces.phases):
            issues.add(p + ("relative_to",), "needs a setup phase (the start position) before its phases")
    err = getattr(r, f"error_{sfx}", None)
    pauses = r.pauses_hold if r.pauses_hold is not None else r.severity not in ("pace", "count")
    return {"kind": "measure", "measure": meas, "unit": unit, "measures": tuple(names), "min": lo, "max": hi,
            "hysteresis": hyst or 0.0, "persist_s": r.persist_s, "body_part": _text(r.body_part),
            "pauses_hold": pauses, "missing_ok": r.when_missing == "ok", "mirror_on_side": r.mirror_on_side,
            "baseline_s": r.relative_to_hold_start_s, "only_when": r.only_when, "views": tuple(r.views or ()),
            "error": err or 0.0, "relative_to_start": r.relative_to == "start"}


def _timing_rule(r: Any, p: Path_, targets: list[PhaseSpec], issues: Issues, complete: bool) -> dict[str, Any]:
    check = r.check
    if complete:
        need = TIMING_CHECK_PHASES[check]
        if not any(ph.kind in need for ph in targets):
            issues.add(p + ("check",), f"'{check}' needs a {' or '.join(need)} phase to apply to")
        elif check == "hold_long" and not any(ph.kind == "hold" and ph.max_s is not None for ph in targets):
            issues.add(p + ("check",), "hold_long needs a hold phase with max_s")
        elif check == "hold_short" and not any(
                ph.kind == "hold" or (ph.kind == "reps" and ph.peak_min_s is not None) for ph in targets):
            issues.add(p + ("check",), "hold_short needs a hold phase, or a reps phase with peak_min_s")
        elif check == "side_skipped" and not any(ph.per_side for ph in targets):
            issues.add(p + ("check",), "side_skipped needs a per-side phase")
    if check == "rep_period" and r.min_s is None:
        issues.add(p, "missing required field 'min_s' (the shortest calm cycle)")
    elif check != "rep_period" and r.min_s is not None:
        issues.add(p + ("min_s",), f"only a rep_period rule has min_s (this is {check})")
    return {"kind": "timing", "check": check, "pauses_hold": False, "min_s": r.min_s}


def _check_references(rules: dict[str, RuleSpec], phases: list[PhaseSpec], issues: Issues) -> None:
    """Rules that name rules: only_when, a hold's position and recognise_when."""
    for rid, r in rules.items():
        if r.only_when is None:
            continue
        other = rules.get(r.only_when)
        if other is None or other.kind != "measure" or other.id == rid or other.only_when is not None:
            issues.add(("rules", rid, "only_when"),
                       f"must name another measure rule (without only_when), got '{r.only_when}'")
        elif any(r.applies_to(ph) and not other.applies_to(ph) for ph in phases):
            issues.add(("rules", rid, "only_when"), f"rule '{r.only_when}' must apply wherever '{rid}' does")
    for i, ph in enumerate(phases):
        for field_name in ("position", "recognise_when"):
            for j, rid in enumerate(getattr(ph, field_name)):
                r = rules.get(rid)
                if r is None:
                    issues.add(("phases", i, field_name, j), f"unknown rule '{rid}'")
                elif r.kind != "measure" or not r.applies_to(ph):
                    issues.add(("phases", i, field_name, j),
                               f"rule '{rid}' must be a measure rule that applies in phase '{ph.id}'")
                elif r.views:
                    # a rule that rests (reads OK) from some views would start holds unseen
                    issues.add(("rules", rid, "views"), f"a {field_name} rule (phase '{ph.id}') is judged from "
                               "every supported view: leave out 'views'")


# --------------------------------------------------------------------------- helpers

def _from_elsewhere(issues: Issues, path: Path_) -> bool:
    """The value at ``path`` came from another file (a profile merged into the spec)."""
    return path in issues.reader.doc.where and issues.reader.where(path)[0] != issues.reader.doc.file


def _unique(items: list[Any], path: Path_, issues: Issues) -> None:
    for i, item in enumerate(items):
        if item in items[:i]:
            issues.add(path + (i,), f"'{item}' is listed twice")


def _text(t: BaseModel | None) -> dict[str, str] | None:
    return None if t is None else {"nb": t.nb, "en": t.en}  # type: ignore[attr-defined]


def _build(model: Any, spec_id: str, phases: list[PhaseSpec | None], rules: dict[str, RuleSpec],
           units: dict[str, str], order: tuple[str, ...], doc: Doc,
           loosened: tuple[dict[str, Any], ...]) -> ExerciseSpec:
    names = _text(model.names)
    assert names is not None
    sides = () if model.sides == "none" else tuple(model.sides.order)
    no_equipment = i18n.texts("spec.no_equipment")
    return ExerciseSpec(
        id=spec_id, names=names, summary=_text(model.summary) or dict(names),
        equipment=_text(model.equipment) or dict(no_equipment),
        camera_view=model.camera.view, camera_height=model.camera.height,
        camera_placement=_text(model.camera.placement) or {},
        sides=sides, switch_cue=None if model.sides == "none" else _text(model.sides.switch_cue),
        contraindications=tuple(model.contraindications), cautions=tuple(model.cautions),
        measures={k: dict(v) for k, v in doc.data["measures"].items()}, measure_order=order, measure_units=units,
        phases=tuple(p for p in phases if p is not None), rules=rules, coaching=model.coaching, timing=model.timing,
        source=doc.file, profile_label=getattr(doc, "profile_label", None), posture=model.posture,
        camera_views=tuple(model.camera.views or DEFAULT_VIEWS[model.camera.view]),
        camera_max_off_deg=(model.camera.max_off_deg if model.camera.max_off_deg is not None
                            else default_max_off_deg(model.camera.view, model.posture)),
        safety_loosened=tuple(loosened),
    )
