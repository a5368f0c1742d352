"""The closed, registered vocabulary of measures that exercise specs may use.

A spec names measures like ``knee_angle: {type: joint_angle, points: [moving_hip,
moving_knee, moving_ankle]}``; ``build_measure`` turns one such mapping into a Measure
object whose ``update(frame, values)`` returns one float per frame. No spec text is ever
evaluated: only the types in ``MEASURE_TYPES`` exist.

Points
    any landmark key (``left_knee``), or an alias of a paired landmark X (``knee``,
    ``shoulder``, ``foot_index``, ...):
    ``moving_X`` / ``other_X``  the exercise's side / the opposite side (fixed at build time)
    ``near_X`` / ``far_X``      the side facing / turned away from the camera, decided per
                                frame for the whole body (z depth first, visibility second,
                                because visibility reads ~0.99 on hidden joints)
    ``mid_X``                   midpoint of left_X and right_X

Units: "deg", "body" (image distance divided by torso length or shoulder width, see
``normalise``), "deg/s" or "<unit>/s", "s", "ratio".

"Can't see": a landmark measure returns NaN when the frame has no person, a needed
coordinate is NaN, or a needed landmark's visibility is below ``min_visibility``; never a
made-up number. Derived measures (speed, oscillation_*, change) return NaN while their source is
NaN (rolling: while none was seen in its window).

Cost: landmark measures read only the few landmarks they need as Python floats (numpy
calls on 2-vectors cost more than the arithmetic), so an update is a few microseconds.
Image geometry is done in pixels (y down), as in ``coach.geometry``; the functions here
follow the sign conventions documented there, and the tests check they agree.
"""

from __future__ import annotations

import difflib
import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from coach.errors import CoachError
from coach.pose import VIS, Landmark, PoseFrame

__all__ = [
    "MeasureError",
    "ParamSpec",
    "PointRef",
    "Measure",
    "MEASURE_TYPES",
    "measure_params",
    "build_measure",
    "resolve_point",
    "describe_measure",
    "PAIRED_NAMES",
    "near_side",
]

NAN = math.nan


class MeasureError(CoachError):
    """A measure spec that cannot be built. Message: ``param: what is wrong (expected ..., got ...)``.

    ``param`` is the offending parameter ("type", "points", ...); ``measure`` the measure's
    name when known, so a spec loader can point at the file, line and field.
    """

    def __init__(self, message: str, *, param: str | None = None, measure: str | None = None) -> None:
        super().__init__(message)
        self.param = param
        self.measure = measure


# --------------------------------------------------------------------------------------
# Points
# --------------------------------------------------------------------------------------

#: Paired landmark names without the side prefix: knee, hip, foot_index, ...
PAIRED_NAMES: tuple[str, ...] = tuple(
    lm.key[len("left_"):] for lm in Landmark if lm.key.startswith("left_")
)
_LANDMARK_KEYS: dict[str, int] = {lm.key: int(lm) for lm in Landmark}
_ALIAS_PREFIXES = ("moving_", "other_", "near_", "far_", "mid_")
SIDES = ("left", "right")


@dataclass(frozen=True)
class PointRef:
    """A point a measure reads.

    kind: "landmark" (indices = (i,)), "mid" (indices = (left, right): their midpoint),
    "near" / "far" (indices = (left, right): one of them, chosen per frame).
    name: the name as written in the spec.
    """

    name: str
    kind: str
    indices: tuple[int, ...]


def _point_forms() -> str:
    return (
        "a landmark name such as left_knee, or moving_X, other_X, near_X, far_X or mid_X "
        f"with X one of [{', '.join(PAIRED_NAMES)}]"
    )


def resolve_point(name: str, side: str | None) -> PointRef:
    """Resolve a point name from a spec for the exercise side ``side`` ("left"/"right"/None)."""
    if not isinstance(name, str):
        raise MeasureError(f"point: not a name (expected {_point_forms()}, got {name!r})", param="point")
    key = name.strip().lower()
    if key in _LANDMARK_KEYS:
        return PointRef(name, "landmark", (_LANDMARK_KEYS[key],))
    for prefix in _ALIAS_PREFIXES:
        if key.startswith(prefix) and key[len(prefix):] in PAIRED_NAMES:
            base = key[len(prefix):]
            left, right = _LANDMARK_KEYS["left_" + base], _LANDMARK_KEYS["right_" + base]
            kind = prefix[:-1]
            if kind in ("moving", "other"):
                if side not in SIDES:
                    raise MeasureError(
                        f"point: {name} needs the exercise's side (expected side left or right, "
                        f"got {side!r}); use left_{base}, right_{base}, near_{base} or mid_{base}",
                        param="point",
                    )
                moving = left if side == "left" else right
                chosen = moving if kind == "moving" else (right if moving == left else left)
                return PointRef(name, "landmark", (chosen,))
            return PointRef(name, kind, (left, right))
    candidates = list(_LANDMARK_KEYS) + [p + b for p in _ALIAS_PREFIXES for b in PAIRED_NAMES]
    close = difflib.get_close_matches(key, candidates, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    raise MeasureError(
        f"point: unknown point {name!r} (expected {_point_forms()}){hint}", param="point"
    )


# Pairs used to decide which side faces the camera: shoulders, hips, knees, ankles, ears.
_SIDE_PAIRS: tuple[tuple[int, int], ...] = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE),
    (Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE),
    (Landmark.LEFT_EAR, Landmark.RIGHT_EAR),
)
_SIDE_VIS_WEIGHT = 0.5
_SIDE_ROWS = np.array([i for pair in _SIDE_PAIRS for i in pair], dtype=np.intp)


