"""The closed, registered vocabulary of measures that exercise specs may use.

A spec names measures like ``knee_angle: {type: joint_angle, points: [moving_hip,
moving_knee, moving_ankle]}``; ``build_measure`` turns one such mapping into a Measure
object whose ``update(frame, values)`` returns one float per frame. No spec text is ever
evaluated: only the types in ``MEASURE_TYPES`` exist.

Points
    any landmark key (``left_knee``), or an alias of a paired landmark X (``knee``,
    ``shoulder``, ``foot_index``, ...):
    ``moving_X`` / ``other_X``  the exercise's side / the opposite side (fixed at build time)
    ``near_X`` / ``far_X``      the side facing / turned away from the camera, decided per
                                frame for the whole body (z depth first, visibility second,
                                because visibility reads ~0.99 on hidden joints)
    ``mid_X``                   midpoint of left_X and right_X

Units: "deg", "body" (image distance divided by torso length or shoulder width, see
``normalise``), "deg/s" or "<unit>/s", "s", "ratio".

"Can't see": a landmark measure returns NaN when the frame has no person, a needed
coordinate is NaN, or a needed landmark's visibility is below ``min_visibility``; never a
made-up number. Derived measures (speed, oscillation_*, change) return NaN while their source is
NaN (rolling: while none was seen in its window).

Cost: landmark measures read only the few landmarks they need as Python floats (numpy
calls on 2-vectors cost more than the arithmetic), so an update is a few microseconds.
Image geometry is done in pixels (y down); the sign conventions are those of the tests'
vectorised oracle (``tests/geometry_oracle.py``), and the tests check they agree.

Modules: :mod:`~coach.measures.points` (point names, sides, a frame's points),
:mod:`~coach.measures.base` (parameters, the base class), one module per family
(:mod:`~coach.measures.landmark`, :mod:`~coach.measures.derived`,
:mod:`~coach.measures.spinal`), :mod:`~coach.measures.registry` (type name -> class,
``build_measure``) and :mod:`~coach.measures.describe` (a measure in words).
"""

from coach.measures.base import Measure, ParamSpec, seen
from coach.measures.describe import body_norm, describe_measure
from coach.measures.points import PAIRED_NAMES, MeasureError, PointRef, near_side, resolve_point, share_view
from coach.measures.registry import MEASURE_TYPES, build_measure, measure_params

__all__ = [
    "MeasureError",
    "ParamSpec",
    "PointRef",
    "Measure",
    "MEASURE_TYPES",
    "measure_params",
    "build_measure",
    "resolve_point",
    "body_norm",
    "describe_measure",
    "PAIRED_NAMES",
    "near_side",
    "share_view",
    "seen",
]
