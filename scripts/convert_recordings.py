"""Convert landmark recordings to the current format (version 2) and check that replaying
them gives the same events as before.

    python scripts/convert_recordings.py samples/                 # every *.landmarks.npz under it
    python scripts/convert_recordings.py --check samples/         # also replay old and new, diff the events
    python scripts/convert_recordings.py --check --dry-run FILE   # compare only, change nothing

A file already in the current version is left alone. The exercise of a recording is its
meta's ``exercise`` or its folder's name. With ``--check`` each file is replayed from the
old file and from the converted one exactly as ``coach replay REC --exercise ID`` does
(in this process), and the two ``events.jsonl`` are compared: identical, the same events
with other logged values, the same events at other times, or other events (listed; exit
code 1). The converted file replaces the old one (atomically) unless ``--dry-run``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from coach.pipeline.runner import RunOptions, execute, open_input  # noqa: E402
from coach.vision.recording import VERSION, load_clip, save_clip  # noqa: E402


def recording_version(path: Path) -> int:
    with np.load(path, allow_pickle=False) as data:
        return int(data["version"])


def replay_events(path: Path, exercise: str, out: Path) -> list[dict]:
    """The events of ``coach replay PATH --exercise EXERCISE`` (what events.jsonl holds)."""
    frames, fps, _estimator, _total = open_input(str(path), None, 1, False)
    execute(RunOptions(exercise=exercise, out_dir=str(out)), frames, fps=fps, source_name=str(path))
    with open(out / "events.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _what(e: dict) -> tuple:
    """An event without its time and logged values: what happened."""
    return e.get("kind"), e.get("rule_id"), e.get("side")


def compare_events(old: list[dict], new: list[dict]) -> tuple[str, str]:
    """(verdict, detail). Verdicts, from the closest: ``identical`` (every line the same);
    ``values`` (the same events at the same times; only the measured values logged with
    them differ); ``timing`` (the same events in the same order, some earlier or later);
    ``events`` (events added, missing or reordered: the detail lists them)."""
    if old == new:
        return "identical", ""
    strip = [[{k: v for k, v in e.items() if k != "data"} for e in evs] for evs in (old, new)]
    if strip[0] == strip[1]:
        worst = max((abs(a["data"].get(k, 0) - b["data"].get(k, 0))
                     for a, b in zip(old, new) for k in a.get("data") or {}
                     if isinstance(a["data"].get(k), float) and isinstance(b["data"].get(k), float)), default=0.0)
        return "values", f"largest change of a logged value {worst:.4g}"
    if [_what(e) for e in old] == [_what(e) for e in new]:
        shifts = [b["timestamp_ms"] - a["timestamp_ms"] for a, b in zip(old, new)]
        moved = [d for d in shifts if abs(d) > 1e-6]
        return "timing", (f"{len(moved)} of {len(old)} events moved, by {min(moved):+.0f} to {max(moved):+.0f} ms"
                          if moved else "texts differ")
    lines = [[f"{e['timestamp_ms'] / 1000:.1f}s {e.get('kind')} {e.get('rule_id') or ''} {e.get('side') or ''}".rstrip()
              for e in evs] for evs in (old, new)]
    diff = [d for d in difflib.unified_diff(lines[0], lines[1], n=0, lineterm="") if d[:1] in "+-" and d[:3] not in
            ("---", "+++")]
    return "events", "; ".join(diff)


def exercise_of(path: Path, meta: dict) -> str:
    return str(meta.get("exercise") or path.parent.name)


def convert(path: Path, *, check: bool, dry_run: bool, work: Path) -> tuple[str, str]:
    """(status, detail): status is a verdict of compare_events with --check, else converted
    (or current: already the current version)."""
    if recording_version(path) >= VERSION:
        return "current", ""
    clip = load_clip(path)
    clip.meta = {**clip.meta, "converted": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    tmp = work / "new" / path.name
    tmp.parent.mkdir(parents=True, exist_ok=True)
    save_clip(clip, tmp)
    detail = f"{path.stat().st_size / 1e6:.3f} -> {tmp.stat().st_size / 1e6:.3f} MB, {len(clip)} frames"
    status = "converted"
    if check:
        exercise = exercise_of(path, clip.meta)
        old = replay_events(path, exercise, work / "old_run")
        new = replay_events(tmp, exercise, work / "new_run")
        verdict, diff = compare_events(old, new)
        cues = [sum(e.get("kind") == "cue" for e in evs) for evs in (old, new)]
        status, detail = verdict, f"{detail}, {len(old)} events, cues {cues[0]} -> {cues[1]}" + (f": {diff}" if diff else "")
    if not dry_run:
        tmp.replace(path)
    return status, detail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="recordings or folders (searched for *.landmarks.npz)")
    parser.add_argument("--check", action="store_true", help="replay old and new and compare the events")
    parser.add_argument("--dry-run", action="store_true", help="change no file")
    args = parser.parse_args(argv)
    files: list[Path] = []
    for p in args.paths:
        files += sorted(p.rglob("*.landmarks.npz")) if p.is_dir() else [p]
    if not files:
        print("no landmark recordings found", file=sys.stderr)
        return 2
    counts: dict[str, int] = {}
    before = sum(f.stat().st_size for f in files)
    frames = 0
    with tempfile.TemporaryDirectory(prefix="convert-") as tmp:
        for f in files:
            status, detail = convert(f, check=args.check, dry_run=args.dry_run, work=Path(tmp))
            counts[status] = counts.get(status, 0) + 1
            print(f"{status:<10}{f}  {detail}".rstrip())
    after = sum(f.stat().st_size for f in files)
    for f in files:
        frames += len(load_clip(f)) if not args.dry_run else 0
    print(", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    if not args.dry_run:
        print(f"{len(files)} files: {before / 1e6:.2f} MB -> {after / 1e6:.2f} MB ({after / max(frames, 1):.1f} B a frame)")
    return 1 if counts.get("events") else 0


if __name__ == "__main__":
    raise SystemExit(main())
