"""A programme: several exercises coached one after the other by one engine each."""

from __future__ import annotations

from typing import Any

from coach.engine.exercise import EngineError, EngineState, ExerciseEngine
from coach.engine.phases import MeasureFactory
from coach.engine.events import Event
from coach.pose import PoseFrame
from coach.spec import ExerciseSpec

class Program:
    """A session: an ordered list of exercises, coached one after the other."""

    def __init__(self, specs: list[ExerciseSpec], lang: str = "en",
                 measure_factory: MeasureFactory | None = None) -> None:
        if not specs:
            raise EngineError("program: needs at least one exercise")
        self.specs = list(specs)
        self.lang = lang
        self._factory = measure_factory
        self.index = 0
        self.engine = ExerciseEngine(self.specs[0], lang, measure_factory)
        self.summaries: list[dict[str, Any]] = []

    @property
    def done(self) -> bool:
        return self.index >= len(self.specs)

    def _advance(self) -> None:
        self.summaries.append(self.engine.summary())
        self.index += 1
        if not self.done:
            self.engine = ExerciseEngine(self.specs[self.index], self.lang, self._factory)

    def update(self, frame: PoseFrame) -> list[Event]:
        if self.done:
            return []
        events = self.engine.update(frame)
        if self.engine.done:
            self._advance()
        return events

    def skip(self, timestamp_ms: float) -> list[Event]:
        """Stop the current exercise (reports what is missing) and go to the next."""
        if self.done:
            return []
        events = self.engine.finish(timestamp_ms)
        self._advance()
        return events

    def finish(self, timestamp_ms: float) -> list[Event]:
        events: list[Event] = []
        if not self.done:
            events = self.engine.finish(timestamp_ms)
            self._advance()
        return events

    def snapshot(self) -> EngineState | None:
        return None if self.done else self.engine.snapshot()

    def summary(self) -> list[dict[str, Any]]:
        return list(self.summaries) + ([] if self.done else [self.engine.summary()])
