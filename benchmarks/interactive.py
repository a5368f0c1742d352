"""What a person waits for: the overlay drawn on each frame, and the physio workbench
re-evaluating a whole recording after a slider moves. (These were timed assertions in
tests/test_draw.py and tests/test_tune.py; a test must not depend on this machine's load.)

    python benchmarks/interactive.py [--rounds 5] [--json out.json]

overlay    OverlayRenderer.render(step) (coach replay --video, coach live, the session
           window), per frame, on a sample recording replayed through the engine at
           1280x720 (a dark canvas, as a landmark replay draws), and the same for the
           busiest picture (panel with four rules, arc, hold ring, rep counter, a long
           Norwegian safety cue). Target: 40 ms a frame (the old test's bound); printed as
           ratios to it and to a 30 fps frame (33.3 ms).
workbench  Workbench.evaluate + result_json after a threshold change (what one slider move
           costs), on samples/chair_extension/lumbar_arching.landmarks.npz. Target: 300 ms
           (the old test's bound); printed as a ratio, and per minute of recording.

Times are thread CPU (time.thread_time_ns: immune to the machine's other load) and wall;
the median over rounds is reported.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import REPO  # noqa: E402

OVERLAY_TARGET_MS = 40.0
FRAME_30FPS_MS = 1000.0 / 30.0
WORKBENCH_TARGET_MS = 300.0


def _timed(fn) -> tuple[float, float]:
    """(thread CPU ms, wall ms) of one call."""
    c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
    fn()
    return (time.thread_time_ns() - c0) / 1e6, (time.perf_counter_ns() - w0) / 1e6


def bench_overlay(rounds: int, n_frames: int = 150) -> list[dict]:
    import dataclasses

    import numpy as np

    from coach.engine import ExerciseEngine
    from coach.pipeline.loop import Step
    from coach.pose import Landmark
    from coach.spec import load_spec
    from coach.ui.draw import ArcView, CueView, OverlayState
    from coach.ui.overlay import OverlayRenderer
    from coach.vision.recording import load_clip

    clip = load_clip(REPO / "samples" / "lying_twist" / "good.landmarks.npz")
    spec = load_spec("lying_twist")
    frames = [dataclasses.replace(clip.frame(i), image_wh=(1280, 720))
              for i in range(0, len(clip), max(1, len(clip) // n_frames))][:n_frames]
    engine = ExerciseEngine(spec, lang="nb")
    steps = [Step(i, None, f, f, engine.update(f), engine) for i, f in enumerate(frames)]
    rgb = np.full((720, 1280, 3), 100, np.uint8)
    busiest = frames[len(frames) // 2]
    full = OverlayState(
        phase="hold", side="right", exercise="Liggende rotasjon", hold_s=21.4, hold_target_s=30.0,
        reps=1, reps_target=2,
        rules=[("Skuldrene i gulvet", "fault", 18.0, (None, 10.0)), ("Armene i T", "ok", 88.0, (70, 110)),
               ("Kneet over midtlinjen", "warning", None, (None, None)),
               ("Hodet vendt bort", "cant_see", None, (None, None))],
        cue=CueView("Hold begge skuldrene nede — æøå ÆØÅ", "safety"),
        next_instruction="Gå rolig tilbake til midten og bytt side", pose=busiest,
        arcs=[ArcView.from_frame(busiest, Landmark.LEFT_ELBOW, Landmark.LEFT_SHOULDER, Landmark.LEFT_WRIST,
                                 (150.0, None), "warning")])
    rows = []
    for name in ("replay", "busiest"):
        cpu, wall = [], []
        for _ in range(rounds):
            renderer = OverlayRenderer(spec, lang="nb")
            renderer.render(steps[0])                     # the glyph cache warmed
            if name == "replay":
                for s in steps:
                    c, w = _timed(lambda s=s: renderer.render(s))
                    cpu.append(c)
                    wall.append(w)
            else:
                for _i in range(20):
                    c, w = _timed(lambda: renderer.annotator.annotate(rgb.copy(), full))
                    cpu.append(c)
                    wall.append(w)
        rows.append({"what": f"overlay {name}", "frames": len(cpu), "cpu_ms_p50": statistics.median(cpu),
                     "cpu_ms_p95": common.pct(cpu, 95), "wall_ms_p50": statistics.median(wall),
                     "target_ms": OVERLAY_TARGET_MS,
                     "ratio_to_target": statistics.median(cpu) / OVERLAY_TARGET_MS,
                     "ratio_to_30fps_frame": statistics.median(cpu) / FRAME_30FPS_MS})
    return rows


def bench_workbench(rounds: int) -> list[dict]:
    from coach.tools.tune.workbench import Workbench
    from coach.vision.recording import load_clip

    clip = load_clip(REPO / "samples" / "chair_extension" / "lumbar_arching.landmarks.npz")
    bench = Workbench(clip, "chair_extension")
    minutes = (clip.timestamps_ms[-1] - clip.timestamps_ms[0]) / 60000.0
    bench.result_json(bench.evaluate({}))               # measures cached once, as the page's first load
    cpu, wall = [], []
    for r in range(rounds):
        for v in (150, 145, 135, 130, 141):
            overrides = {"rules": {"lumbar_arching": {"max_deg": v + r % 2}}}
            c, w = _timed(lambda: bench.result_json(bench.evaluate(overrides)))
            cpu.append(c)
            wall.append(w)
    p50 = statistics.median(cpu)
    return [{"what": "workbench re-evaluation", "frames": bench.n, "minutes": round(minutes, 2),
             "cpu_ms_p50": p50, "cpu_ms_p95": common.pct(cpu, 95), "wall_ms_p50": statistics.median(wall),
             "target_ms": WORKBENCH_TARGET_MS, "ratio_to_target": p50 / WORKBENCH_TARGET_MS,
             "cpu_ms_per_minute": p50 / max(minutes, 1e-6)}]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    rows = bench_overlay(args.rounds) + bench_workbench(args.rounds)
    print(f"{'what':26s} {'n':>6s} {'cpu p50 ms':>10s} {'cpu p95 ms':>10s} {'wall p50':>9s} {'target':>7s} "
          f"{'ratio':>6s}")
    for r in rows:
        print(f"{r['what']:26s} {r['frames']:6d} {r['cpu_ms_p50']:10.2f} {r['cpu_ms_p95']:10.2f} "
              f"{r['wall_ms_p50']:9.2f} {r['target_ms']:7.0f} {r['ratio_to_target']:6.2f}")
    for r in rows:
        if "ratio_to_30fps_frame" in r:
            print(f"{r['what']}: {r['ratio_to_30fps_frame']:.2f} of a 30 fps frame")
        if "cpu_ms_per_minute" in r:
            print(f"{r['what']}: {r['cpu_ms_per_minute']:.1f} ms per minute of recording ({r['minutes']} min)")
    common.write_json(args.json, {"machine": common.machine_info(), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
