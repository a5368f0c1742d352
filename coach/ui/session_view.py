"""The guided session's picture: the prompt screens between exercises and the coaching
overlay while one runs (read from the session controller's state; never changes it)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from coach import i18n
from coach.engine import fill
from coach.session.controller import SessionController, SessionError
from coach.session.keys import controls_line
from coach.ui.draw import OverlayAnnotator, OverlayState, PromptScreen, PromptView, mirror_image
from coach.ui.overlay import OverlayRenderer, scene_of
from coach.vocab import OTHER_SIDE


class SessionRenderer:
    """The session's picture for a window or a video: prompts (introduction, "can't see
    your feet", pause, symptom question) over the camera image, and the coaching overlay
    (skeleton, rule states, arcs, hold ring, reps, cue) while an exercise runs."""

    def __init__(self, controller: SessionController, lang: str, mirror: bool = False, muted: bool = False,
                 display_height: int | None = None) -> None:
        """``display_height``: scale the camera picture to this height BEFORE drawing, so
        the text is drawn sharp at screen size (a 480-line webcam image on a laptop screen
        read from 2-3 m away) instead of being blown up by the window afterwards."""
        if display_height is not None and not 120 <= display_height <= 4320:
            raise SessionError(f"display_height must be in [120, 4320] pixels, got {display_height}")
        self.display_height = display_height
        self.controller = controller
        self.lang = lang
        self.mirror = mirror
        self.muted = muted
        self.prompt = PromptScreen()
        self.skeleton_only = OverlayAnnotator(lang=lang, mirror=mirror)
        self._renderers: dict[str, Any] = {}

    def _renderer(self, spec) -> OverlayRenderer:
        r = self._renderers.get(spec.id)
        if r is None:
            r = self._renderers[spec.id] = OverlayRenderer(spec=spec, lang=self.lang, mirror=self.mirror)
        return r

    def _scene(self, step) -> np.ndarray:
        return scene_of(step, height_px=self.display_height)

    def _tidy(self, state, spec, side: str | None) -> None:
        """Rule labels with the side filled in, the phase by its name in the spec."""
        params = {"side": side or "", "other_side": OTHER_SIDE.get(side or "", "")}
        for rule in state.rules:
            if "{" in rule.label:
                rule.label = fill({self.lang: rule.label}, params)[self.lang]
        try:
            names = spec.phase(state.phase).names if state.phase and state.phase != "done" else None
        except KeyError:
            names = None
        if names and not i18n.has_key(f"phase.{state.phase}", self.lang):
            state.phase = names.get(self.lang, state.phase)

    def prompt_view(self):
        """The full-screen prompt for the current stage, or None while coaching."""
        c = self.controller
        lang = self.lang
        controls = controls_line(lang, "exercise")
        spec = c.spec
        if c.done:
            key = "session.finished" if c.ended_by == "completed" else "session.stopped"
            return PromptView(i18n.t(key, lang), "", "", "info" if c.ended_by == "completed" else "safety")
        if c.paused:
            return PromptView(i18n.t("phase.paused", lang), i18n.t("session.paused", lang), controls, "setup")
        if c.stage == "intro":
            body = " ".join(x for x in (
                i18n.t("session.equipment", lang, equipment=(spec.equipment or {}).get(lang, "—").rstrip(".")),
                (spec.camera_placement or {}).get(lang, "")) if x)
            title = f"{c.index + 1}/{len(c.specs)}  {spec.names.get(lang, spec.id)}"
            return PromptView(title, body, controls, "setup")
        if c.stage == "framing":
            miss = c.missing
            if miss is None:
                body = i18n.t("setup.cant_see.person", lang)
            elif miss:
                body = i18n.t(f"setup.cant_see.{miss[0]}", lang)
            else:
                body = i18n.t("setup.ready", lang)
            return PromptView(i18n.t("setup.waiting", lang), body, controls, "setup")
        if c.stage == "symptoms":
            hand = c.hand
            if hand is not None and hand.held_s > 0:
                held = f"{hand.held_s:.1f}".replace(".", "," if lang == "nb" else ".")
                body = i18n.t("symptoms.hand_up", lang, held=held, seconds=f"{hand.config.hold_s:g}")
            else:
                body = c.answer_hint()[lang]
            return PromptView(i18n.t("symptoms.question", lang), body, controls_line(lang, "question"), "safety")
        return None

    def render(self, step) -> np.ndarray:
        c = self.controller
        prompt = self.prompt_view()
        if c.stage == "coaching" and c.engine is not None and not c.done:
            renderer = self._renderer(c.spec)
            inner = dataclasses.replace(step, engine=c.engine)
            state = renderer.state(inner)
            state.muted = self.muted
            self._tidy(state, c.spec, state.side or (c.engine.step.measure_side if c.engine.step else None))
            image = renderer.annotator.annotate(self._scene(inner), state)
            if prompt is not None:  # paused over the coaching picture
                image = self.prompt.annotate(image, prompt)
            return image
        scene = self._scene(step)
        state = OverlayState(pose=step.pose, muted=self.muted,
                             exercise=c.spec.names.get(self.lang, c.spec.id) if c.spec else "")
        if self.mirror:
            mirror_image(scene)
        self.skeleton_only.skeleton.annotate(scene, state.pose)
        return self.prompt.annotate(scene, prompt)
