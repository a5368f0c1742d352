"""Scaling: cost per frame versus recording length (1, 10, 60 minutes of landmarks) and
resident memory over a 60-minute replay.

    python benchmarks/scaling.py [--exercise lying_twist] [--minutes 1 10 60] [--json out.json]
                                 [--record-minutes 60] [--old-recording /tmp/old_recording.py]

Each length runs in its own Python process (clean RSS), through ``coach.pipeline.loop.run``
as `coach replay` does for a landmark file: smoother -> engine -> events.jsonl (every
event written and flushed) -> stats; no drawing. The frames are the exercise's sample
recording looped with shifted timestamps and built lazily, so the benchmark itself holds
no per-frame data. An exercise ends after one pass of its phases (a finished engine costs
nothing per frame), so a new engine for the same exercise starts every time the clip
starts again: a long session of repeated exercises, which is what keeps the per-frame
work going for the whole hour. Per minute of media time the script notes the process CPU
time of that minute's frames and the RSS (VmRSS).

Also measured, apart: the memory of what a *file* replay holds before the first frame
(``coach.vision.recording.load_clip``: the whole recording in float64, masks unpacked to
float32 per frame), at 1 and 10 minutes (its growth is linear; 60 minutes is
extrapolated, not run, because it would take gigabytes for a recording with masks).

``--record-landmarks``: the same replay for ``--record-minutes`` (60) with a
``RecordingWriter`` attached, without and with segmentation masks (a synthetic
person-shaped mask at 640x480 on every frame, as the model gives for exercises that read
the spine's curve), then ``close()`` timed (it writes the ``.npz``). RSS per minute, peak
RSS (VmHWM, so the close counts too) and the file size. ``--old-recording FILE`` runs the
same with the ``RecordingWriter`` of another version of ``coach/vision/recording.py`` for
comparison, e.g. the one before the writer streamed to disk::

    git show dcb5ceb:coach/recording.py > /tmp/old_recording.py
    python benchmarks/scaling.py --minutes 1 --old-recording /tmp/old_recording.py
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import landmark_recording, rss_mib  # noqa: E402

HERE = Path(__file__).resolve()


class RepeatingEngine:
    """ExerciseEngine that starts over (a new engine) whenever the clip starts over."""

    def __init__(self, spec, clip_frames: int) -> None:
        from coach.engine import ExerciseEngine

        self._make = lambda: ExerciseEngine(spec, lang="en")
        self.engine = self._make()
        self.clip_frames = clip_frames
        self.n = 0
        self.restarts = 0

    def update(self, frame):
        events = []
        if self.n and self.n % self.clip_frames == 0:
            events = self.engine.finish(self._last)
            self.engine = self._make()
            self.restarts += 1
        self.n += 1
        self._last = frame.timestamp_ms
        return events + self.engine.update(frame)

    def finish(self, t):
        return self.engine.finish(t)


def recording_writer_class(old_recording: str | None):
    """``coach.vision.recording.RecordingWriter``, or the one of the given copy of that module
    (loaded as ``coach._other_recording`` so its relative imports resolve)."""
    if not old_recording:
        from coach.vision.recording import RecordingWriter

        return RecordingWriter
    import importlib.util

    import coach  # noqa: F401  (the parent package of the copy)

    spec = importlib.util.spec_from_file_location("coach._other_recording", old_recording)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.RecordingWriter


def with_masks(frames):
    """The frames with a camera-size (640x480 float32) segmentation mask each, as the
    model gives when masks are on: a few fixed person-like blobs in turn (no per-frame data is
    made here, the writer does all the work)."""
    import numpy as np

    blobs = []
    for k in range(4):
        m = np.zeros((480, 640), np.float32)
        m[120 + 10 * k : 400, 180 + 15 * k : 470 - 5 * k] = 1.0
        m[60 + 5 * k : 130, 290 : 360 + 4 * k] = 1.0  # the head
        blobs.append(m)
    for i, f in enumerate(frames):
        f.mask = blobs[(i // 10) % len(blobs)]  # a mask covers the whole image at any resolution
        yield f


def one_replay(exercise: str, minutes: float, record: bool = False, masks: bool = False,
               old_recording: str | None = None) -> dict:
    """Run ``minutes`` of looped landmarks through the pipeline; per-minute CPU and RSS.
    ``record``: with a RecordingWriter (``old_recording``: of that copy of recording.py),
    closed and timed at the end; ``masks``: every frame carries a segmentation mask."""
    import numpy as np

    from coach.pipeline.loop import run
    from coach.vision.recording import load_clip
    from coach.pipeline.sinks import EventLog
    from coach.vision.smoothing import PoseSmoother
    from coach.spec import load_spec

    path = landmark_recording(exercise)
    assert path is not None
    clip = load_clip(path)
    fps = common.clip_fps(clip)
    n = int(round(minutes * 60 * fps))
    per_min = int(round(60 * fps))
    spec = load_spec(exercise)
    engine = RepeatingEngine(spec, len(clip))
    samples: list[dict] = []
    state = {"cpu": time.process_time(), "wall": time.perf_counter()}
    rss0 = rss_mib()

    def on_progress(stats) -> None:
        if stats.frames % per_min == 0:
            cpu, wall = time.process_time(), time.perf_counter()
            samples.append({
                "minute": stats.frames // per_min,
                "cpu_us_per_frame": round((cpu - state["cpu"]) / per_min * 1e6, 1),
                "wall_us_per_frame": round((wall - state["wall"]) / per_min * 1e6, 1),
                "rss_mib": round(rss_mib(), 1),
            })
            state["cpu"], state["wall"] = time.process_time(), time.perf_counter()

    rec: dict = {}
    with tempfile.TemporaryDirectory() as out:
        log = EventLog(Path(out) / "events.jsonl")
        recorder = recording_writer_class(old_recording)(Path(out) / "rec.npz") if record else None
        frames = common.looped_frames(clip, n)
        try:
            stats = run(with_masks(frames) if masks else frames, smoother=PoseSmoother(), engine=engine,
                        on_progress=on_progress, on_event=log, recorder=recorder)
        finally:
            log.close()
        events_bytes = (Path(out) / "events.jsonl").stat().st_size
        if recorder is not None:
            rec["rss_before_close_mib"] = round(rss_mib(), 1)
            t0 = time.perf_counter()
            written = recorder.close()
            rec["close_s"] = round(time.perf_counter() - t0, 2)
            rec["rss_after_close_mib"] = round(rss_mib(), 1)
            rec["file_mib"] = round(written.stat().st_size / 2**20, 2)
            with np.load(written, allow_pickle=False) as d:  # only the small arrays are read
                rec["frames_in_file"] = int(d["timestamps_ms"].shape[0])
                rec["masks_in_file"] = int((d["mask_index"] >= 0).sum()) if "mask_index" in d.files else 0
    cpu = [s["cpu_us_per_frame"] for s in samples]
    rss = [s["rss_mib"] for s in samples]
    # the first minute carries the warm-up (imports, first allocations): compare from minute 2
    steady = cpu[1:] if len(cpu) > 2 else cpu
    return {
        "exercise": exercise,
        "minutes": minutes,
        "frames": stats.frames,
        "fps": round(fps, 2),
        "record_landmarks": record,
        "masks": masks,
        "writer": ("other: " + old_recording) if old_recording else "this",
        **rec,
        "engine_restarts": engine.restarts,
        "events": stats.events,
        "events_file_kib": round(events_bytes / 1024, 1),
        "rss_before_mib": round(rss0, 1),
        "rss_first_min_mib": rss[0] if rss else None,
        "rss_last_min_mib": rss[-1] if rss else None,
        "rss_growth_after_first_min_mib": round(rss[-1] - rss[0], 1) if rss else None,
        "peak_rss_mib": round(common.peak_rss_mib(), 1),
        "cpu_us_per_frame_median": round(common.median(steady), 1) if steady else None,
        "cpu_us_per_frame_first_steady_min": steady[0] if steady else None,
        "cpu_us_per_frame_last_min": cpu[-1] if cpu else None,
        # flat = the late minutes cost what the early ones did, in the same run
        "cpu_us_minutes_2_to_10_median": round(common.median(cpu[1:10]), 1) if len(cpu) > 2 else None,
        "cpu_us_last_10_minutes_median": round(common.median(cpu[-10:]), 1) if len(cpu) > 2 else None,
        "per_minute": samples,
    }


class LazyMaskClip:
    """The fix proposed for coach/vision/recording.py load_clip / PoseClip: keep the masks as
    stored (bit-packed, one row per distinct mask) and unpack one per frame when the frame
    is built, instead of a float32 array per frame up front."""

    def __init__(self, path) -> None:
        import numpy as np

        from coach.vision.recording import load_clip

        with np.load(path, allow_pickle=False) as d:
            self.index = np.asarray(d["mask_index"]) if "mask_index" in d.files else None
            self.packed = np.asarray(d["masks"]) if "masks" in d.files else None
            self.mw = int(d["mask_wh"][0]) if "mask_wh" in d.files else 0
        # the rest as load_clip does it, without its mask unpacking (same checks, same arrays)
        import coach.vision.recording as R

        real_unpack = R.np.unpackbits
        R.np.unpackbits = lambda a, axis=None: np.zeros((a.shape[0], 1), np.uint8)  # skip the eager unpack
        try:
            self.clip = load_clip(path)
        finally:
            R.np.unpackbits = real_unpack
        self.clip.masks = None

    def mask(self, i: int):
        import numpy as np

        if self.index is None or self.index[i] < 0:
            return None
        return np.unpackbits(self.packed[self.index[i]], axis=1)[:, : self.mw].astype(np.float32)


def one_load(exercise: str, minutes: float) -> dict:
    """RSS of loading a ``minutes``-long recording file (as `coach replay x.npz` does)."""
    import numpy as np

    from coach.vision.recording import load_clip, save_arrays, version1_arrays

    path = landmark_recording(exercise)
    assert path is not None
    arrays = version1_arrays(load_clip(path))  # the arrays, written back as a version-1 file
    t = len(arrays["timestamps_ms"])
    fps = common.clip_fps(load_clip(path))
    n = int(round(minutes * 60 * fps))
    reps = -(-n // t)
    ts = arrays["timestamps_ms"] - arrays["timestamps_ms"][0]
    period = float(ts[-1]) + 1000.0 / fps
    big = dict(arrays)
    big["timestamps_ms"] = np.concatenate([ts + k * period for k in range(reps)])[:n]
    for key in ("landmarks", "world"):
        big[key] = np.concatenate([arrays[key]] * reps)[:n]
    has_masks = "mask_index" in arrays
    if has_masks:
        big["mask_index"] = np.concatenate([arrays["mask_index"]] * reps)[:n]  # same masks, reused
    with tempfile.TemporaryDirectory() as out:
        f = save_arrays(Path(out) / "long.npz", big)
        size = f.stat().st_size
        del big, arrays
        import gc

        gc.collect()
        # the lazy variant first (freed memory stays in the process and would hide its cost)
        before_lazy = rss_mib()
        lazy = LazyMaskClip(f)
        after_lazy = rss_mib()
        before = rss_mib()
        clip = load_clip(f)
        after = rss_mib()
        del clip
        gc.collect()
        same = True
        if lazy.index is not None:  # the lazily unpacked masks equal the eager ones (spot check)
            eager = load_clip(f)
            same = all(np.array_equal(eager.masks[i], lazy.mask(i)) for i in range(0, n, max(1, n // 50))
                       if eager.masks[i] is not None)
            del eager
        del lazy
    return {
        "exercise": exercise, "minutes": minutes, "frames": n, "file_mib": round(size / 2**20, 2),
        "masks": has_masks,
        "rss_load_clip_mib": round(after - before, 1),
        "mib_per_minute": round((after - before) / minutes, 2),
        "rss_lazy_masks_mib": round(after_lazy - before_lazy, 1),
        "lazy_mib_per_minute": round((after_lazy - before_lazy) / minutes, 2),
        "lazy_masks_equal": same,
    }


def _spawn(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, str(HERE), *args], capture_output=True, text=True, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1], "args": args}
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="lying_twist")
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 10, 60])
    parser.add_argument("--mask-exercise", default="cat_cow", help="a recording with masks, for the load test")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--record-minutes", type=float, default=60, help="length of the --record-landmarks runs")
    parser.add_argument("--old-recording", default=None,
                        help="another version of coach/vision/recording.py whose RecordingWriter is measured too")
    parser.add_argument("--one", choices=("replay", "load", "record"), help=argparse.SUPPRESS)
    parser.add_argument("--masks", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        m = args.minutes[0]
        if args.one == "load":
            res = one_load(args.exercise, m)
        else:
            res = one_replay(args.exercise, m, args.one == "record", args.masks, args.old_recording)
        print(json.dumps(res))
        return 0
    # make sure the recordings exist before the timed subprocesses start
    for ex in {args.exercise, args.mask_exercise}:
        landmark_recording(ex)
    replays = [_spawn(["--one", "replay", "--exercise", args.exercise, "--minutes", str(m)]) for m in args.minutes]
    records = []
    for old in ([None, args.old_recording] if args.old_recording else [None]):
        for masks in (False, True):
            records.append(_spawn(["--one", "record", "--exercise", args.exercise, "--minutes", str(args.record_minutes),
                                   *(["--masks"] if masks else []), *(["--old-recording", old] if old else [])]))
    loads = [_spawn(["--one", "load", "--exercise", ex, "--minutes", str(m)])
             for ex in (args.exercise, args.mask_exercise) for m in (1, 10)]
    res = {"benchmark": "scaling", "machine": common.machine_info(), "replays": replays,
           "record_landmarks": records, "load_clip": loads}
    print(f"scaling: {args.exercise} landmarks looped; process CPU us per frame (smoother + engine + event log + pipeline)")
    print(f"{'minutes':>8}{'frames':>8}{'CPU us/frame':>13}{'last min':>10}{'RSS 1st min':>12}{'RSS end':>9}"
          f"{'growth MiB':>11}{'events':>8}")
    for r in replays:
        if "error" in r:
            print(f"  error: {r['error']}")
            continue
        label = f"{r['minutes']:g}"
        print(f"{label:>8}{r['frames']:>8}{r['cpu_us_per_frame_median']:>13.1f}{r['cpu_us_per_frame_last_min']:>10.1f}"
              f"{r['rss_first_min_mib']:>12.1f}{r['rss_last_min_mib']:>9.1f}{r['rss_growth_after_first_min_mib']:>11.1f}"
              f"{r['events']:>8}")
    for r in replays:
        if r.get("cpu_us_last_10_minutes_median") and r["minutes"] >= 30:
            print(f"  within the {r['minutes']:g}-minute run: minutes 2-10 median {r['cpu_us_minutes_2_to_10_median']} us/frame, "
                  f"last 10 minutes {r['cpu_us_last_10_minutes_median']} us/frame; RSS {r['rss_first_min_mib']} -> "
                  f"{r['rss_last_min_mib']} MiB")
    print(f"--record-landmarks: {args.record_minutes:g}-minute replay with a RecordingWriter, then close() "
          f"(writes the .npz); RSS in MiB")
    print(f"  {'writer':<34}{'masks':>6}{'frames':>8}{'CPU us/frame':>13}{'RSS 1st min':>12}{'RSS end':>9}"
          f"{'growth':>8}{'peak':>8}{'close s':>9}{'file MiB':>10}")
    for r in records:
        if "error" in r:
            print(f"  error: {r['error']}")
            continue
        print(f"  {r['writer'][-34:]:<34}{'yes' if r['masks'] else 'no':>6}{r['frames']:>8}"
              f"{r['cpu_us_per_frame_median']:>13.1f}{r['rss_first_min_mib']:>12.1f}"
              f"{r['rss_last_min_mib']:>9.1f}{r['rss_growth_after_first_min_mib']:>8.1f}{r['peak_rss_mib']:>8.1f}"
              f"{r['close_s']:>9.2f}{r['file_mib']:>10.2f}"
              f"{'' if r['frames_in_file'] == r['frames'] else '  FRAMES MISSING'}")
    print("file replay: RSS taken by load_clip (whole recording held before the first frame)")
    for r in loads:
        if "error" in r:
            print(f"  error: {r['error']}")
            continue
        print(f"  {r['exercise']:<16}{r['minutes']:>5g} min {r['frames']:>7} frames  file {r['file_mib']:>7.2f} MiB  "
              f"RSS +{r['rss_load_clip_mib']:.1f} MiB ({r['mib_per_minute']:.1f} MiB/min -> "
              f"{60 * r['mib_per_minute']:.0f} MiB for 60 min); lazy masks +{r['rss_lazy_masks_mib']:.1f} MiB"
              f"{'' if r['lazy_masks_equal'] else ' (MASKS DIFFER)'}")
    common.write_json(args.json, res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
