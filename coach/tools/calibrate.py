"""Calibration: per rule, the threshold that best separates good from faulty recordings.

    report = calibrate(spec, good=["good.npz"], bad=["lumbar_arching.npz", "hands_not_behind_head.npz"])
    for line in format_report(report): ...
    write_profile(report, "patient.yaml")

A faulty clip shows one mistake, named by the rule that should catch it (the file name is
the rule id, as in ``samples/<exercise>/<rule_id>.mp4``, or the recording's / truth file's
``mistake``). Safety rules are never loosened: where the clips would move a safety bound outward, the
starting value is kept and the report says so (only a physiotherapist, in a profile with
``loosen_safety: {reason: ...}``, may loosen one). Each bound moves in its own direction
(a max bound faults above it, a min bound below it). The levels are read from the value
each rule *judges* (after a baseline is subtracted for rules relative to the start of the
hold), never the raw measure.

For a measure rule, each clip is summarised by the level its value *held for
the rule's persist_s* while the rule was active (for a max bound: the highest value the
measure stayed above for persist_s; for a min bound: the lowest it stayed below): a
threshold faults a clip exactly when it is beyond that level, so a threshold between the
good clips' levels and the faulty clips' levels separates them. The suggestion is the
midpoint of the widest gap that classifies the most clips right; its margin is the
distance to the nearest clip's level. The suggested values are then checked the honest
way: the engine is re-run on every clip with them, and precision / recall are counted from
the faults it actually raises.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

from coach.errors import CoachError
from coach.spec import UNIT_SUFFIX, ExerciseSpec, RuleSpec, loosens
from coach.tools.tune.workbench import Evaluation, TuneError, Workbench


class CalibrationError(CoachError):
    """Clips that cannot be calibrated on (none good, unnamed mistakes, ...)."""


@dataclass
class Clip:
    path: Path
    label: str                      # "good" or the rule id of its mistake
    bench: Workbench
    base: Evaluation | None = None


@dataclass
class RuleCalibration:
    rule_id: str
    bound: str | None               # "min" | "max" | None (not calibrated)
    field: str | None               # profile field, e.g. max_deg
    unit: str
    spec_value: float | None
    suggested: float | None
    margin: float | None            # distance from the suggestion to the nearest clip level (same unit)
    separable: bool
    precision: float | None         # from the clip levels
    recall: float | None
    good_levels: list[float] = field(default_factory=list)
    bad_levels: list[float] = field(default_factory=list)
    engine_precision: float | None = None   # from re-running the engine with the suggestion
    engine_recall: float | None = None
    engine_hits: dict[str, bool] = field(default_factory=dict)   # clip name -> faulted
    spec_margin: float | None = None        # > 0: the starting value separates the clips, by this much
    group: str = "rules"                    # where the suggestion goes in a profile: rules.<owner>.<key_field>
    owner: str = ""                         # ... or phases.<owner>.<key_field>
    key_field: str = ""
    integer: bool = False
    note: str = ""


@dataclass
class CalibrationReport:
    exercise: str
    spec: ExerciseSpec
    spec_text: str
    good: list[str]
    bad: list[tuple[str, str]]
    rules: list[RuleCalibration]
    base_overrides: dict[str, Any]
    overrides: dict[str, Any]        # base + suggestions (the profile's shape)


# --------------------------------------------------------------------------- clip levels

def held_level(ts_ms: np.ndarray, values: np.ndarray, active: np.ndarray, persist_s: float, bound: str) -> float:
    """The most extreme level the value held for ``persist_s`` within an active, visible run.

    bound "max": max over start frames of min(values over [t, t + persist]) -> a max
    threshold below this level faults; "min": the mirror image. NaN if never long enough.
    """
    ok = active & np.isfinite(values)
    n = len(values)
    need = persist_s * 1000.0
    best = -math.inf if bound == "max" else math.inf
    i = 0
    while i < n:
        if not ok[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and ok[j + 1]:
            j += 1
        run_t, run_v = ts_ms[i:j + 1], values[i:j + 1]
        # for each start k, the first end e with t[e] - t[k] >= need
        ends = np.searchsorted(run_t, run_t + need - 1e-6, side="left")
        for k in range(len(run_t)):
            e = ends[k]
            if e >= len(run_t):
                break
            seg = run_v[k:e + 1]
            level = float(seg.min()) if bound == "max" else float(seg.max())
            best = max(best, level) if bound == "max" else min(best, level)
        i = j + 1
    return best if math.isfinite(best) else math.nan


def separate(good: list[float], bad: list[float], bound: str) -> tuple[float, float, int, int, int, int]:
    """(threshold, margin, tp, fp, fn, tn) for 'fault when level > t' (max) / '< t' (min)."""
    sign = 1.0 if bound == "max" else -1.0
    g = sorted(sign * v for v in good)
    b = sorted(sign * v for v in bad)
    values = sorted(set(g + b))
    pad = max((values[-1] - values[0]) * 0.1, 1e-3)
    cands = [values[0] - pad] + [(a + c) / 2 for a, c in zip(values, values[1:])] + [values[-1] + pad]
    best = None
    for t in cands:
        tp = sum(v > t for v in b)
        fp = sum(v > t for v in g)
        fn, tn = len(b) - tp, len(g) - fp
        margin = min(abs(v - t) for v in values)
        key = (tp + tn, margin)
        if best is None or key > best[0]:
            best = (key, (sign * t, margin, tp, fp, fn, tn))
    assert best is not None
    return best[1]


# --------------------------------------------------------------------------- clips

def mistake_of(path: Path, spec: ExerciseSpec, meta: dict[str, Any]) -> str | None:
    """The rule id a faulty clip shows: recording meta, truth file next to it, or file name."""
    m = meta.get("mistake")
    if isinstance(m, str) and m in spec.rules:
        return m
    src = meta.get("source")
    for cand in [path] + ([Path(src)] if isinstance(src, str) else []):
        base = cand.name.split(".")[0]
        truth = cand.with_name(base + ".truth.json.gz")
        if truth.is_file():
            try:
                with gzip.open(truth, "rt", encoding="utf-8") as fh:
                    m = (json.load(fh).get("clip") or {}).get("mistake")
                if isinstance(m, str) and m in spec.rules:
                    return m
            except (OSError, ValueError):
                pass
        stem = cand.name
        for suffix in (".npz", ".mp4", ".mov", ".avi", ".mkv", ".webm"):
            if stem.lower().endswith(suffix):
                stem = stem[: -len(suffix)]
        parts = [stem] + [p for p in re.split(r"[.\-+ ]", stem) if p]
        for p in parts:
            if p in spec.rules:
                return p
    return None


def _load(path: str, spec: ExerciseSpec, model: str | None, on_status: Callable[[str], None] | None,
          lang: str) -> Workbench:
    from coach.tools.tune.cache import landmarks_for

    p = Path(path)
    if not p.exists():
        raise CalibrationError(f"{p}: no such recording or video")
    clip, _rec, _cached = landmarks_for(p, spec, model=model, on_status=on_status, lang=lang)
    return Workbench(clip, spec.id, lang=lang)


# --------------------------------------------------------------------------- calibration

def calibrate(spec: ExerciseSpec | str, good: list[str], bad: list[str], model: str | None = None,
              on_status: Callable[[str], None] | None = None, profile: str | None = None,
              lang: str = "en", prefer_spec: bool = False) -> CalibrationReport:
    """``prefer_spec``: where the starting value (spec or profile) already separates the clips,
    keep it instead of moving to the widest-margin midpoint."""
    from coach.spec import load_spec

    base_spec = load_spec(spec if isinstance(spec, str) else spec.id)   # defaults (no profile)
    if not good:
        raise CalibrationError("--good: give at least one recording of good form")
    if not bad:
        raise CalibrationError("--bad: give at least one recording with a mistake")
    clips: list[Clip] = []
    for g in good:
        clips.append(Clip(Path(g), "good", _load(g, base_spec, model, on_status, lang)))
    for b in bad:
        bench = _load(b, base_spec, model, on_status, lang)
        label = mistake_of(Path(b), base_spec, bench.clip.meta)
        if label is None:
            raise CalibrationError(f"{b}: cannot tell which mistake it shows; name it after the rule "
                                   f"(one of [{', '.join(base_spec.rules)}]), e.g. {Path(b).parent / 'lumbar_arching.npz'}")
        clips.append(Clip(Path(b), label, bench))
    base_over: dict[str, Any] = {"rules": {}, "phases": {}, "disabled": []}
    if profile:
        from coach.tools.tune.profiles import read_profile

        base_over = read_profile(profile, base_spec)[0]
    for c in clips:
        c.base = c.bench.evaluate(base_over)
    spec_now = clips[0].bench.spec_with(clips[0].base.overrides)   # spec + profile: the starting values
    results: list[RuleCalibration] = []
    current = {"rules": {k: dict(v) for k, v in clips[0].base.overrides["rules"].items()},
               "phases": {k: dict(v) for k, v in clips[0].base.overrides["phases"].items()},
               "disabled": list(base_over["disabled"]),
               "loosen_safety": dict(clips[0].base.overrides.get("loosen_safety") or {})}
    goods = [c for c in clips if c.label == "good"]
    for rid, rule in spec_now.rules.items():
        bads = [c for c in clips if c.label == rid]
        if not bads:
            continue
        rc = _calibrate_rule(rule, goods, bads) if rule.kind == "measure" else \
            _calibrate_timing(rule, spec_now, goods, bads)
        results.append(rc)
        if rule.severity == "safety" and looser(rc.bound, rc.spec_value, rc.suggested):
            rc.note = (f"safety rule: never loosened by calibrate (the clips would move {rc.field} from "
                       f"{rc.spec_value:g} to {rc.suggested:g}); kept. A physiotherapist may loosen it in a profile "
                       "with loosen_safety: {reason: ...}")
            rc.suggested, rc.margin = rc.spec_value, rc.spec_margin
        if prefer_spec and rc.spec_margin is not None and rc.spec_margin > 0:
            rc.suggested, rc.margin = rc.spec_value, rc.spec_margin
            rc.note = "the starting value already separates these clips: kept (--prefer-spec)"
        if rc.suggested is None or rc.field is None:
            continue
        value = int(rc.suggested) if rc.integer else _round(rc.suggested, rc.unit)
        if rc.spec_value is not None and value == rc.spec_value:
            rc.suggested = value         # the starting value stays: nothing to write
            continue
        trial = {"rules": {k: dict(v) for k, v in current["rules"].items()},
                 "phases": {k: dict(v) for k, v in current["phases"].items()}, "disabled": current["disabled"],
                 "loosen_safety": current["loosen_safety"]}
        trial[rc.group].setdefault(rc.owner, {})[rc.key_field] = value
        try:
            clips[0].bench.spec_with(trial)
        except TuneError as exc:
            rc.note = f"not applied: {exc}"
            rc.suggested = None
            continue
        current = trial
        rc.suggested = value
    overrides = current
    # the honest check: the engine, re-run on every clip with the suggested values
    reruns = {str(c.path): c.bench.evaluate(overrides) for c in clips}
    for rc in results:
        if rc.suggested is None:
            continue
        tp = fp = fn = 0
        for c in clips:
            if c.label not in ("good", rc.rule_id):
                continue
            hit = any(e.kind == "fault" and e.rule_id == rc.rule_id for e in reruns[str(c.path)].events)
            rc.engine_hits[c.path.name] = hit
            if c.label == rc.rule_id:
                tp += hit
                fn += not hit
            else:
                fp += hit
        rc.engine_precision = tp / (tp + fp) if tp + fp else None
        rc.engine_recall = tp / (tp + fn) if tp + fn else None
    return CalibrationReport(exercise=base_spec.id, spec=base_spec, spec_text=clips[0].bench.spec_text,
                             good=[str(c.path) for c in goods],
                             bad=[(str(c.path), c.label) for c in clips if c.label != "good"],
                             rules=results, base_overrides=base_over, overrides=overrides)


def looser(bound: str | None, current: float | None, suggested: float | None) -> bool:
    """Would ``suggested`` fault less than ``current``? A max bound loosens upward, a min
    bound downward (a fault is a value above the max / below the min)."""
    if bound is None or current is None or suggested is None:
        return False
    return loosens(f"{bound}_", current, suggested)


def _round(v: float, unit: str) -> float:
    nd = {"deg": 1, "deg/s": 1, "s": 2}.get(unit, 3)
    return round(float(v), nd)


def _calibrate_rule(rule: RuleSpec, goods: list[Clip], bads: list[Clip]) -> RuleCalibration:
    unit = rule.unit or ""
    suffix = UNIT_SUFFIX.get(unit, "value")
    options = []
    for bound, spec_value in (("max", rule.max), ("min", rule.min)):
        if spec_value is not None:
            options.append(_Option(bound, f"{bound}_{suffix}", "rules", rule.id, spec_value,
                                   [_level(c, rule, bound) for c in goods], [_level(c, rule, bound) for c in bads]))
    return _pick(rule.id, unit, options,
                 "the faulty clips never showed this rule's measure for persist_s; check the clips "
                 "(camera view, visibility)")


@dataclass
class _Option:
    """One threshold that could separate the clips: where it lives and each clip's level."""

    bound: str                 # "max": fault when level > t; "min": fault when level < t
    field: str
    group: str                 # "rules" | "phases"
    owner: str                 # rule id | phase id
    spec_value: float
    good: list[float]
    bad: list[float]
    integer: bool = False


