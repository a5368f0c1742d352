"""Stateful measures derived from another measure over time: speed, rolling statistics,
change since the step began, oscillation amplitude and period."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from typing import Any


from coach.pose import PoseFrame
from coach.measures.base import BaseMeasure, ParamSpec, StartMean
from coach.measures.points import NAN, MeasureError


# --------------------------------------------------------------------------------------
# Derived (stateful) measures
# --------------------------------------------------------------------------------------


class _Derived(BaseMeasure):
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
        "max_abs": ParamSpec(
            "number", False, None, None,
            "values farther than this from 0 are left out: readings the posture makes "
            "impossible (a kneeling thigh more than 90 deg from vertical)", low=0.0,
        ),
    }

    def __init__(self, name: str, params: dict[str, Any], side: str | None,
                 source_unit: str | None = None) -> None:
        super().__init__(name, params, side, source_unit)
        self.stat = params["stat"]
        self.window_ms = params["window_s"] * 1000.0
        self.max_abs = math.inf if params["max_abs"] is None else float(params["max_abs"])
        self._hist: deque[tuple[float, float]] = deque()

    def reset(self) -> None:
        self._hist.clear()

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        v = values.get(self.of, NAN)
        t = frame.timestamp_ms
        hist = self._hist
        stat = self.stat
        if v is not None and abs(v) <= self.max_abs and (not hist or t > hist[-1][0]):   # (NaN: False)
            # max / min: only the samples no later one beats are kept (a 20 s window holds
            # hundreds), so the first is the window's max (min), the first one of equals as
            # max() gives it; the last is still the latest sample
            if stat == "max":
                while hist and hist[-1][1] < v:
                    hist.pop()
            elif stat == "min":
                while hist and hist[-1][1] > v:
                    hist.pop()
            hist.append((t, v))
        cutoff = t - self.window_ms
        while hist and hist[0][0] <= cutoff:
            hist.popleft()
        if not hist:
            return NAN
        if stat != "median":
            return hist[0][1]
        vals = [x for _t, x in hist]   # a few dozen values: plain Python is fastest here
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
        "share_start": ParamSpec(
            "bool", False, False, None,
            "the baseline is the first step's that reads it, kept by the later steps (the "
            "other side's step begins while the person is still coming back from the first)",
        ),
        "start_in_setup": ParamSpec(
            "bool", False, False, None,
            "with share_start: the baseline is learnt in the set-up's steady start position "
            "(when that position is the measure's zero, e.g. lying level before the knees go "
            "down), else in the first step that reads it",
        ),
    }

    @staticmethod
    def check(measure: str, params: dict[str, Any]) -> None:
        if params.get("start_in_setup") and not params.get("share_start"):
            raise MeasureError("start_in_setup: needs share_start: true (the start learnt in the set-up is "
                               "the one the steps share)", param="start_in_setup", measure=measure)

    def __init__(self, name: str, params: dict[str, Any], side: str | None,
                 source_unit: str | None = None) -> None:
        super().__init__(name, params, side, source_unit)
        self.shares_start = bool(params["share_start"])
        self.start_in_setup = self.shares_start and bool(params["start_in_setup"])
        self._start = StartMean(params["baseline_s"] * 1000.0)

    def share(self, holder: dict) -> None:
        """With ``share_start``: read the baseline from ``holder`` once an earlier step has
        learnt it, and leave this one's there when it is the first."""
        if self.shares_start:
            self._start.holder = holder

    def reset(self) -> None:
        self._start.reset()

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        v = values.get(self.of, NAN)
        if v is None or v != v:
            return NAN
        return v - self._start.feed(frame.timestamp_ms, (v,))[0]


class _Oscillation(BaseMeasure):
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
