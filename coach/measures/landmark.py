"""Measures read straight from one frame's landmarks: angles, tilts, yaw, distances,
offsets, midline crossing, visibility."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


from coach.pose import Landmark, PoseFrame
from coach.measures.base import MIN_VIS_PARAM, NORMALISE_PARAM, BaseMeasure, ParamSpec, add_landmarks
from coach.measures.points import (
    FACING_KNEE_LANDMARKS, FACING_LANDMARKS, FACING_SHOULDER_LANDMARKS, NAN, REF_LH, REF_LS, REF_RH, REF_RS,
    MeasureError, view_of,
)
from coach.vocab import SIDES


# --------------------------------------------------------------------------------------
# Landmark measures
# --------------------------------------------------------------------------------------


class JointAngle(BaseMeasure):
    """Angle at the middle point b between b→a and b→c, degrees [0, 180]."""

    TYPE = "joint_angle"
    UNIT = "deg"
    PARAMS = {
        "points": ParamSpec("points", True, None, None, "three points a, b, c: the angle is at b", count=3),
        "plane": ParamSpec(
            "enum", False, "image", ("image", "world"),
            "image = pixels in the camera view (preferred: 1-8 deg from truth in side views); "
            "world = MediaPipe 3D metres (often tens of degrees off)",
        ),
        "min_visibility": MIN_VIS_PARAM,
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        self.a, self.b, self.c = params["points"]
        self.world = params["plane"] == "world"

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = view_of(frame)
        mv = self.min_vis
        if self.world:
            a, b, c = f.xyz(self.a, mv), f.xyz(self.b, mv), f.xyz(self.c, mv)
            if a is None or b is None or c is None:
                return NAN
            ux, uy, uz = a[0] - b[0], a[1] - b[1], a[2] - b[2]
            vx, vy, vz = c[0] - b[0], c[1] - b[1], c[2] - b[2]
            cx, cy, cz = uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx
            cross = math.sqrt(cx * cx + cy * cy + cz * cz)
            dot = ux * vx + uy * vy + uz * vz
            if (ux == 0 and uy == 0 and uz == 0) or (vx == 0 and vy == 0 and vz == 0):
                return NAN
            return math.degrees(math.atan2(cross, dot))
        a2, b2, c2 = f.px(self.a, mv), f.px(self.b, mv), f.px(self.c, mv)
        if a2 is None or b2 is None or c2 is None:
            return NAN
        ux, uy = a2[0] - b2[0], a2[1] - b2[1]
        vx, vy = c2[0] - b2[0], c2[1] - b2[1]
        if (ux == 0 and uy == 0) or (vx == 0 and vy == 0):
            return NAN
        return math.degrees(math.atan2(abs(ux * vy - uy * vx), ux * vx + uy * vy))


class SegmentAngle(BaseMeasure):
    """Angle of the segment a–b to the image vertical or horizontal, degrees.

    Unsigned (default): the line's angle, [0, 90], direction ignored.
    signed (vertical only): direction of a→b from screen-up, (-180, 180], positive when b
    leans toward where the person faces (side views; from nose vs ear): for hip→shoulder,
    0 = upright, -30 = leaning back 30 deg, +20 = slumped forward 20 deg. NaN when the
    facing direction is unclear.
    """

    TYPE = "segment_angle"
    UNIT = "deg"
    PARAMS = {
        "points": ParamSpec("points", True, None, None, "two points a, b of the segment", count=2),
        "reference": ParamSpec(
            "enum", False, "vertical", ("vertical", "horizontal"),
            "vertical: 0 = b straight above/below a, 90 = level; horizontal: the opposite",
        ),
        "signed": ParamSpec(
            "bool", False, False, None,
            "true (vertical only): direction of a→b from straight up, + = leaning toward where "
            "the person faces (side views)",
        ),
        "facing_from": ParamSpec(
            "enum", False, "nose", ("nose", "knees", "shoulders"),
            "signed: where the person faces, told by the nose against the ear, (seated) by "
            "the knee against its hip, which a glance at the camera does not change, or (on "
            "all fours) by the shoulders against the hips, however the head hangs",
        ),
        "min_visibility": MIN_VIS_PARAM,
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        self.a, self.b = params["points"]
        self.vertical = params["reference"] == "vertical"
        self.signed = params["signed"]
        if self.signed and not self.vertical:
            raise MeasureError(
                "signed: only with reference vertical (expected signed: false or reference: "
                "vertical, got reference horizontal)", param="signed", measure=name,
            )
        self.facing_from = params["facing_from"]
        if self.signed:
            self.landmarks = add_landmarks(
                self.landmarks, {"knees": FACING_KNEE_LANDMARKS, "shoulders": FACING_SHOULDER_LANDMARKS}.get(
                    self.facing_from, FACING_LANDMARKS))

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = view_of(frame)
        a, b = f.px(self.a, self.min_vis), f.px(self.b, self.min_vis)
        if a is None or b is None:
            return NAN
        if self.signed:
            facing = f.facing(self.min_vis, self.facing_from)
            if facing is None or (a[0] == b[0] and a[1] == b[1]):
                return NAN
            angle = math.degrees(math.atan2((b[0] - a[0]) * facing, a[1] - b[1]))
            return 180.0 if angle == -180.0 else angle
        dx, dy = abs(b[0] - a[0]), abs(b[1] - a[1])
        if dx == 0 and dy == 0:
            return NAN
        to_vertical = math.degrees(math.atan2(dx, dy))
        return to_vertical if self.vertical else 90.0 - to_vertical


class LineTilt(BaseMeasure):
    """Signed tilt of the line a→b to the image horizontal, degrees [-90, 90]; + = b higher on screen."""

    TYPE = "line_tilt"
    UNIT = "deg"
    PARAMS = {
        "points": ParamSpec(
            "points", True, None, None, "two points a, b; positive when b is higher", count=2
        ),
        "min_visibility": MIN_VIS_PARAM,
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        self.a, self.b = params["points"]

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = view_of(frame)
        a, b = f.px(self.a, self.min_vis), f.px(self.b, self.min_vis)
        if a is None or b is None:
            return NAN
        dx, up = abs(b[0] - a[0]), a[1] - b[1]
        if dx == 0 and up == 0:
            return NAN
        return math.degrees(math.atan2(up, dx))


_AXES = {"vertical": (0.0, -1.0, 0.0), "depth": (0.0, 0.0, -1.0), "horizontal": (1.0, 0.0, 0.0)}


class YawBetween(BaseMeasure):
    """Signed angle between two body lines about an axis, from world landmarks, degrees (-180, 180]."""

    TYPE = "yaw_between"
    UNIT = "deg"
    PARAMS = {
        "lines": ParamSpec(
            "lines", True, None, None,
            "[[a, b], [c, d]]: the angle from line c→d to line a→b; positive = a→b turned "
            "counter-clockwise seen from the axis' tip (for [[left_shoulder, right_shoulder], "
            "[left_hip, right_hip]] about vertical: upper body turned to the person's left)",
            count=2,
        ),
        "axis": ParamSpec(
            "enum", False, "vertical", ("vertical", "depth", "horizontal"),
            "axis of the turn (camera-aligned world axes): vertical = up, depth = toward the "
            "camera, horizontal = screen right",
        ),
        "min_visibility": MIN_VIS_PARAM,
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        (self.a, self.b), (self.c, self.d) = params["lines"]
        self.u = _AXES[params["axis"]]

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = view_of(frame)
        mv = self.min_vis
        a, b, c, d = f.xyz(self.a, mv), f.xyz(self.b, mv), f.xyz(self.c, mv), f.xyz(self.d, mv)
        if a is None or b is None or c is None or d is None:
            return NAN
        ux, uy, uz = self.u
        # (components as plain names, no tuples: the same operations in the same order)
        d10, d11, d12 = b[0] - a[0], b[1] - a[1], b[2] - a[2]
        d20, d21, d22 = d[0] - c[0], d[1] - c[1], d[2] - c[2]
        k1 = d10 * ux + d11 * uy + d12 * uz
        k2 = d20 * ux + d21 * uy + d22 * uz
        p10, p11, p12 = d10 - k1 * ux, d11 - k1 * uy, d12 - k1 * uz
        p20, p21, p22 = d20 - k2 * ux, d21 - k2 * uy, d22 - k2 * uz
        n1 = p10 ** 2 + p11 ** 2 + p12 ** 2
        n2 = p20 ** 2 + p21 ** 2 + p22 ** 2
        ref = max(d10 ** 2 + d11 ** 2 + d12 ** 2, d20 ** 2 + d21 ** 2 + d22 ** 2)
        if not (n1 > 1e-12 * ref and n2 > 1e-12 * ref):
            return NAN
        # (p2 x p1) . u
        cx = p21 * p12 - p22 * p11
        cy = p22 * p10 - p20 * p12
        cz = p20 * p11 - p21 * p10
        sin = cx * ux + cy * uy + cz * uz
        cos = p10 * p20 + p11 * p21 + p12 * p22
        angle = math.degrees(math.atan2(sin, cos))
        return 180.0 if angle == -180.0 else angle


class Distance(BaseMeasure):
    """Image distance a–b divided by the body scale ("body" units)."""

    TYPE = "distance"
    UNIT = "body"
    PARAMS = {
        "points": ParamSpec("points", True, None, None, "two points a, b", count=2),
        "normalise": NORMALISE_PARAM,
        "min_visibility": MIN_VIS_PARAM,
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        self.a, self.b = params["points"]
        self.norm = params["normalise"]
        self.landmarks = add_landmarks(self.landmarks, self._scale_landmarks(self.norm))

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = view_of(frame)
        a, b = f.px(self.a, self.min_vis), f.px(self.b, self.min_vis)
        if a is None or b is None:
            return NAN
        return math.hypot(b[0] - a[0], b[1] - a[1]) / f.scale(self.norm, self.min_vis)


class Offset(BaseMeasure):
    """Signed offset of point p from a line, or along an image axis from another point, in body units.

    line [a, b]: perpendicular distance, positive when p is to the RIGHT of a→b as seen on
    screen (for a→b pointing right, p below the line is positive).
    axis x + to q: p.x - q.x, positive when p is right of q on screen.
    axis y + to q: q.y - p.y, positive when p is HIGHER on screen than q.
    axis forward + to q: horizontal offset, positive when p is ahead of q in the direction
    the person faces (side views; from nose vs ear; NaN when unclear).
    along [a, b]: p's position along the line a→b from its midpoint (the projection onto
    the line), positive toward b: with the shoulders as the line, the nose's sideways place
    between them, which a front camera sees move as the upper body (and head) turns, and
    which a sideways tip of the whole trunk does not change.
    """

    TYPE = "offset"
    UNIT = "body"
    PARAMS = {
        "point": ParamSpec("point", True, None, None, "the point p whose offset is measured"),
        "line": ParamSpec("line", False, None, None, "[a, b]: measure p's distance from this line"),
        "along": ParamSpec(
            "line", False, None, None,
            "[a, b]: measure p's position along this line from its midpoint (+ = toward b)",
        ),
        "axis": ParamSpec(
            "enum", False, None, ("x", "y", "forward"),
            "x: horizontal offset from `to` (+ = right on screen); y: height above `to` "
            "(+ = higher); forward: horizontal, + = ahead of `to` where the person faces",
        ),
        "to": ParamSpec("point", False, None, None, "reference point for `axis`"),
        "normalise": NORMALISE_PARAM,
        "min_visibility": MIN_VIS_PARAM,
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        self.p = params["point"]
        self.line = params.get("line")
        self.along = params.get("along")
        self.axis = params.get("axis")
        self.to = params.get("to")
        self.norm = params["normalise"]
        self.landmarks = add_landmarks(self.landmarks, self._scale_landmarks(self.norm))
        if self.axis == "forward":
            self.landmarks = add_landmarks(self.landmarks, FACING_LANDMARKS)

    @staticmethod
    def check(measure: str, params: dict[str, Any]) -> None:
        has_line = params.get("line") is not None
        has_along = params.get("along") is not None
        has_axis = params.get("axis") is not None or params.get("to") is not None
        given = int(has_line) + int(has_along) + int(has_axis)
        if given != 1:
            raise MeasureError(
                "line: give either line or axis with to, or along (expected line: [a, b], axis: "
                f"x|y and to: point, or along: [a, b], got {'more than one' if given else 'none'})",
                param="line", measure=measure,
            )
        if has_axis and (params.get("axis") is None or params.get("to") is None):
            missing = "to" if params.get("to") is None else "axis"
            raise MeasureError(
                f"{missing}: missing (expected both axis and to, got only "
                f"{'axis' if missing == 'to' else 'to'})",
                param=missing, measure=measure,
            )

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = view_of(frame)
        mv = self.min_vis
        p = f.px(self.p, mv)
        if p is None:
            return NAN
        ref = self.line if self.line is not None else self.along
        if ref is not None:
            a, b = f.px(ref[0], mv), f.px(ref[1], mv)
            if a is None or b is None:
                return NAN
            dx, dy = b[0] - a[0], b[1] - a[1]
            length = math.hypot(dx, dy)
            if length == 0:
                return NAN
            if self.line is not None:   # signed distance from the line
                off = (dx * (p[1] - a[1]) - dy * (p[0] - a[0])) / length
            else:                       # place along the line, from its midpoint
                off = (dx * (p[0] - 0.5 * (a[0] + b[0])) + dy * (p[1] - 0.5 * (a[1] + b[1]))) / length
        else:
            assert self.to is not None
            q = f.px(self.to, mv)
            if q is None:
                return NAN
            if self.axis == "x":
                off = p[0] - q[0]
            elif self.axis == "y":
                off = q[1] - p[1]
            else:
                facing = f.facing(mv)
                if facing is None:
                    return NAN
                off = (p[0] - q[0]) * facing
        return off / f.scale(self.norm, mv)


class MidlineCrossing(BaseMeasure):
    """How far point p lies across the body midline, in body units.

    The midline is the line through the torso centre (mean of both shoulders and hips)
    perpendicular to the body's left-right axis (mean of the right→left shoulder and hip
    vectors). For a straight body that is the mid_shoulder→mid_hip line; unlike that line
    it stays well defined when the torso is foreshortened (camera at floor height at the
    feet end). Positive when p is on the ``toward`` side (default "other": the side
    opposite to the exercise's side, e.g. the right knee crossing to the person's left in a
    right-side lying twist), 0 on the midline, negative on its own side. Which screen side
    is the person's left is read from the left/right landmarks themselves, so it works from
    the feet end, the head end or the front. NaN when the body is seen edge-on (the
    left-right axis shorter than 0.05 torso lengths).
    """

    TYPE = "midline_crossing"
    UNIT = "body"
    PARAMS = {
        "point": ParamSpec("point", True, None, None, "the point p, e.g. moving_knee"),
        "toward": ParamSpec(
            "enum", False, "other", ("other", "left", "right"),
            "the side of the midline that counts as positive (other = opposite to the exercise side)",
        ),
        "normalise": ParamSpec(
            "enum", False, "shoulder_width", ("torso", "shoulder_width"), NORMALISE_PARAM.doc
        ),
        "min_visibility": MIN_VIS_PARAM,
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        self.p = params["point"]
        toward = params["toward"]
        if toward == "other":
            if side not in SIDES:
                raise MeasureError(
                    f"toward: 'other' needs the exercise's side (expected toward: left or right "
                    f"for an exercise without sides, got side {side!r})",
                    param="toward", measure=name,
                )
            toward = "right" if side == "left" else "left"
        self.toward_left = toward == "left"
        self.norm = params["normalise"]
        self.landmarks = add_landmarks(
            self.landmarks,
            (int(Landmark.LEFT_SHOULDER), int(Landmark.RIGHT_SHOULDER),
             int(Landmark.LEFT_HIP), int(Landmark.RIGHT_HIP)),
        )

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = view_of(frame)
        mv = self.min_vis
        p = f.px(self.p, mv)
        ls, rs, lh, rh = f.px(REF_LS, mv), f.px(REF_RS, mv), f.px(REF_LH, mv), f.px(REF_RH, mv)
        if p is None or ls is None or rs is None or lh is None or rh is None:
            return NAN
        # the body's left-right axis: mean of right->left shoulder and right->left hip
        lx = 0.5 * (ls[0] - rs[0] + lh[0] - rh[0])
        ly = 0.5 * (ls[1] - rs[1] + lh[1] - rh[1])
        half_width = math.hypot(lx, ly)
        # torso centre: mean of the four
        cx = 0.25 * (ls[0] + rs[0] + lh[0] + rh[0])
        cy = 0.25 * (ls[1] + rs[1] + lh[1] + rh[1])
        torso = math.hypot(0.5 * (ls[0] + rs[0] - lh[0] - rh[0]), 0.5 * (ls[1] + rs[1] - lh[1] - rh[1]))
        scale = f.scale(self.norm, mv)
        if not half_width >= 0.05 * max(torso, half_width) or half_width == 0 or not scale > 0:
            return NAN  # seen edge-on: left and right overlap
        toward_left = ((p[0] - cx) * lx + (p[1] - cy) * ly) / half_width
        return (toward_left if self.toward_left else -toward_left) / scale


class Visibility(BaseMeasure):
    """Lowest visibility of the given points, in [0, 1] (NaN when no person): for set-up guidance."""

    TYPE = "visibility"
    UNIT = "ratio"
    PARAMS = {"points": ParamSpec("points", True, None, None, "the points that must be in view")}

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = view_of(frame)
        low = math.inf
        for r in self.refs:
            v = f.vis(r)
            if v != v:
                return NAN
            if v < low:
                low = v
        return low