def _pick(rule_id: str, unit: str, options: list[_Option], nothing: str) -> RuleCalibration:
    scored = []
    for o in options:
        gl_f = [v for v in o.good if math.isfinite(v)]
        bl_f = [v for v in o.bad if math.isfinite(v)]
        if not bl_f:
            continue
        # no good clip ever reached this rule: only the faulty side is known
        t, margin, tp, fp, fn, tn = separate(gl_f or [o.spec_value], bl_f, o.bound)
        if o.integer:   # counts: fault when count < min_reps (t -> ceil) or count > max_reps (t -> floor)
            t = float(math.ceil(t) if o.bound == "min" else math.floor(t))
            sign = 1.0 if o.bound == "max" else -1.0
            tp = sum(sign * v > sign * t for v in bl_f)
            fp = sum(sign * v > sign * t for v in gl_f)
            fn = len(bl_f) - tp
            margin = min(abs(v - t) for v in gl_f + bl_f)
        fn += len(o.bad) - len(bl_f)
        precision = tp / (tp + fp) if tp + fp else None
        recall = tp / (tp + fn) if tp + fn else 0.0
        separable = fp == 0 and fn == 0 and bool(gl_f)
        scored.append((tp - fp, margin, o, t, precision, recall, separable, gl_f, bl_f))
    if not scored:
        return RuleCalibration(rule_id, None, None, unit, None, None, None, False, None, None, note=nothing)
    scored.sort(key=lambda x: (x[0], x[1]), reverse=True)
    _s, margin, o, t, precision, recall, separable, gl, bl = scored[0]
    note = "" if separable else "good and faulty clips overlap: the suggestion misclassifies the fewest"
    spec_margin = None
    if separable:
        sign = 1.0 if o.bound == "max" else -1.0
        spec_margin = min(min(sign * (v - o.spec_value) for v in bl), min(sign * (o.spec_value - v) for v in gl))
        if spec_margin > 0:
            note = f"the current {o.spec_value:g} separates these clips too (margin {spec_margin:.3g}; "\
                   f"--prefer-spec keeps it)"
    if not gl:
        note = "no good clip reached this rule; the suggestion only keeps the faulty clips caught"
    field_name = o.field if o.group == "rules" else f"{o.owner}.{o.field}"
    rc = RuleCalibration(rule_id, o.bound, field_name, unit, o.spec_value, t, margin, separable,
                         precision, recall, gl, bl, note=note, spec_margin=spec_margin)
    rc.group, rc.owner, rc.key_field, rc.integer = o.group, o.owner, o.field, o.integer
    return rc


