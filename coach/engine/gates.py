"""Gates: may this frame's skeleton be coached at all? Pure; the engine asks once a frame.

    gates = Gates(spec)
    g = gates.update(frame)        # before the rules are judged
    if not g.coach: ...            # rest every rule, no step progress, say g.prompt
    g.rest                         # rules whose declared views exclude the camera's view
    g.camera                       # data of a "camera" event when the camera's verdict changed

Three gates, most important first:

1. **Two people** (``PoseFrame.people >= 2`` and ``people_overlap``): the skeleton may mix
   two bodies, so nothing is judged; the prompt is ``engine.two_people``. Held for
   ``people_release_s`` after the last overlapping frame (an overlap flag flickers).
2. **Posture** (spec ``posture``, :func:`coach.measures.body.posture_fit`): a skeleton
   clearly in another posture (standing up next to the chair, sitting up on the mat) is not
   coached; the prompt is the set-up phase's own instruction. Conservative on purpose (a
   wrong gate silences the coach): the gate closes only when at least ``posture_close``
   of the frames of the last ``posture_window_s`` could not be in the posture, and opens
   again when at most ``posture_open`` of them could not. Frames where the fit cannot be
   told (no shoulders or hips) say nothing. Until the first verdict the coach coaches.
3. **Camera view** (spec ``camera.views``; :class:`coach.measures.body.ViewEstimate`: the
   median folded azimuth over 2 s, classified with hysteresis): fed only frames that passed
   gates 1-2 (a person walking to the mat is seen from anywhere) and, once it has a first
   verdict, only frames in the start position (the set-up and rest steps): a
   seated rotation turns the shoulder line by 45 deg and a cat-cow sways it, which moved a
   borderline estimate back and forth across a class boundary mid-exercise. A view outside the spec's
   views: nothing is judged, the prompt says which way to move the camera, and a "camera"
   event says ``state: unsupported`` (``ok`` when it is fine again; the first verdict is
   reported too). A rule whose own ``views`` exclude the view rests (silent, no "can't
   see"). Until a view is estimated nothing is gated.
   On top of the view classes, the estimate may lie at most ``camera.max_off_deg`` from the
   spec's camera view (side specs' default 43: the placements checked, up to 30 deg off, plus
   the estimate's p90 error of 13; 38 for a body on the floor, whose camera the estimate does
   not read farther off than it is; coach.vocab.default_max_off_deg). The side specs list
   ``oblique`` for that error only, but the class reaches 30 deg from the front: a
   knee-to-chest filmed 11 deg from the lying body's end read an azimuth of 41-44 deg, 46-49
   off side-on (MediaPipe's depth for a body seen end-on is poor), was taken as oblique and
   coached (dev camera_off clip: five corrections, three of them "hands on the knee"). The
   bound has the same hysteresis as the classes. A spec sets 90 for no bound.

An "unsupported" verdict is cleared on stronger evidence than it is given
(``CLEAR_WINDOW_S``, ``CLEAR_SHARE``): three in four of the readings of the last 4 s must
each say a supported view (with the hysteresis), not only their 2-s median. While the coach
waits for the camera to be moved, a person who goes on with the exercise is still "in the
set-up" to it, and the exercise's own movement swings the reading: a cat-cow filmed from its
feet end (true 8 deg from the front) read a median 10 deg still and 7-58 deg on the move,
and its 2-s median crossed into oblique after 18 s, so pace cues were given from a view the
spec cannot judge (dev: 2 of the 7 camera_off clips were cleared this way; corrections per
minute on camera_off clips 2.2 -> 0.8). A camera really moved reads the new view in every
frame, and is cleared about 3 s after it stands still.

The hysteresis on the view is ``VIEW_HYSTERESIS_DEG``: the lead's measured azimuth error is a
median 8 deg / p90 13 deg on the studio clips; with the 2 s median on top, 10 deg keeps a
camera standing near a class boundary (30 or 60 deg) from flipping the verdict back and
forth, while a camera really moved by 15 deg or more changes it within the window.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from coach.engine.rules import NO_RULES
from coach.engine.texts import ENGINE_TEXT
from coach.measures.body import (POSTURE_CHECKS, POSTURE_PARTS, ViewEstimate, axes_fit, body_axes, degrees_off,
                                 view_class)
from coach.pose import PoseFrame
from coach.spec import ExerciseSpec

#: the cue/rule ids of the gates' prompts (setup severity); photos checks look for these
CAMERA_RULE = "camera_view"
TWO_PEOPLE_RULE = "two_people"
POSTURE_RULE = "posture"
GATE_PROMPTS = frozenset((CAMERA_RULE, TWO_PEOPLE_RULE, POSTURE_RULE))

VIEW_HYSTERESIS_DEG = 10.0
VIEW_WINDOW_S = 2.0
CLEAR_WINDOW_S = 4.0
CLEAR_SHARE = 0.75


@dataclass(frozen=True)
class GateDecision:
    """What the gates say about one frame."""

    coach: bool = True                      # False: judge no rule, no step progress
    rest: frozenset[str] = NO_RULES            # rules not judged this frame (their views exclude it)
    prompt: str | None = None               # the setup prompt's id (CAMERA_RULE, TWO_PEOPLE_RULE, POSTURE_RULE)
    text: dict[str, str] | None = None      # its text, nb and en
    camera: dict[str, Any] | None = None    # a "camera" event's data (the verdict changed this frame)
    reason: str | None = field(default=None)  # why not coached: two_people | posture | camera


class Gates:
    """The three gates of one exercise (see the module docstring)."""

    def __init__(self, spec: ExerciseSpec, *, view_window_s: float = VIEW_WINDOW_S,
                 view_hysteresis_deg: float = VIEW_HYSTERESIS_DEG, posture_window_s: float = 1.5,
                 posture_close: float = 0.8, posture_open: float = 0.4, posture_min_frames: int = 5,
                 people_release_s: float = 1.0) -> None:
        self.views = tuple(spec.camera_views)
        self.camera_view = spec.camera_view
        self.max_off_deg = spec.camera_max_off_deg if self.views else None
        self.posture = spec.posture
        self.rule_views = {r.id: frozenset(r.views) for r in spec.rules.values() if r.views}
        setup = next((p for p in spec.phases if p.kind == "setup" and p.cue), None)
        self.posture_text = dict(setup.cue) if setup is not None and setup.cue else \
            dict(ENGINE_TEXT["get_into_position"])
        self.estimate = ViewEstimate(window_s=view_window_s, hysteresis_deg=view_hysteresis_deg)
        self.posture_window_ms = posture_window_s * 1000.0
        self.posture_close = posture_close
        self.posture_open = posture_open
        self.posture_min_frames = posture_min_frames
        self.people_release_ms = people_release_s * 1000.0
        # (t, could be in the posture, and also once a view is confirmed): see clearly_out
        self._fits: deque[tuple[float, bool, bool]] = deque()
        self._n_out = 0      # frames in _fits that could not be in the posture
        self._n_out_confirmed = 0   # ... judged as once the camera's view is confirmed
        self.out_of_posture = False
        self._people_until = -math.inf
        self.supported: bool | None = None     # the camera's verdict (None: no view yet)
        self.clear_window_ms = CLEAR_WINDOW_S * 1000.0
        self.view_hysteresis_deg = view_hysteresis_deg
        self._readings: deque[tuple[float, float]] = deque()   # (t, azimuth) fed to the estimate
        self._refused_view: str | None = None   # the view of the last "unsupported" verdict
        self._rest_cache: dict[str | None, frozenset[str]] = {}
        self._open: dict[frozenset[str], GateDecision] = {}

    @property
    def view_confirmed(self) -> bool:
        """Has the camera been found to be in a supported view (or does the spec name none)?"""
        return self.supported is True or not self.views

    # -- the gates ------------------------------------------------------------------------
    def update(self, frame: PoseFrame, start_position: bool = True) -> GateDecision:
        """``start_position``: the person is setting up or resting (not turning into a hold,
        holding or doing reps, where a twist or a turn moves the shoulder line): only such frames update
        the camera's view once it has a first verdict."""
        # (a frame with nobody in it keeps the gates as they are: the engine says "I can't
        # see you", and a set-up held by a gate does not time out in the meantime)
        t = float(frame.timestamp_ms)
        if frame.people >= 2 and frame.people_overlap:
            self._people_until = t + self.people_release_ms
        if t < self._people_until:
            return GateDecision(False, prompt=TWO_PEOPLE_RULE, text=dict(ENGINE_TEXT["two_people"]),
                                reason="two_people")
        fit = self._posture(t, frame)
        if self.out_of_posture:
            return GateDecision(False, prompt=POSTURE_RULE, text=self.posture_text, reason="posture")
        camera = None
        if fit is not False and (start_position or self.supported is None):
            camera = self._view(frame)
        view = self.estimate.view
        if self.supported is False:
            return GateDecision(False, prompt=CAMERA_RULE, text=self.move_text(view), camera=camera,
                                reason="camera")
        rest = self._rest(view)
        if camera is not None:
            return GateDecision(True, rest=rest, camera=camera)
        decision = self._open.get(rest)   # (frozen: one instance per set of resting rules)
        if decision is None:
            decision = self._open[rest] = GateDecision(True, rest=rest)
        return decision

    def _posture(self, t: float, frame: PoseFrame) -> bool | None:
        if self.posture is None:
            return None
        out_now, out_confirmed = posture_verdicts(frame, self.posture)
        fits = self._fits
        fit = None if out_now is None else not out_now
        if fit is not None:
            fits.append((t, fit, not out_confirmed))
            self._n_out += not fit
            self._n_out_confirmed += bool(out_confirmed)
        while fits and t - fits[0][0] > self.posture_window_ms:
            _, ok, ok_confirmed = fits.popleft()
            self._n_out -= not ok
            self._n_out_confirmed -= not ok_confirmed
        if len(fits) >= self.posture_min_frames:
            # (the frames before the view was confirmed count as judged now: a face to the
            # floor seen since the start closes the gate with the camera's first verdict)
            out = (self._n_out_confirmed if self.view_confirmed else self._n_out) / len(fits)
            if not self.out_of_posture and out >= self.posture_close:
                self.out_of_posture = True
            elif self.out_of_posture and out <= self.posture_open:
                self.out_of_posture = False
        return fit

    def _view(self, frame: PoseFrame) -> dict[str, Any] | None:
        """Feed the view estimate; the "camera" event's data when the verdict changed."""
        if not self.views:
            return None
        view = self.estimate.update(frame)
        t = float(frame.timestamp_ms)
        if self.estimate.last_deg == self.estimate.last_deg:
            self._readings.append((t, self.estimate.last_deg))
        while self._readings and t - self._readings[0][0] > self.clear_window_ms:
            self._readings.popleft()
        if view is None:
            return None
        ok = view in self.views and self._near(self.estimate.azimuth_deg, self.supported)
        if ok == self.supported:
            return None
        if ok and self.supported is False and not self._clearly_supported(t):
            return None
        self.supported = ok
        if not ok:
            self._refused_view = view
        return {"state": "ok" if ok else "unsupported", "view": view,
                "azimuth_deg": round(self.estimate.azimuth_deg, 1), "views": list(self.views),
                "max_off_deg": self.max_off_deg}

    def _clearly_supported(self, t: float) -> bool:
        """Do three in four of the last CLEAR_WINDOW_S's readings, spanning most of it, each
        say a supported view (crossing out of the unsupported one by the hysteresis)?"""
        rs = self._readings
        if not rs or t - rs[0][0] < 0.75 * self.clear_window_ms:
            return False
        n_ok = sum(view_class(a, self._refused_view, self.view_hysteresis_deg) in self.views
                   and self._near(a, False) for _, a in rs)
        return n_ok >= CLEAR_SHARE * len(rs)

    def _near(self, azimuth_deg: float, supported: bool | None) -> bool:
        """Is the azimuth within ``max_off_deg`` of the spec's camera view? Past the bound by
        the hysteresis to refuse a supported camera, inside it by as much to clear a refused one."""
        if self.max_off_deg is None:
            return True
        h = 0.0 if supported is None else (self.view_hysteresis_deg if supported else -self.view_hysteresis_deg)
        return degrees_off(azimuth_deg, self.camera_view) <= self.max_off_deg + h

    def _rest(self, view: str | None) -> frozenset[str]:
        if view is None or not self.rule_views:
            return NO_RULES
        out = self._rest_cache.get(view)
        if out is None:
            out = self._rest_cache[view] = frozenset(rid for rid, vs in self.rule_views.items() if view not in vs)
        return out

    def move_text(self, view: str | None) -> dict[str, str]:
        """Which way to move the camera from ``view`` toward the supported views: toward the
        side when a more side-on view is supported, else to face the person."""
        order = ("front", "oblique", "side")
        here = order.index(view) if view in order else 0
        more_side = any(order.index(v) > here for v in self.views)
        return dict(ENGINE_TEXT["camera_move_to_side" if more_side else "camera_move_in_front"])


