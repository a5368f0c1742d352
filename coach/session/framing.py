"""The "can I see you?" check before an exercise: which body parts the exercise's measures
need, and which of them the camera does not see in a frame ("I can't see your feet")."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from coach.measures import build_measure
from coach.pose import VIS, X, Y, Landmark as L, PoseFrame

# Body-part groups, in the order they are named when missing.
PART_GROUPS: dict[str, tuple[L, ...]] = {
    "feet": (L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX),
    "knees": (L.LEFT_KNEE, L.RIGHT_KNEE),
    "head": (L.NOSE, L.LEFT_EYE_INNER, L.LEFT_EYE, L.LEFT_EYE_OUTER, L.RIGHT_EYE_INNER, L.RIGHT_EYE,
             L.RIGHT_EYE_OUTER, L.LEFT_EAR, L.RIGHT_EAR, L.MOUTH_LEFT, L.MOUTH_RIGHT),
    "hands": (L.LEFT_WRIST, L.RIGHT_WRIST, L.LEFT_PINKY, L.RIGHT_PINKY, L.LEFT_INDEX, L.RIGHT_INDEX,
              L.LEFT_THUMB, L.RIGHT_THUMB),
    "hips": (L.LEFT_HIP, L.RIGHT_HIP),
    "shoulders": (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    "elbows": (L.LEFT_ELBOW, L.RIGHT_ELBOW),
}
# What is needed when the spec's measures name no landmark: the trunk.
DEFAULT_NEEDED: tuple[L, ...] = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)


def needed_landmarks(spec) -> tuple[int, ...]:
    """Landmark indices the spec's measures read (both sides of a two-sided exercise)."""
    out: set[int] = set()
    units = dict(getattr(spec, "measure_units", {}) or {})
    for side in (tuple(spec.sides) or (None,)):
        for name in spec.measure_order:
            try:
                m = build_measure(name, spec.measures[name], side, source_units=units)
            except Exception:  # a measure that needs something else: not a framing matter
                continue
            out.update(int(i) for i in (getattr(m, "landmarks", ()) or ()))
    return tuple(sorted(out)) or DEFAULT_NEEDED


def missing_parts(frame: PoseFrame, needed: Iterable[int], min_visibility: float = 0.5,
                  edge_margin: float = 0.02) -> list[str] | None:
    """Body-part groups with none of their needed landmarks in view (visible and inside
    the picture), in PART_GROUPS order; None when there is no person at all."""
    if not frame.detected:
        return None
    lm = frame.landmarks
    needed = set(needed)
    lo, hi = -edge_margin, 1.0 + edge_margin
    out = []
    for group, idxs in PART_GROUPS.items():
        want = [i for i in idxs if i in needed]
        if not want:
            continue
        rows = lm[want]
        ok = (np.nan_to_num(rows[:, VIS], nan=0.0) >= min_visibility) \
            & (rows[:, X] >= lo) & (rows[:, X] <= hi) & (rows[:, Y] >= lo) & (rows[:, Y] <= hi)
        if not ok.any():
            out.append(group)
    return out