def _calibrate_timing(rule: RuleSpec, spec: ExerciseSpec, goods: list[Clip], bads: list[Clip]) -> RuleCalibration:
    """Holds, peaks, rep counts and rep periods: the same separation on what the engine counted."""
    options: list[_Option] = []
    phases = [p for p in spec.phases if rule.applies_to(p)]
    for p in phases:
        if rule.check == "hold_short" and p.kind == "hold" and p.min_s is not None:
            options.append(_Option("min", "min_s", "phases", p.id, p.min_s,
                                   [_hold_level(c, p.id) for c in goods], [_hold_level(c, p.id) for c in bads]))
        if rule.check == "hold_short" and p.kind == "reps" and p.peak_min_s is not None:
            options.append(_Option("min", "peak_min_s", "phases", p.id, p.peak_min_s,
                                   [_rep_level(c, "peak_s", min) for c in goods],
                                   [_rep_level(c, "peak_s", min) for c in bads]))
        if rule.check == "reps_range" and p.kind == "reps":
            for bound, fname, value, agg in (("min", "min_reps", p.min_reps, min), ("max", "max_reps", p.max_reps, max)):
                if value is not None:
                    options.append(_Option(bound, fname, "phases", p.id, float(value),
                                           [_reps_level(c, p.id, agg) for c in goods],
                                           [_reps_level(c, p.id, agg) for c in bads], integer=True))
    if rule.check == "rep_period" and rule.min_s is not None:
        options.append(_Option("min", "min_s", "rules", rule.id, rule.min_s,
                               [_rep_level(c, "period_s", min) for c in goods],
                               [_rep_level(c, "period_s", min) for c in bads]))
    if not options:
        return RuleCalibration(rule.id, None, None, "", None, None, None, False, None, None,
                               note=f"timing rule ({rule.check}): nothing to calibrate; set it in `coach tune`")
    unit = "reps" if options[0].integer else "s"
    return _pick(rule.id, unit, options, "the faulty clips never reached this rule's hold or reps phase")


