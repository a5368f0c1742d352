"""Replay every sample's landmark recording through two checkouts and diff the events.

    python scripts/compare_replays.py --old /work/main [--new .] [--out /tmp/compare]

For each ``samples/<exercise>/<clip>.landmarks.npz`` it runs ``coach replay CLIP
--exercise <exercise> --quiet --out DIR`` once with the old checkout and once with the
new one (each with its own ``.venv``, or ``--old-python`` / ``--new-python``, and
``PYTHONPATH`` set to the checkout, so each runs its own code), then compares the two
``events.jsonl`` files line by line. A checkout without ``coach/__main__.py`` (before
the restructuring) is run as ``python -m coach.cli``.

Prints one line per clip (``same`` or the first differing event) and a total; the exit
code is 0 only when every clip gives identical events.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _command(checkout: Path, python: str | None) -> list[str]:
    exe = python or str(checkout / ".venv" / "bin" / "python")
    module = "coach" if (checkout / "coach" / "__main__.py").is_file() else "coach.cli"
    return [exe, "-m", module]


def _replay(cmd: list[str], checkout: Path, clip: Path, exercise: str, out: Path) -> list[dict]:
    env = dict(os.environ, PYTHONPATH=str(checkout), PYTHONDONTWRITEBYTECODE="1")  # leave the checkouts untouched
    proc = subprocess.run([*cmd, "replay", str(clip), "--exercise", exercise, "--quiet", "--out", str(out)],
                          cwd=str(out.parent), env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} replay {clip}: exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
    with open(out / "events.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _first_difference(old: list[dict], new: list[dict]) -> str | None:
    for i, (a, b) in enumerate(zip(old, new)):
        if a != b:
            return f"event {i}: old {json.dumps(a, ensure_ascii=False)} / new {json.dumps(b, ensure_ascii=False)}"
    if len(old) != len(new):
        return f"{len(old)} events (old) vs {len(new)} (new)"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="the old checkout (e.g. /work/main)")
    parser.add_argument("--new", type=Path, default=REPO, help="the new checkout (default: this one)")
    parser.add_argument("--old-python", help="python of the old checkout (default: OLD/.venv/bin/python)")
    parser.add_argument("--new-python", help="python of the new checkout (default: NEW/.venv/bin/python)")
    parser.add_argument("--samples", type=Path, default=REPO / "samples")
    parser.add_argument("--out", type=Path, default=Path("/tmp/compare_replays"))
    args = parser.parse_args(argv)

    old_cmd = _command(args.old.resolve(), args.old_python)
    new_cmd = _command(args.new.resolve(), args.new_python)
    clips = sorted(args.samples.glob("*/*.landmarks.npz"))
    if not clips:
        print(f"no landmark recordings under {args.samples}", file=sys.stderr)
        return 2
    same = 0
    for clip in clips:
        exercise = clip.parent.name
        name = clip.name[: -len(".landmarks.npz")]
        runs = []
        for side, cmd, checkout in (("old", old_cmd, args.old.resolve()), ("new", new_cmd, args.new.resolve())):
            out = args.out / side / exercise / name
            out.mkdir(parents=True, exist_ok=True)
            runs.append(_replay(cmd, checkout, clip.resolve(), exercise, out))
        diff = _first_difference(*runs)
        if diff is None:
            same += 1
            print(f"same     {exercise}/{name} ({len(runs[0])} events)")
        else:
            print(f"DIFFERS  {exercise}/{name}: {diff}")
    print(f"{same} of {len(clips)} samples give identical events")
    return 0 if same == len(clips) else 1


if __name__ == "__main__":
    raise SystemExit(main())
