"""Profile-driven fixes, measured before/after without touching the package.

    python benchmarks/fixes.py [--rounds 5] [--json out.json]

Each fix is a patched copy (subclass or replacement function) defined here; the package
is not modified. For each: the original and the patched code run on the same inputs,
alternating round by round, timed in thread CPU time; the outputs are compared (the fix
must not change a single value or event). See benchmarks/README.md for what the profile
showed and the exact change each fix stands for.

Applied since (commit "Reliability, privacy and the profile's performance fixes"):
smoother, no unused masks, rejection, and packed masks. For those the package now holds
the fixed code, so this script's "original" side is the fixed code too (ratios ~1.0);
the measured before/after numbers are in benchmarks/README.md and the README. The copies
below stay so the other fixes (not applied: cue_cooldown, part_names, to_frame,
plausibility) can still be measured.

  smoother      coach/smoothing.py OneEuroFilter.update: a fast path for the usual frame
                (no NaN in the input or the state): 14 numpy operations instead of ~40
  cue_cooldown  coach/engine.py ExerciseEngine._select_cue: return at once while the cue
                selector's global cooldown runs (CueSelector.choose would return None):
                skips building candidates and "can't see" texts on most frames
  part_names    coach/engine.py body_part_name: functools.lru_cache (pure function)
  to_frame      coach/estimator.py PoseEstimator._to_frame / _result_to_arrays: one
                candidate (max_people 1) -> no choose_person; no per-value None checks
  plausibility  coach/plausibility.py PlausibilityChecker: the recent bone lengths in a
                preallocated (history, 8) array instead of np.stack(deque) every frame
  no unused masks  coach/runner.py _needs_masks: masks only when a spinal_flexion measure
                may read them (signal mask or auto), not for signal: nose (cat_cow today)
  rejection     coach/estimator.py PoseEstimator.process: when the tracker found a person
                and the plausibility check rejected it, restart that tracker and return
                "no person" for this frame, instead of also running the model on the two
                rotated images (rotations are for "nobody found"; a rejected frame costs 3
                inferences + a landmarker re-creation now). Changes behaviour: measured on
                cat_cow/good.mp4 (where the check rejects good frames at 10.9-11.3 s)
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import EXERCISES, REPO, landmark_recording  # noqa: E402

import numpy as np  # noqa: E402

from coach import engine as engine_mod  # noqa: E402
from coach.smoothing import OneEuroFilter, PoseSmoother  # noqa: E402

_TWO_PI = 2.0 * math.pi


# ----------------------------------------------------------------------------- smoother

class FastOneEuroFilter(OneEuroFilter):
    """OneEuroFilter with a fast path for frames without NaN (same results)."""

    def update(self, x, timestamp_ms, *, reliable=None, value_scale=1.0):
        x = np.asarray(x, dtype=np.float64)
        xh = self._x_hat
        t = float(timestamp_ms)
        if (x.ndim != 2 or xh is None or xh.shape != x.shape or self._t_ms is None
                or not (t - self._t_ms > 0.0) or t - self._t_ms > self.max_gap_ms
                or not math.isfinite(float(x.sum())) or not math.isfinite(float(xh.sum()))):
            return super().update(x, timestamp_ms, reliable=reliable, value_scale=value_scale)
        dt_s = (t - self._t_ms) / 1000.0
        dx_prev = self._dx_hat
        diff = x - xh
        a_d = 1.0 / (1.0 + 1.0 / (_TWO_PI * self.d_cutoff * dt_s))
        dx_hat = diff / dt_s
        dx_hat -= dx_prev
        dx_hat *= a_d
        dx_hat += dx_prev
        cutoff = np.abs(dx_hat)
        cutoff *= value_scale
        cutoff *= self.beta
        cutoff += self.min_cutoff
        rel = None if reliable is None else np.asarray(reliable, dtype=bool)
        all_rel = rel is None or bool(rel.all())
        if not all_rel:
            cutoff[~rel] = self.min_cutoff
        # alpha = 1 / (1 + 1 / (2 pi cutoff dt)), written as in the original
        a = cutoff
        a *= _TWO_PI * dt_s
        np.reciprocal(a, out=a)
        a += 1.0
        np.reciprocal(a, out=a)
        diff *= a
        x_hat = diff
        x_hat += xh
        if all_rel:
            self._last_reliable_ms.fill(t)
        else:
            held = ~rel & ((t - self._last_reliable_ms) <= self.hold_ms)
            if held.any():
                x_hat[held] = xh[held]
                dx_hat[held] = dx_prev[held]
            self._last_reliable_ms[rel] = t
        self._x_hat = x_hat
        self._dx_hat = dx_hat
        self._t_ms = t
        return x_hat.copy()


class FastPoseSmoother(PoseSmoother):
    def __init__(self, config=None) -> None:
        super().__init__(config)
        c = self.config
        self._image = FastOneEuroFilter(c.min_cutoff, c.beta, c.d_cutoff, hold_ms=c.hold_ms, max_gap_ms=c.max_gap_ms)
        self._world = FastOneEuroFilter(c.world_min_cutoff, c.world_beta, c.world_d_cutoff,
                                        hold_ms=c.hold_ms, max_gap_ms=c.max_gap_ms)


class FusedPoseSmoother(PoseSmoother):
    """One FastOneEuroFilter over (33, 6) = image px | world m, per-column parameters:
    one set of numpy calls per frame instead of two (same results: a landmark's image and
    world rows are finite or NaN together, and share visibility)."""

    def __init__(self, config=None) -> None:
        super().__init__(config)
        c = self.config
        f = FastOneEuroFilter(c.min_cutoff, c.beta, c.d_cutoff, hold_ms=c.hold_ms, max_gap_ms=c.max_gap_ms)
        f.min_cutoff = np.array([c.min_cutoff] * 3 + [c.world_min_cutoff] * 3)
        f.beta = np.array([c.beta] * 3 + [c.world_beta] * 3)
        f.d_cutoff = np.array([c.d_cutoff] * 3 + [c.world_d_cutoff] * 3)
        self._f = f
        self._vscale = np.ones(6)

    def reset(self) -> None:
        super().reset()
        if hasattr(self, "_f"):
            self._f.reset()

    def update(self, frame):
        from coach.pose import VIS, PoseFrame
        from coach.smoothing import _object_scale

        if not self.config.enabled:
            return frame
        if not frame.detected:
            self.reset()
            return frame
        lm = frame.landmarks
        w, h = frame.image_wh
        if w <= 0 or h <= 0:
            w, h = 1, 1
        scale_xyz = np.array([w, h, w], dtype=np.float64)
        x = np.empty((lm.shape[0], 6))
        np.multiply(lm[:, :3], scale_xyz, out=x[:, :3])
        x[:, 3:] = frame.world
        reliable = lm[:, VIS] >= self.config.min_visibility
        self._vscale[:3] = 1.0 / _object_scale(x[:, :3], reliable)
        out = self._f.update(x, frame.timestamp_ms, reliable=reliable, value_scale=self._vscale)
        out_lm = lm.copy()
        out_lm[:, :3] = out[:, :3] / scale_xyz
        return PoseFrame(timestamp_ms=frame.timestamp_ms, landmarks=out_lm, world=np.ascontiguousarray(out[:, 3:]),
                         image_wh=frame.image_wh, mask=frame.mask)


# ----------------------------------------------------------------------------- engine

class CooldownEngine(engine_mod.ExerciseEngine):
    def _select_cue(self, t, frame, events):
        sel = self.selector
        if t - sel.last_spoken_ms < sel.global_cooldown_ms:
            return  # CueSelector.choose would return None: nothing to build
        super()._select_cue(t, frame, events)


_cached_part_name = functools.lru_cache(maxsize=None)(engine_mod.body_part_name)


def _frames(exercise: str, minutes: float) -> list:
    from coach.recording import load_clip

    clip = load_clip(landmark_recording(exercise))
    n = min(len(clip), int(minutes * 60 * common.clip_fps(clip)))
    return list(common.looped_frames(clip, n))


def _cpu_us(fn, n: int) -> tuple[float, object]:
    t0 = time.thread_time_ns()
    out = fn()
    return (time.thread_time_ns() - t0) / n / 1e3, out


def bench_smoother(rounds: int) -> dict:
    per_ex = {ex: _frames(ex, 2.0) for ex in EXERCISES}
    classes = [PoseSmoother, FastPoseSmoother, FusedPoseSmoother]
    times: dict = {c: [] for c in classes}
    same = {c: True for c in classes}
    maxdiff = {c: 0.0 for c in classes}
    for r in range(rounds):
        for ex, frames in per_ex.items():
            def run(cls):
                s = cls()
                return [s.update(f) for f in frames]
            k = r % len(classes)
            outs = {}
            for cls in classes[k:] + classes[:k]:
                us, out = _cpu_us(lambda: run(cls), len(frames))
                times[cls].append(us)
                outs[cls] = out
            if r == 0:
                for cls in classes[1:]:
                    for a, b in zip(outs[PoseSmoother], outs[cls]):
                        d = max(float(np.nanmax(np.abs(a.landmarks - b.landmarks), initial=0.0)),
                                float(np.nanmax(np.abs(a.world - b.world), initial=0.0)))
                        maxdiff[cls] = max(maxdiff[cls], d)
                        if not (np.array_equal(np.isnan(a.landmarks), np.isnan(b.landmarks)) and d <= 1e-9):
                            same[cls] = False
    rows = []
    for cls, name in ((FastPoseSmoother, "smoother (fast path)"), (FusedPoseSmoother, "smoother (fast+fused)")):
        row = _row(name, "PoseSmoother.update, us/frame, 7 exercises", times[PoseSmoother], times[cls], same[cls])
        row["max_abs_diff"] = maxdiff[cls]
        rows.append(row)
    return rows


def _events(engine_cls, spec, frames, patch_names: bool = False):
    smoothed = frames
    orig = engine_mod.body_part_name
    if patch_names:
        engine_mod.body_part_name = _cached_part_name
    try:
        e = engine_cls(spec)
        out = []
        for f in smoothed:
            out.extend(ev.to_dict() for ev in e.update(f))
        return out
    finally:
        engine_mod.body_part_name = orig


def bench_engine(rounds: int) -> list[dict]:
    from coach.spec import load_spec

    data = {}
    for ex in EXERCISES:
        s = PoseSmoother()
        data[ex] = (load_spec(ex), [s.update(f) for f in _frames(ex, 2.0)])
    rows = []
    variants = {
        "cue_cooldown": (CooldownEngine, False),
        "part_names": (engine_mod.ExerciseEngine, True),
        "cue_cooldown+part_names": (CooldownEngine, True),
    }
    base: list[float] = []
    res: dict[str, list[float]] = {k: [] for k in variants}
    same = {k: True for k in variants}
    for r in range(rounds):
        for ex, (spec, frames) in data.items():
            order = [("base", (engine_mod.ExerciseEngine, False))] + list(variants.items())
            k = r % len(order)
            outs = {}
            for name, (cls, patch) in order[k:] + order[:k]:
                us, out = _cpu_us(lambda: _events(cls, spec, frames, patch), len(frames))
                (base if name == "base" else res[name]).append(us)
                outs[name] = out
            for name in variants:
                if outs[name] != outs["base"]:
                    same[name] = False
    for name in variants:
        rows.append(_row(name, "ExerciseEngine.update, us/frame, 7 exercises", base, res[name], same[name]))
    return rows


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
    import coach.estimator as E
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
    from coach.plausibility import (
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
    import coach.estimator as E
    import coach.plausibility as P
    from coach.runner import load_spec_for, make_estimator, needs_masks
    from coach.sources import VideoFileSource

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


def _process_no_rotate_on_rejection(self, rgb, timestamp_ms):
    """PoseEstimator.process with one change: a rejected skeleton ends the frame."""
    import coach.estimator as E
    from coach.pose import PoseFrame

    h, w = rgb.shape[:2]
    image_wh = (w, h)
    ts = int(round(timestamp_ms))
    if ts <= self._last_ts_ms:
        ts = self._last_ts_ms + 1
    self._last_ts_ms = ts
    order = [self._active_rotation]
    if self.config.rotate_retry:
        order += [r for r in (E._ROT_NONE, E._ROT_CW, E._ROT_CCW) if r != self._active_rotation]
    for rotation in order:
        result = self._detect(rgb, ts, rotation)
        if result.pose_landmarks:
            frame = self._to_frame(result, rotation, timestamp_ms, image_wh)
            if frame is not None:
                verdict = self.plausibility.check(frame) if self.plausibility is not None else None
                if verdict is None or verdict.ok:
                    if rotation != E._ROT_NONE:
                        self.rotated_frames += 1
                    self._active_rotation = rotation
                    self.last_rejection = ""
                    return frame
                self.last_rejection = verdict.reason
                self._restart_tracking(rotation, timestamp_ms)
                break  # <- the change: a person was there; rotating the image won't fix the skeleton
        if not self.config.rotate_retry:
            break
    self._maybe_release_lock(timestamp_ms)
    return PoseFrame.empty(timestamp_ms, image_wh)


def bench_rejection(rounds: int, n_frames: int = 130, exercise: str = "cat_cow") -> dict:
    """Real model: the estimator on the first n frames of a good clip, original vs patched."""
    from coach.runner import load_spec_for, make_estimator, needs_masks
    from coach.sources import VideoFileSource

    spec = load_spec_for(exercise)
    frames = [(f.rgb, f.timestamp_ms) for f in
              itertools.islice(VideoFileSource(REPO / "samples" / exercise / "good.mp4"), n_frames)]
    acc: dict[int, list[dict]] = {0: [], 1: []}
    for r in range(rounds):
        for k in ([0, 1] if r % 2 == 0 else [1, 0]):
            est = make_estimator(None, 1, needs_masks(spec), spec)
            if k == 1:
                est.process = _process_no_rotate_on_rejection.__get__(est)
            try:
                w0, c0 = time.perf_counter(), time.process_time()
                detected = sum(est.process(rgb, ts).detected for rgb, ts in frames)
                wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            finally:
                est.close()
            acc[k].append({"wall_ms": 1000 * wall / n_frames, "cpu_ms": 1000 * cpu / n_frames,
                           "detected": detected, "restarts": est.restarts, "rotated": est.rotated_frames})
    b, a = acc[0], acc[1]
    row = _row("rejection", f"PoseEstimator.process, ms/frame (process CPU), first {n_frames} frames of "
                            f"{exercise}/good.mp4, real model", [x["cpu_ms"] for x in b], [x["cpu_ms"] for x in a],
               same=False)
    row.update({
        "before_ms_cpu": round(common.median(x["cpu_ms"] for x in b), 2),
        "after_ms_cpu": round(common.median(x["cpu_ms"] for x in a), 2),
        "before_ms_wall": round(common.median(x["wall_ms"] for x in b), 2),
        "after_ms_wall": round(common.median(x["wall_ms"] for x in a), 2),
        "before": {k: b[0][k] for k in ("detected", "restarts", "rotated")},
        "after": {k: a[0][k] for k in ("detected", "restarts", "rotated")},
        "unit": "ms",
    })
    return row


def bench_masks(rounds: int, n_frames: int = 100, exercise: str = "cat_cow") -> dict:
    """Real model: the estimator with segmentation masks (what runner.needs_masks asks for
    cat_cow today) vs without (its only spinal_flexion measure reads signal: nose)."""
    from coach.runner import load_spec_for, make_estimator
    from coach.sources import VideoFileSource

    spec = load_spec_for(exercise)
    frames = [(f.rgb, f.timestamp_ms) for f in
              itertools.islice(VideoFileSource(REPO / "samples" / exercise / "good.mp4"), n_frames)]
    acc: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    lms: dict[bool, list] = {}
    for r in range(rounds):
        for masks in ([True, False] if r % 2 == 0 else [False, True]):
            est = make_estimator(None, 1, masks, spec)
            try:
                out = [est.process(rgb, ts) for rgb, ts in frames[:5]]  # warm-up
                w0, c0 = time.perf_counter(), time.process_time()
                out += [est.process(rgb, ts) for rgb, ts in frames[5:]]
                acc[masks].append((1000 * (time.perf_counter() - w0) / (n_frames - 5),
                                   1000 * (time.process_time() - c0) / (n_frames - 5)))
                lms[masks] = out
            finally:
                est.close()
    same = all(np.allclose(a.landmarks, b.landmarks, atol=1e-6, equal_nan=True)
               for a, b in zip(lms[True], lms[False]))
    row = _row("no unused masks", f"PoseEstimator.process, ms/frame (process CPU), {exercise}/good.mp4 frames 5-{n_frames}, "
               "real model, masks on vs off", [c for _, c in acc[True]], [c for _, c in acc[False]], same)
    row.update({"unit": "ms", "before_ms_wall": round(common.median(w for w, _ in acc[True]), 2),
                "after_ms_wall": round(common.median(w for w, _ in acc[False]), 2)})
    return row


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
    rows = [*bench_smoother(args.rounds), *bench_engine(args.rounds), *bench_estimator(max(3, args.rounds)),
            bench_rejection(2), bench_masks(2)]
    print(f"{'fix':<26}{'before':>10}{'after':>10}{'speedup':>9}{'same output':>13}  what")
    for r in rows:
        print(f"{r['fix']:<26}{r['before_us']:>10.1f}{r['after_us']:>10.1f}{r['speedup']:>9.2f}"
              f"{str(r['same_output']):>13}  {r['what']}")
        if r["fix"] == "no unused masks":
            print(f"{'':<26}wall ms/frame {r['before_ms_wall']} -> {r['after_ms_wall']}; landmarks equal: {r['same_output']}")
        if r["fix"] == "rejection":
            print(f"{'':<26}wall ms/frame {r['before_ms_wall']} -> {r['after_ms_wall']}; before {r['before']}, "
                  f"after {r['after']} (detected frames, tracker restarts, rotated frames)")
    common.write_json(args.json, {"benchmark": "fixes", "machine": common.machine_info(), "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
