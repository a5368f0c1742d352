"""`coach eval`: score the coach against the synthetic studio's ground truth.

For each clip with a truth file (``<name>.truth.json.gz``, format in samples/README.md)
the coach is run on the clip's landmark recording (``<name>.landmarks.npz``) or, with
``use_video``, on the video through the real model, and compared with the truth. A clip
filmed mirrored (truth ``camera.mirrored``) is run with ``--mirrored``, as its user would.

Per clip:
- cues, per rule: a predicted cue matches a true cue of the same rule (and side, when
  both name one and the spoken cue says it: "Slower" names no side) when it fires between
  ``tolerance_before_s`` before the mistake's onset (or the true cue, whichever is
  earlier) and ``tolerance_after_s`` after the true cue (plus the hold's ``release_s`` for
  "hold too short": a hold is over only once the person has been out of the position that
  long). Unmatched predictions are false positives
  (wrong cues); unmatched truths are misses, each with why (:func:`miss_cause`: where
  the rule's own reading was while the mistake was made). A camera_off clip (``expected.camera_supported``
  false) expects no correction at all: every correction there is a wrong cue;
- wrong cues on good form (every correction cue said, by severity; set-up guidance such
  as "move into the picture" apart);
- holds: when the coach started each hold vs the truth's ``hold_start`` (per side), how
  long it counted vs how long the person held (per side, capped at the phase's target),
  and which sides, in which order, the coach held vs the truth's holds ("sides followed");
- reps: counted vs done, per side;
- whether the coach judged the camera placement unsupported (an event ``kind="camera"``
  with ``data["state"] == "unsupported"``), against ``expected.camera_supported``;
- per-measure error: every spec measure computed on the detected (smoothed) landmarks vs
  the same measure computed on the true joint positions, per view class (camera height and
  angle), so a threshold can allow for a measure's known error.

Clips are grouped by split (the corpus manifest's ``dev``/``val``/``test``; ``samples`` for
the clips outside the corpus), exercise, rule, mistake size and every variation dimension
of the corpus (camera height, angle, mirrored, fps; body sex, build, age, height; tempo,
side first, starting in position), so a weakness shows where it lives. Timing numbers
(holds, reps, sides) are taken on good-form clips only: a faulty clip's hold is meant to
be paused. Nothing here prints: the CLI formats the report.
"""

from __future__ import annotations

import gzip
import json
import dataclasses
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from coach.errors import CoachError
from coach.pose import N_LANDMARKS, Landmark, PoseFrame

TRUTH_SUFFIX = ".truth.json.gz"
RECORDING_SUFFIX = ".landmarks.npz"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "coach-synth-corpus-manifest"
CORRECTION_SEVERITIES = ("safety", "form", "pace", "count")
SETUP = "setup"
OUTSIDE_CORPUS = "samples"  # the split of clips that are not in a corpus manifest
HOLD_START_WINDOW_S = 20.0  # a coach hold start further than this from every true one is not its start
SIZES = ("just_past", "obvious")

# variation dimensions: key -> title (bins come from the clip, see variation_bins)
DIMENSIONS = {
    "camera_height": "camera height",
    "azimuth": "|azimuth| deg",
    "mirrored": "mirrored",
    "fps": "fps",
    "sex": "body sex",
    "build": "body build",
    "age": "body age",
    "body_height": "body height m",
    "tempo": "tempo (x durations)",
    "side_first": "side first",
    "start_in_position": "start in position",
}


class EvalError(CoachError):
    exit_code = 2


#: why a mistake's cue was missed, from the rule's own reading while the mistake was made
#: (the CLI words them): a timing, count or side rule (no reading); the rule not judged
#: then (another step or side, a camera it is not judged from, its points unseen); its
#: reading inside the bound; past the bound but
#: never by the margin a fault needs (the measure's error); past that margin, yet no cue in
#: time (raised late or muted, too dimly seen, the other side's)
MISS_CAUSES = ("timing", "not_judged", "inside_bound", "inside_margin", "not_said")
#: what a wrong cue (a correction no true cue matched) was said to: the clip's own mistake,
#: but outside its window (late, early, or naming the other side); someone making another
#: mistake; good form; a camera placed where the coach should only ask to move it
WRONG_KINDS = ("own_mistake_off_window", "other_mistake", "good_form", "camera_off")


class RuleTrace:
    """A sink for :func:`coach.pipeline.loop.run`: each measure rule's reading against its
    bounds over the run, as changes ``(t_ms, level, fault, side)`` per rule (level as
    ``RuleTracker.level``: -1 not judged, 0 inside, 1 past its bound, 2 past it by the
    margin; fault: the tracker is at fault; side: the step's)."""

    def __init__(self) -> None:
        self.changes: dict[str, list[tuple[float, int, bool, str | None]]] = {}
        self.end_ms = 0.0
        self.frame_ms = 0.0   # the last interval between frames

    def write(self, step) -> None:
        t = float(step.pose.timestamp_ms)
        snap = step.engine.snapshot() if step.engine is not None else None
        now = {r.rule_id: (r.level, r.state == "fault", snap.side) for r in snap.rules} if snap is not None else {}
        for rid in now.keys() | self.changes.keys():
            cur = now.get(rid, (-1, False, None))
            ch = self.changes.setdefault(rid, [])
            if not ch or ch[-1][1:] != cur:
                ch.append((t, *cur))
        self.frame_ms = t - self.end_ms if self.end_ms else 0.0
        self.end_ms = t

    def close(self) -> None:
        pass

    def _spans(self, rule_id: str, start_ms: float, end_ms: float, side: str | None):
        """(from, to, level, fault) of the rule's changes within [start_ms, end_ms]; a step of
        another side than ``side`` (when both name one) counts as not judged."""
        ch = self.changes.get(rule_id, [])
        for i, (t, lv, fault, s) in enumerate(ch):
            a, b = max(t, start_ms), min(ch[i + 1][0] if i + 1 < len(ch) else self.end_ms, end_ms)
            if b >= a:
                other = side is not None and s is not None and s != side
                yield a, b, -1 if other else lv, fault and not other

    def longest(self, rule_id: str, start_ms: float, end_ms: float, level: int, side: str | None = None) -> float:
        """The longest stretch (ms) within [start_ms, end_ms] the rule's level was >= ``level``,
        from its first frame to the frame after its last."""
        best = 0.0
        since: float | None = None
        for a, b, lv, _fault in self._spans(rule_id, start_ms, end_ms, side):
            if lv >= level:
                since = a if since is None else since
                best = max(best, b - since)
            else:
                since = None
        return best

    def faulted(self, rule_id: str, start_ms: float, end_ms: float, side: str | None = None) -> bool:
        return any(f for _a, _b, _lv, f in self._spans(rule_id, start_ms, end_ms, side))


