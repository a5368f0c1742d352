"""How far the upper body has turned since the start, seen from a front camera.

A front camera sees a turn of the upper body in two ways, and this measure reads both:

* **The shoulder line gets shorter.** Seen from azimuth ``a`` (the camera's angle from
  straight in front of the person), shoulders of width W look W·cos(a) wide; turned by t
  toward the side the camera stands on, W·cos(t - a). Against the torso's length on the
  screen (upright and across the line of sight: a turn does not change it; it cancels a
  person leaning closer), the width ratio since the start is r = cos(t - a) / cos(a), so
  t = a ± acos(r·cos a). The camera's azimuth comes from the hip line's yaw in the world
  landmarks at the start. When the turn is away from the camera there is one answer;
  toward it (a > 0) there are two (r = 1 at t = 0 and t = 2a): the larger one once the
  nose has moved toward that side, else the smaller.

  Not against the hips' width, although the hips stay square in a good turn: MediaPipe
  narrows the hips along with the shoulders (a dev clip's 32 deg turn, hips truly square:
  hip width 0.87 of its start, shoulders 0.82, true 0.78, against the torso), so against
  the hips the shoulders hardly shortened and the turn read 21 deg. On the dev split's
  seated clips, against the true shoulder line's turn: while holding, median error 10.0 ->
  6.2 deg, p90 18.6 -> 12.6 (moving in and out 6.1 -> 3.7 and 6.7 -> 4.4; val 5.3 -> 4.1).
* **The nose moves along the shoulder line**, toward the side turned to (the head turns with
  the upper body): read as 0.5·tan(t) shoulder widths, though on the renderer's bodies the
  nose sits nearer 0.25 shoulder widths in front of the shoulders. It follows the head as
  well as the trunk (a glance at the screen, a head kept forward), so it says too little as
  often as not; it gives the direction of the turn. A head turned back the other way for
  less than ``glance_s`` (2.5 s) after turning toward the side is a glance at the screen,
  which the person may take while holding: the direction is kept meanwhile. It is kept as
  long as the shoulders' width still reads a turn of more than ``SQUARE_DEG``: to turn to
  the other side the trunk passes through square. A forced 60 deg turn with the eyes kept
  on the screen (dev) read "8 deg the other way" after 2.5 s, and its hold ended at 20 s.

The value is the larger of the two, in degrees, + = toward the exercise's side (the
person's left with no side): a turn is too small only when both readings say so. When the
nose has clearly moved the other way (more than ``OTHER_WAY_DEG``) the value is that
negative reading: the person turns toward the other side.

Measured on the renderer's true joints of dev clips (turns of 8-47 deg, cameras 0-21 deg
off the front): the width reading is within 4 deg of the true turn; the nose alone read
good 32-47 deg turns as 11-59 deg.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from coach.pose import Landmark, PoseFrame
from coach.measures.base import MIN_VIS_PARAM, BaseMeasure, ParamSpec, StartMean
from coach.measures.points import NAN, resolve_point, view_of

#: the nose moved this far (degrees, its own reading) toward a side: turned that way
OTHER_WAY_DEG = 8.0
#: the trunk counts as square again once the turn reads this little (deg): until then a
#: head turned back the other way, however long, does not turn the reading to the other
#: side. MediaPipe's shoulder width reads a square trunk (true turn under 5 deg) as a turn of
#: up to 19 deg (p95, corpus dev seated clips; p99 23)
SQUARE_DEG = 20.0

_NOSE, _LS, _RS, _LH, _RH = (resolve_point(n, None) for n in (
    "nose", "left_shoulder", "right_shoulder", "left_hip", "right_hip"))


class FrontTurn(BaseMeasure):
    """The upper body's turn since the start, from a front camera, degrees (+ = toward the
    exercise's side): the larger of the shoulder line's shortening against the torso's length
    (corrected for the camera's azimuth from the hip line's yaw in the world landmarks) and
    the nose's move along the shoulder line. NaN while a shoulder, hip or the nose is not
    seen. The start is the mean over the first ``baseline_s`` (kept across gaps) of the first
    step that reads it; the engine shares it with the later steps' (``share``): the other
    side's step begins while the person is still coming back from the first side, and the
    camera and the seat have not moved."""

    TYPE = "front_turn"
    UNIT = "deg"
    PARAMS = {
        "baseline_s": ParamSpec(
            "number", False, 0.5, None,
            "the start is the mean over this long from the first value, seconds",
            low=0.0, high=60.0,
        ),
        "glance_s": ParamSpec(
            "number", False, 2.5, None,
            "the nose turned back the other way for less than this (a glance at the screen, "
            "1-2 s) keeps the direction the person turned to, seconds",
            low=0.0, high=10.0,
        ),
        "min_visibility": MIN_VIS_PARAM,
    }
    #: the value depends on the exercise's side (the two sides' readings differ)
    sided = True
    #: the start is shared with the later steps (``share``)
    shares_start = True

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        self.refs = (_NOSE, _LS, _RS, _LH, _RH)
        self.landmarks = tuple(int(x) for x in (
            Landmark.NOSE, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP))
        self.sign = -1.0 if side == "right" else 1.0
        self._start = StartMean(params["baseline_s"] * 1000.0)
        self.glance_ms = params["glance_s"] * 1000.0
        self._toward = False                    # the nose has moved clearly toward the side
        self._back_since: float | None = None   # the nose clearly the other way since
        self._before: float | None = None       # the turn read before a glance
        self._seen_ms: float | None = None      # the last frame read
        self._unsquared = False                 # turned toward the side, the trunk not square since

    def share(self, holder: dict) -> None:
        """Read the start from ``holder`` once an earlier step has learnt it, and leave this
        one's there when it is the first (one holder per measure name, per engine)."""
        self._start.holder = holder

    def reset(self) -> None:
        self._start.reset()
        self._toward, self._back_since, self._before, self._seen_ms = False, None, None, None
        self._unsquared = False

    def readings(self, frame: PoseFrame) -> tuple[float, float, float] | None:
        """(shoulder width / torso length on screen, negative once the shoulders have swapped
        sides in the picture; nose along the shoulders in shoulder widths, + toward the left
        shoulder; hip line yaw in degrees) or None when not seen."""
        f = view_of(frame)
        mv = self.min_vis
        no, ls, rs, lh, rh = (f.px(r, mv) for r in self.refs)
        if no is None or ls is None or rs is None or lh is None or rh is None:
            return None
        wl, wr = f.xyz(_LH, mv), f.xyz(_RH, mv)
        if wl is None or wr is None:
            return None
        dx, dy = ls[0] - rs[0], ls[1] - rs[1]
        sw2 = dx * dx + dy * dy
        mx, my = 0.5 * (ls[0] + rs[0]), 0.5 * (ls[1] + rs[1])
        # the torso's length on screen: the unit of the shoulders' width (see the module
        # docstring: not the hips' width, which MediaPipe narrows along with the shoulders)
        torso = math.hypot(mx - 0.5 * (lh[0] + rh[0]), my - 0.5 * (lh[1] + rh[1]))
        if sw2 <= 0.0 or torso <= 0.0:
            return None
        along = ((no[0] - mx) * dx + (no[1] - my) * dy) / sw2
        yaw = math.degrees(math.atan2(wl[2] - wr[2], wl[0] - wr[0]))
        # turned past side-on to the camera, the shoulders swap sides in the picture (the
        # hips never do here): the width then counts as negative and the nose's side flips
        flip = -1.0 if dx * (lh[0] - rh[0]) + dy * (lh[1] - rh[1]) < 0.0 else 1.0
        return flip * math.sqrt(sw2) / torso, flip * along, yaw

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        got = self.readings(frame)
        if got is None:
            return NAN
        t = frame.timestamp_ms
        if self._seen_ms is not None and t - self._seen_ms > self.glance_ms:
            self._toward, self._back_since, self._unsquared = False, None, False   # unseen a while
        self._seen_ms = t
        base = self._start.feed(t, got)
        nose = self.sign * (got[1] - base[1])
        by_nose = math.degrees(math.atan(2.0 * nose))
        ratio, camera = got[0] / base[0], -self.sign * base[2]
        if by_nose >= OTHER_WAY_DEG:
            self._toward, self._back_since = True, None
            self._unsquared = True
        elif by_nose < -OTHER_WAY_DEG and self._toward:
            # the head turned back after turning toward the side: a glance at the screen
            # while it lasts under glance_s, and however long while the shoulders' width
            # still says the trunk is turned (past SQUARE_DEG: to turn to the other side the
            # trunk passes through square). The turn is then the shoulders' alone: of the
            # width's two answers, the one nearer the turn before the glance
            if self._back_since is None:
                self._back_since = t
            if self._before is not None:
                held = turn_deg(ratio, nose, camera, near=self._before)
                self._unsquared = self._unsquared and held > SQUARE_DEG
                if t - self._back_since < self.glance_ms or self._unsquared:
                    return held
            self._toward = False
        else:
            self._back_since = None
        self._before = turn_deg(ratio, nose, camera)
        self._unsquared = self._unsquared and self._before > SQUARE_DEG
        return self._before


