"""Where the camera stands and how the body lies, from one skeleton: pure numpy.

Two questions every rule depends on before any angle is judged:

- **The camera's azimuth around the body** (``lateral_azimuth_deg``): the angle between
  the camera's line of sight and the body's left-right axis, folded to 0..90 and sign-free
  (0 = the camera looks at the front, back, head or feet: the left-right axis lies across
  the picture; 90 = side-on: the left-right axis points at the camera). From MediaPipe's
  world landmarks (metres, camera-aligned axes, y down for a level camera): the hip line's
  and shoulder line's yaw ``atan2(|dz|, |dx|)``. Sign-free because MediaPipe swaps left
  and right now and then and a mirrored picture swaps them for good; folding makes both
  harmless. Measured on the 67 studio clips (camera 0-30 deg off the side or front view):
  median error 8 deg, 90th percentile 13 deg (hip line), biased toward "side" by 5-15 deg
  when the true value is 60-75.
- **The posture** (``posture_fit``): is this skeleton lying on its back, on all fours,
  sitting, hanging? Judged from anatomy only — the trunk's angle to the vertical, where the
  wrists and knees are against the trunk, the hip's flexion — with room for a camera pitched
  up to ~30 deg (a laptop on a desk looking down at the floor) and for the exercise's own
  range (leaning back over a chair, rounding into a cat). A coach that judges an all-fours
  rule on a lying person, or a lumbar rule on a hanging one, gives wrong corrections.

Units: degrees, and lengths as fractions of the person's torso (shoulder midpoint to hip
midpoint), so nothing depends on the person's size or the camera's distance.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from coach.measures.points import view_of
from coach.pose import VIS, Landmark as L, PoseFrame

NAN = math.nan

#: View classes by folded azimuth (deg): front <= FRONT_MAX < oblique < SIDE_MIN <= side.
FRONT_MAX_DEG = 30.0
SIDE_MIN_DEG = 60.0
VIEW_CLASSES = ("front", "oblique", "side")

_LATERAL_PAIRS = ((L.LEFT_HIP, L.RIGHT_HIP), (L.LEFT_SHOULDER, L.RIGHT_SHOULDER))
_LATERAL_WEIGHTS = (2.0, 1.0)  # the hip line is the steadier one (shoulders turn in twists)
_LATERAL_TAKE = np.array([int(i) for pair in _LATERAL_PAIRS for i in pair], dtype=np.intp)


def lateral_azimuth_deg(frame: PoseFrame) -> float:
    """Folded azimuth 0..90 of the camera around the body (see module docstring); NaN when
    neither the hips nor the shoulders are in the world landmarks."""
    w = frame.world.take(_LATERAL_TAKE, axis=0).tolist()   # (plain floats: the same numbers, less cost)
    fin = math.isfinite
    num = 0.0
    den = 0.0
    for k, weight in enumerate(_LATERAL_WEIGHTS):
        pa, pb = w[2 * k], w[2 * k + 1]
        d0, d1, d2 = pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2]
        if not (fin(d0) and fin(d1) and fin(d2)):
            continue
        horiz = math.hypot(d0, d2)
        if horiz < 1e-6:
            continue
        az = math.degrees(math.atan2(abs(d2), abs(d0)))
        num += weight * az
        den += weight
    return num / den if den else NAN


def image_azimuth_deg(frame: PoseFrame) -> float:
    """Folded azimuth from the picture: the shoulders' width on screen against the torso's
    length on screen, compared with the same ratio in metres (this person's own build):
    cos(azimuth from the front) = (width/torso on screen) / (width/torso in metres). Good
    for an upright trunk (it is not foreshortened); a lying body seen from its feet is."""
    xy = frame.xy_px
    w = frame.world
    idx = [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP]
    if not (np.isfinite(xy[idx]).all() and np.isfinite(w[idx]).all()):
        return NAN
    torso_px = float(np.linalg.norm((xy[L.LEFT_SHOULDER] + xy[L.RIGHT_SHOULDER] - xy[L.LEFT_HIP] - xy[L.RIGHT_HIP]) / 2))
    torso_m = float(np.linalg.norm((w[L.LEFT_SHOULDER] + w[L.RIGHT_SHOULDER] - w[L.LEFT_HIP] - w[L.RIGHT_HIP]) / 2))
    if torso_px < 1e-6 or torso_m < 1e-6:
        return NAN
    ratio_px = float(np.linalg.norm(xy[L.LEFT_SHOULDER] - xy[L.RIGHT_SHOULDER])) / torso_px
    ratio_m = float(np.linalg.norm(w[L.LEFT_SHOULDER] - w[L.RIGHT_SHOULDER])) / torso_m
    if ratio_m < 1e-6:
        return NAN
    return math.degrees(math.acos(min(1.0, ratio_px / ratio_m)))


def view_class(azimuth_deg: float, previous: str | None = None, hysteresis_deg: float = 8.0) -> str | None:
    """'front', 'oblique' or 'side' for a folded azimuth; with ``previous``, a boundary
    must be crossed by ``hysteresis_deg`` before the class changes."""
    if azimuth_deg != azimuth_deg:
        return previous
    h = hysteresis_deg if previous is not None else 0.0
    front_max, side_min = FRONT_MAX_DEG, SIDE_MIN_DEG
    if previous == "front":
        front_max += h
    elif previous == "side":
        side_min -= h
    elif previous == "oblique":
        front_max -= h
        side_min += h
    if azimuth_deg <= front_max:
        return "front"
    if azimuth_deg >= side_min:
        return "side"
    return "oblique"


def degrees_off(azimuth_deg: float, camera_view: str) -> float:
    """How far a folded azimuth lies from a spec's camera view (coach.vocab.CAMERA_VIEWS):
    from side-on (90) for ``side``, from face-on (0) for ``front`` and ``feet_end`` (a lying
    body's feet end is its "front"); 0 for ``side_or_feet_end``, which takes both."""
    if camera_view == "side":
        return 90.0 - azimuth_deg
    if camera_view in ("front", "feet_end"):
        return azimuth_deg
    return 0.0


def _median(vals: list[float]) -> float:
    """The median of sorted finite numbers, as ``np.median`` gives it (the mean of the middle two)."""
    n = len(vals)
    return vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) / 2


class ViewEstimate:
    """The camera's view from a window of frames: the median folded azimuth over the last
    ``window_s`` seconds (frame time), classified with hysteresis; the first verdict once the
    readings span 3/4 of the window. Feed only frames in which
    the person is in the exercise's posture (a person walking to the mat is seen from
    anywhere)."""

    def __init__(self, window_s: float = 2.0, min_frames: int = 5, hysteresis_deg: float = 8.0,
                 upright: bool = False) -> None:
        if window_s <= 0:
            raise ValueError(f"window_s must be > 0, got {window_s}")
        self.window_ms = window_s * 1000.0
        self.min_frames = int(min_frames)
        self.hysteresis_deg = hysteresis_deg
        self.upright = upright  # an upright trunk: average in the picture's estimate
        self._samples: deque[tuple[float, float]] = deque()
        self.azimuth_deg = NAN
        self.last_deg = NAN     # this frame's own reading (NaN: none)
        self.view: str | None = None

    def reset(self) -> None:
        self._samples.clear()
        self.azimuth_deg = NAN
        self.last_deg = NAN
        self.view = None

    def update(self, frame: PoseFrame) -> str | None:
        t = float(frame.timestamp_ms)
        az = lateral_azimuth_deg(frame) if frame.detected else NAN
        if self.upright and az == az:
            az2 = image_azimuth_deg(frame)
            if az2 == az2:
                az = (az + az2) / 2.0
        self.last_deg = az
        if az == az:
            self._samples.append((t, az))
        while self._samples and t - self._samples[0][0] > self.window_ms:
            self._samples.popleft()
        if len(self._samples) >= self.min_frames and (
                self.view is not None or t - self._samples[0][0] >= 0.75 * self.window_ms):
            # the first verdict rests on most of a window: a fraction of a second of a person
            # still settling decides nothing (the hysteresis would then keep it)
            self.azimuth_deg = _median(sorted(a for _, a in self._samples))
            self.view = view_class(self.azimuth_deg, self.view, self.hysteresis_deg)
        return self.view


# --------------------------------------------------------------------------------------
# Posture
# --------------------------------------------------------------------------------------

POSTURE_CHECKS = ("lying", "all_fours", "seated", "hanging", "standing", "kneeling")


@dataclass(frozen=True)
class BodyAxes:
    """One skeleton's trunk and limb layout, in torso lengths and degrees (world landmarks;
    ``up`` is the camera's -y: a level camera's vertical)."""

    trunk_from_vertical_deg: float   # 0 upright, 90 horizontal, 180 head down
    wrists_below_shoulders: float    # mean over seen wrists, torso lengths (+ = below)
    knees_below_hips: float          # mean over seen knees, torso lengths (+ = below)
    wrists_above_nose: tuple[float, float]  # each wrist's height above the nose (NaN unseen)
    hip_flexion_deg: float           # angle trunk-thigh (180 = straight, 90 = sitting)
    face_up: float                   # (nose - mid-ear) . up / |nose - mid-ear|: +1 face to the ceiling


# the rows body_axes reads, and their places in its copy of them
_AXES_ROWS = (L.NOSE, L.LEFT_EAR, L.RIGHT_EAR, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_WRIST, L.RIGHT_WRIST,
              L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE, L.RIGHT_KNEE)
_AXES_TAKE = np.array([int(i) for i in _AXES_ROWS], dtype=np.intp)
_LW, _RW, _LK, _RK = int(L.LEFT_WRIST), int(L.RIGHT_WRIST), int(L.LEFT_KNEE), int(L.RIGHT_KNEE)


#: the optional parts of BodyAxes: hip_flexion_deg, face_up, wrists_above_nose
AXES_PARTS = frozenset(("flexion", "face", "above_nose"))
#: the parts posture_fit (and the posture gate's clearly_out) read for each posture
POSTURE_PARTS: dict[str, frozenset[str]] = {
    "lying": frozenset(("face",)), "all_fours": frozenset(), "seated": frozenset(("flexion", "above_nose")),
    "hanging": frozenset(("above_nose",)), "standing": frozenset(("flexion",)), "kneeling": frozenset(),
}


def body_axes(frame: PoseFrame, min_vis: float = 0.3, parts: frozenset[str] = AXES_PARTS) -> BodyAxes | None:
    """The numbers ``posture_fit`` judges; None without shoulders and hips. (Plain floats:
    it runs on every frame the gates see, and numpy on 3-vectors costs ~10x more.)
    ``parts``: which of AXES_PARTS to work out (the others are NaN), for a caller that
    reads only some (POSTURE_PARTS)."""
    # (the arithmetic is written out, with no helper calls: it runs on every frame)
    nose, lear, rear, lsh, rsh, lwr, rwr, lhp, rhp, lkn, rkn = frame.world.take(_AXES_TAKE, axis=0).tolist()
    rows = view_of(frame).rows   # (the frame's landmarks as lists, shared with the measures)
    vlwr, vrwr, vlkn, vrkn = rows[_LW][VIS], rows[_RW][VIS], rows[_LK][VIS], rows[_RK][VIS]
    fin = math.isfinite
    if not (fin(lsh[0]) and fin(lsh[1]) and fin(lsh[2]) and fin(rsh[0]) and fin(rsh[1]) and fin(rsh[2])
            and fin(lhp[0]) and fin(lhp[1]) and fin(lhp[2]) and fin(rhp[0]) and fin(rhp[1]) and fin(rhp[2])):
        return None

    # "up" is the camera's -y: a vector's height is -v[1]
    sh = ((lsh[0] + rsh[0]) / 2, (lsh[1] + rsh[1]) / 2, (lsh[2] + rsh[2]) / 2)
    hp = ((lhp[0] + rhp[0]) / 2, (lhp[1] + rhp[1]) / 2, (lhp[2] + rhp[2]) / 2)
    tx, ty, tz = sh[0] - hp[0], sh[1] - hp[1], sh[2] - hp[2]
    torso = math.sqrt(tx * tx + ty * ty + tz * tz)
    if torso < 1e-3:
        return None
    trunk_deg = math.degrees(math.acos(max(-1.0, min(1.0, -ty / torso))))

    # seen: finite, and visible enough (an unknown visibility counts as seen)
    lwr_seen = fin(lwr[0]) and fin(lwr[1]) and fin(lwr[2]) and (not fin(vlwr) or vlwr >= min_vis)
    rwr_seen = fin(rwr[0]) and fin(rwr[1]) and fin(rwr[2]) and (not fin(vrwr) or vrwr >= min_vis)
    lkn_seen = fin(lkn[0]) and fin(lkn[1]) and fin(lkn[2]) and (not fin(vlkn) or vlkn >= min_vis)
    rkn_seen = fin(rkn[0]) and fin(rkn[1]) and fin(rkn[2]) and (not fin(vrkn) or vrkn >= min_vis)
    # mean height below the reference over the seen points ((ref - p) . up); a mean of
    # two is (0.0 + a + b) / 2, the sum() it was
    wrists = _mean2((lwr[1] - sh[1]) / torso if lwr_seen else None, (rwr[1] - sh[1]) / torso if rwr_seen else None)
    knees = _mean2((lkn[1] - hp[1]) / torso if lkn_seen else None, (rkn[1] - hp[1]) / torso if rkn_seen else None)
    nose_ok = fin(nose[0]) and fin(nose[1]) and fin(nose[2])
    above_nose = (
        (nose[1] - lwr[1]) / torso if lwr_seen and nose_ok else NAN,   # (p - nose) . up
        (nose[1] - rwr[1]) / torso if rwr_seen and nose_ok else NAN,
    ) if "above_nose" in parts else (NAN, NAN)
    flex = _mean2(_hip_flexion(lsh, lhp, lkn) if lkn_seen else None,
                  _hip_flexion(rsh, rhp, rkn) if rkn_seen else None) if "flexion" in parts else NAN
    face = NAN
    lear_ok = rear_ok = False
    if "face" in parts:
        lear_ok = fin(lear[0]) and fin(lear[1]) and fin(lear[2])
        rear_ok = fin(rear[0]) and fin(rear[1]) and fin(rear[2])
    if (lear_ok or rear_ok) and nose_ok:
        if lear_ok and rear_ok:
            ear = ((0.0 + lear[0] + rear[0]) / 2, (0.0 + lear[1] + rear[1]) / 2, (0.0 + lear[2] + rear[2]) / 2)
        else:
            e = lear if lear_ok else rear
            ear = ((0.0 + e[0]) / 1, (0.0 + e[1]) / 1, (0.0 + e[2]) / 1)
        d0, d1, d2 = nose[0] - ear[0], nose[1] - ear[1], nose[2] - ear[2]
        n = math.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
        if n > 1e-6:
            face = -d1 / n
    return BodyAxes(trunk_deg, wrists, knees, above_nose, flex, face)


def _mean2(a: float | None, b: float | None) -> float:
    """The mean of the given ones of two numbers, as ``sum(vals) / len(vals)`` gives it; NaN
    for none."""
    if a is None:
        return NAN if b is None else (0.0 + b) / 1
    return (0.0 + a) / 1 if b is None else (0.0 + a + b) / 2


def _hip_flexion(s: list[float], h: list[float], k: list[float]) -> float | None:
    """The angle shoulder-hip-knee (deg), None when a segment has no length."""
    a0, a1, a2 = s[0] - h[0], s[1] - h[1], s[2] - h[2]
    b0, b1, b2 = k[0] - h[0], k[1] - h[1], k[2] - h[2]
    na, nb = math.sqrt(a0 * a0 + a1 * a1 + a2 * a2), math.sqrt(b0 * b0 + b1 * b1 + b2 * b2)
    if na > 1e-6 and nb > 1e-6:
        dot = a0 * b0 + a1 * b1 + a2 * b2
        return math.degrees(math.acos(max(-1.0, min(1.0, dot / (na * nb)))))
    return None


def posture_fit(frame: PoseFrame, posture: str) -> bool | None:
    """Could this skeleton be in ``posture``? True / False, or None when it cannot tell
    (no shoulders or hips). Wide on purpose: it rejects bodies that are clearly in another
    posture (a hanging body for a chair exercise, a lying one for cat-cow), never a person
    doing the exercise, at any point of its range, from any camera the corpus has."""
    if posture not in POSTURE_CHECKS:
        raise ValueError(f"posture must be one of {list(POSTURE_CHECKS)}, got {posture!r}")
    ax = body_axes(frame, parts=POSTURE_PARTS[posture])
    return None if ax is None else axes_fit(ax, posture)


def axes_fit(ax: BodyAxes, posture: str) -> bool:
    """``posture_fit`` on axes already worked out (``posture`` one of POSTURE_CHECKS),
    with at least its POSTURE_PARTS."""
    trunk = ax.trunk_from_vertical_deg
    on_all_fours = ax.wrists_below_shoulders > 0.5 and ax.knees_below_hips > 0.35
    hands_up = [v for v in ax.wrists_above_nose if v == v]
    # both arms up: hands above the head by more than hands clasped behind it reach
    arms_up = len(hands_up) == 2 and min(hands_up) > 0.35
    if posture == "lying":
        # on the back: the trunk flat (a desk camera's pitch and a twist's roll allowed),
        # not propped on hands and knees, the face not to the floor
        return 50.0 <= trunk <= 130.0 and not on_all_fours and not (ax.face_up < -0.35)
    if posture == "all_fours":
        # the trunk roughly flat (a cat rounds it, a cow sinks it), hands and knees below it
        return 45.0 <= trunk <= 135.0 and on_all_fours
    if posture == "seated":
        # the trunk up (leaning back over a chair: up to ~40 deg, plus the camera's pitch),
        # the hips bent: thighs roughly across, not hanging down as when standing
        flex = ax.hip_flexion_deg
        return trunk <= 70.0 and not arms_up and (flex != flex or 40.0 <= flex <= 150.0)
    if posture == "hanging":
        # upright, both hands above the head
        return trunk <= 45.0 and arms_up
    if posture == "standing":
        flex = ax.hip_flexion_deg
        return trunk <= 45.0 and (flex != flex or flex >= 140.0)
    # kneeling: upright trunk, knees below the hips by less than a standing thigh
    return trunk <= 45.0 and ax.knees_below_hips == ax.knees_below_hips and ax.knees_below_hips < 0.9