def miss_cause(trace: RuleTrace, rule, start_ms: float, end_ms: float, position: bool = False,
               side: str | None = None) -> str:
    """Why the cue of ``rule`` (a RuleSpec; None: not in the spec) for a mistake made from
    ``start_ms`` to ``end_ms`` (on ``side``: read in that side's steps) was missed (one of
    :data:`MISS_CAUSES`). A level counts once it lasted the rule's persist_s (its evidence: a
    hold position's, at most 1.5 s), or one frame."""
    from coach.engine.rules import POSITION_EVIDENCE_S

    if rule is None or rule.kind != "measure":
        return "timing"
    if trace.faulted(rule.id, start_ms, end_ms, side):
        return "not_said"
    persist_ms = rule.persist_s * 1000.0
    evidence_ms = min(persist_ms, POSITION_EVIDENCE_S * 1000.0) if position else persist_ms
    if trace.longest(rule.id, start_ms, end_ms, 0, side) <= 0.0:
        return "not_judged"

    def lasted(level: int, ms: float) -> bool:   # from its first frame to its last
        return trace.longest(rule.id, start_ms, end_ms, level, side) - trace.frame_ms >= ms

    if not lasted(1, persist_ms):
        return "inside_bound"
    return "not_said" if lasted(2, evidence_ms) else "inside_margin"


# --------------------------------------------------------------------------- clip facts
def _bin(value: float, edges: tuple[float, ...], labels: tuple[str, ...]) -> str:
    for edge, label in zip(edges, labels):
        if value < edge:
            return label
    return labels[-1]


def azimuth_bin(azimuth_deg: float) -> str:
    a = abs(float(azimuth_deg))
    return _bin(a, (10.0, 20.0, 30.0 + 1e-9), ("0-10", "10-20", "20-30", ">30 (off)"))


def variation_bins(info: dict, fps: float) -> dict[str, str]:
    """The clip's bin in each variation dimension. ``info``: the manifest's (or the truth's
    corpus) clip entry with ``camera``, ``body``, ``style``, ``kind``. Dimensions the clip
    does not describe (clips outside the corpus) are left out."""
    out: dict[str, str] = {}
    cam, body, style = info.get("camera") or {}, info.get("body") or {}, info.get("style") or {}
    if "height_class" in cam:
        out["camera_height"] = str(cam["height_class"])
    if "azimuth_deg" in cam:
        out["azimuth"] = azimuth_bin(cam["azimuth_deg"])
    if "mirrored" in cam:
        out["mirrored"] = "yes" if cam["mirrored"] else "no"
    if cam:
        out["fps"] = _bin(fps, (13.0, 20.0), ("10-12", "15", "24-30"))
    for key, src in (("sex", "sex"), ("build", "build"), ("age", "age_group")):
        if src in body:
            out[key] = str(body[src])
    if "height_m" in body:
        out["body_height"] = _bin(float(body["height_m"]), (1.65, 1.80), ("<1.65", "1.65-1.80", ">=1.80"))
    if "tempo" in style:
        out["tempo"] = _bin(float(style["tempo"]), (0.9, 1.2), ("<0.9 quick", "0.9-1.2", ">=1.2 slow"))
    if style:
        out["side_first"] = str(style.get("side_first") or "no sides")
        out["start_in_position"] = "yes" if style.get("start_in_position") else "no"
    return out


def view_class(info: dict, kind: str) -> str:
    """The camera view a measure was seen from: height class and azimuth bin ("floor/0-10");
    "off-view" for camera_off clips; "studio" for clips outside the corpus."""
    cam = info.get("camera") or {}
    if kind == "camera_off":
        return "off-view"
    if "height_class" not in cam:
        return "studio"
    return f"{cam['height_class']}/{azimuth_bin(cam.get('azimuth_deg', 0.0))}"


def find_manifest(path: Path, cache: dict[Path, dict | None]) -> dict | None:
    """The corpus manifest in a folder above ``path`` (its clips by id), or None."""
    for folder in path.resolve().parents:
        if folder in cache:
            return cache[folder]
        candidate = folder / MANIFEST_NAME
        if candidate.is_file():
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = None
            found = {c["id"]: c for c in data["clips"]} if data and data.get("format") == MANIFEST_FORMAT else None
            cache[folder] = found
            return found
    return None


def clip_split(truth_path: Path, cache: dict[Path, dict | None]) -> str:
    """The split of a clip: the manifest's entry for its id, else ``samples``."""
    manifest = find_manifest(truth_path, cache)
    entry = manifest.get(truth_path.name[: -len(TRUTH_SUFFIX)]) if manifest else None
    return str(entry["split"]) if entry else OUTSIDE_CORPUS


