"""Validating a spec document: every field checked, every mistake one ``file:line: field:
message`` line. Measures are checked against the closed vocabulary of :mod:`coach.measures`
(built once per side, so a bad point name fails here, not mid-session)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from coach import i18n
from coach import measures as measures_mod
from coach.errors import CoachError
from coach.spec.loading import Path_, SpecError, DocReader, fmt_num, parse_yaml, short, typename
from coach.spec.models import UNIT_SUFFIX, CoachingSpec, ExerciseSpec, PhaseSpec, RuleSpec
from coach.vocab import (
    CAMERA_HEIGHTS, CAMERA_VIEWS, CONTRAINDICATIONS, PHASE_KINDS, POSTURES, SEVERITIES, SIDES, TIMING_CHECK_PHASES,
    TIMING_CHECKS,
)

if TYPE_CHECKING:
    from coach.spec.profiles import Profile


def parse_spec(text: str, file: str = "<spec>", stem: str | None = None,
               profile: "Profile | None" = None, check_measures: bool = True) -> ExerciseSpec:
    """Validate spec text. ``stem`` (file name) is the id when the text has none."""
    try:
        doc = parse_yaml(text, file)
        if profile is not None:
            spec_id = doc.data.get("id", stem) if isinstance(doc.data, dict) else stem
            doc = profile.apply(spec_id, doc)
        return _build_spec(DocReader(doc), stem, check_measures)
    except SpecError:
        raise
    except RecursionError:
        raise SpecError(f"{file}:1: (top): nested too deeply") from None



_NAME = r"[a-z][a-z0-9_]*"
_TOP_FIELDS = {"id", "names", "summary", "equipment", "camera", "posture", "sides", "contraindications",
               "cautions", "measures", "phases", "rules", "coaching"}


def _build_spec(ctx: DocReader, stem: str | None, check_measures: bool) -> ExerciseSpec:
    top = ctx.mapping(ctx.doc.data, (), _TOP_FIELDS,
                      ("names", "camera", "sides", "contraindications", "measures", "phases", "rules"))
    spec_id = ctx.string(top["id"], ("id",), _NAME) if "id" in top else stem
    if spec_id is None or not re.fullmatch(_NAME, spec_id):
        raise ctx.err(("id",), "missing exercise id")
    if stem is not None and "id" in top and spec_id != stem:
        raise ctx.err(("id",), f"must match the file name '{stem}', got '{spec_id}'")
    names = ctx.text(top["names"], ("names",), placeholders=False)
    summary = ctx.text(top.get("summary", {"nb": names["nb"], "en": names["en"]}), ("summary",), placeholders=False)
    equipment = ctx.text(top.get("equipment", i18n.texts("spec.no_equipment")), ("equipment",), placeholders=False)

    cam = ctx.mapping(top["camera"], ("camera",), {"view", "height", "placement"}, ("view", "height", "placement"))
    view = ctx.choice(cam["view"], ("camera", "view"), CAMERA_VIEWS)
    height = ctx.choice(cam["height"], ("camera", "height"), CAMERA_HEIGHTS)
    placement = ctx.text(cam["placement"], ("camera", "placement"), placeholders=False)
    posture = ctx.choice(top["posture"], ("posture",), POSTURES) if "posture" in top else None

    sides: tuple[str, ...] = ()
    switch_cue = None
    if top["sides"] != "none":
        sm = ctx.mapping(top["sides"], ("sides",), {"order", "switch_cue"}, ("order", "switch_cue"))
        sides = ctx.str_list(sm["order"], ("sides", "order"), SIDES)
        if len(sides) != 2:
            raise ctx.err(("sides", "order"), "must list both sides, e.g. [right, left]")
        switch_cue = ctx.text(sm["switch_cue"], ("sides", "switch_cue"))

    contra = ctx.str_list(top["contraindications"], ("contraindications",), tuple(CONTRAINDICATIONS))
    cautions = ctx.str_list(top.get("cautions", []), ("cautions",), tuple(CONTRAINDICATIONS))

    measures, order, units = _check_measures(ctx, top["measures"], sides, check_measures)
    coaching = _check_coaching(ctx, top.get("coaching", {}))

    phase_list = top["phases"]
    if not isinstance(phase_list, list) or not phase_list:
        raise ctx.err(("phases",), "must be a non-empty list of phases")
    rules_raw = ctx.mapping(top["rules"], ("rules",))
    rule_ids = set(rules_raw)
    phases = tuple(_check_phase(ctx, p, ("phases", i), measures, units, rule_ids, sides)
                   for i, p in enumerate(phase_list))
    seen: set[str] = set()
    for i, ph in enumerate(phases):
        if ph.id in seen:
            raise ctx.err(("phases", i, "id"), f"phase id '{ph.id}' used twice")
        seen.add(ph.id)
    if any(p.per_side for p in phases) and not sides:
        raise ctx.err(("sides",), "a phase has per_side: true but the exercise has no sides")
    if sides and not any(p.per_side for p in phases):
        raise ctx.err(("sides",), "the exercise has sides but no phase has per_side: true")
    side_idx = [i for i, p in enumerate(phases) if p.per_side]
    if side_idx and side_idx != list(range(side_idx[0], side_idx[-1] + 1)):
        raise ctx.err(("phases", side_idx[-1], "per_side"), "per-side phases must follow each other")

    rules = {}
    for rid, raw in rules_raw.items():
        rules[rid] = _check_rule(ctx, rid, raw, measures, units, phases)
    for rid, r in rules.items():
        if r.only_when is not None:
            other = rules.get(r.only_when)
            if other is None or other.kind != "measure" or other.id == rid or other.only_when is not None:
                raise ctx.err(("rules", rid, "only_when"),
                              f"must name another measure rule (without only_when), got '{r.only_when}'")
            if any(r.applies_to(p) and not other.applies_to(p) for p in phases):
                raise ctx.err(("rules", rid, "only_when"), f"rule '{r.only_when}' must apply wherever '{rid}' does")
    for i, ph in enumerate(phases):
        for field_name in ("position", "recognise_when"):
            for j, rid in enumerate(getattr(ph, field_name)):
                r = rules.get(rid)
                if r is None:
                    raise ctx.err(("phases", i, field_name, j), f"unknown rule '{rid}'")
                if r.kind != "measure" or not r.applies_to(ph):
                    raise ctx.err(("phases", i, field_name, j),
                                  f"rule '{rid}' must be a measure rule that applies in phase '{ph.id}'")
        if ph.recognise_s is not None and i == 0:
            raise ctx.err(("phases", i, "recognise_s"), "the first phase has no earlier step to move on from")

    return ExerciseSpec(
        id=spec_id, names=names, summary=summary, equipment=equipment,
        camera_view=view, camera_height=height, camera_placement=placement,
        sides=sides, switch_cue=switch_cue, contraindications=contra, cautions=cautions,
        measures=measures, measure_order=order, measure_units=units, phases=phases,
        rules=rules, coaching=coaching, source=ctx.doc.file,
        profile_label=getattr(ctx.doc, "profile_label", None), posture=posture,
    )


def _check_coaching(ctx: DocReader, raw: Any) -> CoachingSpec:
    path = ("coaching",)
    fields = {"global_cooldown_s": (0.0, 60.0), "repeat_s": (0.5, 600.0), "cant_see_s": (0.0, 60.0),
              "oneshot_ttl_s": (0.5, 600.0), "praise_ttl_s": (0.0, 60.0)}
    m = ctx.mapping(raw, path, set(fields) | {"max_repeats"})
    kw: dict[str, Any] = {k: ctx.number(m[k], path + (k,), *fields[k]) for k in fields if k in m}
    if "max_repeats" in m:
        kw["max_repeats"] = ctx.integer(m["max_repeats"], path + ("max_repeats",), 1, 100)
    return CoachingSpec(**kw)


def _check_measures(ctx: DocReader, raw: Any, sides: tuple[str, ...], check: bool):
    path = ("measures",)
    m = ctx.mapping(raw, path)
    if not m:
        raise ctx.err(path, "must define at least one measure")
    mod = measures_mod if check else None
    out: dict[str, dict] = {}
    units: dict[str, str] = {}
    deps: dict[str, tuple[str, ...]] = {}
    for name, mspec in m.items():
        p = path + (name,)
        if not re.fullmatch(_NAME, name):
            raise ctx.err(p, f"'{name}' is not a valid name (lower-case letters, digits, _)")
        ms = ctx.mapping(mspec, p, None, ("type",))
        if mod is None:
            out[name] = dict(ms)
            units[name] = str(ms.get("unit", "deg"))
            deps[name] = ()
            continue
        tname = ms["type"]
        if not isinstance(tname, str) or tname not in mod.MEASURE_TYPES:
            raise ctx.err(p + ("type",), f"unknown measure type {short(tname)}, expecting one of "
                          f"[{', '.join(sorted(mod.MEASURE_TYPES))}]")
        params = mod.measure_params(tname)
        for key in ms:
            if key != "type" and key not in params:
                raise ctx.err(p + (key,), f"unknown parameter for {tname}, expecting one of "
                              f"[{', '.join(sorted(params))}]")
        of = ms.get("of")
        deps[name] = (of,) if isinstance(of, str) else ()
        out[name] = dict(ms)
    for name, ds in deps.items():
        for d in ds:
            if d not in out:
                raise ctx.err(path + (name, "of"), f"unknown measure '{d}', expecting one of [{', '.join(out)}]")
    order = _topo(ctx, path, out, deps)
    if mod is not None:
        for name in order:
            built = None
            for side in (sides or (None,)):
                built = _build_one(ctx, mod, path + (name,), name, out[name], side, units)
            units[name] = built.unit
            deps[name] = tuple(built.depends_on)
    return out, tuple(order), units


def _build_one(ctx: DocReader, mod: Any, p: Path_, name: str, ms: dict, side: str | None, units: dict) -> Any:
    try:
        return mod.build_measure(name, ms, side, source_units=units)
    except CoachError as exc:  # MeasureError: "param: what is wrong (expected ..., got ...)"
        msg = str(exc)
        param = getattr(exc, "param", None)
        if param and param in ms and msg.startswith(param + ":"):
            raise ctx.err(p + (param,), msg[len(param) + 1:].strip()) from None
        raise ctx.err(p, msg) from None
    except Exception as exc:  # a measure bug must still not escape as a traceback here
        raise ctx.err(p, f"cannot build measure: {exc.__class__.__name__}: {exc}") from None


def _topo(ctx: DocReader, path: Path_, out: dict, deps: dict) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str, chain: tuple[str, ...]) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            raise ctx.err(path + (n,), f"measures depend on each other in a cycle: {' -> '.join(chain + (n,))}")
        state[n] = 1
        for d in deps[n]:
            visit(d, chain + (n,))
        state[n] = 2
        order.append(n)

    for n in out:
        visit(n, ())
    return order


_PHASE_FIELDS = {
    "setup": {"stable_s", "timeout_s"},
    "hold": {"min_s", "target_s", "max_s", "position", "release_s", "settle_s", "countdown_s",
             "recognise_s", "recognise_when"},
    "reps": {"measure", "direction", "min_period_s", "min_reps", "target_reps", "max_reps",
             "peak_min_s", "idle_end_s"},   # + enter_<unit>, exit_<unit>
    "rest": {"duration_s"},
}
_PHASE_COMMON = {"id", "kind", "per_side", "cue", "names"}


def _check_phase(ctx: DocReader, raw: Any, path: Path_, measures: dict, units: dict,
                 rule_ids: set[str], sides: tuple[str, ...]) -> PhaseSpec:
    m = ctx.mapping(raw, path, None, ("id", "kind"))
    pid = ctx.string(m["id"], path + ("id",), _NAME)
    kind = ctx.choice(m["kind"], path + ("kind",), PHASE_KINDS)
    allowed = set(_PHASE_COMMON) | _PHASE_FIELDS[kind]
    suffix = None
    if kind == "reps":
        if "measure" not in m:
            raise ctx.err(path, "missing required field 'measure'")
        meas = ctx.string(m["measure"], path + ("measure",))
        if meas not in measures:
            raise ctx.err(path + ("measure",), f"unknown measure '{meas}', expecting one of [{', '.join(measures)}]")
        suffix = UNIT_SUFFIX.get(units[meas], "value")
        allowed |= {f"enter_{suffix}", f"exit_{suffix}"}
    for key in m:
        if key not in allowed:
            raise ctx.err(path + (key,), f"unknown field for a {kind} phase, expecting one of [{', '.join(sorted(allowed))}]")
    kw: dict[str, Any] = {"id": pid, "kind": kind}
    if "per_side" in m:
        kw["per_side"] = ctx.boolean(m["per_side"], path + ("per_side",))
    if "cue" in m:
        kw["cue"] = ctx.text(m["cue"], path + ("cue",))
    if "names" in m:
        kw["names"] = ctx.text(m["names"], path + ("names",), placeholders=False)
    num = lambda k, lo=0.0, hi=3600.0: ctx.number(m[k], path + (k,), lo, hi)  # noqa: E731
    if kind == "setup":
        if "stable_s" in m:
            kw["stable_s"] = num("stable_s", 0.0, 60.0)
        if "timeout_s" in m:
            kw["timeout_s"] = num("timeout_s", 1.0, 3600.0)
    elif kind == "hold":
        for k in ("min_s", "target_s"):
            if k not in m:
                raise ctx.err(path, f"missing required field '{k}'")
        kw["min_s"] = num("min_s", 0.5)
        kw["target_s"] = num("target_s", 0.5)
        if kw["target_s"] < kw["min_s"]:
            raise ctx.err(path + ("target_s",), f"must be >= min_s ({fmt_num(kw['min_s'])}), got {fmt_num(kw['target_s'])}")
        if "max_s" in m:
            kw["max_s"] = num("max_s", 0.5)
            if kw["max_s"] < kw["target_s"]:
                raise ctx.err(path + ("max_s",), f"must be >= target_s ({fmt_num(kw['target_s'])}), got {fmt_num(kw['max_s'])}")
        if "position" not in m:
            raise ctx.err(path, "missing required field 'position' (rules that mean 'in the position')")
        kw["position"] = ctx.str_list(m["position"], path + ("position",), allow_empty=False)
        if "release_s" in m:
            kw["release_s"] = num("release_s", 0.1, 30.0)
        if "settle_s" in m:
            kw["settle_s"] = num("settle_s", 0.0, 30.0)
        if "recognise_s" in m:
            kw["recognise_s"] = num("recognise_s", 0.5, 60.0)
        if "recognise_when" in m:
            if "recognise_s" not in m:
                raise ctx.err(path + ("recognise_when",), "needs recognise_s (how long before the coach follows)")
            kw["recognise_when"] = ctx.str_list(m["recognise_when"], path + ("recognise_when",), allow_empty=False)
        if "countdown_s" in m:
            cd = m["countdown_s"]
            if not isinstance(cd, list):
                raise ctx.err(path + ("countdown_s",), f"must be a list of seconds, got {typename(cd)}")
            kw["countdown_s"] = tuple(ctx.number(v, path + ("countdown_s", i), 1.0, 3600.0) for i, v in enumerate(cd))
    elif kind == "reps":
        kw["measure"] = m["measure"]
        if "direction" in m:
            kw["direction"] = ctx.choice(m["direction"], path + ("direction",), ("up", "down"))
        for k in (f"enter_{suffix}", f"exit_{suffix}"):
            if k not in m:
                raise ctx.err(path, f"missing required field '{k}'")
        enter = ctx.number(m[f"enter_{suffix}"], path + (f"enter_{suffix}",), -1e6, 1e6)
        exit_ = ctx.number(m[f"exit_{suffix}"], path + (f"exit_{suffix}",), -1e6, 1e6)
        up = kw.get("direction", "up") == "up"
        if (up and not exit_ < enter) or (not up and not exit_ > enter):
            raise ctx.err(path + (f"exit_{suffix}",),
                          f"must be {'below' if up else 'above'} enter_{suffix} ({fmt_num(enter)}) for direction "
                          f"{'up' if up else 'down'} (that gap is the hysteresis), got {fmt_num(exit_)}")
        kw["enter"], kw["exit"] = enter, exit_
        for k in ("min_period_s", "peak_min_s", "idle_end_s"):
            if k in m:
                kw[k] = num(k, 0.0, 600.0)
        for k in ("min_reps", "target_reps", "max_reps"):
            if k in m:
                kw[k] = ctx.integer(m[k], path + (k,), 1, 1000)
        if "target_reps" not in kw:
            raise ctx.err(path, "missing required field 'target_reps'")
        lo, tg, hi = kw.get("min_reps"), kw["target_reps"], kw.get("max_reps")
        if lo is not None and tg < lo:
            raise ctx.err(path + ("target_reps",), f"must be >= min_reps ({lo}), got {tg}")
        if hi is not None and tg > hi:
            raise ctx.err(path + ("target_reps",), f"must be <= max_reps ({hi}), got {tg}")
    elif kind == "rest":
        if "duration_s" not in m:
            raise ctx.err(path, "missing required field 'duration_s'")
        kw["duration_s"] = num("duration_s", 0.5, 600.0)
    return PhaseSpec(**kw)


_RULE_COMMON = {"severity", "cue", "praise", "phases"}
_MEASURE_RULE = {"measure", "persist_s", "body_part", "pauses_hold", "when_missing", "mirror_on_side",
                 "relative_to_hold_start_s", "only_when"}   # + min_/max_/hysteresis_<unit>
_TIMING_RULE = {"check", "min_s"}


def _check_rule(ctx: DocReader, rid: str, raw: Any, measures: dict, units: dict,
                phases: tuple[PhaseSpec, ...]) -> RuleSpec:
    path = ("rules", rid)
    if not re.fullmatch(_NAME, rid):
        raise ctx.err(path, f"'{rid}' is not a valid rule id (lower-case letters, digits, _)")
    m = ctx.mapping(raw, path, None, ("severity", "cue"))
    if "measure" in m and "check" in m:
        raise ctx.err(path, "a rule has either 'measure' or 'check', not both")
    if "measure" not in m and "check" not in m:
        raise ctx.err(path, "missing required field 'measure' (or 'check' for a timing rule)")
    kw: dict[str, Any] = {"id": rid}
    kw["severity"] = ctx.choice(m["severity"], path + ("severity",), SEVERITIES)
    kw["cue"] = ctx.text(m["cue"], path + ("cue",))
    if "praise" in m:
        kw["praise"] = ctx.text(m["praise"], path + ("praise",))
    phase_ids = [p.id for p in phases]
    if "phases" in m:
        kw["phases"] = ctx.str_list(m["phases"], path + ("phases",), tuple(phase_ids), allow_empty=False)
    if "measure" in m:
        kw["kind"] = "measure"
        raw_meas = m["measure"]
        if isinstance(raw_meas, list):
            names = ctx.str_list(raw_meas, path + ("measure",), tuple(measures), allow_empty=False)
        else:
            names = (ctx.string(raw_meas, path + ("measure",)),)
            if names[0] not in measures:
                raise ctx.err(path + ("measure",), f"unknown measure '{names[0]}', expecting one of [{', '.join(measures)}]")
        meas = names[0]
        unit = units[meas]
        for i, n in enumerate(names):
            if units[n] != unit:
                raise ctx.err(path + ("measure", i), f"all measures of a rule need the same unit: '{n}' is in "
                              f"{units[n]}, '{meas}' in {unit}")
        kw["measures"] = names
        suffix = UNIT_SUFFIX.get(unit, "value")
        allowed = _RULE_COMMON | _MEASURE_RULE | {f"min_{suffix}", f"max_{suffix}", f"hysteresis_{suffix}"}
        for key in m:
            if key not in allowed:
                hint = ""
                if re.fullmatch(r"(min|max|hysteresis)_\w+", key):
                    hint = f" (measure '{meas}' is in {unit}: use the suffix _{suffix})"
                raise ctx.err(path + (key,), f"unknown field{hint}, expecting one of [{', '.join(sorted(allowed))}]")
        kw["measure"], kw["unit"] = meas, unit
        if f"min_{suffix}" in m:
            kw["min"] = ctx.number(m[f"min_{suffix}"], path + (f"min_{suffix}",), -1e6, 1e6)
        if f"max_{suffix}" in m:
            kw["max"] = ctx.number(m[f"max_{suffix}"], path + (f"max_{suffix}",), -1e6, 1e6)
        if "min" not in kw and "max" not in kw:
            raise ctx.err(path, f"needs a bound: min_{suffix} and/or max_{suffix}")
        if "min" in kw and "max" in kw and kw["min"] >= kw["max"]:
            raise ctx.err(path + (f"max_{suffix}",), f"must be above min_{suffix} ({fmt_num(kw['min'])}), got {fmt_num(kw['max'])}")
        if f"hysteresis_{suffix}" in m:
            kw["hysteresis"] = ctx.number(m[f"hysteresis_{suffix}"], path + (f"hysteresis_{suffix}",), 0.0, 1e6)
            if "min" in kw and "max" in kw and kw["hysteresis"] * 2 >= kw["max"] - kw["min"]:
                raise ctx.err(path + (f"hysteresis_{suffix}",), "must be less than half the gap between the bounds")
        if "persist_s" in m:
            kw["persist_s"] = ctx.number(m["persist_s"], path + ("persist_s",), 0.0, 60.0)
        if "body_part" in m:
            kw["body_part"] = ctx.text(m["body_part"], path + ("body_part",), placeholders=False)
        if "when_missing" in m:
            kw["missing_ok"] = ctx.choice(m["when_missing"], path + ("when_missing",), ("cant_see", "ok")) == "ok"
        if "mirror_on_side" in m:
            kw["mirror_on_side"] = ctx.choice(m["mirror_on_side"], path + ("mirror_on_side",), SIDES)
        if "only_when" in m:
            kw["only_when"] = ctx.string(m["only_when"], path + ("only_when",), _NAME)
        if "relative_to_hold_start_s" in m:
            kw["baseline_s"] = ctx.number(m["relative_to_hold_start_s"], path + ("relative_to_hold_start_s",), 0.1, 30.0)
            if "phases" not in kw or not all(p.kind == "hold" for p in phases if p.id in kw["phases"]):
                raise ctx.err(path + ("relative_to_hold_start_s",), "needs 'phases' listing only hold phases")
        if "pauses_hold" in m:
            kw["pauses_hold"] = ctx.boolean(m["pauses_hold"], path + ("pauses_hold",))
        elif kw["severity"] in ("pace", "count"):
            kw["pauses_hold"] = False
    else:
        kw["kind"] = "timing"
        allowed = _RULE_COMMON | _TIMING_RULE
        for key in m:
            if key not in allowed:
                raise ctx.err(path + (key,), f"unknown field for a timing rule, expecting one of [{', '.join(sorted(allowed))}]")
        check = ctx.choice(m["check"], path + ("check",), TIMING_CHECKS)
        kw["check"] = check
        kw["pauses_hold"] = False
        targets = [p for p in phases if (p.id in kw["phases"] if "phases" in kw else True)]
        need = TIMING_CHECK_PHASES[check]
        if not any(p.kind in need for p in targets):
            raise ctx.err(path + ("check",), f"'{check}' needs a {' or '.join(need)} phase to apply to")
        if check == "hold_long" and not any(p.kind == "hold" and p.max_s is not None for p in targets):
            raise ctx.err(path + ("check",), "hold_long needs a hold phase with max_s")
        if check == "hold_short" and not any(
                (p.kind == "hold") or (p.kind == "reps" and p.peak_min_s is not None) for p in targets):
            raise ctx.err(path + ("check",), "hold_short needs a hold phase, or a reps phase with peak_min_s")
        if check == "rep_period":
            if "min_s" not in m:
                raise ctx.err(path, "missing required field 'min_s' (the shortest calm cycle)")
            kw["min_s"] = ctx.number(m["min_s"], path + ("min_s",), 0.1, 600.0)
        elif "min_s" in m:
            raise ctx.err(path + ("min_s",), f"only a rep_period rule has min_s (this is {check})")
        if check == "side_skipped" and not any(p.per_side for p in targets):
            raise ctx.err(path + ("check",), "side_skipped needs a per-side phase")
    return RuleSpec(**kw)
