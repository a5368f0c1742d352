"""The pose estimator: the only module that imports mediapipe.

Wraps MediaPipe's PoseLandmarker (Tasks API, VIDEO mode: frames must carry increasing
timestamps) and turns its result into PoseFrames.

Lying people: MediaPipe's person detector was trained mostly on upright people and
misses some people lying on the floor. When no person is found, the frame is tried again
rotated 90° each way, and the landmarks are mapped back to the original image. The
rotation that found the person stays active (each rotation has its own tracker), so a
person lying down is tracked on every frame instead of being re-detected.

Several people in view (``max_people`` > 1): the coach locks onto one person — at the
start, the one with the largest visible body nearest the image centre — and then follows
that person by position from frame to frame. It never silently switches: if the locked
person is lost — also when someone else is then the only person in view — frames count
as "no person" until ``relock_after_ms`` have passed, then
the lock is released and the largest, most central person is taken again (and
``PoseEstimator.relocks`` counts it).

Two people overlapping (a helper kneeling over the person, a child climbing on): MediaPipe's
tracker then often returns one skeleton mixing both bodies (the helper's trunk on the lying
person's legs), and ``num_poses=2`` does not help: its detector finds only one person in
such pictures, and asking for two poses runs the person detector on every frame (replay
throughput 0.62x, ``benchmarks/people.py``). Instead, on the first frame a person is found
and then every ``people_check_frames`` frames, the estimator looks for people separately
(:meth:`PoseEstimator._look_for_people`): the image turned 90° each way, up to two people
in each, at a low detection confidence. A person counts when both turns put a head at the
same place (within ``HEAD_MATCH_TORSO`` torso lengths): MediaPipe's extra low-confidence
skeletons of one person (a head on a knee) rarely agree between the two turns, a real
second head does; the few that agree are built on the person's legs (their shoulders on
its hips) and are left out. ``PoseFrame.people`` says how many people were found;
``PoseFrame.people_overlap`` is set while another person's box intersects the coached
skeleton's substantially or the skeleton's joints lie on the other person: that skeleton
may mix the two and must not be coached (the engine says "I can see two people"). One
check costs ~60 ms of CPU (~3.7 tracked frames); every 90 frames that is ~4 % of the
throughput (measured 0.97x wall, 0.96x CPU), and someone who walks in is seen within 3 s
at 30 fps (9 s at 10 fps).

Joints placed outside the picture (a body cut off by the frame edge) get visibility 0:
MediaPipe guesses them with a visibility that can read ~0.6, and coaching a guessed knee
gives false corrections; with 0 the coach says it cannot see the knees instead.

Live camera: frames never queue. The camera source keeps only the newest frame (see
``coach.vision.sources.CameraSource``), and the estimator processes the newest frame in VIDEO
mode with the camera's capture timestamp. That gives MediaPipe's tracking with explicit,
counted frame drops, and keeps one code path for files and the camera.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.vision.model import ModelError, check_model_file
from coach.pose import N_LANDMARKS, PoseFrame

# Rotations tried, as (name, forward cv2 code). 0 = upright.
_ROT_NONE, _ROT_CW, _ROT_CCW = 0, 1, 2


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence MediaPipe's native log lines (TFLite / glog) while it loads a model.

    The captured text is returned through the yielded list so a failure can mention it.
    """
    captured: list[str] = []
    try:
        stderr_fd = os.dup(2)
    except OSError:  # no real fd 2 (embedded interpreter): just run
        yield captured
        return
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(stderr_fd, 2)
            os.close(stderr_fd)
            tmp.seek(0)
            captured.append(tmp.read().decode("utf-8", "replace"))


