"""The guided sessions on record: reading one session's report JSON, and the rows of the
trend across sessions (``coach history``). The HTML pages are drawn by :mod:`coach.ui.report`."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from coach.errors import CoachError

REPORT_FORMAT = "coach-session"


class ReportError(CoachError):
    """A session report that cannot be read or written."""


def load_record(path: str | os.PathLike) -> dict[str, Any]:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{p}: no such report") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{p}: not a readable session report ({exc.__class__.__name__})") from None
    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT:
        raise ReportError(f"{p}: not a coach session report")
    return data


def _rows(ex: Mapping[str, Any], summary_key: str, target_key: str, cast: Any) -> list[tuple]:
    """(phase id, side, achieved, target) per phase and side from an exercise's summary."""
    summary = ex.get("summary") or {}
    targets = ex.get("targets") or {}
    return [(phase, side, cast(value or 0), (targets.get(phase) or {}).get(target_key))
            for phase, sides in (summary.get(summary_key) or {}).items() for side, value in sides.items()]


def hold_rows(ex: Mapping[str, Any]) -> list[tuple[str, str, float, float | None]]:
    """(phase id, side, seconds held, target s) per hold phase and side."""
    return _rows(ex, "holds_s", "target_s", float)


def rep_rows(ex: Mapping[str, Any]) -> list[tuple[str, str, int, int | None]]:
    """(phase id, side, reps done, target reps) per reps phase and side."""
    return _rows(ex, "reps", "target_reps", int)


def list_reports(folder: str | os.PathLike) -> list[Path]:
    d = Path(folder)
    if not d.is_dir():
        return []
    return sorted(p for p in d.glob("session-*.json") if p.is_file())


def history(folder: str | os.PathLike) -> list[dict[str, Any]]:
    """One row per readable session report, oldest first: date, ending, and per
    exercise the hold seconds reached (mean over sides), reps and cue count.
    Damaged files are skipped (listed under ``skipped``)."""
    rows = []
    for p in list_reports(folder):
        try:
            rec = load_record(p)
        except ReportError:
            continue
        ex_rows = {}
        for ex in rec.get("exercises", []):
            if ex.get("status") in ("excluded", "not_reached", "pending"):
                continue
            holds = [a for _ph, _s, a, _t in hold_rows(ex)]
            reps = [n for _ph, _s, n, _t in rep_rows(ex)]
            ex_rows[ex["id"]] = {
                "names": ex.get("names") or {}, "status": ex.get("status"),
                "hold_s": round(sum(holds) / len(holds), 1) if holds else None,
                "reps": sum(reps) if reps else None,
                "cues": len(ex.get("cues") or []),
            }
        rows.append({"file": p.name, "started_at": rec.get("started_at", ""), "ended_by": rec.get("ended_by"),
                     "duration_s": rec.get("duration_s"), "exercises": ex_rows})
    rows.sort(key=lambda r: r["started_at"])
    return rows