# --------------------------------------------------------------------------- per clip
@dataclass
class ClipResult:
    name: str
    exercise: str
    mistake: str | None
    source: str
    frames: int
    tracked: float
    duration_s: float
    predicted: list[dict]  # cue events: t_ms, rule, side, severity, repeat
    truth_cues: list[dict]
    matches: list[tuple[int, int]]  # (truth index, predicted index)
    holds: dict  # side -> (true_s, predicted_s)
    reps: dict  # side -> (true, predicted)
    measure_errors: dict  # name -> array of abs errors (unit)
    measure_units: dict
    split: str = OUTSIDE_CORPUS
    kind: str = "good"  # good / mistake / camera_off
    size: str | None = None  # just_past / obvious for mistake clips of the corpus
    camera_supported: bool = True  # the truth's expected.camera_supported
    coach_unsupported: bool = False  # the coach said the camera placement is unsupported
    mirrored: bool = False
    dims: dict = field(default_factory=dict)  # dimension -> bin
    view: str = "studio"
    hold_starts: list[dict] = field(default_factory=list)  # side, true_ms, coach_ms (None = missed)
    # name -> array of |error - the error at the clip's start| (unit): the error of a change
    # from the start position, the one a rule judged relative_to: start (or to the start of
    # a hold) makes
    measure_change_errors: dict = field(default_factory=dict)
    sides_truth: list[str] = field(default_factory=list)  # sides held, in order
    sides_coach: list[str] = field(default_factory=list)
    misses: list[dict] = field(default_factory=list)  # per missed true cue: rule, side, cause (MISS_CAUSES)

    @property
    def matched_truth(self) -> set[int]:
        return {a for a, _ in self.matches}

    @property
    def wrong_cues(self) -> list[dict]:
        """Corrections that match no true cue and repeat none (each said once counts once)."""
        matched = {b for _, b in self.matches}
        return [p for j, p in enumerate(self.predicted)
                if j not in matched and not p.get("repeat") and p["severity"] in CORRECTION_SEVERITIES]

    def wrong_kind(self, cue: dict) -> str:
        """What a wrong cue was said to (one of :data:`WRONG_KINDS`)."""
        if self.kind == "camera_off":
            return "camera_off"
        if any(t["rule"] == cue["rule"] for t in self.truth_cues):
            return "own_mistake_off_window"
        return "other_mistake" if self.kind == "mistake" else "good_form"

    @property
    def sides_followed(self) -> bool | None:
        return None if not self.sides_truth else self.sides_coach == self.sides_truth

    def to_dict(self) -> dict:
        return {
            "clip": self.name, "exercise": self.exercise, "mistake": self.mistake, "source": self.source,
            "split": self.split, "kind": self.kind, "size": self.size, "mirrored": self.mirrored,
            "variation": self.dims, "view": self.view,
            "camera_supported": self.camera_supported, "coach_said_unsupported": self.coach_unsupported,
            "frames": self.frames, "tracked_fraction": round(self.tracked, 4), "duration_s": round(self.duration_s, 2),
            "cues": self.predicted, "truth_cues": self.truth_cues,
            "matched": [[int(a), int(b)] for a, b in self.matches],
            "holds_s": {k: [round(a, 2), round(b, 2)] for k, (a, b) in self.holds.items()},
            "hold_starts": self.hold_starts,
            "sides": {"truth": self.sides_truth, "coach": self.sides_coach},
            "reps": {k: [a, b] for k, (a, b) in self.reps.items()},
            "missed": self.misses,
        }


# --------------------------------------------------------------------------- aggregates
def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def prf(tp: int, fp: int, fn: int) -> dict:
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = 2 * p * r / (p + r) if p and r else (0.0 if (tp + fp + fn) else None)
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1}


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def summarise(clips: list[ClipResult]) -> dict:
    """Everything the report says about a group of clips (a split, an exercise, a bin)."""
    tp = sum(len(c.matched_truth) for c in clips)
    fn = sum(len(c.truth_cues) - len(c.matched_truth) for c in clips)
    fp = sum(len(c.wrong_cues) for c in clips)
    frames = sum(c.frames for c in clips)
    good = [c for c in clips if c.kind == "good"]
    off = [c for c in clips if c.kind == "camera_off"]
    good_min = sum(c.duration_s for c in good) / 60.0
    off_min = sum(c.duration_s for c in off) / 60.0
    per_severity = {s: sum(1 for c in good for p in c.predicted if p["severity"] == s)
                    for s in (*CORRECTION_SEVERITIES, SETUP)}
    corrections_good = sum(per_severity[s] for s in CORRECTION_SEVERITIES)
    corrections_off = sum(1 for c in off for p in c.predicted if p["severity"] in CORRECTION_SEVERITIES)
    hold_err = [abs(a - b) for c in good for a, b in c.holds.values()]
    starts = [h for c in good for h in c.hold_starts]
    start_err = [abs(h["coach_ms"] - h["true_ms"]) / 1000.0 for h in starts if h["coach_ms"] is not None]
    rep_err = [abs(a - b) for c in good for a, b in c.reps.values()]
    followed = [c.sides_followed for c in good if c.sides_followed is not None]
    supported = [c for c in clips if c.camera_supported]
    out = {
        "clips": len(clips), "frames": frames,
        "tracked_fraction": sum(c.tracked * c.frames for c in clips) / frames if frames else 0.0,
        **prf(tp, fp, fn),
        "good_clips": len(good), "good_minutes": round(good_min, 3),
        "wrong_cues_good": corrections_good,
        "wrong_cues_per_min_good": _ratio(corrections_good, good_min),
        "wrong_cues_per_min_good_by_severity": {s: _ratio(n, good_min) for s, n in per_severity.items()},
        "camera_off_clips": len(off),
        "corrections_per_min_camera_off": _ratio(corrections_off, off_min),
        "camera_unsupported_fraction_camera_off": _ratio(sum(c.coach_unsupported for c in off), len(off)),
        "camera_unsupported_fraction_supported": _ratio(sum(c.coach_unsupported for c in supported), len(supported)),
        "hold_start_error_s_mean": _mean(start_err),
        "hold_starts_missed": sum(1 for h in starts if h["coach_ms"] is None), "hold_starts": len(starts),
        "hold_error_s_mean": _mean(hold_err), "hold_error_s_max": float(max(hold_err)) if hold_err else None,
        "rep_count_error_mean": _mean(rep_err),
        "reps_exact_fraction": _mean([e == 0 for e in rep_err]),
        "sides_followed_fraction": _mean(followed), "sides_clips": len(followed),
    }
    causes = Counter(m["cause"] for c in clips for m in c.misses)
    kinds = Counter(c.wrong_kind(p) for c in clips for p in c.wrong_cues)
    out["missed_by_cause"] = {cause: causes[cause] for cause in MISS_CAUSES}
    out["wrong_by_kind"] = {kind: kinds[kind] for kind in WRONG_KINDS}
    for size in SIZES:
        of_size = [c for c in clips if c.kind == "mistake" and c.size == size]
        hit = sum(len(c.matched_truth) for c in of_size)
        out[f"recall_{size}"] = _ratio(hit, sum(len(c.truth_cues) for c in of_size))
    # the names earlier reports used
    out["false_cues_per_min_good"] = out["wrong_cues_per_min_good"]
    return out