@dataclass(frozen=True)
class EstimatorConfig:
    model_path: str | None = None
    max_people: int = 1
    masks: bool = False
    rotate_retry: bool = True
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    relock_after_ms: float = 2000.0
    # Look for other people in view every this many frames with a person (0: never; and
    # always on the first frame a person is found), with this detection confidence.
    people_check_frames: int = 90
    people_check_confidence: float = 0.2

    def __post_init__(self) -> None:
        if not 1 <= self.max_people <= 5:
            raise ValueError(f"max_people must be in [1, 5], got {self.max_people}")
        if not 0 <= self.people_check_frames <= 100_000:
            raise ValueError(f"people_check_frames must be in [0, 100000] (0: never), got {self.people_check_frames}")
        if not 0.0 < self.people_check_confidence <= 1.0:
            raise ValueError(f"people_check_confidence must be in (0, 1], got {self.people_check_confidence}")
        for name in ("min_detection_confidence", "min_presence_confidence", "min_tracking_confidence"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")


def _result_to_arrays(result, index: int) -> tuple[np.ndarray, np.ndarray]:
    lms = result.pose_landmarks[index]
    landmarks = np.array(
        [
            (p.x, p.y, p.z, p.visibility if p.visibility is not None else np.nan,
             p.presence if p.presence is not None else np.nan)
            for p in lms
        ],
        dtype=np.float64,
    )
    world = np.full((N_LANDMARKS, 3), np.nan)
    if result.pose_world_landmarks and index < len(result.pose_world_landmarks):
        world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[index]], dtype=np.float64)
    return landmarks, world


def _unrotate(landmarks: np.ndarray, world: np.ndarray, rotation: int) -> tuple[np.ndarray, np.ndarray]:
    """Map landmarks found on a rotated image back to the original image's axes."""
    if rotation == _ROT_NONE:
        return landmarks, world
    lm = landmarks.copy()
    wd = world.copy()
    xr, yr = landmarks[:, 0].copy(), landmarks[:, 1].copy()
    wxr, wyr = world[:, 0].copy(), world[:, 1].copy()
    if rotation == _ROT_CW:  # rotated = original turned 90° clockwise
        lm[:, 0], lm[:, 1] = yr, 1.0 - xr
        wd[:, 0], wd[:, 1] = wyr, -wxr
    else:  # counter-clockwise
        lm[:, 0], lm[:, 1] = 1.0 - yr, xr
        wd[:, 0], wd[:, 1] = -wyr, wxr
    return lm, wd


def _unrotate_mask(mask: np.ndarray, rotation: int) -> np.ndarray:
    if rotation == _ROT_CW:
        return np.rot90(mask, k=1)  # undo a clockwise turn: turn counter-clockwise
    if rotation == _ROT_CCW:
        return np.rot90(mask, k=-1)
    return mask


def _box(landmarks: np.ndarray, image_wh: tuple[int, int]) -> np.ndarray:
    """(x0, y0, x1, y1) in pixels of the visible landmarks."""
    vis = landmarks[:, 3]
    use = np.isfinite(landmarks[:, 0]) & ~(vis < 0.3)
    pts = landmarks[use, :2] if use.any() else landmarks[:, :2]
    w, h = image_wh
    return np.array([pts[:, 0].min() * w, pts[:, 1].min() * h, pts[:, 0].max() * w, pts[:, 1].max() * h])