def clearly_out(frame: PoseFrame, posture: str, view_confirmed: bool = False) -> bool | None:
    """Is this skeleton clearly NOT in ``posture``? (:func:`posture_verdicts`, the one that
    applies.)"""
    now, confirmed = posture_verdicts(frame, posture)
    return confirmed if view_confirmed else now


def posture_verdicts(frame: PoseFrame, posture: str) -> tuple[bool | None, bool | None]:
    """Is this skeleton clearly NOT in ``posture``? None when it cannot tell. Stricter than
    ``not posture_fit``: MediaPipe's world landmarks of a real cat-cow put the wrists level
    with the shoulders and the trunk up to 140 deg from vertical (studio clips), which
    ``posture_fit`` rejects now and then. Here the body must also be in a grossly different
    attitude: the trunk upright when the exercise lies or kneels on all fours; lying, or
    standing straight (hip open), or hanging when it sits; arms down or the trunk tipped
    when it hangs. And, once the camera check has found the view supported
    (``view_confirmed``), the face to the floor when the exercise lies on the back (on all
    fours, in a child's pose): from a supported view MediaPipe never read a body lying on
    its back with the face down (corpus dev and val, the studio: face_up at least 0.57 over
    the three lying exercises' clips); from the feet's end it did (camera-off clips: down
    to -1.0, in up to 77 % of the frames), which the camera check refuses first.
    Returns (the verdict before, the verdict once the view is confirmed), both None when it
    cannot tell: one reading of the body for both."""
    if posture not in POSTURE_CHECKS:
        raise ValueError(f"posture must be one of {list(POSTURE_CHECKS)}, got {posture!r}")
    ax = body_axes(frame, parts=POSTURE_PARTS[posture])   # (once; and only the parts read below)
    if ax is None:
        return None, None
    if axes_fit(ax, posture):
        return False, False
    trunk = ax.trunk_from_vertical_deg
    flex = ax.hip_flexion_deg
    if posture == "lying":
        up = trunk <= 40.0                        # sitting or standing up
        return up, up or ax.face_up < -0.35       # face down (from a view the camera check confirmed)
    if posture == "all_fours":
        out = trunk <= 40.0                       # sitting or standing up
    elif posture == "seated":
        hands_up = [v for v in ax.wrists_above_nose if v == v]
        hanging = len(hands_up) == 2 and min(hands_up) > 0.35
        out = trunk >= 80.0 or (trunk <= 30.0 and flex == flex and flex >= 160.0) or hanging
    elif posture == "hanging":
        arms_down = ax.wrists_below_shoulders == ax.wrists_below_shoulders and ax.wrists_below_shoulders > 0.3
        out = trunk >= 60.0 or arms_down
    else:
        out = trunk >= 70.0                       # standing, kneeling: lying down
    return out, out
