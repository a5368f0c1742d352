"""Is this skeleton a real body in the expected posture? Reject the wrong ones.

MediaPipe's VIDEO-mode tracker can lock onto a wrong skeleton and keep it for many
seconds (DESIGN.md, "Facts that shape the measures"): head and feet swapped on a person
leaning far back, the crossing leg's knee put on the other leg. Coaching such a body gives
wrong corrections, so each skeleton is checked before it reaches the coach:

- anatomy: bone-length ratios in world landmarks (metres, view-independent) within wide
  human ranges (a torso shorter than a third of a thigh is not a body);
- stability: several clearly visible limbs' world lengths do not all jump by more than
  ``max_jump`` against their recent median at once (bones don't grow between frames; one
  bone alone may, because MediaPipe's depth is noisy);
- left/right order: in a front view the shoulders' and hips' left/right order agree
  (a trunk cannot twist past 90°), and that order does not flip from one frame to the next
  while the person faces the camera;
- posture: with a posture hint, the head must be above the hips when seated, standing or
  hanging (image y points down).

A rejected skeleton is replaced by "no person" for the coach (which then says it cannot
see clearly), and the estimator restarts tracking so the wrong lock is dropped.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from coach.pose import Landmark as L
from coach.pose import PoseFrame
from coach.vocab import POSTURES

UPRIGHT_POSTURES = ("seated", "standing", "hanging")

# (name, a, b) bones measured in world coordinates.
BONES: tuple[tuple[str, int, int], ...] = (
    ("l_upper_arm", L.LEFT_SHOULDER, L.LEFT_ELBOW),
    ("r_upper_arm", L.RIGHT_SHOULDER, L.RIGHT_ELBOW),
    ("l_forearm", L.LEFT_ELBOW, L.LEFT_WRIST),
    ("r_forearm", L.RIGHT_ELBOW, L.RIGHT_WRIST),
    ("l_thigh", L.LEFT_HIP, L.LEFT_KNEE),
    ("r_thigh", L.RIGHT_HIP, L.RIGHT_KNEE),
    ("l_shin", L.LEFT_KNEE, L.LEFT_ANKLE),
    ("r_shin", L.RIGHT_KNEE, L.RIGHT_ANKLE),
)
_BONE_A = np.array([b[1] for b in BONES])
_BONE_B = np.array([b[2] for b in BONES])


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""


OK = Verdict(True)


def _torso_len(world: np.ndarray) -> float:
    sh = (world[L.LEFT_SHOULDER] + world[L.RIGHT_SHOULDER]) / 2
    hp = (world[L.LEFT_HIP] + world[L.RIGHT_HIP]) / 2
    return float(np.linalg.norm(sh - hp))


class PlausibilityChecker:
    """Checks each skeleton against anatomy, its own recent past and a posture hint."""

    def __init__(
        self,
        posture: str | None = None,
        front_view: bool = False,
        max_jump: float = 0.6,
        history: int = 15,
        min_visibility: float = 0.8,
    ) -> None:
        if posture is not None and posture not in POSTURES:
            raise ValueError(f"posture must be one of {list(POSTURES)} or None, got {posture!r}")
        if not 0.05 <= max_jump <= 5.0:
            raise ValueError(f"max_jump must be in [0.05, 5], got {max_jump}")
        self.posture = posture
        self.front_view = front_view
        self.max_jump = max_jump
        self.min_visibility = min_visibility
        self._lengths: deque[np.ndarray] = deque(maxlen=history)
        self._lr_sign: float | None = None
        self.rejected = 0
        self._in_a_row = 0

    # A change that persists this many frames is the body, not a glitch: the history of
    # lengths / left-right order restarts from it.
    PERSISTENT_CHANGE_FRAMES = 5

    def reset(self) -> None:
        self._lengths.clear()
        self._lr_sign = None
        self._in_a_row = 0

    def check(self, frame: PoseFrame) -> Verdict:
        if not frame.detected:
            return OK
        verdict = self._check(frame)
        if not verdict.ok and self._relative(verdict) and self._in_a_row + 1 >= self.PERSISTENT_CHANGE_FRAMES:
            self.reset()
            verdict = self._check(frame)
        if verdict.ok:
            self._in_a_row = 0
            self._remember(frame)
        else:
            self._in_a_row += 1
            self.rejected += 1
        return verdict

    @staticmethod
    def _relative(verdict: Verdict) -> bool:
        """Rejections judged against the recent past (not against anatomy or posture)."""
        return verdict.reason.startswith("bone lengths jumped") or verdict.reason == "left and right swapped"

    # -- the checks -------------------------------------------------------------
    def _check(self, frame: PoseFrame) -> Verdict:
        world = frame.world
        vis = np.nan_to_num(frame.visibility, nan=0.0)
        if np.isfinite(world).all():
            lengths = np.linalg.norm(world[_BONE_A] - world[_BONE_B], axis=1)
            torso = _torso_len(world)
            thighs = lengths[4:6]
            if torso > 0 and np.nanmax(thighs) > 3.0 * torso:
                return Verdict(False, "torso far shorter than the thighs")
            if torso > 1.2:
                return Verdict(False, "torso longer than a body")
            if len(self._lengths) >= 3:
                # World landmarks are noisy (a thigh pulled toward the camera can read a
                # third of its length), so one bone changing is not enough: a wrong
                # skeleton moves several clearly visible bones at once.
                median = np.median(np.stack(self._lengths), axis=0)
                seen = (vis[_BONE_A] >= self.min_visibility) & (vis[_BONE_B] >= self.min_visibility)
                rel = np.abs(lengths - median) / np.maximum(median, 1e-3)
                jumped = seen & (rel > self.max_jump) & (median > 0.1)
                if jumped.sum() >= 2:
                    names = ", ".join(BONES[i][0] for i in np.flatnonzero(jumped))
                    return Verdict(False, f"bone lengths jumped ({names})")
        xy = frame.xy_px
        if self.posture in UPRIGHT_POSTURES:
            head = xy[[L.NOSE, L.LEFT_EAR, L.RIGHT_EAR], 1]
            hips = xy[[L.LEFT_HIP, L.RIGHT_HIP], 1]
            if np.isfinite(head).any() and np.isfinite(hips).all():
                if np.nanmin(head) > hips.mean():  # y down: larger = lower on screen
                    return Verdict(False, "head below the hips")
        if self.front_view:
            sh = xy[L.LEFT_SHOULDER, 0] - xy[L.RIGHT_SHOULDER, 0]
            hp = xy[L.LEFT_HIP, 0] - xy[L.RIGHT_HIP, 0]
            width = abs(sh)
            if np.isfinite(sh) and np.isfinite(hp) and width > 1e-6:
                if sh * hp < 0 and min(abs(sh), abs(hp)) > 0.25 * width:
                    return Verdict(False, "shoulders and hips face opposite ways")
                if self._lr_sign is not None and np.sign(sh) != self._lr_sign and abs(sh) > 0.2 * _px_torso(xy):
                    return Verdict(False, "left and right swapped")
        return OK

    def _remember(self, frame: PoseFrame) -> None:
        world = frame.world
        if np.isfinite(world).all():
            self._lengths.append(np.linalg.norm(world[_BONE_A] - world[_BONE_B], axis=1))
        if self.front_view:
            xy = frame.xy_px
            sh = xy[L.LEFT_SHOULDER, 0] - xy[L.RIGHT_SHOULDER, 0]
            if np.isfinite(sh) and abs(sh) > 0.2 * _px_torso(xy):
                self._lr_sign = float(np.sign(sh))


def _px_torso(xy: np.ndarray) -> float:
    sh = (xy[L.LEFT_SHOULDER] + xy[L.RIGHT_SHOULDER]) / 2
    hp = (xy[L.LEFT_HIP] + xy[L.RIGHT_HIP]) / 2
    d = float(np.linalg.norm(sh - hp))
    return d if np.isfinite(d) and d > 0 else 1.0