def turn_deg(ratio: float, nose_move: float, camera_deg: float, near: float | None = None) -> float:
    """The turn toward a side, degrees, from the shoulder width / torso length ratio against
    the start (``ratio``), the nose's move toward that side in shoulder widths
    (``nose_move``) and the camera's azimuth toward that side (``camera_deg``: + = the
    camera stands on the side turned to). With ``near`` (the head is glancing away: the
    nose says nothing), the width's answer nearer ``near``."""
    # the width's two answers are camera_deg +- spread
    spread = math.degrees(math.acos(max(-1.0, min(1.0, ratio * math.cos(math.radians(camera_deg))))))
    if near is not None:
        return min((camera_deg + spread, camera_deg - spread), key=lambda v: abs(v - near))
    by_nose = math.degrees(math.atan(2.0 * nose_move))
    if by_nose < -OTHER_WAY_DEG:
        return by_nose
    by_width = camera_deg + spread
    if camera_deg > 0.0 and by_nose < OTHER_WAY_DEG:
        # toward the camera: two answers; the nose has not moved toward the side (its own
        # scale varies from person to person and follows the head: only its direction is
        # trusted), so the smaller one (0 or more)
        by_width = max(0.0, camera_deg - spread)
    return max(by_width, by_nose)


class TiltFromStart(BaseMeasure):
    """Tilt of the line a→b against the horizontal of the person's start, from world
    landmarks, degrees [-90, 90]; + = b higher. The start's vertical is the trunk's axis
    (hip midpoint to shoulder midpoint) over the first ``baseline_s``, shared with the later
    steps like ``front_turn``'s start: for a person who sits tall at the start.

    A camera below or above the shoulders sees a level shoulder line that turns with the
    upper body as tilted in the picture (the near shoulder lower or higher): good seated
    turns of dev clips read 5-24 deg of image tilt on their true joints and under 3 deg of
    this one, whose vertical does not depend on where the camera stands."""

    TYPE = "tilt_from_start"
    UNIT = "deg"
    PARAMS = {
        "points": ParamSpec("points", True, None, None, "two points a, b; positive when b is higher", count=2),
        "baseline_s": ParamSpec(
            "number", False, 1.0, None, "the start's vertical is the mean over this long from the first value, seconds",
            low=0.0, high=60.0,
        ),
        "min_visibility": MIN_VIS_PARAM,
    }
    shares_start = True

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        self.a, self.b = params["points"]
        self.refs = (self.a, self.b, _LS, _RS, _LH, _RH)
        self.landmarks = tuple(dict.fromkeys(self.landmarks + tuple(int(x) for x in (
            Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP))))
        self._start = StartMean(params["baseline_s"] * 1000.0)

    def share(self, holder: dict) -> None:
        """As ``FrontTurn.share``: the start's vertical, learnt once per engine."""
        self._start.holder = holder

    def reset(self) -> None:
        self._start.reset()

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = view_of(frame)
        mv = self.min_vis
        a, b = f.xyz(self.a, mv), f.xyz(self.b, mv)
        if a is None or b is None:
            return NAN
        up = self._start.known()
        if up is None:
            ls, rs, lh, rh = (f.xyz(r, mv) for r in (_LS, _RS, _LH, _RH))
            if ls is None or rs is None or lh is None or rh is None:
                return NAN
            up = self._start.feed(frame.timestamp_ms, tuple(
                0.5 * (ls[k] + rs[k]) - 0.5 * (lh[k] + rh[k]) for k in range(3)))
        norm_u = math.sqrt(up[0] ** 2 + up[1] ** 2 + up[2] ** 2)
        d = (b[0] - a[0], b[1] - a[1], b[2] - a[2])
        norm_d = math.sqrt(d[0] ** 2 + d[1] ** 2 + d[2] ** 2)
        if norm_u <= 0.0 or norm_d <= 0.0:
            return NAN
        c = (d[0] * up[0] + d[1] * up[1] + d[2] * up[2]) / (norm_u * norm_d)
        return math.degrees(math.asin(max(-1.0, min(1.0, c))))
