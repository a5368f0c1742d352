"""Throughput of the whole `coach replay` pipeline next to the bare pose model, in one run.

This machine is shared and its speed drifts, so absolute fps mean little: the variants
are interleaved (every round runs every variant on every clip, variants in a rotating
order, clip by clip) and the script reports ratios, computed per round and clip pair
(so a slow minute hits both sides of a ratio) and summarised as the median over pairs.

    python benchmarks/throughput.py [CLIP.mp4 ...] [--frames 150] [--rounds 3] [--json out.json]

Variants:
  model         bare PoseLandmarker (VIDEO mode, same options as the coach: masks when the
                exercise needs them) on frames decoded beforehand: the physical limit
  decode+model  the same, decoding the video as it goes (what any app must pay)
  replay        the full `coach replay` path as the CLI builds it (runner.open_input with
                the spec's masks and plausibility check + runner.execute): decode, model
                (+ rotated retries, plausibility restarts), smoothing, measures, rules,
                cues, events.jsonl + summary.json; no drawing
  replay+video  the same, also drawing the overlay and writing annotated.mp4
Steady state is timed: from the moment frame WARMUP (5) is handed to the model to the end
of the last frame (for replay: when the pipeline's per-frame callback runs for the last
frame). Creating the landmarker / estimator, loading the spec and opening files are
measured apart (``setup_s``), and so are the end-of-run costs of replay (engine finish,
closing the video, summary.json with fsync: ``teardown_s``). ``replay`` also reports its
own split (time inside the estimator vs everything else).
Each variant is timed in wall time and in process CPU time (all threads): CPU ratios are
steadier when other programs compete for the two cores.
Ratio goal (issue 7): replay / decode+model >= 0.95.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import REPO, exercise_for, median  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

VARIANTS = ("model", "decode+model", "replay", "replay+video")
WARMUP = 5  # first frames (first detection, first allocations) left out of the timing


def decode(path: Path, limit: int) -> tuple[list[np.ndarray], list[float]]:
    """RGB frames and their timestamps (ms), as coach.vision.sources.VideoFileSource gives them."""
    from coach.vision.sources import VideoFileSource

    frames, ts = [], []
    for f in itertools.islice(VideoFileSource(path), limit):
        frames.append(f.rgb)
        ts.append(f.timestamp_ms)
    return frames, ts


def bare_landmarker(masks: bool):
    from mediapipe.tasks.python import BaseOptions, vision

    from coach.vision.model import default_model_path

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(default_model_path())),
        running_mode=vision.RunningMode.VIDEO,
        output_segmentation_masks=masks,
    )
    return vision.PoseLandmarker.create_from_options(options)


class Timer:
    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def stop(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def run_model(frames: list[np.ndarray], ts: list[float], masks: bool) -> dict:
    import mediapipe as mp

    from coach.vision.estimator import _quiet_native_stderr

    s = Timer()
    with _quiet_native_stderr():  # MediaPipe's native log lines, as the coach does
        lm = bare_landmarker(masks)
    setup = s.stop()[0]
    try:
        t = Timer()
        found = 0
        for i, (rgb, ms) in enumerate(zip(frames, ts)):
            if i == WARMUP:
                t = Timer()
            r = lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), int(round(ms)))
            found += bool(r.pose_landmarks)
        wall, cpu = t.stop()
    finally:
        with _quiet_native_stderr():
            lm.close()
    return {"wall_s": wall, "cpu_s": cpu, "frames": len(frames) - WARMUP, "setup_s": setup, "tracked": found,
            "all_frames": len(frames)}


def run_decode_model(path: Path, limit: int, masks: bool) -> dict:
    import mediapipe as mp

    from coach.vision.estimator import _quiet_native_stderr

    s = Timer()
    with _quiet_native_stderr():  # MediaPipe's native log lines, as the coach does
        lm = bare_landmarker(masks)
    setup = s.stop()[0]
    try:
        t = Timer()
        cap = cv2.VideoCapture(str(path))
        n = found = 0
        last = -1
        while n < limit:
            if n == WARMUP:
                t = Timer()
            ok, bgr = cap.read()
            if not ok:
                break
            ms = int(round(cap.get(cv2.CAP_PROP_POS_MSEC)))
            ms = ms if ms > last else last + 1
            last = ms
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            r = lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), ms)
            found += bool(r.pose_landmarks)
            n += 1
        cap.release()
        wall, cpu = t.stop()
    finally:
        with _quiet_native_stderr():
            lm.close()
    return {"wall_s": wall, "cpu_s": cpu, "frames": n - WARMUP, "setup_s": setup, "tracked": found,
            "all_frames": n}


class _FirstFrameClock:
    """Wraps a frame source: starts the clock when frame WARMUP is handed out, limits frames;
    ``on_progress`` (called by the pipeline after each frame) notes the end of each frame."""

    def __init__(self, source, limit: int) -> None:
        self.source, self.limit = source, limit
        self.t0: Timer | None = None
        self.last: tuple[float, float] | None = None
        self.model0 = self.model_last = 0.0

    def __iter__(self):
        for i, frame in enumerate(self.source):
            if i >= self.limit:
                return
            if i == WARMUP:
                self.t0 = Timer()
            yield frame

    def on_progress(self, stats) -> None:
        if stats.frames == WARMUP:
            self.model0 = stats.model_s
        self.model_last = stats.model_s
        if self.t0 is not None:
            self.last = self.t0.stop()


def run_replay(path: Path, exercise: str, limit: int, video: bool) -> dict:
    """Exactly what `coach replay` runs (coach.cli.replay.cmd_replay), minus printing."""
    from coach.pipeline.runner import RunOptions, execute, load_spec_for, needs_masks, open_input

    s = Timer()
    spec = load_spec_for(exercise)
    frames, fps, estimator, _ = open_input(str(path), None, 1, needs_masks(spec), spec)
    setup = s.stop()[0]
    clocked = _FirstFrameClock(frames, limit)
    with tempfile.TemporaryDirectory() as out:
        options = RunOptions(exercise=exercise, out_dir=out, video=video)
        try:
            result = execute(options, clocked, fps=fps, estimator=estimator, source_name=str(path),
                             on_progress=clocked.on_progress)
        finally:
            restarts = getattr(estimator, "restarts", 0)
            estimator.close()
        assert clocked.t0 is not None and clocked.last is not None
        wall, cpu = clocked.last
        teardown = clocked.t0.stop()[0] - wall  # finish, sinks' close, summary.json (fsync)
    st = result.stats
    return {
        "wall_s": wall, "cpu_s": cpu, "frames": st.frames - WARMUP, "setup_s": setup, "tracked": st.tracked,
        "teardown_s": teardown, "all_frames": st.frames,
        "model_s": clocked.model_last - clocked.model0, "rotated_frames": st.rotated_frames, "restarts": restarts,
        "events": st.events,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*", type=Path)
    parser.add_argument("--frames", type=int, default=150, help="frames per clip (from its start)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    from coach.pipeline.runner import load_spec_for, needs_masks

    clips = args.clips or [REPO / "samples" / ex / "good.mp4" for ex in ("seated_rotation", "cat_cow")]
    clips = [c for c in clips if c.exists()]
    if not clips:
        print("no clips: pass video files", file=sys.stderr)
        return 2
    info = common.machine_info()
    exercise = {c: exercise_for(c) for c in clips}
    masks = {c: needs_masks(load_spec_for(exercise[c])) for c in clips}
    decoded = {c: decode(c, args.frames) for c in clips}
    runs: dict[tuple[str, Path], list[dict]] = {(v, c): [] for v in VARIANTS for c in clips}
    # warm-up (first landmarker creation loads the runtime; first replay imports modules)
    run_model(decoded[clips[0]][0][:WARMUP + 3], decoded[clips[0]][1][:WARMUP + 3], masks[clips[0]])
    run_replay(clips[0], exercise[clips[0]], WARMUP + 3, video=True)
    for r in range(args.rounds):
        for ci, clip in enumerate(clips):
            k = (r + ci) % len(VARIANTS)
            for variant in VARIANTS[k:] + VARIANTS[:k]:
                if variant == "model":
                    res = run_model(*decoded[clip], masks[clip])
                elif variant == "decode+model":
                    res = run_decode_model(clip, args.frames, masks[clip])
                else:
                    res = run_replay(clip, exercise[clip], args.frames, video=(variant == "replay+video"))
                runs[(variant, clip)].append(res)

    def ratios(num: str, den: str, key: str = "wall_s") -> list[float]:
        out = []
        for clip in clips:
            for a, b in zip(runs[(num, clip)], runs[(den, clip)]):
                # fps ratio = (frames_a / t_a) / (frames_b / t_b)
                out.append((a["frames"] / a[key]) / (b["frames"] / b[key]))
        return out

    pairs = {
        "replay / decode+model": ("replay", "decode+model"),
        "replay / model": ("replay", "model"),
        "replay+video / decode+model": ("replay+video", "decode+model"),
        "decode+model / model": ("decode+model", "model"),
    }
    ratio = {}
    for name, (a, b) in pairs.items():
        w, c = ratios(a, b), ratios(a, b, "cpu_s")
        ratio[name] = {"wall_median": round(median(w), 3), "wall_min": round(min(w), 3),
                       "wall_max": round(max(w), 3), "cpu_median": round(median(c), 3), "pairs": len(w)}
    per_variant = {}
    for v in VARIANTS:
        rs = [x for c in clips for x in runs[(v, c)]]
        frames = sum(x["frames"] for x in rs)
        per_variant[v] = {
            "fps_wall": round(frames / sum(x["wall_s"] for x in rs), 2),
            "ms_per_frame_wall": round(1000 * sum(x["wall_s"] for x in rs) / frames, 2),
            "ms_per_frame_cpu": round(1000 * sum(x["cpu_s"] for x in rs) / frames, 2),
            "setup_s_median": round(median(x["setup_s"] for x in rs), 3),
            "tracked_fraction": round(sum(x["tracked"] for x in rs) / sum(x["all_frames"] for x in rs), 3),
        }
    rp = [x for c in clips for x in runs[("replay", c)]]
    frames = sum(x["frames"] for x in rp)
    model_ms = 1000 * sum(x["model_s"] for x in rp) / frames
    total_ms = 1000 * sum(x["wall_s"] for x in rp) / frames
    split = {
        "estimator_ms_per_frame": round(model_ms, 2),
        "rest_ms_per_frame": round(total_ms - model_ms, 2),
        "rest_fraction": round((total_ms - model_ms) / total_ms, 3),
        "rotated_frames": sum(x["rotated_frames"] for x in rp),
        "restarts": sum(x["restarts"] for x in rp),
        "teardown_s_median": round(median(x["teardown_s"] for x in rp), 3),
        "teardown_s_median_video": round(median(x["teardown_s"] for c in clips for x in runs[("replay+video", c)]), 3),
    }
    result = {
        "benchmark": "throughput",
        "machine": info,
        "clips": [{"clip": common.rel(c), "exercise": exercise[c], "masks": masks[c],
                   "frames": len(decoded[c][0])} for c in clips],
        "rounds": args.rounds,
        "variants": per_variant,
        "ratios": ratio,
        "replay_split": split,
        "goal": "replay / decode+model >= 0.95",
        "meets_goal": ratio["replay / decode+model"]["wall_median"] >= 0.95,
        "runs": {f"{v}|{common.rel(c)}": rs for (v, c), rs in runs.items()},
    }
    n_frames = sum(len(decoded[c][0]) for c in clips)
    print(f"(each run times frames {WARMUP}..end; the first {WARMUP} warm the model up)")
    print(f"throughput: {n_frames} frames from {len(clips)} clip(s) x {args.rounds} interleaved rounds; "
          f"{info['cores']} cores, load {info['loadavg_1_5_15'][0]}, {info['cpu']}")
    print(f"{'variant':<14}{'fps (wall)':>11}{'ms/frame wall':>15}{'ms/frame CPU':>14}{'setup s':>9}")
    for v in VARIANTS:
        p = per_variant[v]
        print(f"{v:<14}{p['fps_wall']:>11.1f}{p['ms_per_frame_wall']:>15.2f}{p['ms_per_frame_cpu']:>14.2f}"
              f"{p['setup_s_median']:>9.3f}")
    print(f"{'ratio (fps)':<30}{'median':>8}{'min':>8}{'max':>8}{'CPU median':>12}")
    for name, r in ratio.items():
        print(f"{name:<30}{r['wall_median']:>8.3f}{r['wall_min']:>8.3f}{r['wall_max']:>8.3f}{r['cpu_median']:>12.3f}")
    print(f"replay split: estimator {split['estimator_ms_per_frame']} ms/frame, everything else "
          f"{split['rest_ms_per_frame']} ms/frame ({100 * split['rest_fraction']:.1f} %); "
          f"rotated frames {split['rotated_frames']}, tracker restarts {split['restarts']}")
    common.write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
