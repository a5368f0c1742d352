"""Points a measure may name: landmark keys and side aliases (moving_/other_, near_/far_,
mid_), which side faces the camera, and one frame's points in pixels or metres."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import numpy as np

from coach.errors import CoachError
from coach.pose import VIS, Landmark, PoseFrame
from coach.vocab import SIDES


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
ALIAS_PREFIXES = ("moving_", "other_", "near_", "far_", "mid_")


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
    for prefix in ALIAS_PREFIXES:
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
    candidates = list(_LANDMARK_KEYS) + [p + b for p in ALIAS_PREFIXES for b in PAIRED_NAMES]
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
_SHARED: "tuple[PoseFrame, FrameView] | None" = None
_SIDE_ROWS = np.array([i for pair in _SIDE_PAIRS for i in pair], dtype=np.intp)
_SIDE_ROWS_LIST = tuple(int(i) for i in _SIDE_ROWS)


def near_side(lm: np.ndarray, image_wh: tuple[int, int] = (1, 1)) -> str | None:
    """Which side of the body faces the camera in landmarks ``lm`` (33, 5): "left", "right" or None.

    Score = mean over shoulder/hip/knee/ankle/ear pairs of (z_right - z_left) divided by the
    longer shoulder-hip distance (z is depth, smaller = nearer, same scale as x), plus 0.5 x
    mean (visibility_left - visibility_right). Depth dominates because visibility can read
    ~0.99 on joints hidden behind the body. None when nothing is known or the score is 0.
    """
    return _near_side_rows(lm.take(_SIDE_ROWS, axis=0).tolist(), image_wh)  # 10 rows, then plain floats


def _near_side_rows(rows: list[list[float]], image_wh: tuple[int, int]) -> str | None:
    """``near_side`` on the rows of ``_SIDE_PAIRS`` (left, right, left, right, ...) as lists."""
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


def share_view(frame: PoseFrame | None) -> None:
    """Let every measure read ``frame`` through one view (which side is near and the body
    scale are then worked out once a frame, not once a measure), until ``share_view(None)``.
    The engine opens it around one frame's measures; elsewhere each measure makes its own."""
    global _SHARED
    _SHARED = None if frame is None else (frame, FrameView(frame))   # one reference swap


def view_of(frame: PoseFrame) -> "FrameView":
    shared = _SHARED
    if shared is not None and shared[0] is frame:
        return shared[1]
    return FrameView(frame)


