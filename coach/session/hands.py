"""Answering the symptom question with a raised hand, for a person on the floor who cannot
reach the keyboard: "if yes, raise a hand toward the ceiling and hold it there for 2 s".

    raise_ = HandRaise(HandRaiseConfig())
    raise_.reset()                 # when the question is asked
    if raise_.update(frame):       # every frame after it: True once the hand was up 2 s
        ...                        # = yes
    raise_.held_s                  # how long the hand has been up (for the screen)

A hand counts as raised when a wrist the model sees (visibility >= ``min_visibility``)
is above the highest of the nose and the ears by ``above_head_torso`` torso lengths in
the picture (image up; the torso is shoulder middle to hip middle, so the margin scales
with the person's size and distance), and is not next to a knee. Checked on the sample
recordings of all seven exercises (see tests/test_hands.py):

- a person lying on their back who lifts an arm toward the ceiling has the wrist about
  0.9 torso lengths above the nose; an arm at 45 degrees about 0.6;
- hands hugging the knees (knee to chest) rise up to 0.75 above the head, but stay within
  half a torso length of a knee; a hand resting on the floor behind a person lying on
  their side of the camera reaches 0.4 (the floor farther away is higher in the picture):
  the default margin is 0.5;
- hanging from a bar has both hands 0.4-0.8 torso lengths above the head for the whole
  hold: a raise only counts once the hands were seen down (no wrist more than
  ``lowered_torso`` above the head, or at a knee) after the question was asked
  (``armed``), so someone still on the bar when the question comes is not taken for a yes.

Time is the frames' timestamps; a raise survives a gap of up to ``gap_s`` (a flicker of
the wrist's visibility) but not more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coach.errors import CoachError
from coach.pose import PoseFrame
from coach.pose import Landmark as L

HEAD = (L.NOSE, L.LEFT_EAR, L.RIGHT_EAR)
WRISTS = (L.LEFT_WRIST, L.RIGHT_WRIST)
KNEES = (L.LEFT_KNEE, L.RIGHT_KNEE)


@dataclass(frozen=True)
class HandRaiseConfig:
    hold_s: float = 2.0              # the hand up this long (frame time) = yes
    above_head_torso: float = 0.5    # raised: a wrist above the nose / ears by this many torso lengths ...
    clear_of_knees_torso: float = 0.5  # ... and at least this far from both knees
    lowered_torso: float = 0.2       # down: no wrist higher than this above the head (or it is at a knee)
    min_visibility: float = 0.5
    gap_s: float = 0.3               # a raise survives the hand missing this long

    def __post_init__(self) -> None:
        checks = {"hold_s": (0.2, 30.0), "above_head_torso": (0.0, 3.0), "clear_of_knees_torso": (0.0, 3.0),
                  "lowered_torso": (-3.0, 3.0), "min_visibility": (0.0, 1.0), "gap_s": (0.0, 5.0)}
        for name, (lo, hi) in checks.items():
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and lo <= v <= hi):
                raise CoachError(f"hand raise: {name} must be a number in [{lo}, {hi}], got {v!r}")
        if self.lowered_torso >= self.above_head_torso:
            raise CoachError(f"hand raise: lowered_torso ({self.lowered_torso}) must be below "
                             f"above_head_torso ({self.above_head_torso})")


def hand_position(frame: PoseFrame, config: HandRaiseConfig = HandRaiseConfig()) -> str | None:
    """"raised" when a hand is held above the head, "lowered" when every hand the model
    sees is down (or at a knee), "between" otherwise; None when there is no person, no
    torso to measure by or no hand in view."""
    if not frame.detected or frame.image_wh[0] <= 0 or frame.image_wh[1] <= 0:
        return None
    xy = frame.xy_px
    vis = np.nan_to_num(frame.visibility, nan=0.0)
    shoulders = (xy[L.LEFT_SHOULDER] + xy[L.RIGHT_SHOULDER]) / 2.0
    hips = (xy[L.LEFT_HIP] + xy[L.RIGHT_HIP]) / 2.0
    torso_px = float(np.linalg.norm(shoulders - hips))
    head_y = xy[list(HEAD), 1]
    if not math.isfinite(torso_px) or torso_px < 1.0 or not np.isfinite(head_y).any():
        return None
    top_y = float(np.nanmin(head_y))  # the highest of nose and ears (image y grows downwards)
    knees = xy[list(KNEES)]
    seen = 0
    down = 0
    for w in WRISTS:
        if vis[w] < config.min_visibility or not np.isfinite(xy[w]).all():
            continue
        seen += 1
        above = (top_y - xy[w, 1]) / torso_px
        dist = np.linalg.norm(knees - xy[w], axis=1)
        at_knee = bool(np.isfinite(dist).any() and np.nanmin(dist) / torso_px < config.clear_of_knees_torso)
        if above >= config.above_head_torso and not at_knee:
            return "raised"
        if above < config.lowered_torso or at_knee:
            down += 1
    if not seen:
        return None
    return "lowered" if down == seen else "between"


class HandRaise:
    """A hand held up for ``hold_s`` of frame time, after the hands were seen down (see
    the module doc). State only: ``update`` returns True once, when the raise counts."""

    def __init__(self, config: HandRaiseConfig | None = None) -> None:
        self.config = config or HandRaiseConfig()
        self.reset()

    def reset(self) -> None:
        """A new question: the hands must be seen down before a raise counts."""
        self.armed = False
        self.raised_since_ms: float | None = None
        self.last_raised_ms: float | None = None
        self.held_s = 0.0
        self.answered = False

    def update(self, frame: PoseFrame) -> bool:
        if self.answered:
            return False
        t = float(frame.timestamp_ms)
        position = hand_position(frame, self.config)
        if position == "raised" and self.armed:
            if self.raised_since_ms is None:
                self.raised_since_ms = t
            self.last_raised_ms = t
            self.held_s = (t - self.raised_since_ms) / 1000.0
            if self.held_s >= self.config.hold_s - 1e-9:
                self.answered = True
                return True
            return False
        if position == "lowered":
            self.armed = True
        if self.last_raised_ms is None or t - self.last_raised_ms > self.config.gap_s * 1000.0:
            self.raised_since_ms = None
            self.last_raised_ms = None
            self.held_s = 0.0
        return False
