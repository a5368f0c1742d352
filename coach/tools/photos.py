"""The real photos: what the coach does with still photos of real people, checked against
what a correct coach does with each (issue 12, item 4; ``tests/fixtures/real_photos``).

A photo is played as a person holding still:

1. the estimator, with the posture check of the exercise's spec, runs on ``COPIES`` copies of
   the photo in VIDEO mode, ``COPY_STEP_MS`` apart (tracking settles as it does on a video);
   its last PoseFrame is the photo's pose *for that exercise* (the skeleton check depends on
   the spec's posture and view, so one photo can give different poses for two exercises);
2. that pose, repeated for ``PLAY_S`` seconds at ``PLAY_FPS``, goes through the smoother and
   the engine, as a replay of a still person would.

Step 1 needs the pose model; its results are recorded once into a poses file
(:func:`record_poses`, :func:`save_poses`; ``scripts/record_photo_poses.py``) so the
report (:func:`photo_report`) runs from the file without the model.

What a correct coach does with each photo is written as checks in ``expectations.yaml``
(its header defines each check); :func:`check_photo` scores one photo's runs against them.
Nothing here prints.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from coach import __version__
from coach.engine import ExerciseEngine, measure_table
from coach.engine.gates import GATE_PROMPTS
from coach.errors import CoachError, InputError
from coach.files import atomic_write
from coach.pose import Landmark as L
from coach.pose import N_LANDMARKS, PoseFrame
from coach.spec import ExerciseSpec, load_spec, spec_ids
from coach.vision.smoothing import PoseSmoother

COPIES = 5                 # copies of a photo the estimator sees
COPY_STEP_MS = 100.0       # their timestamps' step
PLAY_S = 60.0              # the still pose is coached this long ...
PLAY_FPS = 10.0            # ... at this frame rate
PEOPLE_RADIUS_PX = 90.0    # a coached skeleton is "the subject" when its shoulder and hip midpoints are this close
EXPECTATIONS = "expectations.yaml"
POSES = "poses.npz"
POSES_FORMAT = 1
CORRECTIONS = ("safety", "form", "pace", "setup")   # severities that coach the person (count cues remind)
TWO_PEOPLE_RULE = "two_people"                       # the engine's cue/rule id for "I can see two people"

_CHECK_KEYS = {"exercise", "start", "hold", "hold_side", "turn", "hold_phase", "reps", "required", "forbidden",
               "fair", "camera", "people", "cat_from"}
SEVERITIES = ("safety", "setup", "form", "pace", "count")


class PhotoError(CoachError):
    exit_code = 2


# --------------------------------------------------------------------------- expectations
@dataclass(frozen=True)
class Expectation:
    """What a correct coach does with one photo (see expectations.yaml's header)."""

    file: str
    exercise: str | None                    # None: none of the seven
    start: bool = False
    hold: bool | None = None
    hold_side: str | None = None
    hold_phase: str | None = None
    turn: str | None = None
    reps: int | None = None
    required: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    fair: tuple[str, ...] = ()
    camera: str | None = None
    people: Mapping[str, Mapping[str, tuple[float, float]]] | None = None   # subject/other -> shoulders/hips px
    cat_from: str | None = None


def parse_expectations(data: Any, source: str = EXPECTATIONS) -> dict[str, Expectation]:
    """expectations.yaml's content -> {photo file: Expectation}; PhotoError names the photo and key."""
    exercises = set(spec_ids())
    if not isinstance(data, dict) or not isinstance(data.get("photos"), dict):
        raise PhotoError(f"{source}: expecting a mapping with a 'photos' mapping")
    out: dict[str, Expectation] = {}
    for name, e in data["photos"].items():
        where = f"{source}: photos.{name}"
        if not isinstance(e, dict):
            raise PhotoError(f"{where}: expecting a mapping of checks, got {e!r}")
        unknown = sorted(set(e) - _CHECK_KEYS)
        if unknown:
            raise PhotoError(f"{where}: unknown check {unknown[0]!r}, expecting one of {sorted(_CHECK_KEYS)}")
        ex = e.get("exercise")
        if ex != "none" and ex not in exercises:
            raise PhotoError(f"{where}.exercise: expecting one of {sorted(exercises) + ['none']}, got {ex!r}")
        for key in ("required", "forbidden", "fair"):
            if not isinstance(e.get(key, []), list):
                raise PhotoError(f"{where}.{key}: expecting a list, got {e[key]!r}")
        for key in ("start", "hold"):
            if key in e and not isinstance(e[key], bool):
                raise PhotoError(f"{where}.{key}: expecting true or false, got {e[key]!r}")
        for key in ("hold_side", "turn"):
            if key in e and e[key] not in ("left", "right"):
                raise PhotoError(f"{where}.{key}: expecting left or right, got {e[key]!r}")
        if "reps" in e and e["reps"] != 0:
            raise PhotoError(f"{where}.reps: only 0 is checked, got {e['reps']!r}")
        if "camera" in e and e["camera"] != "ask_or_quiet":
            raise PhotoError(f"{where}.camera: expecting ask_or_quiet, got {e['camera']!r}")
        people = None
        if "people" in e:
            people = _parse_people(e["people"], f"{where}.people")
        if ex == "none" and set(e) - {"exercise"}:
            raise PhotoError(f"{where}: a photo of none of the seven has no other checks")
        if ex != "none":
            spec = load_spec(ex)
            for key in ("required", "forbidden", "fair"):
                allowed = set(spec.rules) | (set(SEVERITIES) if key == "forbidden" else set())
                for rule in e.get(key, []):
                    if rule not in allowed:
                        raise PhotoError(f"{where}.{key}: {rule!r} is not a rule of {ex}"
                                         + (" nor a severity" if key == "forbidden" else ""))
            if "hold_phase" in e and e["hold_phase"] not in {p.id for p in spec.phases if p.kind == "hold"}:
                raise PhotoError(f"{where}.hold_phase: {e['hold_phase']!r} is not a hold of {ex}")
        out[name] = Expectation(
            file=name, exercise=None if ex == "none" else ex, start=bool(e.get("start", False)), hold=e.get("hold"),
            hold_side=e.get("hold_side"), hold_phase=e.get("hold_phase"), turn=e.get("turn"), reps=e.get("reps"),
            required=tuple(e.get("required", [])), forbidden=tuple(e.get("forbidden", [])),
            fair=tuple(e.get("fair", [])), camera=e.get("camera"), people=people, cat_from=e.get("cat_from"))
    for exp in out.values():
        if exp.cat_from is not None and (exp.cat_from not in out or out[exp.cat_from].exercise != exp.exercise):
            raise PhotoError(f"{source}: photos.{exp.file}.cat_from: {exp.cat_from!r} is not a photo of "
                             f"the same exercise in this file")
    return out


def _parse_people(value: Any, where: str) -> dict[str, dict[str, tuple[float, float]]]:
    if not isinstance(value, dict) or set(value) != {"subject", "other"}:
        raise PhotoError(f"{where}: expecting 'subject' and 'other', got {value!r}")
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for who, pts in value.items():
        if not isinstance(pts, dict) or set(pts) != {"shoulders", "hips"}:
            raise PhotoError(f"{where}.{who}: expecting 'shoulders' and 'hips' as [x, y] pixels, got {pts!r}")
        for k, xy in pts.items():
            if not (isinstance(xy, list) and len(xy) == 2 and all(isinstance(v, (int, float)) for v in xy)):
                raise PhotoError(f"{where}.{who}.{k}: expecting [x, y] pixels, got {xy!r}")
        out[who] = {k: (float(v[0]), float(v[1])) for k, v in pts.items()}
    return out


def load_expectations(path: str | Path) -> dict[str, Expectation]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise PhotoError(f"{path}: not valid YAML ({exc})") from None
    return parse_expectations(data, str(path))


# --------------------------------------------------------------------------- poses
def estimate_photo(rgb: np.ndarray, estimator) -> PoseFrame:
    """The pose of a person holding still in ``rgb``: the estimator's last PoseFrame on
    COPIES copies. ``estimator`` is a fresh PoseEstimator (with the spec's skeleton check)."""
    pose = None
    for i in range(COPIES):
        pose = estimator.process(rgb, i * COPY_STEP_MS)
    assert pose is not None
    return pose


def plausibility_key(spec: ExerciseSpec) -> tuple[str | None, str]:
    """What the estimator's output depends on in a spec (its skeleton check): posture and view."""
    return spec.posture, spec.camera_view


def record_poses(folder: str | Path, files: Iterable[str], *, model: str | None = None,
                 exercises: Iterable[str] | None = None,
                 on_photo: Callable[[str], None] | None = None) -> dict[tuple[str, str], PoseFrame]:
    """Run the pose model on each photo for each exercise: {(file, exercise): PoseFrame}.

    Exercises whose skeleton check is the same (posture and view) share one estimate."""
    import cv2

    from coach.pipeline.runner import make_estimator, needs_masks

    folder = Path(folder)
    specs = [load_spec(ex) for ex in (exercises or spec_ids())]
    masked = [spec.id for spec in specs if needs_masks(spec)]
    if masked:  # the poses file keeps no segmentation masks: a replay would differ from the model
        raise PhotoError(f"{masked[0]} reads the segmentation mask, which the photos' poses file does not keep; "
                         "add masks to coach.tools.photos.save_poses first")
    out: dict[tuple[str, str], PoseFrame] = {}
    for name in files:
        bgr = cv2.imread(str(folder / name))
        if bgr is None:
            raise InputError(f"cannot read the photo {folder / name}")
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        done: dict[tuple[str | None, str], PoseFrame] = {}
        for spec in specs:
            key = plausibility_key(spec)
            if key not in done:
                estimator = make_estimator(model, 1, False, spec)
                try:
                    done[key] = estimate_photo(rgb, estimator)
                finally:
                    estimator.close()
            pose = done[key]
            out[(name, spec.id)] = PoseFrame(0.0, pose.landmarks, pose.world, pose.image_wh,
                                             people=pose.people, people_overlap=pose.people_overlap)
        if on_photo is not None:
            on_photo(name)
    return out


def save_poses(path: str | Path, poses: Mapping[tuple[str, str], PoseFrame], meta: Mapping[str, Any]) -> Path:
    """Write the poses as one compressed .npz: identical poses stored once (float32)."""
    files = sorted({f for f, _ in poses})
    exercises = sorted({e for _, e in poses})
    uniq: list[PoseFrame] = []
    index = np.full((len(files), len(exercises)), -1, dtype=np.int32)
    for (f, e), pose in poses.items():
        for k, u in enumerate(uniq):
            if u.image_wh == pose.image_wh and u.people == pose.people and u.people_overlap == pose.people_overlap \
                    and np.array_equal(u.landmarks, pose.landmarks, equal_nan=True) \
                    and np.array_equal(u.world, pose.world, equal_nan=True):
                break
        else:
            k = len(uniq)
            uniq.append(pose)
        index[files.index(f), exercises.index(e)] = k
    full = {"format": POSES_FORMAT, "copies": COPIES, "copy_step_ms": COPY_STEP_MS, **meta}
    arrays = dict(
        files=np.array(files), exercises=np.array(exercises), index=index,
        landmarks=np.stack([u.landmarks for u in uniq]).astype(np.float32),
        world=np.stack([u.world for u in uniq]).astype(np.float32),
        image_wh=np.array([u.image_wh for u in uniq], dtype=np.int32),
        people=np.array([u.people for u in uniq], dtype=np.int16),
        people_overlap=np.array([u.people_overlap for u in uniq], dtype=bool),
        meta=np.array(json.dumps(full, sort_keys=True)),
    )

    def write(fh) -> None:
        np.savez_compressed(fh, **arrays)

    return atomic_write(path, write)


def load_poses(path: str | Path) -> tuple[dict[tuple[str, str], PoseFrame], dict[str, Any]]:
    """({(file, exercise): PoseFrame}, meta) from a poses file."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}; record it with "
                         "scripts/record_photo_poses.py, or run the model with --video") from None
    except ValueError as exc:
        raise PhotoError(f"{path}: not a poses file ({exc})") from None
    try:
        meta = json.loads(str(data["meta"]))
        if meta.get("format") != POSES_FORMAT:
            raise PhotoError(f"{path}: poses format {meta.get('format')!r}, expecting {POSES_FORMAT}")
        out: dict[tuple[str, str], PoseFrame] = {}
        for i, f in enumerate(data["files"].tolist()):
            for j, e in enumerate(data["exercises"].tolist()):
                k = int(data["index"][i, j])
                if k < 0:
                    continue
                out[(f, e)] = PoseFrame(0.0, data["landmarks"][k].astype(np.float64),
                                        data["world"][k].astype(np.float64),
                                        tuple(int(v) for v in data["image_wh"][k]),
                                        people=int(data["people"][k]), people_overlap=bool(data["people_overlap"][k]))
    except KeyError as exc:
        raise PhotoError(f"{path}: not a poses file (no {exc.args[0]!r})") from None
    return out, meta


def poses_meta(model_path: Path | None = None) -> dict[str, Any]:
    """What a poses file says about how it was made."""
    from coach.vision.model import default_model_path, sha256_of

    meta: dict[str, Any] = {"coach": __version__, "recorded": _dt.date.today().isoformat()}
    path = Path(model_path) if model_path else default_model_path()
    meta.update(model=path.name, model_sha256=sha256_of(path))
    try:
        from importlib.metadata import version

        meta["mediapipe"] = version("mediapipe")
    except Exception:  # not installed as a distribution: leave it out
        pass
    return meta


# --------------------------------------------------------------------------- playing a photo
@dataclass(frozen=True)
class Cue:
    t_s: float
    rule_id: str | None
    severity: str | None
    side: str | None
    kind: str = "cue"          # cue | cant_see


@dataclass(frozen=True)
class Hold:
    t_s: float
    side: str | None
    phase: str | None


@dataclass(frozen=True)
class PhaseEnd:
    t_s: float
    phase: str
    kind: str
    timed_out: bool


@dataclass
class Played:
    """What the coach did with one photo on one exercise."""

    exercise: str
    detected: bool
    people: int
    people_overlap: bool
    cues: list[Cue] = field(default_factory=list)          # cues and can't-see messages, in order
    holds: list[Hold] = field(default_factory=list)        # holds started (also recognised ones)
    phase_ends: list[PhaseEnd] = field(default_factory=list)
    reps: int = 0
    shoulders_px: tuple[float, float] | None = None        # the coached skeleton's midpoints
    hips_px: tuple[float, float] | None = None
    rep_value: float | None = None                         # the reps phase's measure on the pose (None: no reps)

    @property
    def corrections(self) -> list[Cue]:
        return [c for c in self.cues if c.kind == "cue" and c.severity in CORRECTIONS]

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise, "detected": self.detected, "people": self.people,
            "people_overlap": self.people_overlap,
            "cues": [[c.t_s, c.rule_id, c.severity, c.side, c.kind] for c in self.cues],
            "holds": [[h.t_s, h.side, h.phase] for h in self.holds],
            "phase_ends": [[p.t_s, p.phase, p.kind, p.timed_out] for p in self.phase_ends],
            "reps": self.reps, "shoulders_px": self.shoulders_px, "hips_px": self.hips_px,
            "rep_value": None if self.rep_value is None or math.isnan(self.rep_value) else round(self.rep_value, 2),
        }


def _midpoint(pose: PoseFrame, a: int, b: int) -> tuple[float, float] | None:
    if not pose.detected:
        return None
    m = (pose.xy_px[a] + pose.xy_px[b]) / 2.0
    return (round(float(m[0]), 1), round(float(m[1]), 1)) if np.isfinite(m).all() else None


def _rep_value(spec: ExerciseSpec, pose: PoseFrame) -> float | None:
    reps = [p for p in spec.phases if p.kind == "reps" and p.measure]
    if not reps or not pose.detected:
        return None
    header, rows = measure_table(spec, [pose])
    name = reps[0].measure
    col = next(i for i, h in enumerate(header) if h.split(" [")[0] == name)
    v = rows[0][col]
    return float(v) if v != "" else None


def play(pose: PoseFrame, spec: ExerciseSpec, lang: str = "en") -> Played:
    """Coach ``pose`` held still for PLAY_S s at PLAY_FPS (smoother + engine)."""
    engine = ExerciseEngine(spec, lang)
    smoother = PoseSmoother()
    kinds = {p.id: p.kind for p in spec.phases}
    out = Played(spec.id, pose.detected, pose.people, pose.people_overlap,
                 shoulders_px=_midpoint(pose, L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
                 hips_px=_midpoint(pose, L.LEFT_HIP, L.RIGHT_HIP), rep_value=_rep_value(spec, pose))
    step_ms = 1000.0 / PLAY_FPS
    n = int(round(PLAY_S * PLAY_FPS))
    phase: str | None = None
    events: list = []
    for i in range(n):
        frame = PoseFrame(i * step_ms, pose.landmarks, pose.world, pose.image_wh, mask=pose.mask,
                          people=pose.people, people_overlap=pose.people_overlap)
        events.extend(engine.update(smoother.update(frame)))
    events.extend(engine.finish(n * step_ms))
    for e in events:
        t_s = round(e.timestamp_ms / 1000.0, 1)
        if e.kind == "phase":
            if e.data.get("state") == "start":
                phase = e.data.get("phase")
            elif e.data.get("state") == "end":
                pid = e.data.get("phase")
                out.phase_ends.append(PhaseEnd(t_s, pid, kinds.get(pid, ""), bool(e.data.get("timed_out", False))))
        elif e.kind in ("cue", "cant_see"):
            out.cues.append(Cue(t_s, e.rule_id, e.severity, e.side, e.kind))
        elif e.kind == "hold" and e.data.get("state") == "started":
            out.holds.append(Hold(t_s, e.side, phase))
        elif e.kind == "rep" and "reps" in e.data and e.data.get("state") != "target":
            out.reps += 1
    return out


# --------------------------------------------------------------------------- checks
@dataclass(frozen=True)
class Failure:
    exercise: str | None      # the run it was seen on
    check: str                # which check (safety, none, start, hold, ...)
    message: str

    def __str__(self) -> str:
        return f"{self.exercise}: {self.message}" if self.exercise else self.message


def skeleton_owner(run: Played, people: Mapping[str, Mapping[str, tuple[float, float]]],
                   radius_px: float = PEOPLE_RADIUS_PX) -> str:
    """Whose skeleton was coached: subject | other | mixed | none (nothing coached)."""
    if not run.detected or run.shoulders_px is None or run.hips_px is None:
        return "none"
    for who in ("subject", "other"):
        p = people[who]
        if math.dist(run.shoulders_px, p["shoulders"]) <= radius_px and math.dist(run.hips_px, p["hips"]) <= radius_px:
            return who
    return "mixed"


def _said_two_people(run: Played) -> bool:
    """The coach said it sees two people, or that it cannot see the person clearly."""
    return any(c.rule_id == TWO_PEOPLE_RULE or (c.kind == "cant_see" and c.rule_id is None) for c in run.cues)


def check_photo(exp: Expectation, runs: Mapping[str, Played], reference: Mapping[str, Played] | None = None
                ) -> list[Failure]:
    """Every way ``runs`` (exercise -> Played, all seven) differs from what a correct coach
    does with the photo. ``reference``: the runs of the photo named by ``cat_from``."""
    fails: list[Failure] = []
    for ex, run in runs.items():
        for c in run.cues:
            if c.kind == "cue" and c.severity == "safety":
                fails.append(Failure(ex, "safety", f"safety cue {c.rule_id} at {c.t_s:g} s"))
        if exp.exercise is None:
            if run.holds:
                h = run.holds[0]
                fails.append(Failure(ex, "none", f"hold started ({h.side or '-'}, {h.phase}) at {h.t_s:g} s"))
            if run.reps:
                fails.append(Failure(ex, "none", f"{run.reps} reps counted"))
    if exp.exercise is None:
        return fails
    ex = exp.exercise
    run = runs[ex]
    fair = set(exp.fair)

    def fail(check: str, msg: str) -> None:
        fails.append(Failure(ex, check, msg))

    for c in run.corrections:
        if c.rule_id not in fair and (c.rule_id in exp.forbidden or c.severity in exp.forbidden):
            fail("forbidden", f"forbidden cue {c.rule_id} ({c.severity}) at {c.t_s:g} s")
    first = run.holds[0] if run.holds else None
    if exp.hold is True and first is None:
        fail("hold", "hold did not start")
    if exp.hold is False and first is not None:
        fail("hold", f"hold started ({first.side or '-'}, {first.phase}) at {first.t_s:g} s")
    if exp.hold_side is not None and first is not None and first.side != exp.hold_side:
        fail("hold_side", f"hold side {first.side}, expected {exp.hold_side}")
    if exp.hold_phase is not None and first is not None and first.phase != exp.hold_phase:
        fail("hold_phase", f"hold phase {first.phase}, expected {exp.hold_phase}")
    if exp.turn is not None:
        sides = {h.side for h in run.holds if h.side} | {c.side for c in run.cues
                                                          if c.side and c.kind == "cue" and c.severity != "count"}
        if sides - {exp.turn}:
            fail("turn", f"sides {', '.join(sorted(sides))}, expected {exp.turn} only")
    if exp.start:
        setup = next((p for p in run.phase_ends if p.kind == "setup"), None)
        if setup is None:
            fail("start", "start position not recognised (the set-up step never ended)")
        elif setup.timed_out:
            said = [c for c in run.cues if c.t_s <= setup.t_s and c.rule_id not in fair
                    and (c.kind == "cant_see" or c.severity in CORRECTIONS)]
            if said:
                fail("start", "start position not recognised (timed out; said "
                              + ", ".join(sorted({str(c.rule_id or "cant_see") for c in said})) + ")")
    for rule in exp.required:
        if not any(c.rule_id == rule for c in run.cues if c.kind == "cue"):
            fail("required", f"required cue {rule} missing")
    if exp.reps == 0 and run.reps:
        fail("reps", f"{run.reps} reps counted")
    if exp.camera == "ask_or_quiet":
        asked = any(c.kind == "cue" and (c.rule_id or "").startswith("camera") for c in run.cues)
        judged = [c for c in run.corrections if c.severity in ("form", "safety")]
        if not asked and judged:
            fail("camera", f"no camera cue, but judged the unsupported view ({', '.join(sorted({str(c.rule_id) for c in judged}))})")
    if exp.people is not None:
        owner = skeleton_owner(run, exp.people)
        # a gate's prompt (two people, move the camera, get into position) coaches nobody
        coached = bool([c for c in run.corrections if c.rule_id not in GATE_PROMPTS] or run.holds or run.reps)
        if owner != "subject" and not (_said_two_people(run) and not coached):
            whose = {"mixed": "a skeleton mixing both people", "other": "the other person's skeleton",
                     "none": "nobody but did not say why"}[owner]
            fail("people", f"coached {whose}"
                           + (" (flagged as two people overlapping)" if run.people_overlap else ""))
    if exp.cat_from is not None:
        spec = load_spec(ex)
        phase = next(p for p in spec.phases if p.kind == "reps")
        ref = (reference or {}).get(ex)
        a, b = (ref.rep_value if ref else None), run.rep_value
        if a is None or b is None:
            fail("cat_from", f"{phase.measure} not measured on this photo or on {exp.cat_from}")
        elif not ((b < a) if phase.direction == "down" else (b > a)):
            fail("cat_from", f"{phase.measure} {b:.1f} here vs {a:.1f} on {exp.cat_from}: not toward the "
                             f"{'low' if phase.direction == 'down' else 'high'} end of the rep")
    return fails


# --------------------------------------------------------------------------- the report
@dataclass
class PhotoResult:
    file: str
    exercise: str | None
    runs: dict[str, Played]
    failures: list[Failure]
    owner: str | None = None      # two-people photos: whose skeleton was coached on the photo's exercise

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def own_failures(self) -> list[Failure]:
        """Failures on the photo's own exercise (for a photo of none of the seven: its
        "no hold, no rep on any exercise" checks)."""
        if self.exercise is None:
            return [f for f in self.failures if f.check == "none"]
        return [f for f in self.failures if f.exercise == self.exercise]

    @property
    def own_ok(self) -> bool:
        return not self.own_failures

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "exercise": self.exercise or "none", "ok": self.ok, "own_ok": self.own_ok,
                "owner": self.owner, "failures": [{"exercise": f.exercise, "check": f.check, "message": f.message}
                                                  for f in self.failures],
                "runs": {ex: r.to_dict() for ex, r in self.runs.items()}}


@dataclass
class PhotosReport:
    photos: list[PhotoResult]
    meta: dict[str, Any]

    @property
    def as_expected(self) -> int:
        return sum(p.ok for p in self.photos)

    @property
    def own_as_expected(self) -> int:
        return sum(p.own_ok for p in self.photos)

    def safety_on_other(self) -> dict[str, int]:
        """Safety cues raised when a photo is played through an exercise it is not: "exercise/rule" -> count."""
        out: dict[str, int] = {}
        for p in self.photos:
            for ex, run in p.runs.items():
                if ex == p.exercise:
                    continue
                for c in run.cues:
                    if c.kind == "cue" and c.severity == "safety":
                        key = f"{ex}/{c.rule_id}"
                        out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items()))

    def mixed_people(self) -> dict[str, str]:
        """Two-people photos: whose skeleton was coached on the photo's exercise."""
        return {p.file: p.owner for p in self.photos if p.owner is not None}

    def to_dict(self) -> dict[str, Any]:
        return {"photos": len(self.photos), "as_expected": self.as_expected,
                "own_as_expected": self.own_as_expected, "safety_on_other_exercises": self.safety_on_other(),
                "two_people": self.mixed_people(), "meta": self.meta,
                "results": [p.to_dict() for p in self.photos]}


