"""Profile-driven fixes, measured before/after without touching the package.

    python benchmarks/fixes.py [--rounds 5] [--json out.json]

Each fix is a patched copy (subclass or replacement function) defined here; the package
is not modified. For each: the original and the patched code run on the same inputs,
alternating round by round, timed in thread CPU time; the outputs are compared (the fix
must not change a single value or event). See benchmarks/README.md for what the profile
showed and the exact change each fix stands for.

The fixes this script once measured and that have since been applied to the package
(smoother fast path, no unused masks, no rotated retries after a rejected skeleton, packed
masks, the cue board's early return while the global cooldown runs, cached body-part names)
are gone from here: their before/after numbers are in benchmarks/README.md and the
README, and the package itself is what the other benchmarks measure. What is left are the
fixes not applied (yet):

  to_frame      coach/vision/estimator.py PoseEstimator._to_frame / _result_to_arrays: one
                candidate (max_people 1) -> no choose_person; no per-value None checks
  plausibility  coach/vision/plausibility.py PlausibilityChecker: the recent bone lengths
                in a preallocated (history, 8) array instead of np.stack(deque) every frame
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import REPO, landmark_recording  # noqa: E402

import numpy as np  # noqa: E402


_TWO_PI = 2.0 * math.pi


def _frames(exercise: str, minutes: float) -> list:
    from coach.vision.recording import load_clip

    clip = load_clip(landmark_recording(exercise))
    n = min(len(clip), int(minutes * 60 * common.clip_fps(clip)))
    return list(common.looped_frames(clip, n))


def _cpu_us(fn, n: int) -> tuple[float, object]:
    t0 = time.thread_time_ns()
    out = fn()
    return (time.thread_time_ns() - t0) / n / 1e3, out


# ----------------------------------------------------------------------------- estimator

def _fast_result_to_arrays(result, index: int):
    from coach.pose import N_LANDMARKS

    # np.array turns None into NaN for a float dtype: no per-value checks needed
    landmarks = np.array([(p.x, p.y, p.z, p.visibility, p.presence) for p in result.pose_landmarks[index]],
                         dtype=np.float64)
    if result.pose_world_landmarks and index < len(result.pose_world_landmarks):
        world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[index]], dtype=np.float64)
    else:
        world = np.full((N_LANDMARKS, 3), np.nan)
    return landmarks, world


def _fast_to_frame(self, result, rotation, timestamp_ms, image_wh):
    """PoseEstimator._to_frame (as of this writing) for the usual single candidate: no
    choose_person (the one box is the pick), no per-value None checks; the jump check,
    the outside-the-picture visibility and the mask handling are unchanged."""
    import coach.vision.estimator as E
    from coach.pose import PoseFrame

    if len(result.pose_landmarks) != 1:
        return E.PoseEstimator._to_frame(self, result, rotation, timestamp_ms, image_wh)
    lm, wd = _fast_result_to_arrays(result, 0)
    lm, wd = E._unrotate(lm, wd, rotation)
    box = E._box(lm, image_wh)
    prev = self._lock_box
    if prev is not None:
        size = max(prev[2] - prev[0], prev[3] - prev[1], 1.0)
        dx = (box[0] + box[2] - prev[0] - prev[2]) / 2
        dy = (box[1] + box[3] - prev[1] - prev[3]) / 2
        if math.hypot(dx, dy) > getattr(self, "JUMP_FRACTION", 1.0) * size:
            self.rejected_jumps = getattr(self, "rejected_jumps", 0) + 1
            self._restart_tracking(rotation, timestamp_ms)
            self._maybe_release_lock(timestamp_ms)
            return None
    mark = getattr(E, "mark_outside_unseen", None)
    if mark is not None:
        lm = mark(lm)
    self._lock_box = box
    self._lock_seen_ms = timestamp_ms
    mask = None
    if self.config.masks and result.segmentation_masks:
        raw = result.segmentation_masks[0].numpy_view()
        mask = np.array(raw[..., 0] if raw.ndim == 3 else raw, dtype=np.float32)
        mask = np.ascontiguousarray(E._unrotate_mask(mask, rotation))
    return PoseFrame(timestamp_ms=timestamp_ms, landmarks=lm, world=wd, image_wh=image_wh, mask=mask)


def _fast_plausibility():
    """PlausibilityChecker with the recent bone lengths in a preallocated ring array.

    _check is the original's, line for line, except the median line:
    np.median(np.stack(self._lengths), axis=0) -> np.median(self._ring[:self._ring_n], axis=0)
    """
    from coach.vision.plausibility import (
        _BONE_A, _BONE_B, BONES, OK, UPRIGHT_POSTURES, L, PlausibilityChecker, Verdict, _px_torso, _torso_len,
    )

    class FastPlausibility(PlausibilityChecker):
        def __init__(self, *a, **k) -> None:
            super().__init__(*a, **k)
            self._ring = np.empty((self._lengths.maxlen, len(_BONE_A)))
            self._ring_n = 0
            self._ring_i = 0

        def reset(self) -> None:
            super().reset()
            self._ring_n = self._ring_i = 0

        def _remember(self, frame) -> None:
            world = frame.world
            if np.isfinite(world).all():
                self._ring[self._ring_i] = np.linalg.norm(world[_BONE_A] - world[_BONE_B], axis=1)
                self._ring_i = (self._ring_i + 1) % len(self._ring)
                self._ring_n = min(self._ring_n + 1, len(self._ring))
            if self.front_view:
                xy = frame.xy_px
                sh = xy[L.LEFT_SHOULDER, 0] - xy[L.RIGHT_SHOULDER, 0]
                if np.isfinite(sh) and abs(sh) > 0.2 * _px_torso(xy):
                    self._lr_sign = float(np.sign(sh))

        def _check(self, frame):
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
                if self._ring_n >= 3:
                    median = np.median(self._ring[: self._ring_n], axis=0)
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
                    if np.nanmin(head) > hips.mean():
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

    return FastPlausibility


def bench_estimator(rounds: int, n_frames: int = 120) -> list[dict]:
    """Time the estimator's Python post-processing on real MediaPipe results."""
    import coach.vision.estimator as E
    import coach.vision.plausibility as P
    from coach.pipeline.runner import load_spec_for, make_estimator, needs_masks
    from coach.vision.sources import VideoFileSource

    rows = []
    captured = {}
    for ex in ("cat_cow", "seated_rotation"):
        spec = load_spec_for(ex)
        est = make_estimator(None, 1, needs_masks(spec), spec)
        results = []
        orig = est._to_frame

        def grab(result, rotation, ts, wh, _orig=orig, _acc=results):
            _acc.append((result, rotation, ts, wh))
            return _orig(result, rotation, ts, wh)

        est._to_frame = grab
        try:
            for f in itertools.islice(VideoFileSource(REPO / "samples" / ex / "good.mp4"), n_frames):
                est.process(f.rgb, f.timestamp_ms)
        finally:
            est.close()
        captured[ex] = (spec, est.config, results)

    # np.median(np.stack(deque)) in _check: the fast class exposes an array for np.stack
    Fast = _fast_plausibility()
    from collections import defaultdict

    b_tf, a_tf, b_pl, a_pl = defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list)
    same_tf = same_pl = True
    for r in range(rounds):
        for ex, (spec, config, results) in captured.items():
            n = len(results)

            def run_to_frame(fn):
                est = E.PoseEstimator.__new__(E.PoseEstimator)
                est.config = config
                est._lock_box = None
                est._lock_seen_ms = None
                est.relocks = 0
                est.rejected_jumps = 0
                est._restart_tracking = lambda *a, **k: None  # no model here; same for both variants
                return [fn(est, *args) for args in results]

            def run_plaus(cls, frames):
                chk = cls(posture=getattr(spec, "posture", None), front_view=spec.camera_view == "front")
                return [chk.check(f).reason for f in frames]

            order = [0, 1] if r % 2 == 0 else [1, 0]
            outs = {}
            for k in order:
                fn = E.PoseEstimator._to_frame if k == 0 else _fast_to_frame
                us, out = _cpu_us(lambda: run_to_frame(fn), n)
                (b_tf if k == 0 else a_tf)[ex].append(us)
                outs[k] = out
            if any(not (np.array_equal(x.landmarks, y.landmarks, equal_nan=True)
                        and np.array_equal(x.world, y.world, equal_nan=True)
                        and ((x.mask is None and y.mask is None) or np.array_equal(x.mask, y.mask)))
                   for x, y in zip(outs[0], outs[1])):
                same_tf = False
            frames = [f for f in outs[0] if f is not None]
            pouts = {}
            for k in order:
                cls = P.PlausibilityChecker if k == 0 else Fast
                us, out = _cpu_us(lambda: run_plaus(cls, frames), len(frames))
                (b_pl if k == 0 else a_pl)[ex].append(us)
                pouts[k] = out
            if pouts[0] != pouts[1]:
                same_pl = False
    for ex in captured:
        masks = " (masks)" if captured[ex][1].masks else ""
        rows.append(_row(f"to_frame {ex}", f"PoseEstimator._to_frame, us/frame, {ex}{masks}",
                         b_tf[ex], a_tf[ex], same_tf))
        rows.append(_row(f"plausibility {ex}", f"PlausibilityChecker.check, us/frame, {ex}",
                         b_pl[ex], a_pl[ex], same_pl))
    return rows


def _row(fix: str, what: str, before: list[float], after: list[float], same: bool) -> dict:
    # per-pair ratios (same round, same input), then the median
    ratios = [b / a for b, a in zip(before, after) if a > 0]
    return {
        "fix": fix, "what": what,
        "before_us": round(common.median(before), 1), "after_us": round(common.median(after), 1),
        "speedup": round(common.median(ratios), 2) if ratios else None,
        "pairs": len(ratios), "same_output": bool(same),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = [*bench_estimator(max(3, args.rounds))]
    print(f"{'fix':<26}{'before':>10}{'after':>10}{'speedup':>9}{'same output':>13}  what")
    for r in rows:
        print(f"{r['fix']:<26}{r['before_us']:>10.1f}{r['after_us']:>10.1f}{r['speedup']:>9.2f}"
              f"{str(r['same_output']):>13}  {r['what']}")
    common.write_json(args.json, {"benchmark": "fixes", "machine": common.machine_info(), "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
