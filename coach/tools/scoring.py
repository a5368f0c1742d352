"""`coach eval`: score the coach against the synthetic studio's ground truth.

For each clip with a truth file (``<name>.truth.json.gz``, format in samples/README.md)
the coach is run on the clip's landmark recording (``<name>.landmarks.npz``) or, with
``use_video``, on the video through the real model, and compared with the truth:

- cues, per rule: a predicted cue matches a true cue of the same rule (and side, when
  both name one) when it fires between ``tolerance_before_s`` before the mistake's onset
  (or the true cue, whichever is earlier) and ``tolerance_after_s`` after the true cue
  (plus the hold's ``release_s`` for "hold too short": a hold is over only once the person
  has been out of the position that long).
  Unmatched predictions are false positives; unmatched truths are misses.
- false cues per minute on good-form clips (every correction cue counts; set-up guidance
  such as "move into the picture" is reported apart);
- hold-time error per side (seconds held, coach vs truth) and rep-count exactness;
- per-measure error: every spec measure computed on the detected (smoothed) landmarks vs
  the same measure computed on the true joint positions (MAE, 95th percentile, worst);
- the fraction of frames in which a person was tracked.
Nothing here prints: the CLI formats the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from coach.errors import CoachError
from coach.pose import N_LANDMARKS, Landmark, PoseFrame

TRUTH_SUFFIX = ".truth.json.gz"
RECORDING_SUFFIX = ".landmarks.npz"
CORRECTION_SEVERITIES = ("safety", "form", "pace", "count")


class EvalError(CoachError):
    exit_code = 2


@dataclass
class ClipResult:
    name: str
    exercise: str
    mistake: str | None
    source: str
    frames: int
    tracked: float
    duration_s: float
    predicted: list[dict]  # cue events: t_ms, rule, side, severity
    truth_cues: list[dict]
    matches: list[tuple[int, int]]  # (truth index, predicted index)
    holds: dict  # side -> (true_s, predicted_s)
    reps: dict  # side -> (true, predicted)
    measure_errors: dict  # name -> array of abs errors (unit)
    measure_units: dict

    def to_dict(self) -> dict:
        return {
            "clip": self.name, "exercise": self.exercise, "mistake": self.mistake, "source": self.source,
            "frames": self.frames, "tracked_fraction": round(self.tracked, 4), "duration_s": round(self.duration_s, 2),
            "cues": self.predicted, "truth_cues": self.truth_cues,
            "matched": [[int(a), int(b)] for a, b in self.matches],
            "holds_s": {k: [round(a, 2), round(b, 2)] for k, (a, b) in self.holds.items()},
            "reps": {k: [a, b] for k, (a, b) in self.reps.items()},
        }


@dataclass
class ScoreReport:
    clips: list[ClipResult] = field(default_factory=list)
    tolerance_before_s: float = 1.0
    tolerance_after_s: float = 3.0

    # -- aggregates --------------------------------------------------------------------
    def rule_scores(self) -> dict[tuple[str, str], dict]:
        """(exercise, rule) -> tp, fp, fn, precision, recall, f1 (over all clips)."""
        out: dict[tuple[str, str], dict] = {}

        def slot(ex: str, rule: str) -> dict:
            return out.setdefault((ex, rule), {"tp": 0, "fp": 0, "fn": 0})

        for c in self.clips:
            matched_t = {a for a, _ in c.matches}
            matched_p = {b for _, b in c.matches}
            for i, tc in enumerate(c.truth_cues):
                slot(c.exercise, tc["rule"])["tp" if i in matched_t else "fn"] += 1
            for j, pc in enumerate(c.predicted):
                if j not in matched_p and not pc.get("repeat") and pc["severity"] in CORRECTION_SEVERITIES:
                    slot(c.exercise, pc["rule"])["fp"] += 1
        for s in out.values():
            tp, fp, fn = s["tp"], s["fp"], s["fn"]
            s["precision"] = tp / (tp + fp) if tp + fp else None
            s["recall"] = tp / (tp + fn) if tp + fn else None
            p, r = s["precision"], s["recall"]
            s["f1"] = 2 * p * r / (p + r) if p and r else (0.0 if (tp + fp + fn) else None)
        return dict(sorted(out.items()))

    def exercise_summary(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for c in self.clips:
            e = out.setdefault(c.exercise, {"clips": 0, "frames": 0, "tracked_frames": 0.0, "good_minutes": 0.0,
                                            "false_cues_good": 0, "setup_cues_good": 0, "hold_err": [],
                                            "reps_exact": [], "tp": 0, "fn": 0, "fp": 0})
            e["clips"] += 1
            e["frames"] += c.frames
            e["tracked_frames"] += c.tracked * c.frames
            matched_t = {a for a, _ in c.matches}
            matched_p = {b for _, b in c.matches}
            e["tp"] += len(matched_t)
            e["fn"] += len(c.truth_cues) - len(matched_t)
            e["fp"] += sum(1 for j, p in enumerate(c.predicted)
                           if j not in matched_p and not p.get("repeat") and p["severity"] in CORRECTION_SEVERITIES)
            if c.mistake is None:
                e["good_minutes"] += c.duration_s / 60.0
                e["false_cues_good"] += sum(1 for p in c.predicted if p["severity"] in CORRECTION_SEVERITIES)
                e["setup_cues_good"] += sum(1 for p in c.predicted if p["severity"] == "setup")
                e["hold_err"] += [abs(a - b) for a, b in c.holds.values()]
                e["reps_exact"] += [a == b for a, b in c.reps.values()]
        for e in out.values():
            e["tracked_fraction"] = e.pop("tracked_frames") / e["frames"] if e["frames"] else 0.0
            e["false_cues_per_min_good"] = e["false_cues_good"] / e["good_minutes"] if e["good_minutes"] else None
            he = e.pop("hold_err")
            e["hold_error_s_mean"] = float(np.mean(he)) if he else None
            e["hold_error_s_max"] = float(np.max(he)) if he else None
            rx = e.pop("reps_exact")
            e["reps_exact_fraction"] = float(np.mean(rx)) if rx else None
            tp, fp, fn = e["tp"], e["fp"], e["fn"]
            e["precision"] = tp / (tp + fp) if tp + fp else None
            e["recall"] = tp / (tp + fn) if tp + fn else None
        return dict(sorted(out.items()))

    def measure_scores(self) -> dict[tuple[str, str], dict]:
        acc: dict[tuple[str, str], list[np.ndarray]] = {}
        units: dict[tuple[str, str], str] = {}
        for c in self.clips:
            for name, errs in c.measure_errors.items():
                acc.setdefault((c.exercise, name), []).append(errs)
                units[(c.exercise, name)] = c.measure_units.get(name, "")
        out = {}
        for key, parts in sorted(acc.items()):
            e = np.concatenate(parts) if parts else np.array([])
            out[key] = {
                "unit": units[key], "n": int(e.size),
                "mae": float(e.mean()) if e.size else None,
                "p95": float(np.percentile(e, 95)) if e.size else None,
                "worst": float(e.max()) if e.size else None,
            }
        return out

    def to_dict(self) -> dict:
        return {
            "tolerance_s": {"before_onset": self.tolerance_before_s, "after_true_cue": self.tolerance_after_s},
            "exercises": self.exercise_summary(),
            "rules": {f"{ex}/{rule}": s for (ex, rule), s in self.rule_scores().items()},
            "measures": {f"{ex}/{m}": s for (ex, m), s in self.measure_scores().items()},
            "clips": [c.to_dict() for c in self.clips],
        }


# --------------------------------------------------------------------------- truth -> frames
def truth_frames(truth: dict) -> list[PoseFrame]:
    """PoseFrames holding the TRUE joints (for computing measures on the truth)."""
    video = truth["video"]
    fps = float(video["fps"])
    w, h = video["image_wh"]
    cam = truth["camera"]
    w2c = np.asarray(cam["world_to_camera"], dtype=np.float64)
    k = np.asarray(cam["K"], dtype=np.float64)
    lms = truth["landmarks"]
    frames = []
    for i, (xy_row, xyz_row) in enumerate(zip(lms["xy_px"], lms["xyz_m"])):
        lm = np.full((N_LANDMARKS, 5), np.nan)
        world = np.full((N_LANDMARKS, 3), np.nan)
        xyz = np.array([p if p is not None else (np.nan, np.nan, np.nan) for p in xyz_row], dtype=np.float64)
        cam_pts = (w2c[:3, :3] @ xyz.T).T + w2c[:3, 3]
        hips = cam_pts[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]].mean(axis=0)
        for j, p in enumerate(xy_row):
            if p is None:
                continue
            lm[j, 0] = p[0] / w
            lm[j, 1] = p[1] / h
            # MediaPipe-like relative depth: hip-centred, in normalised-x units.
            lm[j, 2] = (cam_pts[j, 2] - hips[2]) * k[0, 0] / (max(hips[2], 1e-6) * w)
            # The truth is known also where the body hides a joint: measure it everywhere.
            lm[j, 3] = lm[j, 4] = 0.99
        world = cam_pts - hips
        frames.append(PoseFrame(timestamp_ms=i * 1000.0 / fps, landmarks=lm, world=world, image_wh=(w, h)))
    return frames


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


def _measure_errors(spec, detected: list[PoseFrame], truth_fr: list[PoseFrame], sides: list[str | None]):
    from coach.engine import measure_table

    n = min(len(detected), len(truth_fr))
    side_set = [s for s in (spec.sides or (None,))]
    errs: dict[str, list[float]] = {}
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
                d = abs(float(a) - float(b))
                if units[name] == "deg" and d > 180:
                    d = 360 - d
                errs.setdefault(name, []).append(d)
    return {k: np.asarray(v) for k, v in errs.items()}, units


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


def score_clip(truth_path: Path, *, use_video: bool = False, model: str | None = None,
                  before_s: float = 1.0, after_s: float = 3.0, profile=None) -> ClipResult:
    from coach.engine import ExerciseEngine
    from coach.pipeline.loop import run
    from coach.vision.recording import load_clip
    from coach.pipeline.runner import make_estimator, needs_masks
    from coach.vision.smoothing import PoseSmoother
    from coach.vision.sources import VideoFileSource
    from coach.spec import load_spec
    from coach.synth.truth import load as load_truth

    truth = load_truth(truth_path)
    clip_info = truth["clip"]
    exercise = clip_info["exercise"]
    spec = load_spec(exercise, profile=profile)
    base = truth_path.name[: -len(TRUTH_SUFFIX)]
    recording = truth_path.with_name(base + RECORDING_SUFFIX)
    video = truth_path.with_name(clip_info.get("video") or base + ".mp4")
    estimator = None
    if use_video or not recording.exists():
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
    raw_frames: list[PoseFrame] = []
    smoothed: list[PoseFrame] = []
    events = []

    class _Keep:
        def write(self, step) -> None:
            raw_frames.append(step.raw)
            smoothed.append(step.pose)

        def close(self) -> None:
            pass

    try:
        stats = run(frames_src, estimator=estimator, smoother=smoother, engine=engine, sinks=[_Keep()],
                    on_event=events.append)
    finally:
        if estimator is not None:
            estimator.close()
    predicted = [
        {"t_ms": float(e.timestamp_ms), "rule": e.rule_id, "side": e.side, "severity": e.severity}
        for e in events if e.kind == "cue" and e.rule_id
    ]
    truth_cues = [
        {"t_ms": float(e["time_ms"]), "rule": e["rule"], "side": e.get("side")}
        for e in truth.get("events", []) if e.get("kind") == "cue"
    ]
    clip_end_ms = float(truth["video"]["duration_ms"])
    # A clip that does only some of the exercise's sides should end with "side skipped"
    # for the others (if the spec has that rule): that is what a perfect coach says.
    # (The sides the clip performs are those of its phases: a knee_to_chest clip of rocking
    # only does neither one-knee side, whatever its script's side list says.)
    phase_sides = {ph.get("side") for ph in truth.get("phases", [])} - {None}
    done_sides = phase_sides if truth.get("phases") else set(clip_info.get("sides") or [])
    mistakes = list(truth.get("mistakes", []))
    if "side_skipped" in spec.rules and not any(c["rule"] == "side_skipped" for c in truth_cues):
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
    fps = float(truth["video"]["fps"])
    tf = truth_frames(truth)
    sides = _side_per_frame(truth, len(tf), fps, spec.sides[0] if spec.sides else None)
    merrs, units = _measure_errors(spec, smoothed, tf, sides)
    return ClipResult(
        name=str(truth_path.with_name(base)), exercise=exercise, mistake=clip_info.get("mistake"), source=source,
        frames=stats.frames, tracked=stats.tracked_fraction, duration_s=stats.media_s,
        predicted=predicted, truth_cues=truth_cues, matches=matches, holds=holds, reps=reps,
        measure_errors=merrs, measure_units=units,
    )


def score_clips(paths: list[str | Path], *, use_video: bool = False, model: str | None = None,
             before_s: float = 1.0, after_s: float = 3.0, on_clip=None) -> ScoreReport:
    report = ScoreReport(tolerance_before_s=before_s, tolerance_after_s=after_s)
    for truth_path in find_clips(paths):
        result = score_clip(truth_path, use_video=use_video, model=model, before_s=before_s, after_s=after_s)
        report.clips.append(result)
        if on_clip is not None:
            on_clip(result)
    return report
