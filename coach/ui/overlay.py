"""From the engine's state to what the overlay draws (coach.ui.draw does the drawing).

``OverlayRenderer.render(step)`` is the sink-facing function: it takes a pipeline Step
(image or None for a landmark replay, the smoothed pose, the engine) and returns the BGR
image with the skeleton, the rule states, the angle being corrected, the hold ring, the
rep counter and the current cue.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import cv2
import numpy as np

from coach import i18n
from coach.measures.describe import body_norm
from coach.ui.draw import ArcView, CueView, OverlayAnnotator, OverlayState, RuleRow, pose_boxes, union_box
from coach.pose import PoseFrame

if TYPE_CHECKING:  # the type only: the pipeline imports the ui, not the other way round
    from coach.pipeline.loop import Step

# How long a spoken cue stays on screen (ms of frame time).
CUE_SHOW_MS = 4000.0
# The panel keeps off where the person has been over this long (ms of frame time).
BODY_WINDOW_MS = 2000.0


def judged_value(status) -> float | None:
    """The value a rule in the engine's snapshot judges (for a rule measured from the start
    of the hold: the change since then), or None when it judges nothing at the moment."""
    v = getattr(status, "judged_value", status.value)
    return None if v is None or not math.isfinite(float(v)) else float(v)


def _point_xy(name: str, side: str | None, frame: PoseFrame) -> tuple[float, float] | None:
    """Normalised image position of a spec point name (landmark, moving_/other_, near_/far_, mid_)."""
    from coach.measures import MeasureError, near_side, resolve_point

    try:
        ref = resolve_point(name, side)
    except MeasureError:
        return None
    lm = frame.landmarks
    if ref.kind == "landmark":
        idx = ref.indices[0]
    elif ref.kind in ("near", "far"):
        near = near_side(lm, frame.image_wh)
        if near is None:
            return None
        left, right = ref.indices
        near_idx = left if near == "left" else right
        idx = near_idx if ref.kind == "near" else (right if near_idx == left else left)
    elif ref.kind == "mid":
        a, b = ref.indices
        xy = (lm[a, :2] + lm[b, :2]) / 2
        return (float(xy[0]), float(xy[1])) if np.isfinite(xy).all() else None
    else:
        return None
    xy = lm[idx, :2]
    return (float(xy[0]), float(xy[1])) if np.isfinite(xy).all() else None


def scene_of(step: Step, height_px: int | None = None, min_height_px: int = 0) -> np.ndarray:
    """The BGR picture to draw a step on: the camera image, or in a landmark replay (no
    image) a dark canvas of the recording's size. ``height_px``: scaled to that height;
    ``min_height_px``: smaller pictures scaled up to it (text is then drawn sharp at the
    size it is shown)."""
    if step.rgb is not None:
        scene = cv2.cvtColor(step.rgb, cv2.COLOR_RGB2BGR)
    else:
        w, h = step.raw.image_wh
        if w <= 0 or h <= 0:
            w, h = 640, 480
        scene = np.full((h, w, 3), 40, dtype=np.uint8)
    h, w = scene.shape[:2]
    if height_px is None and min_height_px and h < min_height_px:
        height_px = min_height_px
    if height_px is not None and h != height_px:
        interp = cv2.INTER_LINEAR if height_px > h else cv2.INTER_AREA
        scene = cv2.resize(scene, (int(round(w * height_px / h)), height_px), interpolation=interp)
    return scene


class OverlayRenderer:
    """Renders a pipeline Step for a window or an annotated video."""

    def __init__(self, spec, lang: str = "en", mirror: bool = False, min_height_px: int = 0) -> None:
        """``min_height_px``: upscale smaller pictures to this height before drawing, so
        the text stays sharp in a big window (the live view uses 720)."""
        self.spec = spec
        self.min_height_px = min_height_px
        self.lang = lang
        self.annotator = OverlayAnnotator(lang=lang, mirror=mirror)
        self._cue: tuple[str, str, float] | None = None  # text, severity, shown since (ms)
        self._boxes: deque[tuple[float, tuple | None, tuple | None]] = deque()  # (t ms, body, head)

    def label(self, rule_id: str, side: str | None = None) -> str:
        """The rule's short name in the session language ("Skuldrene nede")."""
        return i18n.rule_name(self.spec.id, rule_id, self.lang)

    def phase_name(self, phase_id: str | None) -> str:
        if not phase_id:
            return ""
        try:
            names = self.spec.phase(phase_id).names or {}
        except KeyError:
            names = {}
        return names.get(self.lang) or phase_id

    def _scene(self, step: Step) -> np.ndarray:
        return scene_of(step, min_height_px=self.min_height_px)

    def state(self, step: Step) -> OverlayState:
        engine = step.engine
        t = step.pose.timestamp_ms
        for ev in step.events:
            if getattr(ev, "kind", None) in ("cue", "praise", "cant_see", "phase", "side") and ev.text:
                text = ev.text.get(self.lang) or next(iter(ev.text.values()))
                severity = ev.severity if ev.severity in ("safety", "setup", "form", "pace", "count") else "info"
                self._cue = (text, severity, t)
        if self._cue is not None and t - self._cue[2] > CUE_SHOW_MS:
            self._cue = None
        snap = engine.snapshot() if engine is not None and hasattr(engine, "snapshot") else None
        state = OverlayState(pose=step.pose, exercise=self.spec.names.get(self.lang, self.spec.id))
        state.body_box, state.head_box = self._recent_boxes(step.pose)
        if self._cue is not None:
            state.cue = CueView(self._cue[0], self._cue[1])
        if snap is None:
            return state
        state.phase = self.phase_name(snap.phase_id)
        state.side = snap.side
        if snap.hold_target_s:
            state.hold_s = snap.hold_s or 0.0
            state.hold_target_s = snap.hold_target_s
            state.hold_state = getattr(snap, "hold_state", None) or "holding"
        if snap.reps is not None and snap.reps_target:
            state.reps = snap.reps
            state.reps_target = snap.reps_target
        for rule in snap.rules:
            value = judged_value(rule)
            row_state = rule.state
            if value is None and row_state in ("ok", "warning", "fault"):
                row_state = "idle"      # judges nothing now: no tick, no number
            spec_rule = self.spec.rules.get(rule.rule_id)
            norm = body_norm(self.spec.measures, spec_rule.measure) if spec_rule is not None else None
            state.rules.append(RuleRow(self.label(rule.rule_id, snap.side), row_state, value,
                                       (rule.min, rule.max), rule.unit or "", norm))
            if rule.state in ("fault", "warning"):
                arc = self._arc(rule, snap.side, step.pose)
                if arc is not None:
                    state.arcs.append(arc)
        if snap.done:
            state.phase = "done"
        return state

    def _recent_boxes(self, pose: PoseFrame | None):
        """Where the person has been over the last BODY_WINDOW_MS: (body box, head box)."""
        t = pose.timestamp_ms if pose is not None else 0.0
        body, head = pose_boxes(pose)
        if body is not None:
            self._boxes.append((t, body, head))
        while self._boxes and (t - self._boxes[0][0] > BODY_WINDOW_MS or t < self._boxes[0][0]):
            self._boxes.popleft()
        return union_box(b for _t, b, _h in self._boxes), union_box(h for _t, _b, h in self._boxes)

    def _arc(self, rule, side: str | None, frame: PoseFrame) -> ArcView | None:
        spec_rule = self.spec.rules.get(rule.rule_id)
        if spec_rule is None or not spec_rule.measure or getattr(spec_rule, "baseline_s", None) \
                or getattr(spec_rule, "relative_to_start", False):
            return None     # (a rule on the change since the hold began has no angle to draw)
        mspec = self.spec.measures.get(spec_rule.measure) or {}
        if mspec.get("type") != "joint_angle" or mspec.get("plane", "image") != "image":
            return None
        pts = [_point_xy(p, side, frame) for p in mspec.get("points", [])]
        if len(pts) != 3 or any(p is None for p in pts):
            return None
        a, v, b = pts
        return ArcView(vertex_xy=v, a_xy=a, b_xy=b, target_deg=(rule.min, rule.max), state=rule.state,
                       label=self.label(rule.rule_id, side))

    def render(self, step: Step) -> np.ndarray:
        scene = self._scene(step)
        return self.annotator.annotate(scene, self.state(step))
