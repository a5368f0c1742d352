"""The tests' geometry oracle: pure, vectorised geometry on landmark coordinates.

The coach's measures (coach/measures/) compute the same quantities frame by frame on
Python floats; test_measures checks they agree with these functions, and test_geometry
checks these against hand-worked values. (It lived in coach/ as geometry.py but nothing
outside the tests used it.)

Every function takes points as arrays whose last axis holds the coordinates (2 for image
pixels, 3 for world metres) and broadcasts over any leading axes, so the same call works on
one frame ``(2,)``, one frame's landmarks ``(33, 2)`` or a whole clip ``(T, 33, 2)``.

Conventions (read before using a sign):
- Image coordinates are pixels with y pointing DOWN (use ``PoseFrame.xy_px``; normalised
  x, y distort angles whenever width != height). World coordinates are metres, y down.
- "Up" on screen is -y. "Higher on screen" means a smaller y.
- Undefined results (a NaN input, a zero-length segment) are NaN, never an exception and
  never a made-up number.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from coach.pose import Landmark

FloatArray = NDArray[np.float64]
#: what the public functions return: an array, or a numpy float for a single result
Floats = NDArray[np.float64] | np.float64

__all__ = [
    "joint_angle_deg",
    "segment_angle_to_vertical_deg",
    "segment_angle_to_horizontal_deg",
    "segment_direction_deg",
    "line_tilt_deg",
    "distance",
    "body_scale",
    "shoulder_width",
    "torso_length",
    "normalised_distance",
    "point_line_offset",
    "yaw_between_lines_deg",
    "angular_speed",
]


def _f(a: ArrayLike) -> FloatArray:
    return np.asarray(a, dtype=np.float64)


def _nan_where(values: FloatArray, bad: NDArray[np.bool_]) -> Floats:
    """values with NaN where bad; returns a float for 0-d results."""
    out = np.where(bad, np.nan, values)
    return out[()] if out.ndim == 0 else out


def _cross_z(u: FloatArray, v: FloatArray) -> FloatArray:
    """z component of the 2D cross product u x v (last axis of size 2)."""
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def joint_angle_deg(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> Floats:
    """Angle at ``b`` between b→a and b→c, in degrees [0, 180]; 2D or 3D.

    NaN where any input is NaN or either segment has zero length.
    """
    a, b, c = _f(a), _f(b), _f(c)
    u = a - b
    v = c - b
    if u.shape[-1] == 2:
        cross = np.abs(_cross_z(u, v))
    else:
        cross = np.linalg.norm(np.cross(u, v), axis=-1)
    dot = np.sum(u * v, axis=-1)
    nu = np.sum(u * u, axis=-1)
    nv = np.sum(v * v, axis=-1)
    with np.errstate(invalid="ignore"):
        angle = np.degrees(np.arctan2(cross, dot))
    return _nan_where(angle, ~((nu > 0) & (nv > 0)))


def segment_angle_to_vertical_deg(a: ArrayLike, b: ArrayLike) -> Floats:
    """Unsigned angle between the LINE through a and b and the vertical (y) axis, [0, 90].

    0 = b straight above or below a; 90 = a and b level. Direction does not matter
    (a→b and b→a give the same value). Works in 2D (image, y down) and 3D (world, y down:
    the angle to the y axis). NaN for NaN input or a == b.
    """
    d = _f(b) - _f(a)
    dy = np.abs(d[..., 1])
    rest_sq = np.sum(d * d, axis=-1) - d[..., 1] ** 2
    rest = np.sqrt(np.maximum(rest_sq, 0.0))
    with np.errstate(invalid="ignore"):
        angle = np.degrees(np.arctan2(rest, dy))
    return _nan_where(angle, ~((dy > 0) | (rest > 0)))


def segment_angle_to_horizontal_deg(a: ArrayLike, b: ArrayLike) -> Floats:
    """Unsigned angle between the line through a and b and the horizontal, [0, 90].

    0 = level, 90 = vertical; always ``90 - segment_angle_to_vertical_deg``.
    """
    return 90.0 - segment_angle_to_vertical_deg(a, b)


def segment_direction_deg(a: ArrayLike, b: ArrayLike) -> Floats:
    """Signed direction of a→b in the image, measured from screen-UP, in (-180, 180].

    0 = b straight above a, +90 = b to the right of a on screen, -90 = to the left,
    180 = straight below (clockwise positive as seen on screen, since y points down).
    2D only. NaN for NaN input or a == b.
    """
    d = _f(b) - _f(a)
    dx, dy = d[..., 0], d[..., 1]
    with np.errstate(invalid="ignore"):
        angle = np.degrees(np.arctan2(dx, -dy))
    angle = np.where(angle == -180.0, 180.0, angle)
    return _nan_where(angle, ~((dx != 0) | (dy != 0)))


def line_tilt_deg(a: ArrayLike, b: ArrayLike) -> Floats:
    """Signed tilt of the line a→b against the image horizontal, in degrees [-90, 90].

    Positive when b is HIGHER on screen than a (smaller y), negative when lower, 0 when
    level — whichever side of a b lies on, so the sign always answers "is b higher than a?"
    and mirrored views give the same value. ±90 only when the line is vertical.
    2D image coordinates (y down). NaN for NaN input or a == b.
    """
    d = _f(b) - _f(a)
    dx = np.abs(d[..., 0])
    up = -d[..., 1]
    with np.errstate(invalid="ignore"):
        angle = np.degrees(np.arctan2(up, dx))
    return _nan_where(angle, ~((dx > 0) | (up != 0)))


def distance(a: ArrayLike, b: ArrayLike) -> Floats:
    """Euclidean distance between a and b (same unit as the input), NaN-propagating."""
    d = _f(b) - _f(a)
    out = np.sqrt(np.sum(d * d, axis=-1))
    return out[()] if out.ndim == 0 else out


def _masked(xy: FloatArray, visibility: ArrayLike | None, min_visibility: float) -> FloatArray:
    if visibility is None:
        return xy
    vis = _f(visibility)
    ok = vis >= min_visibility  # NaN visibility -> not ok
    return np.where(ok[..., None], xy, np.nan)


def torso_length(
    xy: ArrayLike, visibility: ArrayLike | None = None, min_visibility: float = 0.5
) -> Floats:
    """Distance shoulder-midpoint to hip-midpoint of ``xy`` (..., 33, 2|3).

    With ``visibility`` (..., 33), landmarks below ``min_visibility`` count as missing.
    """
    p = _masked(_f(xy), visibility, min_visibility)
    mid_sh = 0.5 * (p[..., Landmark.LEFT_SHOULDER, :] + p[..., Landmark.RIGHT_SHOULDER, :])
    mid_hip = 0.5 * (p[..., Landmark.LEFT_HIP, :] + p[..., Landmark.RIGHT_HIP, :])
    return distance(mid_sh, mid_hip)


def shoulder_width(
    xy: ArrayLike, visibility: ArrayLike | None = None, min_visibility: float = 0.5
) -> Floats:
    """Distance left shoulder to right shoulder of ``xy`` (..., 33, 2|3)."""
    p = _masked(_f(xy), visibility, min_visibility)
    return distance(p[..., Landmark.LEFT_SHOULDER, :], p[..., Landmark.RIGHT_SHOULDER, :])


def body_scale(
    xy: ArrayLike, visibility: ArrayLike | None = None, min_visibility: float = 0.5
) -> Floats:
    """Body length unit of ``xy`` (..., 33, 2|3): torso length, else shoulder width.

    Torso length (shoulder midpoint to hip midpoint) is used when it is finite and > 0;
    otherwise shoulder width; otherwise NaN. Same unit as ``xy`` (pixels for ``xy_px``).
    """
    torso = _f(torso_length(xy, visibility, min_visibility))
    width = _f(shoulder_width(xy, visibility, min_visibility))
    out = np.where(torso > 0, torso, np.where(width > 0, width, np.nan))
    return out[()] if out.ndim == 0 else out


def normalised_distance(a: ArrayLike, b: ArrayLike, scale: ArrayLike) -> Floats:
    """distance(a, b) / scale; NaN where scale is NaN or <= 0."""
    s = _f(scale)
    d = _f(distance(a, b))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = d / np.where(s > 0, s, np.nan)
    return out[()] if np.ndim(out) == 0 else out


def point_line_offset(p: ArrayLike, a: ArrayLike, b: ArrayLike) -> Floats:
    """Signed perpendicular distance of p from the line through a→b (2D image, y down).

    Positive when p lies to the RIGHT of the direction a→b as seen on screen (clockwise
    side): for a→b pointing right on screen, points below the line are positive; for a→b
    pointing up, points to the right are positive. Same unit as the input.
    NaN for NaN input or a == b.
    """
    p, a, b = _f(p), _f(a), _f(b)
    d = b - a
    length = np.sqrt(np.sum(d * d, axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        off = _cross_z(d, p - a) / length
    return _nan_where(off, ~(length > 0))


def yaw_between_lines_deg(
    a1: ArrayLike,
    b1: ArrayLike,
    a2: ArrayLike,
    b2: ArrayLike,
    up_axis: ArrayLike = (0.0, -1.0, 0.0),
) -> Floats:
    """Signed angle (deg, (-180, 180]) from line 2 (a2→b2) to line 1 (a1→b1) about ``up_axis``.

    Both directions are projected onto the plane perpendicular to ``up_axis`` (3D world
    coordinates; the default up is -y because world y points down). Positive when line 1 is
    turned counter-clockwise from line 2 as seen from above (looking down from the tip of
    ``up_axis``). For shoulders vs hips given left→right (``left_shoulder, right_shoulder,
    left_hip, right_hip``) positive means the upper body is turned to the person's LEFT.
    NaN for NaN input or a line that is parallel to ``up_axis``.
    """
    u = _f(up_axis)
    u = u / np.linalg.norm(u)
    d1 = _f(b1) - _f(a1)
    d2 = _f(b2) - _f(a2)
    p1 = d1 - np.sum(d1 * u, axis=-1, keepdims=True) * u
    p2 = d2 - np.sum(d2 * u, axis=-1, keepdims=True) * u
    n1 = np.sum(p1 * p1, axis=-1)
    n2 = np.sum(p2 * p2, axis=-1)
    sin = np.sum(np.cross(p2, p1) * u, axis=-1)
    cos = np.sum(p1 * p2, axis=-1)
    with np.errstate(invalid="ignore"):
        angle = np.degrees(np.arctan2(sin, cos))
    angle = np.where(angle == -180.0, 180.0, angle)
    scale_sq = np.maximum(np.sum(d1 * d1, axis=-1), np.sum(d2 * d2, axis=-1))
    degenerate = ~((n1 > 1e-12 * scale_sq) & (n2 > 1e-12 * scale_sq))
    return _nan_where(angle, degenerate)


def angular_speed(values: ArrayLike, timestamps_ms: ArrayLike) -> FloatArray:
    """Per-second rate of change of a series ``values`` (T, ...) sampled at ``timestamps_ms`` (T,).

    Backward difference (causal, as a live run sees it): out[i] = (v[i] - v[i-1]) /
    (t[i] - t[i-1]) * 1000. out[0] is NaN; so is any step where either value is NaN or the
    timestamps do not increase. A NaN only affects the two steps that touch it.
    Despite the name it works for any unit (deg → deg/s, body → body/s).
    """
    v = _f(values)
    t = _f(timestamps_ms)
    if t.ndim != 1 or v.shape[:1] != t.shape:
        raise ValueError(
            f"values must have shape (T, ...) matching timestamps_ms (T,), "
            f"got {v.shape} and {t.shape}"
        )
    out = np.full(v.shape, np.nan, dtype=np.float64)
    if len(t) < 2:
        return out
    dt_s = (t[1:] - t[:-1]) / 1000.0
    dt_s = np.where(dt_s > 0, dt_s, np.nan).reshape((-1,) + (1,) * (v.ndim - 1))
    with np.errstate(invalid="ignore"):
        out[1:] = (v[1:] - v[:-1]) / dt_s
    return out
