"""Re-evaluating a landmark recording under changed thresholds (no model re-run).

    bench = Workbench.from_clip(clip, "lying_twist")          # smooths once, measures once
    result = bench.evaluate({"rules": {"shoulder_lifting": {"max_deg": 20}}})
    result.cues()                 # [(timestamp_ms, rule_id), ...]
    result.to_json()              # what the page draws

Each evaluation runs the real :class:`coach.engine.ExerciseEngine` over the recording's
smoothed PoseFrames, so the events are exactly those ``coach replay --profile`` would
give with the same overrides. The overrides are validated the way a profile is (they are
turned into a profile and the spec is loaded with it), so an impossible combination
(``target_s`` below ``min_s``) is refused with the spec engine's own one-line message.

Texts the page shows are filled as the patient hears them (:func:`rule_texts`): a per-side
cue gives one line per side ("Stretch your right arm ..." / "... left arm ..."), numbers
such as ``{min_s}`` come from the values in effect, and values that exist only while the
exercise runs (``{reps}``) are said in words; no text leaves here with a raw ``{name}``.

Overrides (the page's and the profile's per-exercise shape)::

    {"rules":  {rule_id: {"max_deg": 20, "hysteresis_deg": 4, "persist_s": 1.5}},
     "phases": {phase_id: {"target_s": 40, "min_reps": 4}},
     "disabled": [rule_id, ...]}
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

from coach import i18n
from coach.engine import SIDE_NAMES, ExerciseEngine, fill, jsonable, measure_table, plan_steps, text_params
from coach.errors import CoachError
from coach.i18n.units import axis_label, unit_suffix
from coach.measures import body_norm
from coach.pose import PoseClip, PoseFrame
from coach.vision.smoothing import PoseSmoother
from coach.spec import UNIT_SUFFIX, ExerciseSpec, SpecError, parse_profile, parse_spec, resolve_spec_path
from coach.vocab import TIMING_CHECK_PHASES

STATE_CODE = {"ok": 1, "warning": 2, "fault": 3, "cant_see": 4}   # 0 = rule not active at that frame
_UNIT_STEP = {"deg": 0.5, "body": 0.01, "deg/s": 1.0, "body/s": 0.05, "s": 0.1, "ratio": 0.01}
_PHASE_NUMBERS = {
    "setup": ("stable_s",),
    "hold": ("min_s", "target_s", "max_s", "release_s"),
    "reps": ("enter", "exit", "min_amplitude", "min_period_s", "peak_min_s", "idle_end_s", "min_reps", "target_reps", "max_reps"),
    "rest": ("duration_s",),
}


class TuneError(CoachError):
    """Bad overrides, a recording that cannot be tuned, a profile that cannot be saved."""


# --------------------------------------------------------------------------- parameters

@dataclass(frozen=True)
class Param:
    """One number the physio can change: where it lives, its spec default and a slider range."""

    group: str          # "rules" | "phases"
    owner: str          # rule id or phase id
    field: str          # the profile's field name: max_deg, hysteresis_body, persist_s, target_s, ...
    default: float
    unit: str           # deg, body, s, reps, ...
    integer: bool
    lo: float
    hi: float
    step: float
    role: str           # min | max | hysteresis | persist | hold | reps | timing

    @property
    def key(self) -> str:
        return f"{self.group}.{self.owner}.{self.field}"

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "group": self.group, "owner": self.owner, "field": self.field,
                "default": self.default, "unit": self.unit, "integer": self.integer,
                "lo": self.lo, "hi": self.hi, "step": self.step, "role": self.role}


def _nice_range(values: list[float], step: float) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    span = max(hi - lo, step * 20)
    lo, hi = lo - 0.25 * span, hi + 0.25 * span
    return math.floor(lo / step) * step, math.ceil(hi / step) * step


def spec_params(spec: ExerciseSpec, measure_ranges: dict[str, tuple[float, float]] | None = None) -> list[Param]:
    """Every threshold, hold and rep target of ``spec`` that a profile may override."""
    ranges = measure_ranges or {}
    out: list[Param] = []
    for rid, r in spec.rules.items():
        if r.kind == "measure":
            unit = r.unit or ""
            suffix = UNIT_SUFFIX.get(unit, "value")
            step = _UNIT_STEP.get(unit, 0.01)
            bounds = [b for b in (r.min, r.max) if b is not None]
            seen = list(bounds)
            if r.measure in ranges:
                seen += [v for v in ranges[r.measure] if math.isfinite(v)]
            lo, hi = _nice_range(seen, step)
            for role, value in (("min", r.min), ("max", r.max)):
                if value is not None:
                    out.append(Param("rules", rid, f"{role}_{suffix}", value, unit, False, lo, hi, step, role))
            gap = (r.max - r.min) if r.min is not None and r.max is not None else (hi - lo)
            hyst_hi = max(step * 10, round(gap / 2 - step, 6)) if r.min is not None and r.max is not None \
                else max(step * 10, gap / 4)
            out.append(Param("rules", rid, f"hysteresis_{suffix}", r.hysteresis, unit, False, 0.0,
                             max(hyst_hi, r.hysteresis), step, "hysteresis"))
            out.append(Param("rules", rid, "persist_s", r.persist_s, "s", False, 0.0,
                             max(10.0, r.persist_s * 2), 0.1, "persist"))
        elif r.check == "rep_period" and r.min_s is not None:
            out.append(Param("rules", rid, "min_s", r.min_s, "s", False, 0.1, max(20.0, r.min_s * 2), 0.1, "timing"))
    for p in spec.phases:
        for name in _PHASE_NUMBERS[p.kind]:
            value = getattr(p, name)
            if value is None:
                continue
            if name in ("enter", "exit"):
                unit = spec.measure_units.get(p.measure or "", "")
                suffix = UNIT_SUFFIX.get(unit, "value")
                step = _UNIT_STEP.get(unit, 0.01)
                seen = [p.enter, p.exit] + [v for v in ranges.get(p.measure or "", ()) if math.isfinite(v)]
                lo, hi = _nice_range([float(v) for v in seen if v is not None], step)
                out.append(Param("phases", p.id, f"{name}_{suffix}", float(value), unit, False, lo, hi, step, "reps"))
            elif name == "min_amplitude":
                unit = spec.measure_units.get(p.measure or "", "")
                suffix = UNIT_SUFFIX.get(unit, "value")
                step = _UNIT_STEP.get(unit, 0.01)
                out.append(Param("phases", p.id, f"{name}_{suffix}", float(value), unit, False, step,
                                 max(float(value) * 3, step * 10), step, "reps"))
            elif name.endswith("_reps"):
                out.append(Param("phases", p.id, name, int(value), "reps", True, 1, max(30, int(value) * 2), 1, "reps"))
            else:
                hi = max(120.0, float(value) * 2) if p.kind == "hold" and name != "release_s" else max(30.0, float(value) * 2)
                out.append(Param("phases", p.id, name, float(value), "s", False, 0.0 if name != "release_s" else 0.1,
                                 hi, 0.5 if hi > 60 else 0.1, "hold" if p.kind == "hold" else p.kind))
    return out


# --------------------------------------------------------------------------- overrides

def clean_overrides(raw: Any, params: list[Param], spec: ExerciseSpec) -> dict[str, Any]:
    """Validate the shape of overrides from the page; drop values equal to the default."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise TuneError("overrides: must be a mapping of rules/phases")
    for key in raw:
        if key not in ("rules", "phases", "disabled", "loosen_safety"):
            raise TuneError(f"overrides.{key}: unknown group, expecting one of [disabled, loosen_safety, phases, rules]")
    by_key = {p.key: p for p in params}
    out: dict[str, Any] = {"rules": {}, "phases": {}, "disabled": []}
    reasons = raw.get("loosen_safety") or {}
    if not isinstance(reasons, dict) or not all(isinstance(v, str) and v.strip() for v in reasons.values()):
        raise TuneError("overrides.loosen_safety: must map safety rule ids to the physiotherapist's reason")
    for rid, reason in reasons.items():
        if rid not in spec.rules or spec.rules[rid].severity != "safety":
            raise TuneError(f"overrides.loosen_safety.{rid}: not a safety rule of {spec.id}")
        out.setdefault("loosen_safety", {})[rid] = reason.strip()
    for group in ("rules", "phases"):
        g = raw.get(group) or {}
        if not isinstance(g, dict):
            raise TuneError(f"overrides.{group}: must be a mapping")
        for owner, fields in g.items():
            if not isinstance(fields, dict):
                raise TuneError(f"overrides.{group}.{owner}: must be a mapping of field: number")
            for fname, value in fields.items():
                key = f"{group}.{owner}.{fname}"
                p = by_key.get(key)
                if p is None:
                    raise TuneError(f"{key}: not a tunable value of {spec.id}")
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
                    raise TuneError(f"{key}: must be a number, got {value!r}")
                if p.integer:
                    if float(value) != int(value):
                        raise TuneError(f"{key}: must be a whole number, got {value!r}")
                    value = int(value)
                else:
                    value = float(value)
                if value != p.default:
                    out[group].setdefault(owner, {})[fname] = _plain(value)
    disabled = raw.get("disabled") or []
    if not isinstance(disabled, list):
        raise TuneError("overrides.disabled: must be a list of rule ids")
    for rid in disabled:
        if rid not in spec.rules:
            raise TuneError(f"overrides.disabled: unknown rule {rid!r}, expecting one of [{', '.join(spec.rules)}]")
        if rid not in out["disabled"]:
            out["disabled"].append(rid)
    return out


