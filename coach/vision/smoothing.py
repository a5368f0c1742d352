"""Temporal smoothing of landmarks: a visibility-aware One Euro filter.

The MediaPipe Tasks API does no smoothing (the legacy graph did), so raw landmarks jitter.
``OneEuroFilter`` smooths an array of rows (one row per landmark, e.g. (33, 3)) over time;
``PoseSmoother`` applies one to image landmarks and one to world landmarks of each
PoseFrame.

Time comes from the frames' capture timestamps (ms), never from the wall clock.

Parameters: the legacy MediaPipe pose graph used min_cutoff 0.1 Hz, beta 40, d_cutoff 1 Hz,
with the speed term measured in *object sizes per second* (it filtered pixels with
``value_scale = 1 / object_scale``, object_scale = mean of the landmark bounding box's
width and height). ``PoseSmoother`` does the same (filters pixels, speed scaled by the
body's bounding-box size), so the numbers hold for any resolution and distance from the
camera; frame rate only enters through dt. Defaults here are min_cutoff 0.1, **beta 10**,
d_cutoff 1.0: the back exercises are slow, so steadier numbers matter more than the last
20 ms of latency. Simulated (300 px body, Gaussian jitter sigma 1-3 px, a 0.2 body/s lean
and return; tests/test_smoothing.py re-checks the bounds):

    beta  fps  residual jitter (std/sigma)  lag while moving
    40    10   0.48-0.70                    10-15 ms
    40    30   0.42-0.61                    14 ms
    10    10   0.26-0.42                    44-49 ms
    10    30   0.25-0.38                    37 ms

World landmarks (metres; a body is ~1 m across) use the speed in m/s unscaled, as the
legacy graph did, with the same defaults.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coach.errors import CoachError
from coach.pose import VIS, PoseFrame, X, Z

FloatArray = NDArray[np.float64]

__all__ = ["SmoothingError", "OneEuroFilter", "SmootherConfig", "PoseSmoother"]

_TWO_PI = 2.0 * math.pi
_ONE = np.array(1.0)   # (a 0-d array operand costs a ufunc less than a Python float: same float64 sums)


class SmoothingError(CoachError):
    """A smoothing parameter out of range."""


def _check_number(name: str, value: Any, low: float, high: float, *, low_open: bool) -> float:
    ok_type = isinstance(value, (int, float)) and not isinstance(value, bool)
    v = float(value) if ok_type else math.nan
    in_range = (v > low if low_open else v >= low) and v <= high
    if not ok_type or not in_range:
        bracket = "(" if low_open else "["
        raise SmoothingError(
            f"{name}: out of range (expected a number in {bracket}{low:g}, {high:g}], "
            f"got {value!r})"
        )
    return v


def _finite_step(
    diff: FloatArray, t: float, xh: FloatArray, dx_prev: FloatArray, last_reliable_ms: FloatArray, t_prev: float,
    rel: NDArray[np.bool_] | None, speed_gain: float | FloatArray, min_cutoff: float | FloatArray, d_cutoff: float,
    hold_ms: float,
) -> tuple[FloatArray, FloatArray]:
    """One One Euro step of finite rows (``OneEuroFilter._update_finite``) from ``diff`` =
    input - ``xh`` (a new array, used up): the new output and derivative (new arrays);
    ``last_reliable_ms`` is updated in place. ``speed_gain`` is value_scale x beta, a number
    or an array of ``diff``'s shape (one value per row, repeated across its columns)."""
    dt_s = (t - t_prev) / 1000.0
    a_d = 1.0 / (1.0 + 1.0 / (_TWO_PI * d_cutoff * dt_s))
    dx_hat = diff / dt_s
    dx_hat -= dx_prev
    dx_hat *= a_d
    dx_hat += dx_prev
    cutoff = np.abs(dx_hat)
    cutoff *= speed_gain
    cutoff += min_cutoff
    # (np.count_nonzero: a quarter of the cost of .all() / .any() on these small arrays)
    all_rel = rel is None or np.count_nonzero(rel) == rel.size
    unrel = None
    if not all_rel:
        assert rel is not None
        unrel = ~rel
        np.copyto(cutoff, min_cutoff, where=unrel[:, None])   # (copyto: a third of a masked assignment's cost)
    a = cutoff  # alpha = 1 / (1 + 1 / (2 pi cutoff dt))
    a *= _TWO_PI * dt_s
    np.reciprocal(a, out=a)
    a += _ONE
    np.reciprocal(a, out=a)
    diff *= a
    x_hat = diff
    x_hat += xh
    if all_rel:
        last_reliable_ms.fill(t)
    else:
        assert rel is not None and unrel is not None
        held = unrel & ((t - last_reliable_ms) <= hold_ms)
        if np.count_nonzero(held):
            rows = held[:, None]
            np.copyto(x_hat, xh, where=rows)
            np.copyto(dx_hat, dx_prev, where=rows)
        last_reliable_ms[rel] = t
    return x_hat, dx_hat


