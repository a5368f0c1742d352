"""The person's start position: the reference of the rules judged ``relative_to: start``.

    start = StartPosition(spec, steps, factory)
    start.observe(t_ms, frame, setup_step)      # each frame of the set-up step
    start.capture(setup_step, later_steps)      # the set-up completed stable and fault-free

Body- and camera-dependent measures (a shoulder's height on screen, the hip angle a side
camera reads) are compared with what this person showed in the start position. While the
set-up step runs, the measures of the later steps' ``relative_to: start`` rules are read
(their own instances, for each side the later steps are done on, so the steps' stateful
measures are untouched). When the set-up completes stable (every rule OK for its
``stable_s``) and not timed out, each such rule's baseline is the median of its values over
that stable window. Never captured during a fault: a set-up that timed out, or that the
person went straight past, leaves those rules without a baseline, and they judge nothing.

A measure that learns a start and shares it with the steps (`change` with ``share_start``
and ``start_in_setup``) is read here too: it learns its start over the set-up's steady
frames (reset while the set-up is not steady), and the steps take it from there. Without a
steady set-up the first step that reads it learns it, as without ``start_in_setup``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from coach.engine.phases import build_measures, measure_all
from coach.engine.rules import FAULT, rule_value
from coach.pose import PoseFrame
from coach.spec import ExerciseSpec, RuleSpec

Factory = Callable[[str, Mapping[str, Any], "str | None"], Any]


class StartPosition:
    """Reads the start-position values of the ``relative_to: start`` rules and captures them."""

    def __init__(self, spec: ExerciseSpec, steps: Iterable[Any], factory: Factory) -> None:
        # (rule, side) pairs wanted, and per measure side the measures to read
        self._rules: dict[tuple[str, str | None], RuleSpec] = {}
        names_by_side: dict[str | None, set[str]] = {}
        for st in steps:
            for r in st.measure_rules:
                if r.relative_to_start:
                    self._rules[(r.id, st.measure_side)] = r
                    names_by_side.setdefault(st.measure_side, set()).update(r.measures or (r.measure,))
        # and the measures whose shared start is learnt here, from the steady start position
        # (a `change` with share_start and start_in_setup), not in the first step that reads
        # them, where the person may already be on the way
        for st in steps:
            built = list(getattr(st, "measures", ()))
            for probe in getattr(st, "probes", None) or ():
                built += probe.measures
            shared = {m.name for m in built if getattr(m, "start_in_setup", False)}
            if shared:
                names_by_side.setdefault(st.measure_side, set()).update(shared)
        self._measures: dict[str | None, list[Any]] = {
            side: build_measures(spec, names, side, factory) for side, names in names_by_side.items()}
        self._wanted = bool(self._rules) or any(self._measures.values())   # (read every set-up frame)
        self._seen: list[tuple[float, dict[tuple[str, str | None], float]]] = []
        self.values: dict[tuple[str, str | None], float] = {}   # captured: (rule id, side) -> value

    @property
    def wanted(self) -> bool:
        return self._wanted

    def observe(self, t: float, frame: PoseFrame, setup: Any) -> None:
        """One frame of the set-up step: its rules' values (kept while the set-up is stable)."""
        steady = getattr(setup, "ok_since_ms", None) is not None
        if not steady:
            self._seen.clear()        # not (yet) stable: what came before is not the start position
        per_side = {side: measure_all(ms, frame) for side, ms in self._measures.items()}
        row = {key: rule_value(r, per_side[key[1]], key[1]) for key, r in self._rules.items()}
        self._seen.append((t, row))
        if not steady:
            for ms in self._measures.values():
                for m in ms:          # nor the start a measure learns and shares with the steps
                    if getattr(m, "shares_start", False):
                        m.reset()

    def capture(self, setup: Any, later: Iterable[Any]) -> bool:
        """The set-up completed (not timed out): if it was stable and fault-free, each wanted
        rule's baseline in ``later`` steps is the median over the stable window. True if captured."""
        since = getattr(setup, "ok_since_ms", None)
        if since is None or any(tr.state == FAULT for tr in setup.trackers.values()):
            self._seen.clear()
            return False
        window = [row for t, row in self._seen if t >= since]
        self._seen.clear()
        for key in self._rules:
            vals = sorted(v for row in window if (v := row.get(key, math.nan)) == v)
            if vals:
                n = len(vals)
                self.values[key] = vals[n // 2] if n % 2 else 0.5 * (vals[n // 2 - 1] + vals[n // 2])
        for st in later:
            for rid, tr in st.trackers.items():
                v = self.values.get((rid, st.measure_side))
                if tr.rule.relative_to_start and v is not None:
                    tr.baseline.capture(v)
        return bool(self.values)
