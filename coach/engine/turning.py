"""Reps from the person's own movement: direction changes with hysteresis.

A fixed pair of thresholds ("the neck below -25 deg is a cat") counts a rep only for people
whose range happens to cross them: a shallow cat from a camera on the floor never does, a
deep one from a desk camera always does. This counter instead follows the signal itself:

- it tracks the current extreme since the last direction change;
- a direction change is confirmed once the signal has come back from that extreme by the
  hysteresis ``h = max(min_amplitude, range_fraction x the person's typical excursion)``;
  the typical excursion is the median of the last ``memory`` accepted ones (fewer seen
  yet: only ``min_amplitude``), so a wobble in the middle of a big movement is not a turn;
- a rep is one excursion into the rep's direction and back: it is counted when the turn at
  the far end ("down" reps: the bottom) is confirmed, if that excursion was at least
  ``min_amplitude`` (from the article: what counts as doing the movement at all);
- before the first turn the signal has no direction yet: it gets one once its range since
  the start (highest minus lowest) reaches ``min_amplitude``, heading away from the extreme
  it left (a person who starts mid-range is followed from wherever they go first);
- each turn also says how long the signal stayed near its extreme (within a quarter of the
  excursion, at least half the minimum amplitude), from coming into that band to leaving
  it: the "hold at the end" of a rep;
- ``stale_s`` after the last confirmed turn with none since, the typical excursion is
  forgotten (back to ``min_amplitude``): a tracking jump at the start (the pose model's
  first guesses) can fill the memory with excursions no person makes, and a hysteresis
  scaled to them would never let another turn be confirmed to correct it.

Values are in the measure's unit (degrees for angles). Time is the frame's timestamp.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Turn:
    """A confirmed direction change: the extreme's time and value, its kind ("max"/"min"),
    the excursion that ended there (value change since the previous turn), and whether it
    completed a rep."""

    t_ms: float
    value: float
    kind: str
    excursion: float
    rep: bool
    confirmed_ms: float = math.nan   # when the turn was confirmed (the signal left the band)
    near_s: float = 0.0              # how long it stayed near the extreme (the hold at the end)


class TurningPoints:
    """Counts reps of a movement from the direction changes of one signal."""

    def __init__(self, direction: str, min_amplitude: float, range_fraction: float = 0.35,
                 memory: int = 3, stale_s: float = 15.0) -> None:
        if direction not in ("up", "down"):
            raise ValueError(f"direction must be 'up' or 'down', got {direction!r}")
        if not min_amplitude > 0:
            raise ValueError(f"min_amplitude must be > 0, got {min_amplitude}")
        if not 0.0 <= range_fraction < 1.0:
            raise ValueError(f"range_fraction must be in [0, 1), got {range_fraction}")
        self.direction = direction
        self.min_amplitude = float(min_amplitude)
        self.range_fraction = float(range_fraction)
        self.stale_ms = float(stale_s) * 1000.0
        self._excursions: deque[float] = deque(maxlen=max(1, int(memory)))
        self.reset()

    def reset(self) -> None:
        self._trend: str | None = None        # "up" | "down": where the signal is heading
        self._ext_v = math.nan                # the extreme since the last turn
        self._ext_t = math.nan
        self._last_turn_v = math.nan          # value at the last confirmed turn
        self._lo = self._hi = math.nan        # range since the start (before the first direction)
        self._lo_t = self._hi_t = math.nan
        self._since: list[tuple[float, float]] = []   # (t, value) since the last turn
        self._turn_ms = math.nan                # when the last turn was confirmed
        self.reps = 0
        self.last_rep_ms: float | None = None
        self._excursions.clear()

    @property
    def hysteresis(self) -> float:
        # the person's typical excursion is known once ``memory`` of them were seen (one
        # tracking jump at the start must not set the scale for every rep after it)
        if len(self._excursions) < (self._excursions.maxlen or 1):
            return self.min_amplitude
        typical = sorted(self._excursions)[len(self._excursions) // 2]
        return max(self.min_amplitude, self.range_fraction * typical)

    @property
    def extreme(self) -> float:
        """The extreme since the last turn (where the signal got to on its way)."""
        return self._ext_v

    @property
    def travel(self) -> float:
        """How far the signal has come since its last turn (or the start it left): 0 before
        it has a direction."""
        if self._trend is None:
            return 0.0
        return abs(self._ext_v - self._last_turn_v)

    @property
    def heading(self) -> str | None:
        """Where the signal is heading now ("up"/"down"; None before it has moved)."""
        return self._trend

    def update(self, t_ms: float, value: float) -> Turn | None:
        """Feed one value (NaN is skipped); returns the turn it confirmed, if any."""
        if value != value:
            return None
        if self._ext_v != self._ext_v:      # first value
            self._ext_v, self._ext_t = value, t_ms
            self._last_turn_v = value
            self._lo = self._hi = value
            self._lo_t = self._hi_t = t_ms
            self._since = [(t_ms, value)]
            return None
        self._since.append((t_ms, value))
        if len(self._since) > 20000:       # a very long stall: the oldest values say nothing more
            del self._since[:10000]
        if self._trend is None:
            # not moving yet: wait until the range since the start reaches min_amplitude,
            # then head away from the extreme the signal left (that extreme is the start)
            if value < self._lo:
                self._lo, self._lo_t = value, t_ms
            if value > self._hi:
                self._hi, self._hi_t = value, t_ms
            if self._hi - self._lo >= self.min_amplitude:
                up = self._hi_t >= self._lo_t       # the latest extreme is the top: heading up
                self._trend = "up" if up else "down"
                self._last_turn_v = self._lo if up else self._hi
                start_t = self._lo_t if up else self._hi_t
                self._since = [(t, v) for t, v in self._since if t >= start_t]
                self._ext_v, self._ext_t = value, t_ms
            return None
        if (self._trend == "up" and value >= self._ext_v) or (self._trend == "down" and value <= self._ext_v):
            self._ext_v, self._ext_t = value, t_ms   # still going: a new extreme
            return None
        if self._excursions and t_ms - self._turn_ms > self.stale_ms:
            self._excursions.clear()        # no turn for stale_s: the scale was wrong or is old
        h = self.hysteresis
        if abs(value - self._ext_v) < h:
            return None
        # confirmed: the extreme was a turning point
        kind = "max" if self._trend == "up" else "min"
        excursion = abs(self._ext_v - self._last_turn_v)
        rep = False
        if excursion >= self.min_amplitude:
            self._excursions.append(excursion)
            far_end = "min" if self.direction == "down" else "max"
            if kind == far_end:
                rep = True
                self.reps += 1
                self.last_rep_ms = self._ext_t
        # near the extreme: within ``band`` of it (a quarter of this excursion, at least half
        # the minimum amplitude, i.e. the noise the minimum was set above), from the first
        # value of the unbroken run before the extreme to the first value out of it after
        band = max(self.range_fraction * excursion, 0.5 * self.min_amplitude)
        entered = left = self._ext_t
        for t, v in reversed(self._since):
            if t > self._ext_t:
                continue
            if abs(v - self._ext_v) > band:
                break
            entered = t
        for t, v in self._since:
            if t <= self._ext_t:
                continue
            left = t
            if abs(v - self._ext_v) > band:
                break
        turn = Turn(self._ext_t, self._ext_v, kind, excursion, rep, confirmed_ms=t_ms,
                    near_s=max(0.0, (left - entered) / 1000.0))
        self._since = [(t, v) for t, v in self._since if t >= self._ext_t]
        self._last_turn_v = self._ext_v
        self._turn_ms = t_ms
        self._trend = "down" if self._trend == "up" else "up"
        self._ext_v, self._ext_t = value, t_ms
        return turn