def _groups(clips: Iterable[ClipResult], key: Callable[[ClipResult], str | None]) -> dict[str, list[ClipResult]]:
    out: dict[str, list[ClipResult]] = {}
    for c in clips:
        k = key(c)
        if k is not None:
            out.setdefault(k, []).append(c)
    return out


@dataclass
class ScoreReport:
    clips: list[ClipResult] = field(default_factory=list)
    tolerance_before_s: float = 1.0
    tolerance_after_s: float = 3.0

    def overall(self) -> dict:
        return summarise(self.clips)

    def split_summary(self) -> dict[str, dict]:
        order = {"dev": 0, "val": 1, "test": 2}
        groups = _groups(self.clips, lambda c: c.split)
        return {k: summarise(v) for k, v in sorted(groups.items(), key=lambda kv: (order.get(kv[0], 9), kv[0]))}

    def exercise_summary(self) -> dict[str, dict]:
        return {k: summarise(v) for k, v in sorted(_groups(self.clips, lambda c: c.exercise).items())}

    def dimension_summary(self) -> dict[str, dict[str, dict]]:
        out: dict[str, dict[str, dict]] = {}
        for dim in DIMENSIONS:
            groups = _groups(self.clips, lambda c, d=dim: c.dims.get(d))
            if groups:
                out[dim] = {k: summarise(v) for k, v in sorted(groups.items())}
        return out

    def size_summary(self) -> dict[str, dict]:
        """Mistake clips by size: recall of their mistakes' cues."""
        groups = _groups(self.clips, lambda c: c.size if c.kind == "mistake" and c.size else None)
        return {k: summarise(v) for k, v in sorted(groups.items())}

    def rule_scores(self) -> dict[tuple[str, str], dict]:
        """(exercise, rule) -> tp, fp, fn, precision, recall, f1 (over all clips), and the
        recall per mistake size."""
        counts: dict[tuple[str, str], dict] = {}

        def slot(ex: str, rule: str) -> dict:
            return counts.setdefault((ex, rule), {"tp": 0, "fp": 0, "fn": 0, "sizes": {}, "causes": {}})

        for c in self.clips:
            for m in c.misses:
                causes = slot(c.exercise, m["rule"])["causes"]
                causes[m["cause"]] = causes.get(m["cause"], 0) + 1
            matched_t = c.matched_truth
            for i, tc in enumerate(c.truth_cues):
                s = slot(c.exercise, tc["rule"])
                hit = i in matched_t
                s["tp" if hit else "fn"] += 1
                if c.size:
                    size = s["sizes"].setdefault(c.size, [0, 0])
                    size[0] += hit
                    size[1] += 1
            for p in c.wrong_cues:
                slot(c.exercise, p["rule"])["fp"] += 1
        out = {}
        for key, s in sorted(counts.items()):
            out[key] = {**prf(s["tp"], s["fp"], s["fn"]),
                        **{f"recall_{size}": _ratio(*s["sizes"][size]) for size in SIZES if size in s["sizes"]},
                        "missed_by_cause": {k: s["causes"][k] for k in MISS_CAUSES if k in s["causes"]}}
        return out

    def measure_scores(self) -> dict[tuple[str, str], dict]:
        """(exercise, measure) -> unit, n, mae, p90, p95, worst over all clips, and ``views``:
        the same per view class."""
        acc: dict[tuple[str, str], dict[str, list[np.ndarray]]] = {}
        change: dict[tuple[str, str], list[np.ndarray]] = {}
        units: dict[tuple[str, str], str] = {}
        for c in self.clips:
            for name, errs in c.measure_errors.items():
                acc.setdefault((c.exercise, name), {}).setdefault(c.view, []).append(errs)
                units[(c.exercise, name)] = c.measure_units.get(name, "")
            for name, errs in c.measure_change_errors.items():
                change.setdefault((c.exercise, name), []).append(errs)

        def stats(parts: list[np.ndarray]) -> dict:
            e = np.concatenate(parts) if parts else np.array([])
            return {"n": int(e.size), "mae": float(e.mean()) if e.size else None,
                    "p90": float(np.percentile(e, 90)) if e.size else None,
                    "p95": float(np.percentile(e, 95)) if e.size else None,
                    "worst": float(e.max()) if e.size else None}

        out = {}
        for key, views in sorted(acc.items()):
            every = [a for parts in views.values() for a in parts]
            ch = np.concatenate(change[key]) if change.get(key) else np.array([])
            out[key] = {"unit": units[key], **stats(every),
                        "p90_change": float(np.percentile(ch, 90)) if ch.size else None,
                        "views": {v: stats(parts) for v, parts in sorted(views.items())}}
        return out

    def dev_test_gap(self) -> dict | None:
        """F1 on dev, F1 on test and the gap (dev - test), when both are scored."""
        splits = self.split_summary()
        if "dev" not in splits or "test" not in splits:
            return None
        dev, test = splits["dev"]["f1"], splits["test"]["f1"]
        return {"f1_dev": dev, "f1_test": test, "gap": None if dev is None or test is None else dev - test}

    def to_dict(self) -> dict:
        return {
            "tolerance_s": {"before_onset": self.tolerance_before_s, "after_true_cue": self.tolerance_after_s},
            "overall": self.overall(),
            "splits": self.split_summary(),
            "dev_vs_test": self.dev_test_gap(),
            "exercises": self.exercise_summary(),
            "rules": {f"{ex}/{rule}": s for (ex, rule), s in self.rule_scores().items()},
            "sizes": self.size_summary(),
            "variation": self.dimension_summary(),
            "measures": {f"{ex}/{m}": s for (ex, m), s in self.measure_scores().items()},
            "clips": [c.to_dict() for c in self.clips],
        }