class OneEuroFilter:
    """One Euro filter (Casiez et al. 2012) over an array of rows, vectorised.

    ``update(x, timestamp_ms, reliable=...)`` smooths ``x`` of shape (rows, k).
    - dt comes from the timestamps; a repeated or earlier timestamp returns the previous
      output without touching the state (no division by zero).
    - a gap longer than ``max_gap_ms`` (or the first call) restarts every row at its input.
    - a row whose input has a NaN restarts: output NaN, the next finite input starts afresh.
    - a row marked not ``reliable`` (e.g. low visibility) holds its last output for up to
      ``hold_ms`` since it was last reliable, then follows its input at the slowest cutoff
      (``min_cutoff``, no speed-up), so a guessed landmark drifts instead of jumping.
    - ``value_scale`` multiplies the speed term (1 / object size: speed in sizes per second).
    """

    def __init__(
        self,
        min_cutoff: float = 0.1,
        beta: float = 10.0,
        d_cutoff: float = 1.0,
        *,
        hold_ms: float = 300.0,
        max_gap_ms: float = 500.0,
    ) -> None:
        self.min_cutoff = _check_number("min_cutoff", min_cutoff, 0.0, 1000.0, low_open=True)
        self.beta = _check_number("beta", beta, 0.0, 1e6, low_open=False)
        self.d_cutoff = _check_number("d_cutoff", d_cutoff, 0.0, 1000.0, low_open=True)
        self.hold_ms = _check_number("hold_ms", hold_ms, 0.0, 60_000.0, low_open=False)
        self.max_gap_ms = _check_number("max_gap_ms", max_gap_ms, 0.0, 3_600_000.0, low_open=True)
        self.reset()

    def reset(self) -> None:
        """Forget all history."""
        self._x_hat: FloatArray | None = None
        self._dx_hat: FloatArray | None = None
        self._t_ms: float | None = None
        self._last_reliable_ms: FloatArray | None = None

    @staticmethod
    def _alpha(cutoff: FloatArray | float, dt_s: float) -> FloatArray | float:
        # alpha = 1 / (1 + tau / dt), tau = 1 / (2 pi cutoff)
        return 1.0 / (1.0 + 1.0 / (_TWO_PI * cutoff * dt_s))

    def update(
        self,
        x: FloatArray,
        timestamp_ms: float,
        *,
        reliable: NDArray[np.bool_] | None = None,
        value_scale: float = 1.0,
    ) -> FloatArray:
        """Filter one sample ``x`` (rows, k) taken at ``timestamp_ms``; returns a new array."""
        x = np.asarray(x, dtype=np.float64)
        t = float(timestamp_ms)
        if self.fast_path(x, t):
            assert self._x_hat is not None
            return self._update_finite(x, t, self._x_hat, reliable, value_scale)
        return self._update_general(x, t, reliable, value_scale)

    def _update_finite(
        self, x: FloatArray, t: float, xh: FloatArray, reliable: NDArray[np.bool_] | None, value_scale: float
    ) -> FloatArray:
        """The common case (no NaN in the input or the state), in place: same results as
        ``_update_general`` with about a third of the numpy calls."""
        assert self._t_ms is not None and self._dx_hat is not None and self._last_reliable_ms is not None
        rel = None if reliable is None else np.asarray(reliable, dtype=bool)
        x_hat, dx_hat = _finite_step(x - xh, t, xh, self._dx_hat, self._last_reliable_ms, self._t_ms, rel,
                                     value_scale * self.beta, self.min_cutoff, self.d_cutoff, self.hold_ms)
        self._x_hat = x_hat
        self._dx_hat = dx_hat
        self._t_ms = t
        return x_hat.copy()

    def fast_path(self, x: FloatArray, t: float) -> bool:
        """Would ``update(x, t)`` take the common, finite case (``_update_finite``)?"""
        xh = self._x_hat
        return (
            x.ndim == 2 and xh is not None and xh.shape == x.shape and self._t_ms is not None
            and 0.0 < t - self._t_ms <= self.max_gap_ms
            and math.isfinite(float(x.sum())) and math.isfinite(float(xh.sum()))
        )

    def _update_general(
        self, x: FloatArray, t: float, reliable: NDArray[np.bool_] | None, value_scale: float
    ) -> FloatArray:
        if x.ndim == 1:
            x = x[:, None]
        finite = np.asarray(np.isfinite(x).all(axis=1), dtype=bool)
        rel: NDArray[np.bool_] = (
            finite if reliable is None else np.asarray(reliable, dtype=bool) & finite
        )

        if (
            self._x_hat is None
            or self._x_hat.shape != x.shape
            or self._t_ms is None
            or not math.isfinite(t)
            or t - self._t_ms > self.max_gap_ms
        ):
            return self._restart(x, t, rel)

        dt_ms = t - self._t_ms
        if dt_ms <= 0.0:
            # Repeated or earlier timestamp: no new information about time; hold.
            out = self._x_hat.copy()
            fresh = np.isnan(out).any(axis=1) & finite
            out[fresh] = x[fresh]
            return out

        dt_s = dt_ms / 1000.0
        x_prev = self._x_hat
        dx_prev = self._dx_hat
        assert dx_prev is not None and self._last_reliable_ms is not None

        # Rows starting afresh (no state) take their input as is.
        new = np.asarray(np.isnan(x_prev).any(axis=1), dtype=bool)
        x_prev_f = np.where(new[:, None], x, x_prev)

        dx = (x - x_prev_f) / dt_s
        a_d = self._alpha(self.d_cutoff, dt_s)
        dx_hat = dx_prev + a_d * (dx - dx_prev)
        speed = np.abs(dx_hat) * value_scale
        cutoff = self.min_cutoff + self.beta * speed
        # unreliable rows: slowest cutoff, no speed-up
        cutoff = np.where(rel[:, None], cutoff, self.min_cutoff)
        a = self._alpha(cutoff, dt_s)
        x_hat = x_prev_f + a * (x - x_prev_f)

        held = (~rel) & ((t - self._last_reliable_ms) <= self.hold_ms) & ~new
        if held.any():
            x_hat[held] = x_prev[held]
            dx_hat[held] = dx_prev[held]
        # NaN input: that row restarts
        x_hat[~finite] = np.nan
        dx_hat[~finite] = 0.0
        dx_hat[new & finite] = 0.0

        self._x_hat = x_hat
        self._dx_hat = dx_hat
        self._t_ms = t
        self._last_reliable_ms = np.where(rel | (new & finite), t, self._last_reliable_ms)
        return x_hat.copy()

    def _restart(self, x: FloatArray, t: float, rel: NDArray[np.bool_]) -> FloatArray:
        self._x_hat = x.copy()
        self._dx_hat = np.zeros_like(x)
        self._t_ms = t if math.isfinite(t) else None
        self._last_reliable_ms = np.full(x.shape[0], t if math.isfinite(t) else -math.inf)
        return x.copy()


