"""The committed sample set: which clips, with which side, seed and variation.

Priority order: the good-form clip of every exercise first (both sides where there are
sides), then one clip per mistake. Good clips use the plain or mildly varied look (clean
camera, so end-to-end tests are about the coach, not the image); mistake clips use full
variation (camera angle +-30 deg, distance, light, noise, blur, JPEG) with a fixed seed
per clip. Mistake clips do one side only (the exercise's first side); knee_to_chest's
one-leg mistakes leave out the rocking part and its rocking mistakes the one-leg holds.
Mistakes are rendered round-robin over the exercises, the long-hold ones last; then a
second good clip per exercise with full variation (good_varied.mp4).
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.synth.exercises import EXERCISES

SAMPLE_FPS = 10.0


@dataclass(frozen=True)
class SampleClip:
    exercise: str
    mistake: str | None
    side: str
    seed: int
    variation: str
    fps: float = SAMPLE_FPS
    name: str | None = None  # file stem; default "good" or the mistake id

    @property
    def kind(self) -> str:
        return "good" if self.mistake is None else "mistakes"

    @property
    def relpath(self) -> str:
        return f"{self.exercise}/{self.name or self.mistake or 'good'}.mp4"


def sample_set() -> list[SampleClip]:
    out = []
    for k, ex in enumerate(EXERCISES.values()):
        out.append(SampleClip(ex.id, None, "both", 100 + k, "none" if ex.id == "lying_twist" else "mild"))
    mistakes = []
    for k, ex in enumerate(EXERCISES.values()):
        for j, m in enumerate(ex.mistakes):
            side = ex.sides[0] if ex.sides else "both"
            # round-robin over exercises (j first), the long-hold variants last
            rank = (1 if m.endswith("_too_long") else 0, j, k)
            mistakes.append((rank, SampleClip(ex.id, m, side, 1000 + 100 * k + j, "full")))
    out += [c for _, c in sorted(mistakes, key=lambda x: x[0])]
    # a second good-form clip per exercise with full variation (for false-cue rates)
    for k, ex in enumerate(EXERCISES.values()):
        out.append(SampleClip(ex.id, None, "both", 200 + k, "full", name="good_varied"))
    return out
