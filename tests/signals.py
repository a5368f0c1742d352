"""A stand-in measure for engine tests: its value is one landmark's x, so a test sets the
exact value per frame (NaN -> the point is not seen) and derives the expected events by hand.

    engine = ExerciseEngine(spec, factory=factory)
    engine.update(frame(t_ms, s0=12.0))          # measure with ``lm: 0`` reads 12.0

A measure's ``lm`` may be one landmark index or one per side (``{right: 0, left: 1}``).
"""

from __future__ import annotations

import numpy as np

from coach.measures.points import PointRef
from coach.pose import N_LANDMARKS, PoseFrame


class SignalMeasure:
    """Value = landmark ``lm``'s x of the frame (NaN -> can't see); its point is landmark
    ``lm`` (its visibility counts for the evidence gate)."""

    def __init__(self, name: str, spec: dict, side: str | None) -> None:
        self.name = name
        self.unit = spec.get("unit", "deg")
        lm = spec["lm"]
        if isinstance(lm, dict):  # per side
            lm = lm[side]
        self.lm = int(lm)
        self.refs = (PointRef(f"lm{self.lm}", "landmark", (self.lm,)),)
        self.landmarks = (self.lm,)
        self.depends_on = ()

    def update(self, frame: PoseFrame, values) -> float:
        return float(frame.landmarks[self.lm, 0])

    def reset(self) -> None:
        pass


def factory(name, spec, side):
    return SignalMeasure(name, spec, side)


def frame(t_ms: float, vis: dict[int, float] | None = None, **signals: float) -> PoseFrame:
    """A frame whose landmark i's x = signals['s<i>'] (others 0, all visible; NaN unseen);
    ``vis``: landmark index -> its visibility."""
    lm = np.zeros((N_LANDMARKS, 5))
    lm[:, 3] = 1.0
    lm[:, 4] = 1.0
    for key, v in signals.items():
        i = int(key[1:])
        lm[i, 0] = v
        if v != v:
            lm[i, 3] = 0.0
    for i, v in (vis or {}).items():
        lm[i, 3] = v
    return PoseFrame(timestamp_ms=t_ms, landmarks=lm, image_wh=(640, 480))


TXT = "{nb: 'nb {x}', en: 'en {x}'}"


def t(x: str) -> str:
    """A bilingual text for a demo spec: ``{nb: 'nb X', en: 'en X'}``."""
    return TXT.replace("{x}", x)