# --------------------------------------------------------------------------- truth -> frames
def load_truth(path: Path) -> dict:
    """A truth file for scoring: as ``coach.synth.truth.load`` gives it, except that the
    landmark arrays are numpy arrays (frames x 33 x 2 or 3, NaN = none) and the true measures
    and script values, which scoring does not use, are left packed (unpacking them into lists
    takes longer than coaching the clip)."""
    from coach.synth.truth import unpack_array

    with gzip.open(path, "rb") as fh:
        truth = json.loads(fh.read())
    lm = dict(truth["landmarks"])
    if truth.get("packed"):
        packed = lm.pop("packed")
        lm["xy_px"], lm["xyz_m"] = unpack_array(packed["xy_px"]), unpack_array(packed["xyz_m"])
    else:
        lm["xy_px"], lm["xyz_m"] = _points(lm["xy_px"], 2), _points(lm["xyz_m"], 3)
    truth["landmarks"] = lm
    return truth


def _points(rows: list, dim: int) -> np.ndarray:
    return np.array([[p if p is not None else [np.nan] * dim for p in row] for row in rows], dtype=np.float64)


def truth_frames(truth: dict, unmirror: bool = False) -> list[PoseFrame]:
    """PoseFrames holding the TRUE joints (for computing measures on the truth). A mirrored
    clip's truth is of the mirrored picture with anatomical names; ``unmirror`` turns its
    geometry back (x -> 1 - x, world x -> -x; names kept), as the coach sees it."""
    video = truth["video"]
    fps = float(video["fps"])
    w, h = video["image_wh"]
    cam = truth["camera"]
    w2c = np.asarray(cam["world_to_camera"], dtype=np.float64)
    k = np.asarray(cam["K"], dtype=np.float64)
    xy = np.asarray(truth["landmarks"]["xy_px"], dtype=np.float64)
    xyz = np.asarray(truth["landmarks"]["xyz_m"], dtype=np.float64)
    if xy.dtype == object or xy.ndim != 3:
        xy, xyz = _points(truth["landmarks"]["xy_px"], 2), _points(truth["landmarks"]["xyz_m"], 3)
    cam_pts = xyz @ w2c[:3, :3].T + w2c[:3, 3]
    hips = cam_pts[:, [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]].mean(axis=1)  # (n, 3)
    seen = np.isfinite(xy).all(axis=2)
    lm = np.full((len(xy), N_LANDMARKS, 5), np.nan)
    lm[..., 0] = xy[..., 0] / w
    lm[..., 1] = xy[..., 1] / h
    # MediaPipe-like relative depth: hip-centred, in normalised-x units.
    with np.errstate(invalid="ignore"):
        lm[..., 2] = (cam_pts[..., 2] - hips[:, None, 2]) * k[0, 0] / (np.maximum(hips[:, None, 2], 1e-6) * w)
    # The truth is known also where the body hides a joint: measure it everywhere.
    lm[..., 3:] = 0.99
    lm[~seen] = np.nan
    world = cam_pts - hips[:, None, :]
    if unmirror:
        lm[..., 0] = 1.0 - lm[..., 0]
        world[..., 0] = -world[..., 0]
    return [PoseFrame(timestamp_ms=i * 1000.0 / fps, landmarks=lm[i], world=world[i], image_wh=(w, h))
            for i in range(len(lm))]


def _side_per_frame(truth: dict, n: int, fps: float, default: str | None) -> list[str | None]:
    sides: list[str | None] = [default] * n
    for ph in truth.get("phases", []):
        side = ph.get("side")
        if side not in ("left", "right"):
            continue
        a = int(math.floor(ph["start_ms"] * fps / 1000.0))
        b = int(math.ceil(ph["end_ms"] * fps / 1000.0))
        for i in range(max(a, 0), min(b, n)):
            sides[i] = side
    return sides


START_S = 2.0   # the error at a clip's start: its median over the first seconds (the start position)


def _measure_errors(spec, detected: list[PoseFrame], truth_fr: list[PoseFrame], sides: list[str | None],
                    change: dict[str, list[float]] | None = None):
    """|detected - true| per measure over the frames both see; with ``change``, also fill it
    with |error - the error at the clip's start| (the error of a change from the start)."""
    from coach.engine import measure_table

    n = min(len(detected), len(truth_fr))
    side_set = [s for s in (spec.sides or (None,))]
    errs: dict[str, list[float]] = {}
    signed: dict[str, list[tuple[float, float]]] = {}
    units: dict[str, str] = {}
    for side in side_set:
        header, rows_d = measure_table(spec, detected[:n], side=side)
        _, rows_t = measure_table(spec, truth_fr[:n], side=side)
        names = [hname.split(" [")[0] for hname in header[1:]]
        for col, hname in enumerate(header[1:], start=1):
            name = names[col - 1]
            units[name] = hname.split("[")[-1].rstrip("]")
            if units[name] in ("deg/s", "body/s", "s", "ratio"):
                continue  # speeds, periods and visibilities: no meaningful truth comparison
            for i in range(n):
                if spec.sides and sides[i] != side:
                    continue
                a, b = rows_d[i][col], rows_t[i][col]
                if a == "" or b == "":
                    continue
                d = float(a) - float(b)
                if units[name] == "deg" and abs(d) > 180:
                    d = d - 360 if d > 0 else d + 360
                errs.setdefault(name, []).append(abs(d))
                signed.setdefault(name, []).append((float(rows_d[i][0]), d))
    if change is not None:
        for name, rows in signed.items():
            t0 = min(t for t, _ in rows)
            start = [d for t, d in rows if t - t0 <= START_S * 1000.0]
            ref = float(np.median(start))
            change[name] = [abs(d - ref) for _t, d in rows]
    return {k: np.asarray(v) for k, v in errs.items()}, units