def _fill_nearest(a: np.ndarray) -> np.ndarray:
    """NaNs replaced by the nearest earlier finite value (or, before the first, the first one);
    all NaN stays all NaN."""
    ok = np.isfinite(a)
    if not ok.any():
        return a.copy()
    idx = np.where(ok, np.arange(len(a)), -1)
    np.maximum.accumulate(idx, out=idx)
    idx[idx < 0] = int(np.argmax(ok))
    return a[idx]


def _plain(v: float | int) -> float | int:
    """30.0 -> 30 (cleaner YAML), 12.25 stays."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e9:
        return int(v)
    if isinstance(v, float):
        return round(v, 6)
    return v


def exercise_section(overrides: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Overrides -> the profile's ``exercises.<id>`` mapping (plus untouched extra keys, e.g. coaching)."""
    sec: dict[str, Any] = {k: v for k, v in (extra or {}).items() if k not in ("rules", "phases", "hold", "reps")}
    rules: dict[str, dict] = {rid: dict(f) for rid, f in overrides.get("rules", {}).items() if f}
    for rid in overrides.get("disabled", []):
        rules.setdefault(rid, {})["enabled"] = False
    for rid, reason in (overrides.get("loosen_safety") or {}).items():   # the physio's reason (safety rules)
        if rid in rules:
            rules[rid]["loosen_safety"] = {"reason": reason}
    if rules:
        sec["rules"] = rules
    phases = {pid: dict(f) for pid, f in overrides.get("phases", {}).items() if f}
    if phases:
        sec["phases"] = phases
    return sec