def near_side(lm: np.ndarray, image_wh: tuple[int, int] = (1, 1)) -> str | None:
    """Which side of the body faces the camera in landmarks ``lm`` (33, 5): "left", "right" or None.

    Score = mean over shoulder/hip/knee/ankle/ear pairs of (z_right - z_left) divided by the
    longer shoulder-hip distance (z is depth, smaller = nearer, same scale as x), plus 0.5 x
    mean (visibility_left - visibility_right). Depth dominates because visibility can read
    ~0.99 on joints hidden behind the body. None when nothing is known or the score is 0.
    """
    rows = lm.take(_SIDE_ROWS, axis=0).tolist()  # one copy of 10 rows, then plain floats
    dz = 0.0
    dv = 0.0
    n_z = 0
    n_v = 0
    for k in range(0, len(rows), 2):
        left, right = rows[k], rows[k + 1]
        zl, zr = left[2], right[2]
        if zl == zl and zr == zr:
            dz += zr - zl
            n_z += 1
        vl, vr = left[VIS], right[VIS]
        if vl == vl and vr == vr:
            dv += vl - vr
            n_v += 1
    if n_z == 0 and n_v == 0:
        return None
    # body size in the same unit as z (fractions of the image width): the longer
    # shoulder-hip distance, so a foreshortened view does not blow the score up.
    w, h_px = image_wh
    y_to_x = (h_px / w) if w > 0 and h_px > 0 else 1.0
    size = 0.0
    for sh, hp in ((rows[0], rows[2]), (rows[1], rows[3])):
        d = math.hypot(sh[0] - hp[0], (sh[1] - hp[1]) * y_to_x)
        if d == d and d > size:
            size = d
    score = 0.0
    if n_z:
        score += (dz / n_z) / (size if size > 0 else 1.0)
    if n_v:
        score += _SIDE_VIS_WEIGHT * dv / n_v
    if score > 0:
        return "left"
    if score < 0:
        return "right"
    return None


class _Frame:
    """What a landmark measure needs from one frame (no copies of the arrays)."""

    __slots__ = ("lm", "world", "w", "h", "_wh", "_near")

    def __init__(self, frame: PoseFrame) -> None:
        self.lm = frame.landmarks
        self.world = frame.world
        w, h = frame.image_wh
        self.w = float(w) if w > 0 else 1.0
        self.h = float(h) if h > 0 else 1.0
        self._wh = (w, h)
        self._near: str | None | bool = False  # False = not computed yet

    def side_index(self, ref: PointRef) -> int | None:
        if self._near is False:
            self._near = near_side(self.lm, self._wh)
        near = self._near
        if near is None:
            return None
        left_near = near == "left"
        use_left = left_near if ref.kind == "near" else not left_near
        return ref.indices[0] if use_left else ref.indices[1]

    def vis(self, ref: PointRef) -> float:
        lm = self.lm
        if ref.kind == "landmark":
            return lm.item(ref.indices[0], VIS)
        if ref.kind == "mid":
            a, b = lm.item(ref.indices[0], VIS), lm.item(ref.indices[1], VIS)
            return a if a < b or b != b else b
        i = self.side_index(ref)
        return NAN if i is None else lm.item(i, VIS)

    def px(self, ref: PointRef, min_vis: float) -> tuple[float, float] | None:
        """Image point in pixels, or None when not seen well enough."""
        lm = self.lm
        kind = ref.kind
        if kind == "landmark" or kind == "near" or kind == "far":
            i = ref.indices[0] if kind == "landmark" else self.side_index(ref)
            if i is None or not lm.item(i, VIS) >= min_vis:
                return None
            x, y = lm.item(i, 0), lm.item(i, 1)
            if x != x or y != y:
                return None
            return (x * self.w, y * self.h)
        i, j = ref.indices
        if not (lm.item(i, VIS) >= min_vis and lm.item(j, VIS) >= min_vis):
            return None
        x = 0.5 * (lm.item(i, 0) + lm.item(j, 0))
        y = 0.5 * (lm.item(i, 1) + lm.item(j, 1))
        if x != x or y != y:
            return None
        return (x * self.w, y * self.h)

    def xyz(self, ref: PointRef, min_vis: float) -> tuple[float, float, float] | None:
        """World point in metres, or None when not seen well enough."""
        lm, wd = self.lm, self.world
        kind = ref.kind
        if kind == "mid":
            i, j = ref.indices
            if not (lm.item(i, VIS) >= min_vis and lm.item(j, VIS) >= min_vis):
                return None
            p = (
                0.5 * (wd.item(i, 0) + wd.item(j, 0)),
                0.5 * (wd.item(i, 1) + wd.item(j, 1)),
                0.5 * (wd.item(i, 2) + wd.item(j, 2)),
            )
        else:
            k = ref.indices[0] if kind == "landmark" else self.side_index(ref)
            if k is None or not lm.item(k, VIS) >= min_vis:
                return None
            p = (wd.item(k, 0), wd.item(k, 1), wd.item(k, 2))
        if p[0] != p[0] or p[1] != p[1] or p[2] != p[2]:
            return None
        return p

    def facing(self, min_vis: float) -> float | None:
        """+1.0 when the person faces screen-right, -1.0 screen-left, None when unclear.

        From the nose's horizontal position relative to the better-seen ear: meant for side
        views of an upright, seated or all-fours body (not for lying on the back, nor for a
        front view, where the nose is within 0.05 torso lengths of the ear and this is None).
        """
        nose = self.px(_REF_NOSE, min_vis)
        if nose is None:
            return None
        lm = self.lm
        vl, vr = lm.item(_LEFT_EAR, VIS), lm.item(_RIGHT_EAR, VIS)
        ear = _LEFT_EAR if (vl >= vr or vr != vr) else _RIGHT_EAR
        ex = lm.item(ear, 0) * self.w
        d = nose[0] - ex
        if not abs(d) >= 0.05 * self.scale("torso", min_vis):  # NaN-safe
            return None
        return 1.0 if d > 0 else -1.0

    def scale(self, kind: str, min_vis: float) -> float:
        """Body scale in pixels: "torso" (falls back to shoulder width) or "shoulder_width"."""
        ls = self.px(_REF_LS, min_vis)
        rs = self.px(_REF_RS, min_vis)
        if kind == "torso":
            lh = self.px(_REF_LH, min_vis)
            rh = self.px(_REF_RH, min_vis)
            if ls and rs and lh and rh:
                d = math.hypot(
                    0.5 * (ls[0] + rs[0] - lh[0] - rh[0]), 0.5 * (ls[1] + rs[1] - lh[1] - rh[1])
                )
                if d > 0:
                    return d
        if ls and rs:
            d = math.hypot(ls[0] - rs[0], ls[1] - rs[1])
            if d > 0:
                return d
        return NAN


_REF_LS = PointRef("left_shoulder", "landmark", (int(Landmark.LEFT_SHOULDER),))
_REF_RS = PointRef("right_shoulder", "landmark", (int(Landmark.RIGHT_SHOULDER),))
_REF_LH = PointRef("left_hip", "landmark", (int(Landmark.LEFT_HIP),))
_REF_RH = PointRef("right_hip", "landmark", (int(Landmark.RIGHT_HIP),))
_REF_NOSE = PointRef("nose", "landmark", (int(Landmark.NOSE),))
_LEFT_EAR, _RIGHT_EAR = int(Landmark.LEFT_EAR), int(Landmark.RIGHT_EAR)
_FACING_LANDMARKS = (int(Landmark.NOSE), _LEFT_EAR, _RIGHT_EAR)