@dataclass(frozen=True)
class SmootherConfig:
    """Parameters of PoseSmoother (validated; see OneEuroFilter for their meaning).

    min_visibility: landmarks below it are "unreliable" (held, then slow).
    enabled: False passes frames through untouched.
    """

    min_cutoff: float = 0.1
    beta: float = 10.0
    d_cutoff: float = 1.0
    world_min_cutoff: float = 0.1
    world_beta: float = 10.0
    world_d_cutoff: float = 1.0
    min_visibility: float = 0.5
    hold_ms: float = 300.0
    max_gap_ms: float = 500.0
    enabled: bool = True

    def __post_init__(self) -> None:
        for name in ("min_cutoff", "d_cutoff", "world_min_cutoff", "world_d_cutoff"):
            _check_number(name, getattr(self, name), 0.0, 1000.0, low_open=True)
        for name in ("beta", "world_beta"):
            _check_number(name, getattr(self, name), 0.0, 1e6, low_open=False)
        _check_number("min_visibility", self.min_visibility, 0.0, 1.0, low_open=False)
        _check_number("hold_ms", self.hold_ms, 0.0, 60_000.0, low_open=False)
        _check_number("max_gap_ms", self.max_gap_ms, 0.0, 3_600_000.0, low_open=True)
        if not isinstance(self.enabled, bool):
            raise SmoothingError(f"enabled: wrong type (expected true or false, got {self.enabled!r})")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> SmootherConfig:
        """Build from a parsed YAML mapping; unknown keys fail with the allowed names."""
        data = dict(data or {})
        allowed = [f.name for f in fields(cls)]
        for key in data:
            if key not in allowed:
                raise SmoothingError(f"{key}: unknown smoothing setting (expecting one of {allowed})")
        return cls(**data)