def overrides_from_section(section: dict[str, Any], spec: ExerciseSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """A profile's ``exercises.<id>`` mapping -> (overrides, extra keys kept as they are).

    ``hold:`` / ``reps:`` groups (apply to every phase of that kind) become per-phase values.
    """
    ov: dict[str, Any] = {"rules": {}, "phases": {}, "disabled": []}
    for rid, fields in (section.get("rules") or {}).items():
        for k, v in fields.items():
            if k == "enabled":
                if v is False:
                    ov["disabled"].append(rid)
            elif k == "loosen_safety":
                ov.setdefault("loosen_safety", {})[rid] = v["reason"]
            else:
                ov["rules"].setdefault(rid, {})[k] = v
    for kind in ("hold", "reps"):
        for k, v in (section.get(kind) or {}).items():
            for p in spec.phases:
                if p.kind == kind:
                    ov["phases"].setdefault(p.id, {})[k] = v
    for pid, fields in (section.get("phases") or {}).items():
        for k, v in fields.items():
            ov["phases"].setdefault(pid, {})[k] = v
    extra = {k: v for k, v in section.items() if k not in ("rules", "phases", "hold", "reps")}
    return ov, extra


_PROFILE_PREFIX = re.compile(r"^<tune>:\d+: (?:exercises\.[a-z0-9_]+\.)?")


def diff(overrides: dict[str, Any], params: list[Param]) -> list[dict[str, Any]]:
    by_key = {p.key: p for p in params}
    out = []
    for group in ("rules", "phases"):
        for owner, fields in overrides.get(group, {}).items():
            for fname, value in fields.items():
                p = by_key[f"{group}.{owner}.{fname}"]
                out.append({"key": p.key, "default": p.default, "value": value,
                            "change": "looser" if _looser(p, value) else "stricter"})
    for rid in overrides.get("disabled", []):
        out.append({"key": f"rules.{rid}.enabled", "default": True, "value": False, "change": "looser"})
    return out


def _looser(p: Param, value: float) -> bool:
    if p.role == "max":
        return value > p.default
    if p.role == "min":
        return value < p.default
    if p.role in ("persist", "hysteresis"):
        return value > p.default if p.role == "persist" else value < p.default
    if p.field in ("min_s", "min_reps", "target_s", "target_reps", "peak_min_s"):
        return value < p.default
    if p.field in ("max_s", "max_reps"):
        return value > p.default
    return False


# --------------------------------------------------------------------------- texts

# Placeholders whose value exists only while the exercise runs ("you are on {reps}"): a
# text shown outside a run (the threshold panel) says in words what will go there
# (``tune.runtime.<name>`` in the catalogues).
_LEFTOVER = re.compile(r"\{([A-Za-z0-9_]*)\}")


def no_placeholders(text: str | None, lang: str) -> str | None:
    """``text`` with any ``{name}`` left unfilled replaced by words (never a raw brace)."""
    if not text or "{" not in text:
        return text
    def words(m: re.Match) -> str:
        key = f"tune.runtime.{m.group(1)}"
        return i18n.t(key if i18n.has_key(key, lang) else "tune.runtime.unknown", lang)

    return _LEFTOVER.sub(words, text)


def _params(phase: Any, side: str | None, rule: Any = None) -> dict[str, Any]:
    """What the engine fills a text with on a step of ``phase`` (:func:`coach.engine.text_params`),
    plus the rule's own numbers; values that exist only at run time are left for
    :func:`no_placeholders` to say in words."""
    params = text_params(phase, side)
    if "min_s" not in params and rule is not None and getattr(rule, "min_s", None) is not None:
        params["min_s"] = rule.min_s
    if rule is not None:
        for name in ("min", "max"):
            v = getattr(rule, name, None)
            if v is not None:
                params[name] = {lang: f"{v:g}" for lang in i18n.LANGS}
    return params


def _variants(spec: ExerciseSpec, text: dict[str, str], steps: list[tuple[Any, str | None, str | None]],
              lang: str, rule: Any = None) -> list[dict[str, Any]]:
    """The distinct texts ``text`` becomes on ``steps``, each with the side (and, when the
    phases differ, the phase) it is said on, in the order the exercise runs."""
    seen: dict[str, dict[str, Any]] = {}
    for phase, _side, mside in steps:
        s = no_placeholders(fill(text, _params(phase, mside, rule)).get(lang, ""), lang) or ""
        v = seen.setdefault(s, {"text": s, "sides": [], "phases": []})
        if mside is not None and mside not in v["sides"]:
            v["sides"].append(mside)
        if phase.id not in v["phases"]:
            v["phases"].append(phase.id)
    out = list(seen.values())
    if not out:   # a rule that no step uses: the exercise's first side
        first = spec.sides[0] if spec.sides else None
        s = no_placeholders(fill(text, _params(None, first, rule)).get(lang, ""), lang) or ""
        out = [{"text": s, "sides": [first] if first else [], "phases": []}]
    # label by what tells the texts apart: the side if it does ("right" / "left"), else the phase
    by_side = len(out) > 1 and len({tuple(v["sides"]) for v in out}) == len(out)
    by_phase = len(out) > 1 and not by_side and len({tuple(v["phases"]) for v in out}) > 1
    names = {p.id: (p.names or {}).get(lang, p.id) for p in spec.phases}
    for v in out:
        parts = []
        if by_phase:
            parts.append(", ".join(names.get(pid, pid) for pid in v["phases"]))
        if by_side and v["sides"]:
            parts.append(" + ".join(SIDE_NAMES[s][lang] if s in SIDE_NAMES else s for s in v["sides"]))
        v["label"] = " · ".join(parts) or None
        v["side"] = v["sides"][0] if len(v["sides"]) == 1 else None
    return out


def rule_texts(spec: ExerciseSpec, lang: str) -> dict[str, list[dict[str, Any]]]:
    """Every rule's cue as the patient hears it, with its placeholders filled from ``spec``
    (a profile's values included): ``{rule_id: [{"text", "label", "side", "sides", "phases"}]}``.

    A per-side rule gives one text per side ("Stretch your right arm ..." then "... left
    arm ..."), labelled with the side; a text that reads the same everywhere is given once."""
    plan = plan_steps(spec)
    out = {}
    for rid, r in spec.rules.items():
        steps = [st for st in plan if r.applies_to(st[0])]
        if r.kind == "timing":
            kinds = TIMING_CHECK_PHASES.get(r.check or "", ("hold", "reps"))
            steps = [st for st in steps if st[0].kind in kinds and (r.check != "side_skipped" or st[1] is not None)]
        out[rid] = _variants(spec, r.cue, steps, lang, r)
    return out


def phase_texts(spec: ExerciseSpec, lang: str) -> dict[str, list[dict[str, Any]]]:
    """Every phase's instruction, filled the same way (one per side for a per-side phase)."""
    plan = plan_steps(spec)
    return {p.id: _variants(spec, p.cue, [st for st in plan if st[0] is p], lang)
            for p in spec.phases if p.cue}


def _param_label(p: Param, lang: str) -> str:
    """A tunable value in words ("øvre grense", "korteste hold (s)"); its field name if none."""
    if p.group == "rules":
        word = {"timing": "min_period_s"}.get(p.role, p.role)
    elif p.field.split("_")[0] in ("enter", "exit"):
        word = p.field.split("_")[0]
    else:
        word = p.field
    key = f"tune.page.param.{word}"
    return i18n.t(key, lang) if i18n.has_key(key, lang) else p.field


# --------------------------------------------------------------------------- results

@dataclass
class Evaluation:
    """What one run of the engine over the recording gave."""

    events: list[Any]
    state: dict[str, np.ndarray]        # rule id -> (T,) int8 STATE_CODE (0 = not active)
    value: dict[str, np.ndarray]        # rule id -> (T,) float, the value the rule compared (NaN = inactive / unseen)
    step_index: np.ndarray              # (T,) int: engine step after each frame (len(steps) = done)
    steps: list[dict[str, Any]]
    hold_s: np.ndarray                  # (T,) float, NaN outside holds
    reps: np.ndarray                    # (T,) int, -1 outside reps phases
    summary: dict[str, Any]
    overrides: dict[str, Any]
    diff: list[dict[str, Any]]
    eval_ms: float
    lang: str = "en"
    spec: ExerciseSpec | None = None    # the spec with the overrides applied (texts are filled from it)
    # rule id -> (T,) float, the rule's baseline in effect (0 for an absolute rule; for a
    # relative rule what its value is judged against; NaN while the rule is inactive or unknown)
    baseline: dict[str, np.ndarray] | None = None

    def cues(self, kinds: tuple[str, ...] = ("cue",)) -> list[tuple[float, str | None]]:
        return [(e.timestamp_ms, e.rule_id) for e in self.events if e.kind in kinds]

    def cue_rules(self) -> list[str | None]:
        return [rid for _t, rid in self.cues()]

    def to_json(self, timestamps_ms: np.ndarray) -> dict[str, Any]:
        ev = []
        for e in self.events:
            d = {"t": round(float(e.timestamp_ms), 1), "kind": e.kind, "rule": e.rule_id, "side": e.side,
                 "severity": e.severity, "text": no_placeholders(e.message(self.lang), self.lang) or None}
            if e.kind == "fault" and "value" in e.data:
                v = e.data.get("value")
                d["value"] = None if v is None or not math.isfinite(v) else round(float(v), 3)
            for k in ("state", "phase", "reps", "achieved_s", "check"):
                if k in e.data and e.data[k] is not None:
                    v = e.data[k]
                    d[k] = round(v, 2) if isinstance(v, float) else v
            ev.append(d)
        return {
            "events": ev,
            "rules": {rid: {"state": self.state[rid].tolist(), "value": _floats(self.value[rid])}
                      for rid in self.state},
            "steps": self.steps,
            "hold_s": _floats(self.hold_s, 2),
            "reps": self.reps.tolist(),
            "summary": jsonable(self.summary, ndigits=None),
            "overrides": self.overrides,
            "diff": self.diff,
            "eval_ms": round(self.eval_ms, 1),
        }


def _floats(a: np.ndarray, nd: int = 3) -> list[float | None]:
    r = np.round(a.astype(np.float64), nd)
    return [None if not math.isfinite(v) else v for v in r.tolist()]


# --------------------------------------------------------------------------- cropping

def crop_clip(clip: PoseClip, from_s: float | None = None, to_s: float | None = None) -> PoseClip:
    """The part of a recording between ``from_s`` and ``to_s`` seconds after its first frame
    (a whole `coach session` recording holds every exercise of the session)."""
    if from_s is None and to_s is None:
        return clip
    ts = np.asarray(clip.timestamps_ms, dtype=np.float64)
    rel_s = (ts - ts[0]) / 1000.0
    lo = -math.inf if from_s is None else float(from_s)
    hi = math.inf if to_s is None else float(to_s)
    if not (math.isfinite(lo) or from_s is None) or not (math.isfinite(hi) or to_s is None) or lo >= hi:
        raise TuneError(f"--from/--to: need from < to, got {from_s} and {to_s}")
    sel = np.flatnonzero((rel_s >= lo) & (rel_s <= hi))
    if sel.size == 0:
        raise TuneError(f"--from/--to: no frame between {lo:g} s and {hi:g} s; the recording is {rel_s[-1]:.1f} s long")
    masks = [clip.masks[i] for i in sel] if clip.masks is not None else None
    return PoseClip(timestamps_ms=ts[sel], landmarks=clip.landmarks[sel], world=clip.world[sel],
                    image_wh=clip.image_wh, masks=masks, meta=dict(clip.meta))


# --------------------------------------------------------------------------- measure cache

class MeasureCache:
    """Measure values shared between evaluations, without changing a single value.

    The engine builds fresh measures for each step; a measure's output depends only on its
    spec (not tunable here), its side and the frames it has been fed since its step began.
    So values are kept per (measure, side, first frame fed): the next evaluation whose step
    begins on the same frame reads them instead of recomputing, and when its step runs
    longer, the same live measure object (which has seen exactly the cached frames) carries
    on. Thresholds that move a step's start simply make a new entry.
    """

    MAX_VALUES = 5_000_000

    def __init__(self, spec: ExerciseSpec) -> None:
        from coach.measures import build_measure

        self._build = build_measure
        self._units = dict(spec.measure_units)
        self._entries: dict[tuple[str, str | None, float], tuple[Any, list[float]]] = {}
        self._size = 0
        self.hits = 0
        self.misses = 0
        self.start_run()

    def start_run(self) -> None:
        """A new evaluation begins: measures that share a start between steps start afresh."""
        self._shared: dict[str, dict] = {}

    def factory(self, name: str, mspec: Any, side: str | None) -> Any:
        m = self._build(name, mspec, side, source_units=self._units)
        if getattr(m, "shares_start", False):
            # its values depend on an earlier step's start too: not cached, live as in the engine
            m.share(self._shared.setdefault(name, {}))
            return m
        return _CachedMeasure(self, name, mspec, side)

    def entry(self, name: str, mspec: Any, side: str | None, start_ms: float) -> tuple[Any, list[float]]:
        key = (name, side, start_ms)
        e = self._entries.get(key)
        if e is None:
            if self._size > self.MAX_VALUES:
                self._entries.clear()
                self._size = 0
            e = (self._build(name, mspec, side, source_units=self._units), [])
            self._entries[key] = e
        return e

    def grew(self) -> None:
        self._size += 1


class _CachedMeasure:
    """Stands in for one step's measure; reads the cache, extends it with the live measure."""

    def __init__(self, cache: MeasureCache, name: str, mspec: Any, side: str | None) -> None:
        self._cache, self._mspec, self._side = cache, mspec, side
        probe = cache._build(name, mspec, side, source_units=cache._units)
        self.name = name
        self.unit = probe.unit
        self.landmarks = tuple(getattr(probe, "landmarks", ()) or ())
        self.depends_on = tuple(getattr(probe, "depends_on", ()) or ())
        self._live: Any = None
        self._seq: list[float] | None = None
        self._pos = 0

    def reset(self) -> None:
        self._live, self._seq, self._pos = None, None, 0

    def update(self, frame: PoseFrame, values: Any) -> float:
        if self._seq is None:
            self._live, self._seq = self._cache.entry(self.name, self._mspec, self._side, float(frame.timestamp_ms))
        seq = self._seq
        if self._pos < len(seq):
            v = seq[self._pos]
            self._cache.hits += 1
        else:   # the live measure has consumed exactly the cached frames: it continues from here
            v = float(self._live.update(frame, values))
            seq.append(v)
            self._cache.grew()
            self._cache.misses += 1
        self._pos += 1
        return v


# --------------------------------------------------------------------------- the workbench

class Workbench:
    """A recording + an exercise: smoothed once, then re-evaluated for any overrides."""

    def __init__(self, clip: PoseClip, exercise: str, lang: str = "en", smoothing: dict | None = None) -> None:
        if len(clip) == 0:
            raise TuneError("the recording holds no frames")
        self.clip = clip
        self.lang = lang
        path = resolve_spec_path(exercise)
        self.spec_path = path
        try:
            self.spec_text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TuneError(f"{path}: cannot read the spec ({exc.strerror or exc})") from None
        self.spec = parse_spec(self.spec_text, str(path), stem=path.stem)
        smoother = PoseSmoother(smoothing or None)
        self.frames: list[PoseFrame] = [smoother.update(f) for f in clip]
        self.timestamps_ms = np.asarray(clip.timestamps_ms, dtype=np.float64)
        self.n = len(self.frames)
        # every measure over the whole clip, per side (thresholds never change these)
        self.measure_series: dict[str | None, dict[str, np.ndarray]] = {}
        for side in (self.spec.sides or (None,)):
            header, rows = measure_table(self.spec, self.frames, side=side)
            arr = np.array([[np.nan if v == "" else float(v) for v in row[1:]] for row in rows], dtype=np.float64) \
                if rows else np.zeros((0, len(header) - 1))
            names = [h.split(" [")[0] for h in header[1:]]
            self.measure_series[side] = {n: arr[:, i] for i, n in enumerate(names)}
        ranges: dict[str, tuple[float, float]] = {}
        for series in self.measure_series.values():
            for name, v in series.items():
                fin = v[np.isfinite(v)]
                if fin.size:
                    lo, hi = float(np.percentile(fin, 1)), float(np.percentile(fin, 99))
                    old = ranges.get(name)
                    ranges[name] = (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))
        self.params = spec_params(self.spec, ranges)
        self.extra: dict[str, Any] = {}        # untouched keys of a loaded profile's section (coaching)
        self.cache = MeasureCache(self.spec)
        self.use_cache = True

    @classmethod
    def from_clip(cls, clip: PoseClip, exercise: str, lang: str = "en") -> "Workbench":
        return cls(clip, exercise, lang)

    # -- evaluation -----------------------------------------------------------------
    def spec_with(self, overrides: dict[str, Any]) -> ExerciseSpec:
        """The spec with ``overrides`` applied, validated as a profile would be. A safety rule
        may be loosened here to see what it would do (a preview); saving such a value needs
        the physiotherapist's reason (``overrides["loosen_safety"]``)."""
        reasons = {rid: "preview in coach tune" for rid in self.spec.rules if self.spec.rules[rid].severity == "safety"}
        section = exercise_section({**overrides, "loosen_safety": {**reasons, **(overrides.get("loosen_safety") or {})}})
        if not section:
            return self.spec
        text = yaml.safe_dump({"patient": "tune", "exercises": {self.spec.id: section}}, sort_keys=False)
        try:
            profile = parse_profile(text, "<tune>", known={self.spec.id: self.spec})
            return parse_spec(self.spec_text, str(self.spec_path), stem=self.spec_path.stem, profile=profile)
        except SpecError as exc:
            raise TuneError(_PROFILE_PREFIX.sub("", str(exc)).replace(str(self.spec_path) + ":", "spec line ")) from None

    def loosened_safety(self, overrides: dict[str, Any]) -> list[str]:
        """The safety rules these overrides loosen (saving them needs the physio's reason)."""
        looser = {d["key"].split(".")[1] for d in diff(overrides, self.params) if d["change"] == "looser"
                  and d["key"].startswith("rules.")}
        return [rid for rid in sorted(looser) if self.spec.rules[rid].severity == "safety"]

    def evaluate(self, raw_overrides: Any = None) -> Evaluation:
        t0 = time.perf_counter()
        overrides = clean_overrides(raw_overrides, self.params, self.spec)
        spec = self.spec_with(overrides)
        self.cache.start_run()
        engine = ExerciseEngine(spec, lang=self.lang,
                                measure_factory=self.cache.factory if self.use_cache else None)
        n = self.n
        rule_ids = list(self.spec.rules)
        state = {rid: np.zeros(n, dtype=np.int8) for rid in rule_ids}
        value = {rid: np.full(n, np.nan) for rid in rule_ids}
        baseline = {rid: np.full(n, np.nan) for rid in rule_ids}
        step_index = np.zeros(n, dtype=np.int32)
        hold_s = np.full(n, np.nan)
        reps = np.full(n, -1, dtype=np.int32)
        events: list[Any] = []
        for i, frame in enumerate(self.frames):
            events.extend(engine.update(frame))
            step = engine.step
            step_index[i] = engine._i
            if step is None:
                continue
            # what each rule judged (for a rule measured from the start of the hold, the change
            # since then; NaN while it judges nothing): what the rule compares with its bounds
            for rid, tr in step.trackers.items():
                state[rid][i] = STATE_CODE.get(tr.state, 0)
                v = tr.judged_value
                value[rid][i] = np.nan if v is None else v
                b = tr.baseline.value
                baseline[rid][i] = np.nan if b is None else b
            kind = step.phase.kind
            if kind == "hold":
                hold_s[i] = step.achieved_s
            elif kind == "reps":
                reps[i] = step.reps
        events.extend(engine.finish(float(self.timestamps_ms[-1])))
        steps = self._segments(engine, step_index)
        eval_ms = (time.perf_counter() - t0) * 1000.0
        return Evaluation(events=events, state=state, value=value, step_index=step_index, steps=steps,
                          hold_s=hold_s, reps=reps, summary=engine.summary(), overrides=overrides,
                          diff=diff(overrides, self.params), eval_ms=eval_ms, lang=self.lang, spec=spec,
                          baseline=baseline)

    def _segments(self, engine: ExerciseEngine, step_index: np.ndarray) -> list[dict[str, Any]]:
        out = []
        n = len(step_index)
        i = 0
        while i < n:
            j = i
            while j + 1 < n and step_index[j + 1] == step_index[i]:
                j += 1
            k = int(step_index[i])
            if k < len(engine.steps):
                s = engine.steps[k]
                out.append({"step": k, "phase": s.phase.id, "kind": s.phase.kind, "side": s.side,
                            "measure_side": s.measure_side, "start": i, "end": j,
                            "start_ms": float(self.timestamps_ms[i]), "end_ms": float(self.timestamps_ms[j])})
            else:
                out.append({"step": k, "phase": "done", "kind": "done", "side": None, "measure_side": None,
                            "start": i, "end": j, "start_ms": float(self.timestamps_ms[i]),
                            "end_ms": float(self.timestamps_ms[j])})
            i = j + 1
        return out

    def background(self, evaluation: Evaluation) -> dict[str, np.ndarray]:
        """Each measure rule's value over the whole clip (also where the rule is not active):
        the measure on the side of the step in effect at each frame, mirrored like the engine,
        minus the rule's baseline as the engine judges it (``relative_to: start``, a hold's
        start): the curve is on the same scale as the rule's bounds. Where no baseline is in
        effect the nearest one known is used (the start position's, for frames before it);
        a relative rule whose baseline is never known has no curve."""
        sides = self.spec.sides or (None,)
        side_at = np.empty(self.n, dtype=object)
        side_at[:] = sides[0]
        mirror_side = np.empty(self.n, dtype=object)
        mirror_side[:] = None
        for seg in evaluation.steps:
            if seg["measure_side"] is not None:
                side_at[seg["start"]:seg["end"] + 1] = seg["measure_side"]
            mirror_side[seg["start"]:seg["end"] + 1] = seg["side"]
        out = {}
        for rid, r in self.spec.rules.items():
            if r.kind != "measure":
                continue
            v = np.full(self.n, np.nan)
            for side in sides:
                sel = side_at == side
                v[sel] = self.measure_series[side][r.measure][sel]
            if r.mirror_on_side is not None:
                v = np.where(mirror_side == r.mirror_on_side, -v, v)
            relative = r.relative_to_start or r.baseline_s is not None
            base = None if evaluation.baseline is None or not relative else evaluation.baseline.get(rid)
            if base is not None:
                v = v - _fill_nearest(base)
            out[rid] = v
        return out

    # -- what the page needs once ---------------------------------------------------
    def session_json(self) -> dict[str, Any]:
        spec = self.spec
        lm = self.clip.landmarks
        xy = np.round(lm[:, :, :2], 4)
        vis = np.round(lm[:, :, 3], 2)
        texts = rule_texts(spec, self.lang)
        ptexts = phase_texts(spec, self.lang)
        lang = self.lang
        rules = []
        for rid, r in spec.rules.items():
            norm = body_norm(spec.measures, r.measure)
            rules.append({"id": rid, "name": i18n.rule_name(spec.id, rid, lang), "kind": r.kind,
                          "severity": r.severity, "measure": r.measure, "unit": r.unit,
                          "unit_suffix": unit_suffix(r.unit, lang, norm), "unit_axis": axis_label(r.unit, lang, norm),
                          "check": r.check, "cue": texts[rid][0]["text"], "cues": texts[rid], "phases": list(r.phases),
                          "min": r.min, "max": r.max, "hysteresis": r.hysteresis, "persist_s": r.persist_s,
                          "position": any(rid in p.position for p in spec.phases)})
        phases = [{"id": p.id, "kind": p.kind, "per_side": p.per_side,
                   "name": (p.names or {}).get(lang, p.id), "cues": ptexts.get(p.id, [])} for p in spec.phases]
        params = []
        for prm in self.params:
            d = prm.to_json()
            d["label"] = _param_label(prm, lang)
            rule = spec.rules.get(prm.owner) if prm.group == "rules" else None
            norm = body_norm(spec.measures, rule.measure if rule is not None else None)
            d["unit_suffix"] = "" if prm.unit in ("reps", "") else unit_suffix(prm.unit, lang, norm)
            params.append(d)
        from coach.pose import SKELETON_EDGES

        rule_landmarks: dict[str, dict[str, list[int]]] = {}
        for rid, r in spec.rules.items():
            if r.measure is None:
                continue
            rule_landmarks[rid] = {side or "": self._measure_landmarks(r.measure, side)
                                   for side in (spec.sides or (None,))}

        return {
            "exercise": {"id": spec.id, "name": spec.names.get(self.lang, spec.id), "sides": list(spec.sides),
                         "camera": spec.camera_view},
            "lang": self.lang,
            "rules": rules,
            "phases": phases,
            "params": params,
            "clip": {"frames": self.n, "timestamps_ms": [round(float(t), 1) for t in self.timestamps_ms],
                     "image_wh": list(self.clip.image_wh), "meta": jsonable(self.clip.meta, ndigits=None)},
            "landmarks": [[None if not (math.isfinite(a) and math.isfinite(b)) else [a, b] for a, b in frame]
                          for frame in xy.tolist()],
            "visibility": [[None if not math.isfinite(v) else v for v in frame] for frame in vis.tolist()],
            "edges": [list(e) for e in SKELETON_EDGES],
            "rule_landmarks": rule_landmarks,
        }

    def _measure_landmarks(self, name: str, side: str | None, depth: int = 0) -> list[int]:
        """Landmark indices a measure reads (through ``of:`` for speeds and oscillations)."""
        from coach.measures import build_measure

        try:
            m = build_measure(name, self.spec.measures[name], side, source_units=self.spec.measure_units)
        except Exception:  # a measure that cannot be built here is simply not highlighted
            return []
        out = [int(i) for i in getattr(m, "landmarks", ()) or ()]
        if not out and depth < 5:
            for dep in getattr(m, "depends_on", ()) or ():
                out += self._measure_landmarks(dep, side, depth + 1)
        return sorted(set(out))

    def result_json(self, evaluation: Evaluation) -> dict[str, Any]:
        out = evaluation.to_json(self.timestamps_ms)
        # the cue texts with the values in effect (a changed min_s shows in "hold for {min_s} s")
        spec = evaluation.spec or self.spec
        out["texts"] = {"rules": rule_texts(spec, self.lang), "phases": phase_texts(spec, self.lang)}
        out["background"] = {rid: _floats(v) for rid, v in self.background(evaluation).items()}
        return out