def _hold_level(c: Clip, phase_id: str) -> float:
    """The shortest hold done (seconds) over the sides; NaN if the hold never started."""
    assert c.base is not None
    held = [v for v in (c.base.summary.get("holds_s", {}).get(phase_id) or {}).values() if v and v > 0]
    return float(min(held)) if held else math.nan


def _reps_level(c: Clip, phase_id: str, agg) -> float:
    assert c.base is not None
    counts = list((c.base.summary.get("reps", {}).get(phase_id) or {}).values())
    return float(agg(counts)) if counts else math.nan


def _rep_level(c: Clip, key: str, agg) -> float:
    assert c.base is not None
    vals = [float(e.data[key]) for e in c.base.events
            if e.kind == "rep" and "state" not in e.data and e.data.get(key) is not None]
    return float(agg(vals)) if vals else math.nan


def _level(c: Clip, rule: RuleSpec, bound: str) -> float:
    assert c.base is not None
    active = c.base.state[rule.id] > 0
    return held_level(c.bench.timestamps_ms, c.base.value[rule.id], active, rule.persist_s, bound)


# --------------------------------------------------------------------------- output

# The notes the calibration writes (English, in the code above) -> catalogue keys, so the
# report reads in the person's language; a note not listed here is shown as it is.
_NOTES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), k) for p, k in (
    (r"^the starting value already separates these clips: kept \(--prefer-spec\)$", "calibrate.note.kept"),
    (r"^not applied: (?P<why>.*)$", "calibrate.note.not_applied"),
    (r"^good and faulty clips overlap", "calibrate.note.overlap"),
    (r"^the current (?P<value>\S+) separates these clips too \(margin (?P<margin>\S+);", "calibrate.note.current_works"),
    (r"^no good clip reached this rule", "calibrate.note.no_good"),
    (r"^the faulty clips never showed this rule's measure", "calibrate.note.never_shown"),
    (r"^timing rule \((?P<check>[a-z_]+)\): nothing to calibrate", "calibrate.note.timing"),
    (r"^the faulty clips never reached this rule's hold or reps phase", "calibrate.note.never_reached"),
))