_SIDE_WORD = re.compile(r"\b(left|right)\b", re.IGNORECASE)


def names_side(text: dict[str, str] | None) -> bool:
    """Does the spoken cue name a side? A cue that does not ("Slower — follow your breath")
    is right for its mistake whichever side the coach was on: the person hears no side, so
    it matches a true cue of either side (the sides the coach followed are scored apart)."""
    return bool(text) and bool(_SIDE_WORD.search(text.get("en", "")))


def _match(truth_cues: list[dict], predicted: list[dict], mistakes: list[dict], before_s: float, after_s: float,
           clip_end_ms: float, extra_after_s: dict[str, float] | None = None):
    """(matches, repeats): matched (truth, predicted) pairs, and predicted cues that repeat
    a matched cue while its mistake lasts (a reminder, neither right nor wrong)."""
    episodes = {(m["rule"], m.get("side")): (m["onset_ms"], m.get("end_ms")) for m in mistakes}
    used: set[int] = set()
    matches = []
    repeats: set[int] = set()
    for i, tc in enumerate(truth_cues):
        onset, end = episodes.get((tc["rule"], tc.get("side")), (tc["t_ms"], None))
        lo = min(onset, tc["t_ms"]) - before_s * 1000.0
        hi = tc["t_ms"] + (after_s + (extra_after_s or {}).get(tc["rule"], 0.0)) * 1000.0
        end_ms = (end if end is not None else clip_end_ms) + after_s * 1000.0
        hit = None
        for j, pc in enumerate(predicted):
            if j in used or pc["rule"] != tc["rule"]:
                continue
            if tc.get("side") and pc.get("side") and tc["side"] != pc["side"]:
                continue
            if hit is None and lo <= pc["t_ms"] <= hi:
                hit = j
                used.add(j)
                matches.append((i, j))
            elif hit is not None and predicted[hit]["t_ms"] < pc["t_ms"] <= end_ms:
                repeats.add(j)
                used.add(j)
    return matches, repeats


def match_hold_starts(true_starts: list[tuple[str, float]], coach_starts: list[tuple[str, float]],
                      window_s: float = HOLD_START_WINDOW_S) -> list[dict]:
    """Pair each true hold start (side key, ms) with the coach's hold start of the same side
    nearest in time (each used once, closest pairs first, at most ``window_s`` apart).
    Returns one ``{side, true_ms, coach_ms}`` per true start; coach_ms None = missed."""
    pairs = sorted(((abs(c - t), i, j) for i, (ts, t) in enumerate(true_starts)
                    for j, (cs, c) in enumerate(coach_starts) if ts == cs and abs(c - t) <= window_s * 1000.0))
    taken_t: dict[int, int] = {}
    taken_c: set[int] = set()
    for _, i, j in pairs:
        if i not in taken_t and j not in taken_c:
            taken_t[i] = j
            taken_c.add(j)
    return [{"side": side, "true_ms": float(t), "coach_ms": float(coach_starts[taken_t[i]][1]) if i in taken_t else None}
            for i, (side, t) in enumerate(true_starts)]


def _side_order(sides: Iterable[str | None]) -> list[str]:
    """The sides in order, each run of the same side once (None skipped)."""
    out: list[str] = []
    for s in sides:
        if s in ("left", "right") and (not out or out[-1] != s):
            out.append(s)
    return out


