"""What every measure is: its parameters (declared, coerced, range-checked) and the base
class that builds its points and returns NaN for "can't see"."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable


from coach.pose import Landmark, PoseFrame
from coach.measures.points import MeasureError, PointRef, resolve_point, view_of


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


MIN_VIS_PARAM = ParamSpec(
    "number", False, 0.5, None,
    "visibility below which a landmark counts as not seen (result NaN)", low=0.0, high=1.0,
)
NORMALISE_PARAM = ParamSpec(
    "enum", False, "torso", ("torso", "shoulder_width"),
    "body length unit: torso = shoulder-midpoint to hip-midpoint (falls back to shoulder "
    "width when the hips are not seen); shoulder_width = left to right shoulder",
)


def fmt_value(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def coerce_param(measure: str, pname: str, ps: ParamSpec, value: Any, side: str | None) -> Any:
    def fail(what: str, expected: str) -> MeasureError:
        return MeasureError(
            f"{pname}: {what} (expected {expected}, got {fmt_value(value)})", param=pname, measure=measure
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


class BaseMeasure:
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


class StartMean:
    """A measure's start: the mean of its readings (a tuple of floats) over the first
    ``baseline_ms`` from the first one; until then the mean so far. Kept across gaps.

    With a ``holder`` (a measure's ``share``: one per measure name, per engine) the first to
    finish leaves its start there and later ones (the other side's step) take it from there;
    ``reset`` withdraws what this one left (e.g. the start position's measure, whose set-up
    was not steady yet)."""

    __slots__ = ("baseline_ms", "holder", "_t0", "_n", "_sums", "value")

    def __init__(self, baseline_ms: float) -> None:
        self.baseline_ms = baseline_ms
        self.holder: dict | None = None
        self.reset()

    def reset(self) -> None:
        h = self.holder
        if h is not None and h.get("owner") == id(self):
            h.clear()
        self._t0: float | None = None
        self._n = 0
        self._sums: list[float] = []
        self.value: tuple[float, ...] | None = None

    def known(self) -> tuple[float, ...] | None:
        """The start once learnt (here or by an earlier step), else None."""
        if self.value is None and self.holder is not None:
            self.value = self.holder.get("start")
        return self.value

    def feed(self, t_ms: float, readings: tuple[float, ...]) -> tuple[float, ...]:
        """The start to judge ``readings`` (at ``t_ms``) against, learning from them while
        the start is not known yet."""
        known = self.known()
        if known is not None:
            return known
        if self._t0 is None:
            self._t0 = t_ms
        if t_ms - self._t0 <= self.baseline_ms or self._n == 0:
            self._sums = list(readings) if self._n == 0 else [a + b for a, b in zip(self._sums, readings)]
            self._n += 1
            n = self._n
            return tuple(a / n for a in self._sums)
        n = self._n
        self.value = tuple(a / n for a in self._sums)
        h = self.holder
        if h is not None and "start" not in h:
            h["start"] = self.value
            h["owner"] = id(self)
        return self.value


def seen(measure: Any, frame: PoseFrame, known: Mapping[str, float]) -> float:
    """How confidently the points behind ``measure`` are seen this frame: the lowest
    visibility of its points (NaN counts as 0); for a derived measure, that of the measures
    it reads (``known``: name -> their ``seen`` this frame); 1.0 when it names no points."""
    refs = getattr(measure, "refs", ())
    if refs:
        return view_of(frame).lowest_vis(refs)
    return seen_of_deps(getattr(measure, "depends_on", ()), known)


def seen_of_deps(deps: tuple[str, ...], known: Mapping[str, float]) -> float:
    """``seen`` of a measure without points of its own: that of the measures it reads."""
    if deps:
        return min(known.get(d, 1.0) for d in deps)
    return 1.0


def add_landmarks(base: tuple[int, ...], extra: tuple[int, ...]) -> tuple[int, ...]:
    return base + tuple(i for i in extra if i not in base)