def note_text(note: str, lang: str) -> str:
    """A calibration note in ``lang``."""
    from coach import i18n
    from coach.i18n.numbers import number

    for pattern, key in _NOTES:
        m = pattern.search(note)
        if m:
            kw = m.groupdict()
            for k in ("value", "margin"):
                if k in kw:
                    try:
                        kw[k] = number(float(kw[k]), lang)
                    except ValueError:
                        pass
            return i18n.t(key, lang, **kw)
    return note


def _field_label(rc: RuleCalibration, lang: str) -> str:
    """What the suggestion changes, in words ("upper limit", "shortest hold (s)")."""
    from coach import i18n

    f = rc.key_field or (rc.field or "")
    if rc.group == "rules":
        word = "min_period_s" if f == "min_s" else "max" if f.startswith("max_") else "min"
    else:
        word = f
    key = f"tune.page.param.{word}"
    return i18n.t(key, lang) if i18n.has_key(key, lang) else f


def format_report(report: CalibrationReport, lang: str = "en") -> list[str]:
    """The calibration as lines of text in ``lang``: per rule its name, the value now and the
    one suggested with its margin, where the good and the faulty clips held, and what a
    re-run of the engine with the suggestion gave."""
    from coach import i18n
    from coach.i18n.numbers import number
    from coach.i18n.units import unit_suffix
    from coach.measures import body_norm

    spec = report.spec
    n = lambda v, nd=2: "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) \
        else number(v, lang, nd)  # noqa: E731
    lines = [i18n.t("calibrate.head", lang, exercise=spec.names.get(lang, spec.id), id=report.exercise,
                    good=len(report.good), bad=len(report.bad),
                    mistakes=", ".join(sorted(i18n.rule_name(spec.id, lab, lang) for lab in {b for _p, b in report.bad})))]
    for rc in report.rules:
        name = f"{i18n.rule_name(spec.id, rc.rule_id, lang)} ({rc.rule_id})"
        if rc.field is None:
            lines.append(f"{name}: {note_text(rc.note, lang)}")
            continue
        rule = spec.rules.get(rc.rule_id)
        norm = body_norm(spec.measures, rule.measure if rule is not None else None)
        suffix = "" if rc.unit in ("reps", "") else unit_suffix(rc.unit, lang, norm)
        nd = {"deg": 1, "deg/s": 1, "reps": 0, "s": 2}.get(rc.unit, 3)
        v = lambda x: f"{number(x, lang, nd, trim=True)}{suffix}" if x is not None else "–"  # noqa: E731
        span = lambda xs: f"{n(min(xs), nd)}–{n(max(xs), nd)}{suffix}" if xs else "–"  # noqa: E731
        lines.append(i18n.t("calibrate.rule", lang, rule=name, field=_field_label(rc, lang), now=v(rc.spec_value),
                            suggested=v(rc.suggested), margin=v(rc.margin)))
        lines.append("    " + i18n.t("calibrate.levels", lang, good=span(rc.good_levels), bad=span(rc.bad_levels),
                                     precision=n(rc.precision), recall=n(rc.recall)))
        if rc.engine_recall is not None:
            lines.append("    " + i18n.t("calibrate.rerun", lang, precision=n(rc.engine_precision),
                                         recall=n(rc.engine_recall)))
        if rc.note:
            lines.append("    " + i18n.t("calibrate.note", lang, note=note_text(rc.note, lang)))
    lines.append(i18n.t("calibrate.levels_explained", lang))
    return lines


def write_profile(report: CalibrationReport, path: str, patient: str = "calibrated") -> Path:
    from coach.tools.tune.profiles import save_profile

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    note = (f"coach calibrate {stamp}: {len(report.good)} good and {len(report.bad)} faulty clips of "
            f"{report.exercise}")
    return save_profile(path, patient, note, report.spec, report.spec_text, report.overrides,
                        tool="coach calibrate")