def find_clips(paths: list[str | Path]) -> list[Path]:
    """Truth files under the given folders / next to the given clips."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(p.rglob("*" + TRUTH_SUFFIX))
        elif p.name.endswith(TRUTH_SUFFIX):
            found.append(p)
        elif p.exists():
            stem = p.name.split(".")[0]
            t = p.with_name(stem + TRUTH_SUFFIX)
            if not t.exists():
                raise EvalError(f"no truth file for {p} (expected {t.name} beside it)")
            found.append(t)
        else:
            raise EvalError(f"not found: {p}")
    if not found:
        raise EvalError(f"no clips with ground truth ({TRUTH_SUFFIX}) in {', '.join(map(str, paths))}")
    return found


def _misses(trace: RuleTrace, spec, truth_cues: list[dict], mistakes: list[dict], matches, before_s: float,
            after_s: float, clip_end_ms: float) -> list[dict]:
    """Why each true cue nothing matched was missed: its rule's reading while the mistake was
    made (from its onset, or ``before_s`` before the true cue, to the mistake's end or
    ``after_s`` after the true cue, the later)."""
    matched = {a for a, _ in matches}
    positions = {rid for p in spec.phases for rid in p.position}
    out = []
    for i, tc in enumerate(truth_cues):
        if i in matched:
            continue
        m = next((m for m in mistakes if m["rule"] == tc["rule"]
                  and (not m.get("side") or not tc.get("side") or m["side"] == tc["side"])), None)
        start = float(m["onset_ms"]) if m else tc["t_ms"] - before_s * 1000.0
        end = max(float(m.get("end_ms") or clip_end_ms) if m else 0.0, tc["t_ms"] + after_s * 1000.0)
        out.append({"rule": tc["rule"], "side": tc.get("side"),
                    "cause": miss_cause(trace, spec.rules.get(tc["rule"]), start, end, tc["rule"] in positions,
                                        (m or tc).get("side"))})
    return out


def score_clip(truth_path: Path, *, use_video: bool = False, model: str | None = None,
               before_s: float = 1.0, after_s: float = 3.0, profile=None,
               manifests: dict[Path, dict | None] | None = None, true_poses: bool = False) -> ClipResult:
    from coach.engine import ExerciseEngine
    from coach.pipeline.loop import run
    from coach.pipeline.runner import make_estimator, needs_masks
    from coach.spec import load_spec
    from coach.vision.recording import load_clip
    from coach.vision.smoothing import PoseSmoother
    from coach.vision.sources import VideoFileSource

    manifests = {} if manifests is None else manifests
    truth = load_truth(truth_path)
    clip_info = truth["clip"]
    exercise = clip_info["exercise"]
    spec = load_spec(exercise, profile=profile)
    if true_poses:
        # the true joints' error is none: no evidence margin (what a perfect pose model allows)
        spec = dataclasses.replace(spec, rules={rid: dataclasses.replace(r, error=0.0) for rid, r in spec.rules.items()})
    base = truth_path.name[: -len(TRUTH_SUFFIX)]
    manifest = find_manifest(truth_path, manifests)
    info = (manifest or {}).get(base) or clip_info  # the manifest's entry, else the truth's own
    kind = str(clip_info.get("kind") or info.get("kind") or ("mistake" if clip_info.get("mistake") else "good"))
    camera_supported = bool((truth.get("expected") or {}).get("camera_supported", True))
    mirrored = bool(truth["camera"].get("mirrored", False))
    recording = truth_path.with_name(base + RECORDING_SUFFIX)
    video = truth_path.with_name(clip_info.get("video") or base + ".mp4")
    estimator = None
    if true_poses:
        # The oracle: the coach fed the renderer's true joints instead of the pose model's,
        # to tell what the pose model's error costs from what the rules and phases cost.
        # (named anatomically already: only the geometry is turned back, not the sides)
        frames_src = truth_frames(truth, unmirror=mirrored)
        source = str(truth_path)
    elif use_video or not recording.exists():
        if not video.exists():
            raise EvalError(f"{truth_path}: neither {recording.name} nor {video.name} exists")
        frames_src = VideoFileSource(video)
        estimator = make_estimator(model, 1, needs_masks(spec), spec)
        source = str(video)
    else:
        frames_src = load_clip(recording)
        source = str(recording)
    engine = ExerciseEngine(spec, lang="en")
    smoother = PoseSmoother()
    smoothed: list[PoseFrame] = []
    events = []

    class _Keep:
        def write(self, step) -> None:
            smoothed.append(step.pose)

        def close(self) -> None:
            pass

    trace = RuleTrace()
    try:
        stats = run(frames_src, estimator=estimator, smoother=smoother, engine=engine, sinks=[_Keep(), trace],
                    on_event=events.append, mirrored=mirrored and not true_poses)
    finally:
        if estimator is not None:
            estimator.close()
    predicted = [
        {"t_ms": float(e.timestamp_ms), "rule": e.rule_id, "side": e.side if names_side(e.text) else None,
         "severity": e.severity}
        for e in events if e.kind == "cue" and e.rule_id
    ]
    coach_unsupported = any(e.kind == "camera" and (e.data or {}).get("state") == "unsupported" for e in events)
    truth_cues = [
        {"t_ms": float(e["time_ms"]), "rule": e["rule"], "side": e.get("side")}
        for e in truth.get("events", []) if e.get("kind") == "cue"
    ]
    clip_end_ms = float(truth["video"]["duration_ms"])
    # A clip that does only some of the exercise's sides should end with "side skipped"
    # for the others (if the spec has that rule): that is what a perfect coach says.
    # (The sides the clip performs are those of its phases: a knee_to_chest clip of rocking
    # only does neither one-knee side, whatever its script's side list says.) Not on a
    # camera_off clip: there the coach should correct nothing.
    phase_sides = {ph.get("side") for ph in truth.get("phases", [])} - {None}
    done_sides = phase_sides if truth.get("phases") else set(clip_info.get("sides") or [])
    mistakes = list(truth.get("mistakes", []))
    if camera_supported and "side_skipped" in spec.rules and not any(c["rule"] == "side_skipped" for c in truth_cues):
        # said at the end: when the clip ends, or already when the last exercise phase ends
        # (the coach then knows the exercise is over)
        active = [ph["end_ms"] for ph in truth.get("phases", []) if ph.get("phase") not in ("rest", "return")]
        last_active_ms = float(max(active, default=clip_end_ms))
        for side in spec.sides:
            if side not in done_sides:
                truth_cues.append({"t_ms": clip_end_ms, "rule": "side_skipped", "side": side})
                mistakes.append({"rule": "side_skipped", "side": side, "onset_ms": last_active_ms,
                                 "end_ms": clip_end_ms})
    # A hold is over only once the person has been out of its position for release_s: a
    # "hold too short" cannot come before that, so its window is that much longer.
    release_s = max((p.release_s for p in spec.phases if p.kind == "hold"), default=0.0)
    extra_after_s = {rid: release_s for rid, r in spec.rules.items() if r.check == "hold_short"}
    matches, repeats = _match(truth_cues, predicted, mistakes, before_s, after_s, clip_end_ms, extra_after_s)
    predicted = [dict(p, repeat=(j in repeats)) for j, p in enumerate(predicted)]
    misses = _misses(trace, spec, truth_cues, mistakes, matches, before_s, after_s, clip_end_ms)
    # holds and reps per side
    summary = engine.summary()
    # The engine counts a hold up to the phase's target and then moves on, so the true
    # hold is capped at that target; rocking counts as the side-less hold of knee_to_chest.
    holds: dict[str, tuple[float, float]] = {}
    targets = {
        per_side: max((p.target_s or 0.0 for p in spec.phases if p.kind == "hold" and p.per_side == per_side),
                      default=0.0)
        for per_side in (True, False)
    }
    engine_keys = {side if side in ("left", "right") else "-"
                   for per_side in summary.get("holds_s", {}).values() for side in per_side}
    true_holds = [(h.get("side") or "-", float(h["duration_s"])) for h in truth.get("holds", [])]
    true_holds += [("-", (ph["end_ms"] - ph["start_ms"]) / 1000.0)
                   for ph in truth.get("phases", []) if ph.get("phase") == "rock"]
    for key, dur in true_holds:
        if key not in engine_keys:
            continue  # e.g. chair_extension's short holds at the back of each rep: a reps phase
        true_s, pred_s = holds.get(key, (0.0, 0.0))
        target_s = targets[key != "-"]
        holds[key] = (true_s + (min(dur, target_s) if target_s else dur), pred_s)
    for per_side in summary.get("holds_s", {}).values():
        for side, s_ in per_side.items():
            key = side if side in ("left", "right") else "-"
            true_s, pred_s = holds.get(key, (0.0, 0.0))
            holds[key] = (true_s, pred_s + float(s_))
    reps: dict[str, tuple[int, int]] = {}
    for r in truth.get("reps", []):
        key = r.get("side") or "-"
        t_, p_ = reps.get(key, (0, 0))
        reps[key] = (t_ + 1, p_)
    for per_side in summary.get("reps", {}).values():
        for side, n in per_side.items():
            key = side if side in ("left", "right") else "-"
            t_, p_ = reps.get(key, (0, 0))
            reps[key] = (t_, p_ + int(n))
    # hold starts (the holds the engine has: chair_extension's holds are inside its reps)
    starts: list[tuple[str, float, bool]] = []   # side, time, moved to the other side
    for e in events:
        state = (e.data or {}).get("state") if e.kind == "hold" else None
        if state == "started" and not (starts and starts[-1][2]):
            starts.append((e.side or "-", float(e.timestamp_ms), False))
        elif state == "started":   # the moved hold goes on, its time carried over
            starts[-1] = (e.side or "-", starts[-1][1], False)
        elif state == "moved" and starts:   # that hold was the other side's: the next start names it
            starts[-1] = (starts[-1][0], starts[-1][1], True)
    coach_starts = [(side, ms) for side, ms, _ in starts]
    true_starts = [(e.get("side") or "-", float(e["time_ms"])) for e in truth.get("events", [])
                   if e.get("kind") == "hold_start"]
    hold_kinds = {p.kind for p in spec.phases}
    hold_starts = match_hold_starts(true_starts, coach_starts) if "hold" in hold_kinds else []
    fps = float(truth["video"]["fps"])
    tf = truth_frames(truth, unmirror=mirrored)
    sides = _side_per_frame(truth, len(tf), fps, spec.sides[0] if spec.sides else None)
    change: dict[str, list[float]] = {}
    merrs, units = _measure_errors(spec, smoothed, tf, sides, change)
    return ClipResult(
        name=str(truth_path.with_name(base)), exercise=exercise, mistake=clip_info.get("mistake"), source=source,
        frames=stats.frames, tracked=stats.tracked_fraction, duration_s=stats.media_s,
        predicted=predicted, truth_cues=truth_cues, matches=matches, holds=holds, reps=reps,
        measure_errors=merrs, measure_units=units,
        measure_change_errors={k: np.asarray(v) for k, v in change.items()},
        split=str(info.get("split") or OUTSIDE_CORPUS) if manifest and base in manifest else OUTSIDE_CORPUS,
        kind=kind, size=clip_info.get("size") if isinstance(clip_info.get("size"), str) else None,
        camera_supported=camera_supported, coach_unsupported=coach_unsupported, mirrored=mirrored,
        dims=variation_bins(info, fps) if manifest and base in manifest else {},
        view=view_class(info if manifest and base in manifest else {}, kind),
        hold_starts=hold_starts, misses=misses,
        sides_truth=_side_order(s for s, _ in sorted(true_starts, key=lambda x: x[1])),
        sides_coach=_side_order(s for s, _ in sorted(coach_starts, key=lambda x: x[1])),
    )


def score_clips(paths: list[str | Path], *, use_video: bool = False, model: str | None = None,
                before_s: float = 1.0, after_s: float = 3.0, splits: Iterable[str] | None = None,
                exercises: Iterable[str] | None = None, on_clip=None, true_poses: bool = False) -> ScoreReport:
    """Score every clip under ``paths`` (only those of ``splits`` / ``exercises`` if given)."""
    report = ScoreReport(tolerance_before_s=before_s, tolerance_after_s=after_s)
    manifests: dict[Path, dict | None] = {}
    wanted = set(splits) if splits else None
    found = find_clips(paths)
    if wanted is not None:
        found = [p for p in found if clip_split(p, manifests) in wanted]
    if exercises:
        keep = set(exercises)
        found = [p for p in found if _exercise_of(p) in keep]
    if not found:
        raise EvalError(f"no clips of split {', '.join(sorted(wanted or []))} in {', '.join(map(str, paths))}")
    for truth_path in found:
        result = score_clip(truth_path, use_video=use_video, model=model, before_s=before_s, after_s=after_s,
                            manifests=manifests, true_poses=true_poses)
        report.clips.append(result)
        if on_clip is not None:
            on_clip(result)
    return report


def _exercise_of(truth_path: Path) -> str:
    """The clip's exercise from its truth file's header (no unpacking of the frames)."""
    with gzip.open(truth_path, "rt", encoding="utf-8") as fh:
        return str(json.load(fh)["clip"]["exercise"])
