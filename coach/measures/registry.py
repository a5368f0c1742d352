"""The closed vocabulary: measure type name -> class, and building one measure from a spec mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


from coach.measures.base import BaseMeasure, Measure, ParamSpec, coerce_param, fmt_value
from coach.measures.derived import Change, OscillationAmplitude, OscillationPeriod, Rolling, Speed
from coach.measures.landmark import (
    Distance, JointAngle, LineTilt, MidlineCrossing, Offset, SegmentAngle, Visibility, YawBetween,
)
from coach.measures.points import MeasureError
from coach.measures.spinal import SpinalFlexion
from coach.measures.turning import FrontTurn, TiltFromStart


# --------------------------------------------------------------------------------------
# Registry, building, describing
# --------------------------------------------------------------------------------------

MEASURE_TYPES: dict[str, type[BaseMeasure]] = {
    cls.TYPE: cls
    for cls in (
        JointAngle, SegmentAngle, LineTilt, YawBetween, Distance, Offset, MidlineCrossing,
        Visibility, Speed, OscillationAmplitude, OscillationPeriod, Change, Rolling, SpinalFlexion,
        FrontTurn, TiltFromStart,
    )
}

_DERIVED = (Speed, OscillationAmplitude, OscillationPeriod, Change, Rolling)


def type_class(type_name: Any, measure: str | None = None) -> type[BaseMeasure]:
    cls = MEASURE_TYPES.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise MeasureError(
            f"type: unknown measure type {fmt_value(type_name)} (expecting one of "
            f"[{', '.join(MEASURE_TYPES)}])",
            param="type", measure=measure,
        )
    return cls


def measure_params(type_name: str) -> dict[str, ParamSpec]:
    """Parameters of a measure type (a copy), for spec validation and documentation."""
    return dict(type_class(type_name).PARAMS)


def build_measure(
    name: str,
    spec: Mapping[str, Any],
    side: str | None,
    *,
    source_units: Mapping[str, str] | None = None,
) -> Measure:
    """Build measure ``name`` from its spec mapping (``{type: ..., <params>}``) for ``side``.

    ``source_units`` (optional: measure name -> unit of measures built so far) lets speed
    and oscillation_amplitude report the unit of what they read ("deg/s", "body/s");
    without it they assume degrees.
    """
    if side not in (None, "left", "right"):
        raise MeasureError(f"side: not a side (expected left, right or none, got {fmt_value(side)})",
                           param="side", measure=name)
    if not isinstance(spec, Mapping):
        raise MeasureError(
            f"type: a measure is a mapping (expected {{type: ..., ...}}, got {fmt_value(spec)})",
            param="type", measure=name,
        )
    if "type" not in spec:
        raise MeasureError(
            f"type: missing (expected one of [{', '.join(MEASURE_TYPES)}], got no type)",
            param="type", measure=name,
        )
    cls = type_class(spec["type"], name)
    params_spec: dict[str, ParamSpec] = cls.PARAMS
    for key in spec:
        if key != "type" and key not in params_spec:
            raise MeasureError(
                f"{key}: unknown parameter for {cls.TYPE} (expecting one of "
                f"[{', '.join(params_spec)}])",
                param=str(key), measure=name,
            )
    params: dict[str, Any] = {}
    for pname, ps in params_spec.items():
        if pname not in spec or spec[pname] is None:
            if ps.required:
                raise MeasureError(
                    f"{pname}: missing (expected {ps.doc or ps.kind}, got nothing)",
                    param=pname, measure=name,
                )
            params[pname] = ps.default
            continue
        params[pname] = coerce_param(name, pname, ps, spec[pname], side)
    check = getattr(cls, "check", None)
    if check is not None:
        check(name, params)
    if cls in _DERIVED:
        unit = (source_units or {}).get(params["of"])
        return cls(name, params, side, unit)  # type: ignore[no-any-return]
    return cls(name, params, side)  # type: ignore[no-any-return]