# --------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------

PARAM_KINDS = ("point", "points", "line", "lines", "enum", "number", "measure", "bool")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a measure type.

    kind: "point" | "points" | "line" | "lines" | "enum" | "number" | "measure" | "bool".
    count: exact number of points (points) or lines (lines); None = any, at least one.
    low / high: inclusive range of a number.
    """

    kind: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] | None = None
    doc: str = ""
    count: int | None = None
    low: float | None = None
    high: float | None = None


_MIN_VIS = ParamSpec(
    "number", False, 0.5, None,
    "visibility below which a landmark counts as not seen (result NaN)", low=0.0, high=1.0,
)
_NORMALISE = ParamSpec(
    "enum", False, "torso", ("torso", "shoulder_width"),
    "body length unit: torso = shoulder-midpoint to hip-midpoint (falls back to shoulder "
    "width when the hips are not seen); shoulder_width = left to right shoulder",
)


def _fmt(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _coerce(measure: str, pname: str, ps: ParamSpec, value: Any, side: str | None) -> Any:
    def fail(what: str, expected: str) -> MeasureError:
        return MeasureError(
            f"{pname}: {what} (expected {expected}, got {_fmt(value)})", param=pname, measure=measure
        )

    def point(v: Any) -> PointRef:
        try:
            return resolve_point(v, side)
        except MeasureError as exc:
            raise MeasureError(
                f"{pname}: {str(exc).split(': ', 1)[1]}", param=pname, measure=measure
            ) from None

    k = ps.kind
    if k == "point":
        if not isinstance(value, str):
            raise fail("not a point name", "a point name such as left_knee")
        return point(value)
    if k == "points":
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise fail("not a list of point names", "a list like [left_hip, left_knee]")
        n = len(value)
        if (ps.count is not None and n != ps.count) or n == 0:
            want = f"{ps.count} points" if ps.count is not None else "at least one point"
            raise fail(f"wrong number of points ({n})", want)
        return tuple(point(v) for v in value)
    if k == "line":
        if (
            not isinstance(value, (list, tuple))
            or len(value) != 2
            or not all(isinstance(v, str) for v in value)
        ):
            raise fail("not a line", "two point names like [left_shoulder, right_shoulder]")
        return (point(value[0]), point(value[1]))
    if k == "lines":
        ok = isinstance(value, (list, tuple)) and all(
            isinstance(line, (list, tuple)) and len(line) == 2 and all(isinstance(v, str) for v in line)
            for line in value
        )
        if not ok or (ps.count is not None and len(value) != ps.count):
            raise fail(
                "not a list of lines",
                f"{ps.count or 'some'} lines like [[left_shoulder, right_shoulder], [left_hip, right_hip]]",
            )
        return tuple((point(a), point(b)) for a, b in value)
    if k == "enum":
        assert ps.choices is not None
        if value not in ps.choices:
            raise fail("not an allowed value", f"one of [{', '.join(ps.choices)}]")
        return value
    if k == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise fail("not a number", "a number" + _range_text(ps))
        if (ps.low is not None and value < ps.low) or (ps.high is not None and value > ps.high):
            raise fail("out of range", "a number" + _range_text(ps))
        return float(value)
    if k == "measure":
        if not isinstance(value, str) or not value:
            raise fail("not a measure name", "the name of another measure in this spec")
        if value == measure:
            raise fail("a measure cannot read itself", "the name of another measure")
        return value
    if k == "bool":
        if not isinstance(value, bool):
            raise fail("not true or false", "true or false")
        return value
    raise AssertionError(f"unknown parameter kind {k}")


def _range_text(ps: ParamSpec) -> str:
    if ps.low is not None and ps.high is not None:
        return f" in [{ps.low:g}, {ps.high:g}]"
    if ps.low is not None:
        return f" >= {ps.low:g}"
    if ps.high is not None:
        return f" <= {ps.high:g}"
    return ""


# --------------------------------------------------------------------------------------
# The protocol and the base class
# --------------------------------------------------------------------------------------


@runtime_checkable
class Measure(Protocol):
    name: str
    unit: str
    landmarks: tuple[int, ...]
    depends_on: tuple[str, ...]

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float: ...

    def reset(self) -> None: ...


class _Base:
    TYPE: ClassVar[str] = ""
    UNIT: ClassVar[str] = ""
    PARAMS: ClassVar[dict[str, ParamSpec]] = {}

    name: str
    unit: str
    landmarks: tuple[int, ...]
    depends_on: tuple[str, ...]
    params: dict[str, Any]

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        self.name = name
        self.unit = self.UNIT
        self.params = params
        self.side = side
        self.depends_on = ()
        self.min_vis = float(params.get("min_visibility", 0.5))
        refs: list[PointRef] = []
        for pname, ps in self.PARAMS.items():
            v = params.get(pname)
            if v is None:
                continue
            if ps.kind == "point":
                refs.append(v)
            elif ps.kind in ("points", "line"):
                refs.extend(v)
            elif ps.kind == "lines":
                for line in v:
                    refs.extend(line)
        self.refs = tuple(refs)
        self.landmarks = self._landmarks()

    def _landmarks(self) -> tuple[int, ...]:
        out: list[int] = []
        for r in self.refs:
            for i in r.indices:
                if i not in out:
                    out.append(i)
        return tuple(out)

    def _scale_landmarks(self, kind: str) -> tuple[int, ...]:
        return (int(Landmark.LEFT_SHOULDER), int(Landmark.RIGHT_SHOULDER))

    def reset(self) -> None:
        """Forget any history (stateless measures have none)."""

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} unit={self.unit}>"


def _add_landmarks(base: tuple[int, ...], extra: tuple[int, ...]) -> tuple[int, ...]:
    return base + tuple(i for i in extra if i not in base)


# --------------------------------------------------------------------------------------
# Landmark measures
# --------------------------------------------------------------------------------------


class JointAngle(_Base):
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
        "min_visibility": _MIN_VIS,
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        self.a, self.b, self.c = params["points"]
        self.world = params["plane"] == "world"

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = _Frame(frame)
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


class SegmentAngle(_Base):
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
        "min_visibility": _MIN_VIS,
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
        if self.signed:
            self.landmarks = _add_landmarks(self.landmarks, _FACING_LANDMARKS)

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = _Frame(frame)
        a, b = f.px(self.a, self.min_vis), f.px(self.b, self.min_vis)
        if a is None or b is None:
            return NAN
        if self.signed:
            facing = f.facing(self.min_vis)
            if facing is None or (a[0] == b[0] and a[1] == b[1]):
                return NAN
            angle = math.degrees(math.atan2((b[0] - a[0]) * facing, a[1] - b[1]))
            return 180.0 if angle == -180.0 else angle
        dx, dy = abs(b[0] - a[0]), abs(b[1] - a[1])
        if dx == 0 and dy == 0:
            return NAN
        to_vertical = math.degrees(math.atan2(dx, dy))
        return to_vertical if self.vertical else 90.0 - to_vertical


class LineTilt(_Base):
    """Signed tilt of the line a→b to the image horizontal, degrees [-90, 90]; + = b higher on screen."""

    TYPE = "line_tilt"
    UNIT = "deg"
    PARAMS = {
        "points": ParamSpec(
            "points", True, None, None, "two points a, b; positive when b is higher", count=2
        ),
        "min_visibility": _MIN_VIS,
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        self.a, self.b = params["points"]

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = _Frame(frame)
        a, b = f.px(self.a, self.min_vis), f.px(self.b, self.min_vis)
        if a is None or b is None:
            return NAN
        dx, up = abs(b[0] - a[0]), a[1] - b[1]
        if dx == 0 and up == 0:
            return NAN
        return math.degrees(math.atan2(up, dx))


_AXES = {"vertical": (0.0, -1.0, 0.0), "depth": (0.0, 0.0, -1.0), "horizontal": (1.0, 0.0, 0.0)}


class YawBetween(_Base):
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
        "min_visibility": _MIN_VIS,
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        (self.a, self.b), (self.c, self.d) = params["lines"]
        self.u = _AXES[params["axis"]]

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = _Frame(frame)
        mv = self.min_vis
        a, b, c, d = f.xyz(self.a, mv), f.xyz(self.b, mv), f.xyz(self.c, mv), f.xyz(self.d, mv)
        if a is None or b is None or c is None or d is None:
            return NAN
        ux, uy, uz = self.u
        d1 = (b[0] - a[0], b[1] - a[1], b[2] - a[2])
        d2 = (d[0] - c[0], d[1] - c[1], d[2] - c[2])
        k1 = d1[0] * ux + d1[1] * uy + d1[2] * uz
        k2 = d2[0] * ux + d2[1] * uy + d2[2] * uz
        p1 = (d1[0] - k1 * ux, d1[1] - k1 * uy, d1[2] - k1 * uz)
        p2 = (d2[0] - k2 * ux, d2[1] - k2 * uy, d2[2] - k2 * uz)
        n1 = p1[0] ** 2 + p1[1] ** 2 + p1[2] ** 2
        n2 = p2[0] ** 2 + p2[1] ** 2 + p2[2] ** 2
        ref = max(d1[0] ** 2 + d1[1] ** 2 + d1[2] ** 2, d2[0] ** 2 + d2[1] ** 2 + d2[2] ** 2)
        if not (n1 > 1e-12 * ref and n2 > 1e-12 * ref):
            return NAN
        # (p2 x p1) . u
        cx = p2[1] * p1[2] - p2[2] * p1[1]
        cy = p2[2] * p1[0] - p2[0] * p1[2]
        cz = p2[0] * p1[1] - p2[1] * p1[0]
        sin = cx * ux + cy * uy + cz * uz
        cos = p1[0] * p2[0] + p1[1] * p2[1] + p1[2] * p2[2]
        angle = math.degrees(math.atan2(sin, cos))
        return 180.0 if angle == -180.0 else angle


class Distance(_Base):
    """Image distance a–b divided by the body scale ("body" units)."""

    TYPE = "distance"
    UNIT = "body"
    PARAMS = {
        "points": ParamSpec("points", True, None, None, "two points a, b", count=2),
        "normalise": _NORMALISE,
        "min_visibility": _MIN_VIS,
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        self.a, self.b = params["points"]
        self.norm = params["normalise"]
        self.landmarks = _add_landmarks(self.landmarks, self._scale_landmarks(self.norm))

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = _Frame(frame)
        a, b = f.px(self.a, self.min_vis), f.px(self.b, self.min_vis)
        if a is None or b is None:
            return NAN
        return math.hypot(b[0] - a[0], b[1] - a[1]) / f.scale(self.norm, self.min_vis)


class Offset(_Base):
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
        "normalise": _NORMALISE,
        "min_visibility": _MIN_VIS,
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        self.p = params["point"]
        self.line = params.get("line")
        self.along = params.get("along")
        self.axis = params.get("axis")
        self.to = params.get("to")
        self.norm = params["normalise"]
        self.landmarks = _add_landmarks(self.landmarks, self._scale_landmarks(self.norm))
        if self.axis == "forward":
            self.landmarks = _add_landmarks(self.landmarks, _FACING_LANDMARKS)

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
        f = _Frame(frame)
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


class MidlineCrossing(_Base):
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
            "enum", False, "shoulder_width", ("torso", "shoulder_width"), _NORMALISE.doc
        ),
        "min_visibility": _MIN_VIS,
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
        self.landmarks = _add_landmarks(
            self.landmarks,
            (int(Landmark.LEFT_SHOULDER), int(Landmark.RIGHT_SHOULDER),
             int(Landmark.LEFT_HIP), int(Landmark.RIGHT_HIP)),
        )

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = _Frame(frame)
        mv = self.min_vis
        p = f.px(self.p, mv)
        ls, rs, lh, rh = f.px(_REF_LS, mv), f.px(_REF_RS, mv), f.px(_REF_LH, mv), f.px(_REF_RH, mv)
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


class Visibility(_Base):
    """Lowest visibility of the given points, in [0, 1] (NaN when no person): for set-up guidance."""

    TYPE = "visibility"
    UNIT = "ratio"
    PARAMS = {"points": ParamSpec("points", True, None, None, "the points that must be in view")}

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        f = _Frame(frame)
        low = math.inf
        for r in self.refs:
            v = f.vis(r)
            if v != v:
                return NAN
            if v < low:
                low = v
        return low


# --------------------------------------------------------------------------------------
# Derived (stateful) measures
# --------------------------------------------------------------------------------------


class _Derived(_Base):
    """A measure that reads another one (``of``): computed after it, in its unit by default."""

    def __init__(self, name: str, params: dict[str, Any], side: str | None,
                 source_unit: str | None = None) -> None:
        super().__init__(name, params, side)
        self.of = params["of"]
        self.depends_on = (self.of,)
        self.unit = source_unit or self.UNIT


class Speed(_Derived):
    """Rate of change of another measure per second, from frame timestamps.

    speed = (v_now - v_old) / (t_now - t_old), v_old being the latest sample at least
    ``window_s`` seconds old (or the oldest one kept): the mean of the frame-to-frame
    derivatives over that span (light smoothing, no filter state). NaN while the source is NaN, on the
    first sample, and after a gap longer than ``max_gap_s`` (history restarts).
    """

    TYPE = "speed"
    UNIT = "deg/s"
    PARAMS = {
        "of": ParamSpec("measure", True, None, None, "the measure whose speed is taken"),
        "window_s": ParamSpec("number", False, 0.25, None, "averaging window, seconds", low=0.0, high=10.0),
        "absolute": ParamSpec("bool", False, False, None, "true: report the magnitude only"),
        "max_gap_s": ParamSpec(
            "number", False, 0.5, None, "restart after this long without a value, seconds",
            low=0.0, high=60.0,
        ),
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None,
                 source_unit: str | None = None) -> None:
        super().__init__(name, params, side, source_unit)
        self.unit = f"{source_unit}/s" if source_unit else self.UNIT
        self.window_ms = params["window_s"] * 1000.0
        self.max_gap_ms = params["max_gap_s"] * 1000.0
        self.absolute = params["absolute"]
        self._hist: deque[tuple[float, float]] = deque()
        self._last = NAN

    def reset(self) -> None:
        self._hist.clear()
        self._last = NAN

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        v = values.get(self.of, NAN)
        t = frame.timestamp_ms
        hist = self._hist
        if v is None or v != v:
            return NAN
        if hist:
            t_last = hist[-1][0]
            if t <= t_last:
                return self._last
            if t - t_last > self.max_gap_ms:
                hist.clear()
        hist.append((t, v))
        cutoff = t - self.window_ms
        while len(hist) > 2 and hist[1][0] <= cutoff:
            hist.popleft()
        if len(hist) < 2:
            self._last = NAN
            return NAN
        t0, v0 = hist[0]
        s = (v - v0) * 1000.0 / (t - t0)
        self._last = abs(s) if self.absolute else s
        return self._last


class Rolling(_Derived):
    """The maximum, minimum or median of another measure over the last ``window_s`` seconds
    (its unit): a steadier reading of a signal MediaPipe sometimes garbles for a moment
    (from the side it can put both ankle labels on one foot for a second or two, so the
    ankles' distance drops in a held twist; its maximum over 2 s does not). Costs the
    window's length in delay where the value falls (max) or rises (min). Unseen frames
    are left out of the window; NaN until a value has been seen in it.
    """

    TYPE = "rolling"
    UNIT = "deg"
    PARAMS = {
        "of": ParamSpec("measure", True, None, None, "the measure to steady"),
        "stat": ParamSpec("enum", True, None, ("max", "min", "median"), "max, min or median over the window"),
        "window_s": ParamSpec("number", False, 1.0, None, "window, seconds", low=0.05, high=60.0),
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None,
                 source_unit: str | None = None) -> None:
        super().__init__(name, params, side, source_unit)
        self.stat = params["stat"]
        self.window_ms = params["window_s"] * 1000.0
        self._hist: deque[tuple[float, float]] = deque()

    def reset(self) -> None:
        self._hist.clear()

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        v = values.get(self.of, NAN)
        t = frame.timestamp_ms
        hist = self._hist
        if v is not None and v == v and (not hist or t > hist[-1][0]):
            hist.append((t, v))
        cutoff = t - self.window_ms
        while hist and hist[0][0] <= cutoff:
            hist.popleft()
        if not hist:
            return NAN
        vals = [x for _t, x in hist]   # a few dozen values: plain Python is fastest here
        if self.stat == "max":
            return max(vals)
        if self.stat == "min":
            return min(vals)
        vals.sort()
        n = len(vals)
        return vals[n // 2] if n % 2 else 0.5 * (vals[n // 2 - 1] + vals[n // 2])


class Change(_Derived):
    """Change of another measure since the phase began: value - its mean over the first
    ``baseline_s`` seconds in which it was seen (in the source's unit).

    For a measure whose resting value depends on where the camera stands, in an exercise
    whose phase starts in the rest position and moves away from it (the person turns after
    hearing the phase's cue): e.g. how far the nose has moved between the shoulders since
    the turn phase began, seen from a front camera that is not straight ahead. The engine
    updates a step's measures only while that step is current (each step has its own), so
    the baseline is the step's start (with ``coach measure``, the recording's start; for a
    hold with ``recognise_s``, from when its measures start running ahead). While the baseline is being learnt the
    value is the change from the mean so far (about 0). NaN while the source is NaN; the
    baseline is kept across gaps (the camera has not moved); ``reset`` forgets it.
    """

    TYPE = "change"
    UNIT = "deg"
    PARAMS = {
        "of": ParamSpec("measure", True, None, None, "the measure whose change is taken"),
        "baseline_s": ParamSpec(
            "number", False, 1.0, None,
            "the baseline is the mean over this long from the first value, seconds",
            low=0.0, high=60.0,
        ),
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None,
                 source_unit: str | None = None) -> None:
        super().__init__(name, params, side, source_unit)
        self.baseline_ms = params["baseline_s"] * 1000.0
        self.reset()

    def reset(self) -> None:
        self._t0: float | None = None
        self._sum = 0.0
        self._n = 0
        self._done = False

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        v = values.get(self.of, NAN)
        if v is None or v != v:
            return NAN
        if not self._done:
            t = frame.timestamp_ms
            if self._t0 is None:
                self._t0 = t
            if t - self._t0 <= self.baseline_ms or self._n == 0:
                self._sum += v
                self._n += 1
            else:
                self._done = True
        return v - self._sum / self._n


class _Oscillation(_Base):
    """Shared state of oscillation_amplitude / oscillation_period over a sliding time window.

    Amplitude = max - min (peak to peak) of the source over the last ``window_s`` seconds
    (monotonic deques: O(1) amortised per frame). Period: each time the source crosses the
    window's mid level (max + min) / 2 by more than a quarter of the amplitude (hysteresis)
    a half-cycle is counted; period = the median full cycle (crossing i to i + 2) among the
    crossings still in the window, so it needs one full cycle of data (3 crossings) and
    ``window_s`` of at least ~2 periods; no period before ``window_s`` of history.
    Until ``window_s`` has passed, both come from the history there is. Peak to peak
    includes noise extremes (feed it smoothed landmarks); set ``min_amplitude`` so that
    jitter on a still body gives no period.
    NaN while the source is NaN; history restarts after a gap longer than ``window_s``.
    """

    PARAMS = {
        "of": ParamSpec("measure", True, None, None, "the measure that oscillates"),
        "window_s": ParamSpec(
            "number", False, 6.0, None, "sliding window, seconds (at least 2 periods)", low=0.2, high=120.0
        ),
        "min_amplitude": ParamSpec(
            "number", False, 0.0, None,
            "below this peak-to-peak amplitude there is no oscillation: period is NaN", low=0.0,
        ),
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None,
                 source_unit: str | None = None) -> None:
        super().__init__(name, params, side)
        self.of = params["of"]
        self.depends_on = (self.of,)
        self.window_ms = params["window_s"] * 1000.0
        self.min_amplitude = params["min_amplitude"]
        self.source_unit = source_unit
        self.reset()

    def reset(self) -> None:
        self._max: deque[tuple[float, float]] = deque()  # decreasing values
        self._min: deque[tuple[float, float]] = deque()  # increasing values
        self._cross: deque[float] = deque()  # times of mid-level crossings
        self._state = 0  # +1 above the band, -1 below, 0 unknown
        self._t_last = -math.inf
        self._t_first: float | None = None
        self._last: tuple[float, float] = (NAN, NAN)

    def _push(self, t: float, v: float) -> tuple[float, float]:
        """Add a sample; return (amplitude, period)."""
        if t - self._t_last > self.window_ms:
            self.reset()
        if self._t_first is None:
            self._t_first = t
        self._t_last = t
        mx, mn = self._max, self._min
        while mx and mx[-1][1] <= v:
            mx.pop()
        mx.append((t, v))
        while mn and mn[-1][1] >= v:
            mn.pop()
        mn.append((t, v))
        cutoff = t - self.window_ms
        while mx[0][0] < cutoff:
            mx.popleft()
        while mn[0][0] < cutoff:
            mn.popleft()
        hi, lo = mx[0][1], mn[0][1]
        amp = hi - lo
        # a half cycle must swing across mid +- band: at least half the peak to peak, and at
        # least min_amplitude (smaller wiggles are jitter, not oscillation)
        band = max(0.25 * amp, 0.5 * self.min_amplitude)
        mid = 0.5 * (hi + lo)
        if amp < self.min_amplitude or amp <= 0:
            # no oscillation (a still body's jitter): its crossings must not count later
            self._state = 0
            self._cross.clear()
        else:
            if v > mid + band:
                if self._state == -1:
                    self._cross.append(t)
                self._state = 1
            elif v < mid - band:
                if self._state == 1:
                    self._cross.append(t)
                self._state = -1
        cr = self._cross
        while cr and cr[0] < cutoff:
            cr.popleft()
        full = t - self._t_first >= self.window_ms   # a young history sees a movement's start only
        if full and len(cr) >= 3 and amp > 0 and amp >= self.min_amplitude:
            # the median of the full cycles (crossing i to i + 2) in the window: a movement
            # that is just starting or changing size moves the mid level and can give one
            # early crossing, which a mean of half cycles would turn into a "fast" period
            period = _median_full_cycle(cr) / 1000.0
        else:
            period = NAN
        return amp, period

    def _sample(self, frame: PoseFrame, values: Mapping[str, float]) -> tuple[float, float]:
        v = values.get(self.of, NAN)
        t = frame.timestamp_ms
        if v is None or v != v:
            return NAN, NAN
        if t <= self._t_last:
            return self._last
        self._last = self._push(t, v)
        return self._last


def _median_full_cycle(crossings: deque[float]) -> float:
    cycles = sorted(crossings[i + 2] - crossings[i] for i in range(len(crossings) - 2))
    n = len(cycles)
    return cycles[n // 2] if n % 2 else 0.5 * (cycles[n // 2 - 1] + cycles[n // 2])


class OscillationAmplitude(_Oscillation):
    """Peak-to-peak amplitude of another measure over a sliding window (its unit)."""

    TYPE = "oscillation_amplitude"
    UNIT = "deg"

    def __init__(self, name: str, params: dict[str, Any], side: str | None,
                 source_unit: str | None = None) -> None:
        super().__init__(name, params, side, source_unit)
        self.unit = source_unit or self.UNIT

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        return self._sample(frame, values)[0]


class OscillationPeriod(_Oscillation):
    """Dominant period (seconds) of another measure over a sliding window."""

    TYPE = "oscillation_period"
    UNIT = "s"

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        return self._sample(frame, values)[1]


# --------------------------------------------------------------------------------------
# Spinal flexion (cat-cow)
# --------------------------------------------------------------------------------------


class SpinalFlexion(_Base):
    """How rounded the back is (cat-cow), in units of the near shoulder–hip length.

    signal "mask": median height of the segmentation mask's upper contour above the near
    shoulder→hip line, measured perpendicular to the line over its middle 70 %, divided by
    the line's length (10 real photos: 0.41-0.53 in cat, 0.08-0.23 in cow).
    signal "nose": height of the nose above the near shoulder (screen up, vertical), divided
    by the same length (negative in every cat, positive in every cow on those photos).
    The two signals have DIFFERENT scales: rules must be written for the signal they get.
    "auto" uses the mask when there is one and it covers the back, else the nose;
    ``last_signal`` says which one produced the latest value ("mask", "nose" or "").
    """

    TYPE = "spinal_flexion"
    UNIT = "body"
    PARAMS = {
        "signal": ParamSpec(
            "enum", False, "auto", ("auto", "mask", "nose"),
            "mask contour, nose height, or auto (mask if present, else nose)",
        ),
        "mask_threshold": ParamSpec(
            "number", False, 0.5, None, "mask value above which a pixel is the person", low=0.0, high=1.0
        ),
        "min_visibility": _MIN_VIS,
    }
    N_COLUMNS = 24  # about this many mask columns are sampled between shoulder and hip

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        self.signal = params["signal"]
        self.threshold = params["mask_threshold"]
        self.shoulder = resolve_point("near_shoulder", side)
        self.hip = resolve_point("near_hip", side)
        extra = self.shoulder.indices + self.hip.indices
        if self.signal != "mask":
            extra += (int(Landmark.NOSE),)
        self.landmarks = extra
        self.last_signal = ""

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        self.last_signal = ""
        f = _Frame(frame)
        mv = self.min_vis
        s, h = f.px(self.shoulder, mv), f.px(self.hip, mv)
        if s is None or h is None:
            return NAN
        length = math.hypot(h[0] - s[0], h[1] - s[1])
        if length == 0:
            return NAN
        if self.signal != "nose" and frame.mask is not None:
            v = self._from_mask(frame.mask, f, s, h, length)
            if v == v:
                self.last_signal = "mask"
                return v
        if self.signal == "mask":
            return NAN
        nose = f.px(_REF_NOSE, mv)
        if nose is None:
            return NAN
        self.last_signal = "nose"
        return (s[1] - nose[1]) / length

    def _from_mask(
        self, mask: np.ndarray, f: _Frame, s: tuple[float, float], h: tuple[float, float], length: float
    ) -> float:
        if mask.ndim != 2 or mask.shape[0] < 2 or mask.shape[1] < 2:
            return NAN
        mh, mw = mask.shape
        kx, ky = mw / f.w, mh / f.h  # image px -> mask px
        dx, dy = h[0] - s[0], h[1] - s[1]
        # unit normal pointing up on screen (negative y)
        nx, ny = dy / length, -dx / length
        if ny > 0:
            nx, ny = -nx, -ny
        if ny == 0:
            return NAN
        # evenly spaced mask columns over the middle 70 % of the line (a strided view, no copy)
        xa, xb = (s[0] + 0.15 * dx) * kx, (s[0] + 0.85 * dx) * kx
        lo, hi = max(0, int(min(xa, xb))), min(mw - 1, int(max(xa, xb)))
        if hi - lo < 2:
            return NAN
        step = max(1, (hi - lo) // (self.N_COLUMNS - 1))
        # rows to search: from 1.2 line-lengths above the line down to a quarter below it
        top = int(max(0.0, (min(s[1], h[1]) - 1.2 * length) * ky))
        bottom = int(min(float(mh), (max(s[1], h[1]) + 0.25 * length) * ky + 1))
        if bottom - top < 2:
            return NAN
        block = mask[top:bottom, lo : hi + 1 : step] > self.threshold
        rows = block.argmax(axis=0)
        # rows == 0: column empty, or the person already fills the top of the search window
        # (head, raised arm): not the back, dropped
        found = rows > 0
        n_found = int(np.count_nonzero(found))
        if n_found < (block.shape[1] + 1) // 2:
            return NAN
        ys = (rows[found] + (top + 0.5)) / ky
        xc = (np.arange(lo, hi + 1, step)[found] + 0.5) / kx
        # signed height above the line (along the upward normal), median
        heights = np.sort((xc - s[0]) * nx + (ys - s[1]) * ny)
        median = 0.5 * (heights[(n_found - 1) // 2] + heights[n_found // 2])
        return float(median) / length


# --------------------------------------------------------------------------------------
# Registry, building, describing
# --------------------------------------------------------------------------------------

MEASURE_TYPES: dict[str, type[_Base]] = {
    cls.TYPE: cls
    for cls in (
        JointAngle, SegmentAngle, LineTilt, YawBetween, Distance, Offset, MidlineCrossing,
        Visibility, Speed, OscillationAmplitude, OscillationPeriod, Change, Rolling, SpinalFlexion,
    )
}

_DERIVED = (Speed, OscillationAmplitude, OscillationPeriod, Change, Rolling)


def _type_class(type_name: Any, measure: str | None = None) -> type[_Base]:
    cls = MEASURE_TYPES.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise MeasureError(
            f"type: unknown measure type {_fmt(type_name)} (expecting one of "
            f"[{', '.join(MEASURE_TYPES)}])",
            param="type", measure=measure,
        )
    return cls


def measure_params(type_name: str) -> dict[str, ParamSpec]:
    """Parameters of a measure type (a copy), for spec validation and documentation."""
    return dict(_type_class(type_name).PARAMS)


def build_measure(
    name: str,
    spec: Mapping[str, Any],
    side: str | None,
    *,
    source_units: Mapping[str, str] | None = None,
) -> Measure:
    """Build measure ``name`` from its spec mapping (``{type: ..., <params>}``) for ``side``.

    ``source_units`` (optional: measure name -> unit of measures built so far) lets speed
    and oscillation_amplitude report the unit of what they read ("deg/s", "body/s");
    without it they assume degrees.
    """
    if side not in (None, "left", "right"):
        raise MeasureError(f"side: not a side (expected left, right or none, got {_fmt(side)})",
                           param="side", measure=name)
    if not isinstance(spec, Mapping):
        raise MeasureError(
            f"type: a measure is a mapping (expected {{type: ..., ...}}, got {_fmt(spec)})",
            param="type", measure=name,
        )
    if "type" not in spec:
        raise MeasureError(
            f"type: missing (expected one of [{', '.join(MEASURE_TYPES)}], got no type)",
            param="type", measure=name,
        )
    cls = _type_class(spec["type"], name)
    params_spec: dict[str, ParamSpec] = cls.PARAMS
    for key in spec:
        if key != "type" and key not in params_spec:
            raise MeasureError(
                f"{key}: unknown parameter for {cls.TYPE} (expecting one of "
                f"[{', '.join(params_spec)}])",
                param=str(key), measure=name,
            )
    params: dict[str, Any] = {}
    for pname, ps in params_spec.items():
        if pname not in spec or spec[pname] is None:
            if ps.required:
                raise MeasureError(
                    f"{pname}: missing (expected {ps.doc or ps.kind}, got nothing)",
                    param=pname, measure=name,
                )
            params[pname] = ps.default
            continue
        params[pname] = _coerce(name, pname, ps, spec[pname], side)
    if cls is Offset:
        Offset.check(name, params)
    if cls in _DERIVED:
        unit = (source_units or {}).get(params["of"])
        return cls(name, params, side, unit)  # type: ignore[no-any-return]
    return cls(name, params, side)  # type: ignore[no-any-return]


# Plain-language descriptions ---------------------------------------------------------

_NB_PARTS = {
    "shoulder": "skulder", "elbow": "albue", "wrist": "håndledd", "pinky": "lillefinger",
    "index": "pekefinger", "thumb": "tommel", "hip": "hofte", "knee": "kne", "ankle": "ankel",
    "heel": "hæl", "foot_index": "tær", "eye": "øye", "eye_inner": "indre øyekrok",
    "eye_outer": "ytre øyekrok", "ear": "øre", "nose": "nese", "mouth_left": "venstre munnvik",
    "mouth_right": "høyre munnvik",
}


def _point_text(name: Any, lang: str) -> str:
    if not isinstance(name, str):
        return str(name)
    key = name.strip().lower()
    for prefix in _ALIAS_PREFIXES + ("left_", "right_"):
        if key.startswith(prefix) and key[len(prefix):] in PAIRED_NAMES:
            base = key[len(prefix):]
            kind = prefix[:-1]
            if lang == "nb":
                part = _NB_PARTS.get(base, base.replace("_", " "))
                return {
                    "left": f"venstre {part}", "right": f"høyre {part}",
                    "moving": f"{part} på øvingssiden", "other": f"{part} på den andre siden",
                    "near": f"{part} nærmest kamera", "far": f"{part} lengst fra kamera",
                    "mid": f"midt mellom {part}ene",
                }[kind]
            part = base.replace("_", " ")
            return {
                "left": f"left {part}", "right": f"right {part}",
                "moving": f"working-side {part}", "other": f"other-side {part}",
                "near": f"near {part}", "far": f"far {part}", "mid": f"midpoint of the {part}s",
            }[kind]
    if lang == "nb":
        return _NB_PARTS.get(key, key.replace("_", " "))
    return key.replace("_", " ")


def describe_measure(type_name: str, params: Mapping[str, Any], lang: str = "en") -> str:
    """A short plain-language description of a measure ("en" or "nb") for docs and reports."""
    if lang not in ("en", "nb"):
        raise MeasureError(f"lang: unsupported language (expected one of [en, nb], got {_fmt(lang)})",
                           param="lang")
    _type_class(type_name)

    def p(key: str, i: int | None = None) -> str:
        v = params.get(key)
        if i is not None:
            v = v[i] if isinstance(v, (list, tuple)) and len(v) > i else None
        return _point_text(v, lang) if v is not None else "?"

    def line(key: str, i: int | None = None) -> str:
        v = params.get(key)
        if i is not None:
            v = v[i] if isinstance(v, (list, tuple)) and len(v) > i else None
        if isinstance(v, (list, tuple)) and len(v) == 2:
            return f"{_point_text(v[0], lang)}–{_point_text(v[1], lang)}"
        return "?"

    en: dict[str, Callable[[], str]] = {
        "joint_angle": lambda: (
            f"angle at the {p('points', 1)} between the {p('points', 0)} and the {p('points', 2)}"
        ),
        "segment_angle": lambda: (
            f"angle of the line {line('points')} from the "
            f"{params.get('reference', 'vertical')}"
        ),
        "line_tilt": lambda: (
            f"tilt of the line {line('points')} (positive when the {p('points', 1)} is higher)"
        ),
        "yaw_between": lambda: f"turn of the line {line('lines', 0)} relative to {line('lines', 1)}",
        "distance": lambda: f"distance from the {p('points', 0)} to the {p('points', 1)}, in body lengths",
        "offset": lambda: (
            f"how far the {p('point')} is from the line {line('line')}"
            if params.get("line") else
            f"where the {p('point')} is along the line {line('along')}, from its middle"
            if params.get("along") else
            f"how far the {p('point')} is {'above' if params.get('axis') == 'y' else 'to the side of'} "
            f"the {p('to')}"
        ),
        "midline_crossing": lambda: f"how far the {p('point')} crosses the middle of the body",
        "visibility": lambda: "how clearly the camera sees " + ", ".join(
            _point_text(v, lang) for v in params.get("points", []) or []
        ),
        "speed": lambda: f"how fast {params.get('of', '?')} changes, per second",
        "oscillation_amplitude": lambda: f"how far {params.get('of', '?')} swings back and forth",
        "oscillation_period": lambda: f"how long one swing of {params.get('of', '?')} takes, in seconds",
        "change": lambda: f"how much {params.get('of', '?')} has changed since the step began",
        "rolling": lambda: (
            f"the {({'max': 'highest', 'min': 'lowest'}).get(params.get('stat', ''), 'middle')} value of "
            f"{params.get('of', '?')} over the last {params.get('window_s', 1.0):g} s"
        ),
        "spinal_flexion": lambda: "how rounded the back is (high = cat, low = cow)",
    }
    nb: dict[str, Callable[[], str]] = {
        "joint_angle": lambda: f"vinkelen i {p('points', 1)} mellom {p('points', 0)} og {p('points', 2)}",
        "segment_angle": lambda: (
            f"vinkelen på linjen {line('points')} fra "
            f"{'loddlinjen' if params.get('reference', 'vertical') == 'vertical' else 'vannrett'}"
        ),
        "line_tilt": lambda: f"helningen på linjen {line('points')} (positiv når {p('points', 1)} er høyest)",
        "yaw_between": lambda: f"vridningen av linjen {line('lines', 0)} i forhold til {line('lines', 1)}",
        "distance": lambda: f"avstanden fra {p('points', 0)} til {p('points', 1)}, i kroppslengder",
        "offset": lambda: (
            f"hvor langt {p('point')} er fra linjen {line('line')}"
            if params.get("line") else
            f"hvor {p('point')} er langs linjen {line('along')}, fra midten"
            if params.get("along") else
            f"hvor langt {p('point')} er {'over' if params.get('axis') == 'y' else 'til siden for'} "
            f"{p('to')}"
        ),
        "midline_crossing": lambda: f"hvor langt {p('point')} krysser midtlinjen av kroppen",
        "visibility": lambda: "hvor godt kameraet ser " + ", ".join(
            _point_text(v, lang) for v in params.get("points", []) or []
        ),
        "speed": lambda: f"hvor raskt {params.get('of', '?')} endrer seg, per sekund",
        "oscillation_amplitude": lambda: f"hvor langt {params.get('of', '?')} svinger fram og tilbake",
        "oscillation_period": lambda: (
            f"hvor lang tid én svingning av {params.get('of', '?')} tar, i sekunder"
        ),
        "change": lambda: f"hvor mye {params.get('of', '?')} har endret seg siden steget begynte",
        "rolling": lambda: (
            f"{({'max': 'den høyeste', 'min': 'den laveste'}).get(params.get('stat', ''), 'midtverdien av')} "
            f"{params.get('of', '?')} de siste {params.get('window_s', 1.0):g} s"
        ),
        "spinal_flexion": lambda: "hvor rund ryggen er (høy = katt, lav = ku)",
    }
    return (nb if lang == "nb" else en)[type_name]()