class FrameView:
    """What a landmark measure needs from one frame: its landmarks as plain lists (one
    ``tolist`` a frame; reading floats from lists costs a fraction of ``ndarray.item``)."""

    __slots__ = ("lm", "world", "rows", "_wrows", "w", "h", "_wh", "_near", "_scale")

    def __init__(self, frame: PoseFrame) -> None:
        self.lm = frame.landmarks
        self.world = frame.world
        self.rows: list[list[float]] = frame.landmarks.tolist()
        self._wrows: list[list[float]] | None = None   # the world landmarks, when first read
        w, h = frame.image_wh
        self.w = float(w) if w > 0 else 1.0
        self.h = float(h) if h > 0 else 1.0
        self._wh = (w, h)
        self._near: str | None | bool = False  # False = not computed yet
        self._scale: dict[tuple[str, float], float] = {}

    def side_index(self, ref: PointRef) -> int | None:
        if self._near is False:
            rows = self.rows
            self._near = _near_side_rows([rows[i] for i in _SIDE_ROWS_LIST], self._wh)
        near = self._near
        if near is None:
            return None
        left_near = near == "left"
        use_left = left_near if ref.kind == "near" else not left_near
        return ref.indices[0] if use_left else ref.indices[1]

    def vis(self, ref: PointRef) -> float:
        rows = self.rows
        kind = ref.kind
        if kind == "landmark":
            return rows[ref.indices[0]][VIS]
        if kind == "mid":
            a, b = rows[ref.indices[0]][VIS], rows[ref.indices[1]][VIS]
            return a if a < b or b != b else b
        i = self.side_index(ref)
        return NAN if i is None else rows[i][VIS]

    def lowest_vis(self, refs: tuple[PointRef, ...]) -> float:
        """The lowest visibility of ``refs`` (NaN counts as 0; 1.0 for none)."""
        rows = self.rows
        low = 1.0
        for r in refs:
            v = rows[r.indices[0]][VIS] if r.kind == "landmark" else self.vis(r)
            if not v >= low:
                low = v if v == v else 0.0
        return low

    def px(self, ref: PointRef, min_vis: float) -> tuple[float, float] | None:
        """Image point in pixels, or None when not seen well enough."""
        rows = self.rows
        kind = ref.kind
        if kind == "landmark" or kind == "near" or kind == "far":
            i = ref.indices[0] if kind == "landmark" else self.side_index(ref)
            if i is None:
                return None
            r = rows[i]
            if not r[VIS] >= min_vis:
                return None
            x, y = r[0], r[1]
            if x != x or y != y:
                return None
            return (x * self.w, y * self.h)
        i, j = ref.indices
        ri, rj = rows[i], rows[j]
        if not (ri[VIS] >= min_vis and rj[VIS] >= min_vis):
            return None
        x = 0.5 * (ri[0] + rj[0])
        y = 0.5 * (ri[1] + rj[1])
        if x != x or y != y:
            return None
        return (x * self.w, y * self.h)

    def xyz(self, ref: PointRef, min_vis: float) -> tuple[float, float, float] | None:
        """World point in metres, or None when not seen well enough."""
        rows = self.rows
        wd = self._wrows
        if wd is None:
            wd = self._wrows = self.world.tolist()
        kind = ref.kind
        if kind == "mid":
            i, j = ref.indices
            if not (rows[i][VIS] >= min_vis and rows[j][VIS] >= min_vis):
                return None
            wi, wj = wd[i], wd[j]
            p = (0.5 * (wi[0] + wj[0]), 0.5 * (wi[1] + wj[1]), 0.5 * (wi[2] + wj[2]))
        else:
            k = ref.indices[0] if kind == "landmark" else self.side_index(ref)
            if k is None or not rows[k][VIS] >= min_vis:
                return None
            wk = wd[k]
            p = (wk[0], wk[1], wk[2])
        if p[0] != p[0] or p[1] != p[1] or p[2] != p[2]:
            return None
        return p

    def facing(self, min_vis: float, by: str = "nose") -> float | None:
        """+1.0 when the person faces screen-right, -1.0 screen-left, None when unclear.

        by "nose": from the nose's horizontal position relative to the better-seen ear: meant
        for side views of an upright, seated or all-fours body (not for lying on the back, nor
        for a front view, where the nose is within 0.05 torso lengths of the ear and this is
        None). A glance at a side camera turns the nose toward it and can flip this.
        by "knees": from the better-seen knee's position relative to its hip: for a seated
        body, whose thighs point where it faces whatever the head does; None when the knee is
        within 0.3 torso lengths of the hip across the picture (a front view).
        by "shoulders": from the shoulders' midpoint relative to the hips': for a body on all
        fours, whose head end is where it faces however the head hangs (in a deep cat the
        nose can sit behind the ear); None when they are within 0.3 torso lengths across the
        picture (seen from the head or feet end).
        """
        if by == "knees":
            return self._facing_knees(min_vis)
        if by == "shoulders":
            return self._facing_shoulders(min_vis)
        nose = self.px(REF_NOSE, min_vis)
        if nose is None:
            return None
        rows = self.rows
        vl, vr = rows[LEFT_EAR][VIS], rows[RIGHT_EAR][VIS]
        ear = LEFT_EAR if (vl >= vr or vr != vr) else RIGHT_EAR
        ex = rows[ear][0] * self.w
        d = nose[0] - ex
        if not abs(d) >= 0.05 * self.scale("torso", min_vis):  # NaN-safe
            return None
        return 1.0 if d > 0 else -1.0

    def _facing_knees(self, min_vis: float) -> float | None:
        rows = self.rows
        vl, vr = rows[LEFT_KNEE][VIS], rows[RIGHT_KNEE][VIS]
        knee, hip = (LEFT_KNEE, LEFT_HIP) if (vl >= vr or vr != vr) else (RIGHT_KNEE, RIGHT_HIP)
        if not (rows[knee][VIS] >= min_vis and rows[hip][VIS] >= min_vis):
            return None
        d = (rows[knee][0] - rows[hip][0]) * self.w
        if not abs(d) >= 0.3 * self.scale("torso", min_vis):  # NaN-safe
            return None
        return 1.0 if d > 0 else -1.0

    def _facing_shoulders(self, min_vis: float) -> float | None:
        sh = self.px(REF_MID_SHOULDERS, min_vis)
        hip = self.px(REF_MID_HIPS, min_vis)
        if sh is None or hip is None:
            return None
        d = sh[0] - hip[0]
        if not abs(d) >= 0.3 * self.scale("torso", min_vis):  # NaN-safe
            return None
        return 1.0 if d > 0 else -1.0

    def scale(self, kind: str, min_vis: float) -> float:
        """Body scale in pixels: "torso" (falls back to shoulder width) or "shoulder_width"."""
        key = (kind, min_vis)
        v = self._scale.get(key)
        if v is None:
            v = self._scale[key] = self._body_scale(kind, min_vis)
        return v

    def _body_scale(self, kind: str, min_vis: float) -> float:
        ls = self.px(REF_LS, min_vis)
        rs = self.px(REF_RS, min_vis)
        if kind == "torso":
            lh = self.px(REF_LH, min_vis)
            rh = self.px(REF_RH, min_vis)
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


REF_LS = PointRef("left_shoulder", "landmark", (int(Landmark.LEFT_SHOULDER),))
REF_RS = PointRef("right_shoulder", "landmark", (int(Landmark.RIGHT_SHOULDER),))
REF_LH = PointRef("left_hip", "landmark", (int(Landmark.LEFT_HIP),))
REF_RH = PointRef("right_hip", "landmark", (int(Landmark.RIGHT_HIP),))
REF_NOSE = PointRef("nose", "landmark", (int(Landmark.NOSE),))
LEFT_EAR, RIGHT_EAR = int(Landmark.LEFT_EAR), int(Landmark.RIGHT_EAR)
FACING_LANDMARKS = (int(Landmark.NOSE), LEFT_EAR, RIGHT_EAR)
LEFT_KNEE, RIGHT_KNEE = int(Landmark.LEFT_KNEE), int(Landmark.RIGHT_KNEE)
LEFT_HIP, RIGHT_HIP = int(Landmark.LEFT_HIP), int(Landmark.RIGHT_HIP)
FACING_KNEE_LANDMARKS = (LEFT_HIP, RIGHT_HIP, LEFT_KNEE, RIGHT_KNEE)
REF_MID_SHOULDERS = PointRef("mid_shoulder", "mid", (int(Landmark.LEFT_SHOULDER), int(Landmark.RIGHT_SHOULDER)))
REF_MID_HIPS = PointRef("mid_hip", "mid", (LEFT_HIP, RIGHT_HIP))
FACING_SHOULDER_LANDMARKS = (int(Landmark.LEFT_SHOULDER), int(Landmark.RIGHT_SHOULDER), LEFT_HIP, RIGHT_HIP)
