"""The synthetic exercise studio: rendered exercise clips with per-frame ground truth.

``render_clip`` needs the ``synth`` extra (torch, anny, pyrender, imageio-ffmpeg) and
imports it on first use; everything else here (exercise registry, truth format) is
numpy-only, so ``import coach.synth`` never needs the renderer.
"""

from __future__ import annotations

from pathlib import Path

from coach.synth.exercises import EXERCISES
from coach.synth.truth import FORMAT as TRUTH_FORMAT
from coach.synth.truth import VERSION as TRUTH_VERSION

__all__ = ["EXERCISES", "TRUTH_FORMAT", "TRUTH_VERSION", "render_clip"]


def render_clip(exercise_id: str, mistake: str | None = None, side: str = "both", seed: int = 0,
                out_path: str | Path | None = None, fps: float = 10.0, variation="full", **kw) -> Path:
    """Render one exercise clip (H.264 .mp4) and its truth file; see coach.synth.render."""
    try:
        from coach.synth.render import render_clip as _render
    except ImportError as exc:
        from coach.errors import CoachError
        raise CoachError(f"the renderer needs {exc.name}: install the synth extra: pip install -e .[synth]") from exc
    return _render(exercise_id, mistake, side, seed, out_path, fps, variation, **kw)
