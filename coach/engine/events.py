"""What the engine (and the session around it) tells the world: one ``Event`` per cue, phase,
hold, rep, side or exercise change, as plain data that serialises to one JSON line."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

EVENT_KINDS = ("cue", "praise", "phase", "rep", "hold", "side", "exercise", "cant_see",
               "fault", "fault_cleared", "camera")


@dataclass(slots=True)
class Event:
    timestamp_ms: float
    kind: str
    exercise_id: str
    side: str | None = None
    rule_id: str | None = None
    severity: str | None = None
    text: dict[str, str] | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str) -> str:
        return (self.text or {}).get(lang, "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "timestamp_ms": self.timestamp_ms, "kind": self.kind, "exercise_id": self.exercise_id,
            "side": self.side, "rule_id": self.rule_id, "severity": self.severity,
            "text": dict(self.text) if self.text else None, "data": jsonable(self.data),
        }


def jsonable(obj: Any, ndigits: int | None = 4) -> Any:
    """``obj`` as plain JSON data: mappings with text keys, tuples as lists, numpy scalars
    as Python ones, NaN and infinities as None, floats rounded to ``ndigits`` (None: as they are)."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v, ndigits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v, ndigits) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        if math.isnan(obj) or math.isinf(obj):
            return None
        return obj if ndigits is None else round(obj, ndigits)
    return obj