def photo_report(folder: str | Path, *, poses: Mapping[tuple[str, str], PoseFrame] | None = None,
                 expectations: Mapping[str, Expectation] | None = None, lang: str = "en",
                 meta: Mapping[str, Any] | None = None,
                 on_photo: Callable[[PhotoResult], None] | None = None) -> PhotosReport:
    """Play every photo in ``expectations`` (default: the folder's expectations.yaml) on all
    seven exercises from ``poses`` (default: the folder's poses file) and check it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder of photos")
    if expectations is None:
        expectations = load_expectations(folder / EXPECTATIONS)
    meta = dict(meta or {})
    if poses is None:
        poses, file_meta = load_poses(folder / POSES)
        meta = {**file_meta, **meta}
    specs = {ex: load_spec(ex) for ex in spec_ids()}
    missing = [f"{f} ({ex})" for f in expectations for ex in specs if (f, ex) not in poses]
    if missing:
        raise PhotoError(f"no pose recorded for {missing[0]}" + (f" and {len(missing) - 1} more" if len(missing) > 1
                                                                  else "")
                         + "; record the poses again (scripts/record_photo_poses.py)")
    played: dict[str, dict[str, Played]] = {}

    def runs_of(name: str) -> dict[str, Played]:
        if name not in played:
            played[name] = {ex: play(poses[(name, ex)], spec, lang) for ex, spec in specs.items()}
        return played[name]

    results: list[PhotoResult] = []
    for name, exp in expectations.items():
        runs = runs_of(name)
        ref = runs_of(exp.cat_from) if exp.cat_from else None
        owner = skeleton_owner(runs[exp.exercise], exp.people) if exp.people and exp.exercise else None
        result = PhotoResult(name, exp.exercise, runs, check_photo(exp, runs, ref), owner)
        results.append(result)
        if on_photo is not None:
            on_photo(result)
    return PhotosReport(results, meta)
