"""Checker cost: microseconds per frame for smoothing + measures + rules + phases + cue
selection, for each exercise, on a long landmark recording (a sample recording looped
with shifted timestamps).

    python benchmarks/checker.py [--minutes 5] [--exercise cat_cow ...] [--json out.json]

What is timed per frame, around each call and nothing else in between, with two clocks:
the thread's CPU time (time.thread_time_ns: what the code costs, immune to the machine's
other load, the primary number) and wall time (time.perf_counter_ns: what this shared,
noisy machine made of it, whose tail is mostly preemption):
  smooth  PoseSmoother.update (One Euro on 33 image + 33 world landmarks)
  engine  ExerciseEngine.update: every measure of the current step, every rule tracker,
          the phase logic (setup/hold/reps/rest), the cue selector, building the events
Not timed: building the PoseFrame from the recording's arrays (reported apart as
``frame_us``), writing events anywhere, drawing. At every repetition of the clip the
engine is finished and a new one built (an exercise is coached once per clip; a finished
engine costs nothing per frame, so frames after it is done are left out of the numbers
and counted as ``idle_frames``). Engine construction is reported apart (``build_ms``).
Goal (issue 7): <= 100 us a frame for smooth + engine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import EXERCISES, landmark_recording, summary  # noqa: E402

GOAL_US = 100.0


class _Variant:
    """One smoother + engine pair and what was measured of it."""

    def __init__(self, smoother_cls, spec, lang: str) -> None:
        from coach.engine import ExerciseEngine

        self.name = smoother_cls.__name__
        self.spec, self.lang = spec, lang
        self.smoother = smoother_cls()
        t0 = time.perf_counter()
        self.engine = ExerciseEngine(spec, lang=lang)
        self.build_ms = [(time.perf_counter() - t0) * 1000.0]
        self.smooth_ns: list[int] = []
        self.engine_ns: list[int] = []
        self.smooth_cpu: list[int] = []
        self.engine_cpu: list[int] = []
        self.finish_ns: list[int] = []
        self.idle = self.events = self.cues = 0
        self.last_t = 0.0

    def restart(self) -> None:
        from coach.engine import ExerciseEngine

        c0 = time.perf_counter_ns()
        self.engine.finish(self.last_t)
        self.finish_ns.append(time.perf_counter_ns() - c0)
        t1 = time.perf_counter()
        self.engine = ExerciseEngine(self.spec, lang=self.lang)
        self.build_ms.append((time.perf_counter() - t1) * 1000.0)

    def step(self, frame) -> None:
        cpu, clock = time.thread_time_ns, time.perf_counter_ns
        if self.engine.done:
            self.idle += 1
            self.smoother.update(frame)
            return
        c1 = cpu()
        c = clock()
        pose = self.smoother.update(frame)
        d = clock()
        d1 = cpu()
        evs = self.engine.update(pose)
        e = clock()
        e1 = cpu()
        self.smooth_cpu.append(d1 - c1)
        self.engine_cpu.append(e1 - d1)
        self.smooth_ns.append(d - c)
        self.engine_ns.append(e - d)
        self.events += len(evs)
        self.cues += sum(1 for ev in evs if ev.kind == "cue")
        self.last_t = frame.timestamp_ms


def bench_exercise(exercise: str, minutes: float, lang: str = "en", smoother_classes=None) -> list[dict]:
    """One row per smoother class; several classes run frame-interleaved (same frames, the
    order alternating every frame), so the machine's drifting speed hits them alike."""
    from coach.vision.recording import load_clip
    from coach.vision.smoothing import PoseSmoother
    from coach.spec import load_spec

    classes = list(smoother_classes or [PoseSmoother])
    path = landmark_recording(exercise)
    if path is None:
        return [{"exercise": exercise, "error": "no landmark recording and no good.mp4"}]
    clip = load_clip(path)
    fps = common.clip_fps(clip)
    n = int(minutes * 60 * fps)
    spec = load_spec(exercise)
    variants = [_Variant(c, spec, lang) for c in classes]
    frame_ns: list[int] = []
    per_clip = len(clip)
    clock = time.perf_counter_ns
    frames = common.looped_frames(clip, n)
    for k in range(n):
        a = clock()
        frame = next(frames)
        frame_ns.append(clock() - a)
        if k and k % per_clip == 0:  # the clip starts again: a new exercise
            for v in variants:
                v.restart()
        order = variants if k % 2 == 0 else variants[::-1]
        for v in order:
            v.step(frame)
    rows = []
    for v in variants:
        total = [s + e for s, e in zip(v.smooth_ns, v.engine_ns)]
        total_cpu = [s + e for s, e in zip(v.smooth_cpu, v.engine_cpu)]
        tot = summary(total_cpu, 1e-3, 1)
        rows.append({
            "exercise": exercise,
            "smoother": v.name,
            "recording": common.rel(path),
            "clip_frames": per_clip,
            "fps": round(fps, 2),
            "frames": n,
            "minutes": round(n / fps / 60.0, 2),
            "active_frames": len(total),
            "idle_frames": v.idle,
            "events": v.events,
            "cues": v.cues,
            "smooth_us": summary(v.smooth_cpu, 1e-3, 1),
            "engine_us": summary(v.engine_cpu, 1e-3, 1),
            "total_us": tot,
            "wall_smooth_us": summary(v.smooth_ns, 1e-3, 1),
            "wall_engine_us": summary(v.engine_ns, 1e-3, 1),
            "wall_total_us": summary(total, 1e-3, 1),
            "frame_build_us": summary(frame_ns, 1e-3, 1),
            "finish_us": summary(v.finish_ns, 1e-3, 1),
            "build_ms": summary(v.build_ms, 1.0, 2),
            "goal_us": GOAL_US,
            "meets_goal_mean": bool(tot.get("mean", 1e9) <= GOAL_US),
            "meets_goal_p95": bool(tot.get("p95", 1e9) <= GOAL_US),
        })
    if len(rows) > 1 and rows[0]["events"] != rows[1]["events"]:
        rows[1]["events_differ"] = True
    return rows


def print_table(rows: list[dict]) -> None:
    print(f"{'exercise':<22}{'frames':>8}{'smooth p50':>11}{'engine p50':>11}{'total p50':>10}"
          f"{'mean':>7}{'p95':>7}{'p99':>7}{'max':>8}{'wall p50':>9}{'wall p99':>9}  goal<=100us")
    for r in rows:
        if "error" in r:
            print(f"{r['exercise']:<22} {r['error']}")
            continue
        t = r["total_us"]
        ok = "ok" if r["meets_goal_p95"] else ("mean ok" if r["meets_goal_mean"] else "MISSED")
        print(f"{r['exercise']:<22}{r['active_frames']:>8}{r['smooth_us']['p50']:>11.1f}{r['engine_us']['p50']:>11.1f}"
              f"{t['p50']:>10.1f}{t['mean']:>7.1f}{t['p95']:>7.1f}{t['p99']:>7.1f}{t['max']:>8.0f}"
              f"{r['wall_total_us']['p50']:>9.1f}{r['wall_total_us']['p99']:>9.0f}  {ok}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="length of each looped recording")
    parser.add_argument("--exercise", action="append", choices=EXERCISES)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = [bench_exercise(ex, args.minutes)[0] for ex in args.exercise or EXERCISES]
    print(f"checker cost per frame (us of thread CPU time unless 'wall'), recordings looped to "
          f"{args.minutes:g} min, engine restarted per loop")
    print_table(rows)
    common.write_json(args.json, {"benchmark": "checker", "machine": common.machine_info(), "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