def choose_person(boxes: list[np.ndarray], image_wh: tuple[int, int], previous: np.ndarray | None) -> int:
    """Pick which detected person to coach.

    With a previous lock: the box whose centre is nearest the previous centre (the same
    person). Without one: the largest box, with boxes far from the image centre penalised
    (score = area * (1 - 0.5 * distance_from_centre / half_diagonal)).
    """
    if not boxes:
        raise ValueError("no boxes to choose from")
    centres = np.array([((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in boxes])
    if previous is not None:
        prev_c = np.array([(previous[0] + previous[2]) / 2, (previous[1] + previous[3]) / 2])
        return int(np.argmin(np.linalg.norm(centres - prev_c, axis=1)))
    w, h = image_wh
    half_diag = 0.5 * float(np.hypot(w, h)) or 1.0
    areas = np.array([max(b[2] - b[0], 1.0) * max(b[3] - b[1], 1.0) for b in boxes])
    off = np.linalg.norm(centres - np.array([w / 2, h / 2]), axis=1) / half_diag
    return int(np.argmax(areas * (1.0 - 0.5 * off)))


# -- other people in view -------------------------------------------------------------------
# Two heads found by the people check are the same head when they are this close, in the
# coached skeleton's torso lengths (shoulder to hip midpoint, in pixels). Measured with the
# check's settings (turned both ways, two poses each, detection confidence 0.2) on 36
# one-person photos and 698 frames of the 67 one-person sample clips: the two turns put the
# real head within 0.02-0.09 of each other on the two-people photos, while a second head
# both turns agree on never came closer than 0.46 on one person (MediaPipe's extra
# skeletons put their heads on knees and feet, at different places in each turn).
HEAD_MATCH_TORSO = 0.25
# ... but on one person both turns now and then agree on an extra skeleton built on the
# person's legs: its shoulders on the person's hips, its head on the knees. A second head
# whose skeleton's shoulders lie within this many torso lengths of the coached skeleton's
# hips is such a skeleton, not a person. (The same one-person frames fed every 15th frame
# through the estimator, 3,605 checks on the 67 sample clips and 8 corpus clips: 7 such
# skeletons, shoulders 0.04-0.80 torso lengths from the hips; the helpers on the
# two-people photos: 1.42 and 1.64. Checked on 3,777 other frames of the same clips: no
# frame flagged as two people.) A real second person whose shoulders are at the person's
# hips (a helper bent over them) is missed by this rule.
LEGS_AS_TRUNK_TORSO = 1.0
# Another person overlaps the coached skeleton when their boxes intersect by this fraction of
# the smaller box (the two-people photos: 0.62-0.89), or when this fraction of the coached
# skeleton's visible joints lie within SHARED_JOINT_TORSO torso lengths of the other's joints.
OVERLAP_BOX_FRACTION = 0.3
SHARED_JOINT_TORSO = 0.2
SHARED_JOINT_FRACTION = 0.25
_BODY = np.array([0] + list(range(11, N_LANDMARKS)))   # nose and everything below the face
_NOSE, _L_SH, _R_SH, _L_HIP, _R_HIP = 0, 11, 12, 23, 24


def _torso_px(xy: np.ndarray) -> float:
    """Shoulder-midpoint to hip-midpoint length in pixels (at least 1)."""
    d = float(np.linalg.norm((xy[_L_SH] + xy[_R_SH]) / 2 - (xy[_L_HIP] + xy[_R_HIP]) / 2))
    return d if np.isfinite(d) and d >= 1.0 else 1.0


@dataclass(frozen=True)
class PeopleSeen:
    """What the people check found: how many people, and the skeletons of the others."""

    people: int
    others: tuple[np.ndarray, ...] = ()   # (33, 5) landmarks of each other person, image axes


def people_in_view(main: np.ndarray, found: list[tuple[int, np.ndarray]], image_wh: tuple[int, int]) -> PeopleSeen:
    """Who is in view, from the people check's skeletons ``found`` ((turn, landmarks) pairs,
    landmarks mapped back to the image's axes) around the coached skeleton ``main``.

    A person counts when skeletons from two different turns put a head (nose) within
    HEAD_MATCH_TORSO of each other. With two or more such heads, the one nearest the coached
    skeleton's nose is the coached person; the others are returned (the skeleton with the
    highest mean visibility for each), except skeletons built on the coached person's legs
    (shoulders within LEGS_AS_TRUNK_TORSO of its hips)."""
    if not np.isfinite(main[:, 0]).any():
        return PeopleSeen(0)
    wh = np.array(image_wh, dtype=np.float64)
    radius = HEAD_MATCH_TORSO * _torso_px(main[:, :2] * wh)
    heads: list[tuple[np.ndarray, set[int], list[np.ndarray]]] = []
    for turn, lm in found:
        nose = lm[_NOSE, :2] * wh
        if not np.isfinite(nose).all():
            continue
        for centre, turns, skeletons in heads:
            if np.linalg.norm(centre - nose) <= radius:
                turns.add(turn)
                skeletons.append(lm)
                break
        else:
            heads.append((nose, {turn}, [lm]))
    confirmed = [h for h in heads if len(h[1]) >= 2]
    if len(confirmed) < 2:
        return PeopleSeen(max(1, len(confirmed)))
    main_xy = main[:, :2] * wh
    if np.isfinite(main_xy[_NOSE]).all():
        own = int(np.argmin([np.linalg.norm(h[0] - main_xy[_NOSE]) for h in confirmed]))
    else:  # no nose: the head whose skeletons lie closest to the coached one
        own = int(np.argmin([np.nanmedian(np.linalg.norm(s[_BODY, :2] * wh - main_xy[_BODY], axis=1))
                             for h in confirmed for s in h[2][:1]]))
    others = [max(h[2], key=lambda s: float(np.nanmean(s[_BODY, 3]))) for i, h in enumerate(confirmed) if i != own]
    hips = (main_xy[_L_HIP] + main_xy[_R_HIP]) / 2
    if np.isfinite(hips).all():
        reach = LEGS_AS_TRUNK_TORSO * _torso_px(main_xy)
        others = [o for o in others
                  if not np.linalg.norm((o[_L_SH, :2] + o[_R_SH, :2]) / 2 * wh - hips) < reach]
    return PeopleSeen(1 + len(others), tuple(others))


def overlaps(main: np.ndarray, other: np.ndarray, image_wh: tuple[int, int]) -> bool:
    """Does the person ``other`` overlap the coached skeleton ``main`` so much that ``main``
    may mix the two? Their boxes intersect by OVERLAP_BOX_FRACTION of the smaller one, or
    SHARED_JOINT_FRACTION of main's visible joints lie on other's joints."""
    if not (np.isfinite(main[:, 0]).any() and np.isfinite(other[:, 0]).any()):
        return False
    a, b = _box(main, image_wh), _box(other, image_wh)
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw > 0 and ih > 0:
        smaller = min(max(a[2] - a[0], 1.0) * max(a[3] - a[1], 1.0), max(b[2] - b[0], 1.0) * max(b[3] - b[1], 1.0))
        if iw * ih >= OVERLAP_BOX_FRACTION * smaller:
            return True
    wh = np.array(image_wh, dtype=np.float64)
    xy_m, xy_o = main[_BODY, :2] * wh, other[_BODY, :2] * wh
    seen_m = np.isfinite(xy_m).all(axis=1) & ~(main[_BODY, 3] < 0.5)
    seen_o = np.isfinite(xy_o).all(axis=1) & ~(other[_BODY, 3] < 0.5)
    if seen_m.sum() < 3 or not seen_o.any():
        return False
    d = np.linalg.norm(xy_m[seen_m][:, None] - xy_o[seen_o][None], axis=2).min(axis=1)
    return bool((d <= SHARED_JOINT_TORSO * _torso_px(main[:, :2] * wh)).mean() >= SHARED_JOINT_FRACTION)


OUTSIDE_MARGIN = 0.01  # of the image size


def mark_outside_unseen(landmarks: np.ndarray, margin: float = OUTSIDE_MARGIN) -> np.ndarray:
    """Landmarks placed outside the picture are guesses: visibility 0.

    MediaPipe extrapolates a body cut off by the frame edge and can give the guessed
    joints a visibility of ~0.6 (knees 12 % of the image height below a picture cut at
    the hips read 0.59). Measured on those, a rule would correct a body part the camera
    never saw; with visibility 0 the measures read "can't see" and the coach asks the
    person to move into the picture. Coordinates are kept (for drawing)."""
    x, y = landmarks[:, 0], landmarks[:, 1]
    outside = (x < -margin) | (x > 1.0 + margin) | (y < -margin) | (y > 1.0 + margin)
    if not outside.any():
        return landmarks
    out = landmarks.copy()
    out[outside, 3] = 0.0
    return out


class PoseEstimator:
    """MediaPipe PoseLandmarker -> PoseFrame, with rotated retries and a person lock."""

    # A skeleton whose box centre is further than this fraction of the locked person's box
    # size (its longer side) from the locked box is someone else, not the locked person.
    JUMP_FRACTION = 0.6

    def __init__(self, config: EstimatorConfig | None = None) -> None:
        self.config = config or EstimatorConfig()
        self.model_path: Path = check_model_file(self.config.model_path)
        self._model_bytes = self.model_path.read_bytes()
        self._landmarkers: dict[int, object] = {}
        self._active_rotation = _ROT_NONE
        self._last_ts_ms = -1
        self._lock_box: np.ndarray | None = None
        self._lock_seen_ms: float | None = None
        self.relocks = 0
        self.rejected_jumps = 0
        self.rotated_frames = 0
        self.restarts = 0
        self.last_rejection = ""
        self._restarted_ms: dict[int, float] = {}
        self._people_landmarker = None
        self._frames_to_check: int = 0   # frames with a person until the next people check (0: this one)
        self._seen = PeopleSeen(1)
        self.people_checks = 0
        self.people_check_s = 0.0
        # Optional skeleton check (coach.vision.plausibility.PlausibilityChecker); set by the caller.
        self.plausibility = None
        # Create the upright landmarker now, so a bad model fails at start, not mid-run.
        self._landmarker(_ROT_NONE)

    # -- model handling -------------------------------------------------------
    def _landmarker(self, rotation: int):
        lm = self._landmarkers.get(rotation)
        if lm is not None:
            return lm
        from mediapipe.tasks.python import BaseOptions, vision

        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=self._model_bytes),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=self.config.max_people,
            min_pose_detection_confidence=self.config.min_detection_confidence,
            min_pose_presence_confidence=self.config.min_presence_confidence,
            min_tracking_confidence=self.config.min_tracking_confidence,
            output_segmentation_masks=self.config.masks,
        )
        with _quiet_native_stderr() as log:
            try:
                lm = vision.PoseLandmarker.create_from_options(options)
            except Exception as exc:  # MediaPipe raises RuntimeError/ValueError with native text
                lm = None
                error = exc
        if lm is None:
            detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ModelError(
                f"MediaPipe could not load the pose model {self.model_path} ({detail}); "
                "rebuild it with `python models/build_pose_model.py` or pass --model PATH"
            )
        del log
        self._landmarkers[rotation] = lm
        return lm

    def _restart_tracking(self, rotation: int, timestamp_ms: float, min_interval_ms: float = 500.0) -> None:
        """Forget a tracker's state (its next frame is detected from scratch).

        Rate-limited: recreating a landmarker costs tens of milliseconds."""
        last = self._restarted_ms.get(rotation)
        if last is not None and timestamp_ms - last < min_interval_ms:
            return
        lm = self._landmarkers.pop(rotation, None)
        if lm is not None:
            with contextlib.suppress(Exception), _quiet_native_stderr():
                lm.close()
        self._restarted_ms[rotation] = timestamp_ms
        self.restarts += 1
        if self.plausibility is not None:  # the next skeleton is judged afresh
            self.plausibility.reset()
        if rotation == _ROT_NONE:  # keep a usable upright tracker at hand
            self._landmarker(_ROT_NONE)

    def close(self) -> None:
        with _quiet_native_stderr():
            for lm in [*self._landmarkers.values(), self._people_landmarker]:
                if lm is not None:
                    with contextlib.suppress(Exception):
                        lm.close()
        self._landmarkers.clear()
        self._people_landmarker = None

    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- per frame ------------------------------------------------------------
    @staticmethod
    def _image(rgb: np.ndarray, rotation: int):
        import mediapipe as mp

        if rotation == _ROT_CW:
            rgb = np.ascontiguousarray(np.rot90(rgb, k=-1))
        elif rotation == _ROT_CCW:
            rgb = np.ascontiguousarray(np.rot90(rgb, k=1))
        return mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)

    def _detect(self, rgb: np.ndarray, ts: int, rotation: int):
        return self._landmarker(rotation).detect_for_video(self._image(rgb, rotation), ts)

    def _people_model(self):
        """IMAGE mode, two poses, low confidence, no masks: the people check's own landmarker."""
        if self._people_landmarker is None:
            from mediapipe.tasks.python import BaseOptions, vision

            options = vision.PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_buffer=self._model_bytes),
                running_mode=vision.RunningMode.IMAGE,
                num_poses=2,
                min_pose_detection_confidence=self.config.people_check_confidence,
                min_pose_presence_confidence=self.config.people_check_confidence,
            )
            with _quiet_native_stderr():
                self._people_landmarker = vision.PoseLandmarker.create_from_options(options)
        return self._people_landmarker

    def _look_for_people(self, rgb: np.ndarray, frame: PoseFrame) -> None:
        """Who else is in view (see the module docstring): the image turned each way."""
        t0 = time.perf_counter()
        found: list[tuple[int, np.ndarray]] = []
        no_world = np.zeros((N_LANDMARKS, 3))
        for rotation in (_ROT_CW, _ROT_CCW):
            result = self._people_model().detect(self._image(rgb, rotation))
            for i in range(len(result.pose_landmarks)):
                lm, _ = _result_to_arrays(result, i)
                found.append((rotation, _unrotate(lm, no_world, rotation)[0]))
        self._seen = people_in_view(frame.landmarks, found, frame.image_wh)
        self.people_checks += 1
        self.people_check_s += time.perf_counter() - t0

    def _count_people(self, rgb: np.ndarray, frame: PoseFrame) -> None:
        """Set ``frame.people`` and ``frame.people_overlap`` (looking again when it is time)."""
        if self.config.people_check_frames <= 0:
            return
        if self._frames_to_check <= 0:
            self._look_for_people(rgb, frame)
            self._frames_to_check = self.config.people_check_frames
        self._frames_to_check -= 1
        frame.people = self._seen.people
        frame.people_overlap = any(overlaps(frame.landmarks, o, frame.image_wh) for o in self._seen.others)

    def process(self, rgb: np.ndarray, timestamp_ms: float) -> PoseFrame:
        """Estimate the pose in one RGB uint8 image (H, W, 3) captured at timestamp_ms."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 image (H, W, 3), got {rgb.dtype} {rgb.shape}")
        h, w = rgb.shape[:2]
        image_wh = (w, h)
        # VIDEO mode needs strictly increasing integer timestamps.
        ts = int(round(timestamp_ms))
        if ts <= self._last_ts_ms:
            ts = self._last_ts_ms + 1
        self._last_ts_ms = ts

        order = [self._active_rotation]
        if self.config.rotate_retry:
            order += [r for r in (_ROT_NONE, _ROT_CW, _ROT_CCW) if r != self._active_rotation]
        found = 0
        for rotation in order:
            result = self._detect(rgb, ts, rotation)
            if result.pose_landmarks:
                found = max(found, len(result.pose_landmarks))
                frame = self._to_frame(result, rotation, timestamp_ms, image_wh)
                if frame is not None:
                    verdict = self.plausibility.check(frame) if self.plausibility is not None else None
                    if verdict is None or verdict.ok:
                        if rotation != _ROT_NONE:
                            self.rotated_frames += 1
                        self._active_rotation = rotation
                        self.last_rejection = ""
                        self._count_people(rgb, frame)
                        return frame
                    # A wrong skeleton: drop this tracker's lock so it re-detects, and
                    # try the other rotations on this frame.
                    self.last_rejection = verdict.reason
                    self._restart_tracking(rotation, timestamp_ms)
                    break  # rotations are for "nobody found", not for a wrong skeleton
            if not self.config.rotate_retry:
                break
        self._maybe_release_lock(timestamp_ms)
        return PoseFrame.empty(timestamp_ms, image_wh, people=found)

    def _to_frame(self, result, rotation: int, timestamp_ms: float, image_wh) -> PoseFrame | None:
        candidates = []
        for i in range(len(result.pose_landmarks)):
            lm, wd = _result_to_arrays(result, i)
            lm, wd = _unrotate(lm, wd, rotation)
            candidates.append((i, lm, wd))
        boxes = [_box(lm, image_wh) for _, lm, _ in candidates]
        if self._lock_box is not None and len(candidates) >= 1:
            pick = choose_person(boxes, image_wh, self._lock_box)
            # Reject a jump to someone else: centre moved more than the locked box's size.
            prev = self._lock_box
            size = max(prev[2] - prev[0], prev[3] - prev[1], 1.0)
            c_prev = np.array([(prev[0] + prev[2]) / 2, (prev[1] + prev[3]) / 2])
            b = boxes[pick]
            c_new = np.array([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2])
            # Also when that someone is the only person found: the locked person hidden
            # for a moment (walked behind a chair, out of view) must not hand the coach
            # to whoever else is in the room. Tracking restarts, so a tracker that
            # latched onto the other person re-detects and can find the locked one again;
            # after ``relock_after_ms`` without them, the lock is released.
            if np.linalg.norm(c_new - c_prev) > self.JUMP_FRACTION * size:
                self.rejected_jumps += 1
                self._restart_tracking(rotation, timestamp_ms)
                self._maybe_release_lock(timestamp_ms)
                return None
        else:
            pick = choose_person(boxes, image_wh, None)
        index, lm, wd = candidates[pick]
        lm = mark_outside_unseen(lm)
        self._lock_box = boxes[pick]
        self._lock_seen_ms = timestamp_ms
        mask = None
        if self.config.masks and result.segmentation_masks and index < len(result.segmentation_masks):
            raw = result.segmentation_masks[index].numpy_view()
            mask = np.array(raw[..., 0] if raw.ndim == 3 else raw, dtype=np.float32)
            mask = np.ascontiguousarray(_unrotate_mask(mask, rotation))
        return PoseFrame(timestamp_ms=timestamp_ms, landmarks=lm, world=wd, image_wh=image_wh, mask=mask)

    def _maybe_release_lock(self, timestamp_ms: float) -> None:
        if self._lock_seen_ms is None:
            return
        if timestamp_ms - self._lock_seen_ms > self.config.relock_after_ms:
            self._lock_box = None
            self._lock_seen_ms = None
            self.relocks += 1
            self._frames_to_check = 0   # whoever is found next: look who else is there
