"""What looking for a second person costs: `coach replay` throughput with the people check
off, with MediaPipe asked for two poses on every frame (``num_poses=2``), and with the
estimator's people check (the image turned each way, two poses each, every
``people_check_frames`` frames with a person), interleaved in one run and reported as ratios to "off".

    python benchmarks/people.py [CLIP.mp4 ...] [--frames 240] [--rounds 3] [--json out.json]

Each variant is the full replay path (``runner.execute`` with the spec's plausibility check:
decode, model, rotated retries, smoothing, engine, events.jsonl), timed in steady state as
``throughput.py`` does (from frame WARMUP on; the landmarkers' creation is not timed).
"ms per check" is wall time inside the checks, the first one (which creates the check's
landmarker, ~0.3 s) included.

Measured 2026-12-06 (lying_twist and seated_rotation good.mp4, 300 frames, 4 rounds, shared
2-core EPYC at load 10): fps ratio to "off" num_poses=2 0.62 wall / 0.61 CPU; the check every
90 frames 0.97 wall / 0.96 CPU (one check costs ~60 ms of CPU, ~3.7 tracked frames).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import REPO, exercise_for, median  # noqa: E402
from throughput import WARMUP, Timer, _FirstFrameClock  # noqa: E402

VARIANTS = {
    "off": dict(max_people=1, people_check_frames=0),
    "num_poses=2": dict(max_people=2, people_check_frames=0),
    "check/90": dict(max_people=1, people_check_frames=90),
    "check/30": dict(max_people=1, people_check_frames=30),
}


def run(path: Path, exercise: str, limit: int, config: dict) -> dict:
    from coach.pipeline.runner import RunOptions, execute, load_spec_for, plausibility_for
    from coach.vision.estimator import EstimatorConfig, PoseEstimator
    from coach.vision.sources import open_source

    spec = load_spec_for(exercise)
    source = open_source(str(path))
    estimator = PoseEstimator(EstimatorConfig(**config))
    estimator.plausibility = plausibility_for(spec)
    clocked = _FirstFrameClock(source, limit)
    with tempfile.TemporaryDirectory() as out:
        try:
            result = execute(RunOptions(exercise=exercise, out_dir=out), clocked, fps=source.info.fps,
                             estimator=estimator, on_progress=clocked.on_progress)
        finally:
            checks, check_s = estimator.people_checks, estimator.people_check_s
            estimator.close()
    assert clocked.t0 is not None and clocked.last is not None
    wall, cpu = clocked.last
    return {"wall_s": wall, "cpu_s": cpu, "frames": result.stats.frames - WARMUP, "all_frames": result.stats.frames,
            "people_checks": checks,
            "people_check_s": check_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*", type=Path)
    parser.add_argument("--frames", type=int, default=240)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    clips = args.clips or [REPO / "samples" / "lying_twist" / "good.mp4"]
    info = common.machine_info()
    names = args.variants
    runs: dict[tuple[str, Path], list[dict]] = {(v, c): [] for v in names for c in clips}
    run(clips[0], exercise_for(clips[0]), WARMUP + 3, VARIANTS["check/90"])   # warm-up: imports, runtime
    for r in range(args.rounds):
        for ci, clip in enumerate(clips):
            k = (r + ci) % len(names)
            for v in names[k:] + names[:k]:
                runs[(v, clip)].append(run(clip, exercise_for(clip), args.frames, VARIANTS[v]))
                x = runs[(v, clip)][-1]
                print(f"  round {r} {clip.parent.name}/{clip.name} {v:<12} {x['frames'] / x['wall_s']:6.1f} fps "
                      f"(CPU {1000 * x['cpu_s'] / x['frames']:.1f} ms/frame, {x['people_checks']} people checks)",
                      file=sys.stderr, flush=True)

    def ratios(v: str, key: str) -> list[float]:
        return [(a["frames"] / a[key]) / (b["frames"] / b[key])
                for c in clips for a, b in zip(runs[(v, c)], runs[("off", c)])]

    result = {"benchmark": "people", "machine": info, "clips": [common.rel(c) for c in clips],
              "frames": args.frames, "rounds": args.rounds, "ratios": {}, "runs": {}}
    print(f"people check cost: {len(clips)} clip(s) x {args.rounds} interleaved rounds, {args.frames} frames; "
          f"{info['cores']} cores, load {info['loadavg_1_5_15'][0]}")
    print(f"{'variant':<14}{'fps/off (wall)':>16}{'min':>7}{'max':>7}{'fps/off (CPU)':>15}{'ms per check':>14}")
    for v in names:
        rs = [x for c in clips for x in runs[(v, c)]]
        checks = sum(x["people_checks"] for x in rs)
        per_check = 1000 * sum(x["people_check_s"] for x in rs) / checks if checks else None
        w, c = ratios(v, "wall_s"), ratios(v, "cpu_s")
        result["ratios"][v] = {"wall_median": round(median(w), 3), "wall_min": round(min(w), 3),
                               "wall_max": round(max(w), 3), "cpu_median": round(median(c), 3),
                               "ms_per_check": None if per_check is None else round(per_check, 1)}
        print(f"{v:<14}{median(w):>16.3f}{min(w):>7.3f}{max(w):>7.3f}{median(c):>15.3f}"
              f"{'-' if per_check is None else f'{per_check:.0f}':>14}")
        result["runs"][v] = rs
    common.write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