class PoseSmoother:
    """Smooths PoseFrames: image x, y, z (in pixels) and world landmarks.

    Visibility, presence, mask, image size and timestamp pass through unchanged.
    A frame with no person resets the filters and passes through.
    """

    def __init__(self, config: SmootherConfig | Mapping[str, Any] | None = None) -> None:
        if config is None:
            config = SmootherConfig()
        elif not isinstance(config, SmootherConfig):
            config = SmootherConfig.from_mapping(config)
        self.config = config
        c = config
        self._image = OneEuroFilter(
            c.min_cutoff, c.beta, c.d_cutoff, hold_ms=c.hold_ms, max_gap_ms=c.max_gap_ms
        )
        self._world = OneEuroFilter(
            c.world_min_cutoff, c.world_beta, c.world_d_cutoff,
            hold_ms=c.hold_ms, max_gap_ms=c.max_gap_ms,
        )
        # Both filters in one step when they share their parameters (the defaults do): the
        # same arithmetic row by row, half the numpy calls. While they go together the state
        # is ``_joint`` (output, derivative, last reliable time: image rows then world rows;
        # and the time), not the filters' own (``_unstack`` gives it back to them).
        self._joinable = (c.min_cutoff, c.beta, c.d_cutoff) == (c.world_min_cutoff, c.world_beta, c.world_d_cutoff)
        self._joint: tuple[FloatArray, FloatArray, FloatArray, float] | None = None
        self._min_cutoff = np.array(c.min_cutoff)   # (0-d: see _ONE)
        self._gain = np.empty((0, 3))
        self._scale_xyz: tuple[tuple[int, int], FloatArray, FloatArray] | None = None

    def reset(self) -> None:
        self._image.reset()
        self._world.reset()
        self._joint = None

    def update(self, frame: PoseFrame) -> PoseFrame:
        """Return a new, smoothed PoseFrame (the input is not modified)."""
        if not self.config.enabled:
            return frame
        lm = frame.landmarks
        if not frame.detected:
            self.reset()
            return frame
        wh = frame.image_wh
        cached = self._scale_xyz
        if cached is not None and cached[0] == wh:
            scale_xyz = cached[1]
        else:
            w, h = wh
            if w <= 0 or h <= 0:
                w, h = 1, 1
            scale_xyz = np.array([w, h, w], dtype=np.float64)
            self._scale_xyz = (wh, scale_xyz, np.array([w, h, w, 1.0, 1.0], dtype=np.float64))
        # x, y, z in pixels: all five columns times (w, h, w, 1, 1) is one contiguous multiply,
        # cheaper than a (33, 3) slice times (w, h, w) and the same numbers
        px = (lm * self._scale_xyz[2])[:, X : Z + 1]
        vis = lm[:, VIS]
        reliable = vis >= self.config.min_visibility
        value_scale = 1.0 / _object_scale(px, reliable)
        t = frame.timestamp_ms
        out_lm = lm.copy()
        both = self._joint_update(px, frame.world, float(t), reliable, value_scale)
        if both is None:
            self._unstack()
            image = self._image.update(px, t, reliable=reliable, value_scale=value_scale)
            out_world = self._world.update(frame.world, t, reliable=reliable)
        else:
            image, out_world = both
        np.divide(image, scale_xyz, out=out_lm[:, X : Z + 1])
        return frame.with_arrays(out_lm, out_world)

    def _joint_update(self, px: FloatArray, world: FloatArray, t: float, reliable: NDArray[np.bool_],
                      value_scale: float) -> tuple[FloatArray, FloatArray] | None:
        """Both filters' common case (``OneEuroFilter._update_finite``) in one step on the
        stacked rows, with the same results row by row; None when either filter would take
        another path (then each updates on its own, from its state: ``_unstack``)."""
        if not self._joinable:
            return None
        world = np.asarray(world, dtype=np.float64)
        joint = self._joint
        if joint is None:   # the filters hold the state: stack it
            img, wld = self._image, self._world
            xi, xw = img._x_hat, wld._x_hat
            if xi is None or xw is None or img._t_ms is None or img._t_ms != wld._t_ms \
                    or px.ndim != 2 or xi.shape != px.shape or xw.shape != world.shape:
                return None
            assert img._dx_hat is not None and img._last_reliable_ms is not None
            assert wld._dx_hat is not None and wld._last_reliable_ms is not None
            joint = (np.concatenate((xi, xw)), np.concatenate((img._dx_hat, wld._dx_hat)),
                     np.concatenate((img._last_reliable_ms, wld._last_reliable_ms)), img._t_ms)
            self._gain = np.full((2 * px.shape[0], px.shape[1]), 1.0 * wld.beta)   # (full shape: no broadcasting)
        elif px.ndim != 2 or 2 * px.shape[0] != joint[0].shape[0] or px.shape[1] != joint[0].shape[1] \
                or world.shape != px.shape:
            self._unstack()
            return None
        xh, t_prev = joint[0], joint[3]
        if not 0.0 < t - t_prev <= self._image.max_gap_ms:
            self._unstack()
            return None
        diff = np.concatenate((px, world))
        diff -= xh
        # finite input and state: a difference is finite only when both terms are (each
        # filter's own test, OneEuroFilter.fast_path, would pass)
        if np.count_nonzero(np.isfinite(diff)) != diff.size:
            self._unstack()
            return None
        n = px.shape[0]
        img = self._image
        gain = self._gain
        gain[:n] = value_scale * img.beta    # (the world rows: 1.0 x beta, unscaled)
        last = joint[2]
        x_hat, dx_hat = _finite_step(diff, t, xh, joint[1], last, t_prev, np.concatenate((reliable, reliable)),
                                     gain, self._min_cutoff, img.d_cutoff, img.hold_ms)
        self._joint = (x_hat, dx_hat, last, t)
        return x_hat[:n], x_hat[n:].copy()

    def _unstack(self) -> None:
        """Give each filter its half of the stacked state (it updates on its own next)."""
        joint = self._joint
        if joint is None:
            return
        self._joint = None
        x_hat, dx_hat, last, t = joint
        n = x_hat.shape[0] // 2
        for f, rows in ((self._image, slice(0, n)), (self._world, slice(n, None))):
            f._x_hat, f._dx_hat, f._last_reliable_ms, f._t_ms = x_hat[rows], dx_hat[rows], last[rows], t

def _object_scale(px: FloatArray, reliable: NDArray[np.bool_]) -> float:
    """Mean of the width and height of the bounding box of the reliable landmarks (px)."""
    pts = px[reliable, :2]
    if pts.shape[0] < 2:
        pts = px[np.isfinite(px[:, :2]).all(axis=1), :2]
    if pts.shape[0] < 2:
        return 1.0
    ends = np.sort(pts, axis=0)   # one call for both ends of both columns (max/min: two each)
    lo, hi = ends[0].tolist(), ends[-1].tolist()
    return max(((hi[0] - lo[0]) + (hi[1] - lo[1])) / 2.0, 1e-6)
