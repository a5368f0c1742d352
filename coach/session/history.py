"""The guided sessions on record: reading one session's report JSON, and the rows of the
trend across sessions (``coach history``). The HTML pages are drawn by :mod:`coach.ui.report`."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from coach import i18n
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


def _series(ex: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What one exercise reached, per phase and side: holds in seconds, reps as a count."""
    out = []
    targets = ex.get("targets") or {}
    for kind, rows in (("hold", hold_rows(ex)), ("reps", rep_rows(ex))):
        for phase, side, value, target in rows:
            out.append({"key": f"{phase}/{side}", "kind": kind, "phase": phase,
                        "side": side if side in ("left", "right") else None, "value": value, "target": target,
                        "phase_names": (targets.get(phase) or {}).get("names") or {}})
    return out


def history(folder: str | os.PathLike) -> list[dict[str, Any]]:
    """One row per readable session report, oldest first: date, ending, and per exercise
    what it reached per phase and side (``series``: hold seconds or reps, with the target)
    and its cue count. Damaged files are skipped."""
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
            ex_rows[ex["id"]] = {"names": ex.get("names") or {}, "status": ex.get("status"),
                                 "series": _series(ex), "cues": len(ex.get("cues") or [])}
        rows.append({"file": p.name, "started_at": rec.get("started_at", ""), "ended_by": rec.get("ended_by"),
                     "duration_s": rec.get("duration_s"), "exercises": ex_rows})
    rows.sort(key=lambda r: r["started_at"])
    return rows


def _in_lang(d: Mapping[str, str] | None, lang: str, fallback: str) -> str:
    return (d or {}).get(lang) or (d or {}).get("en") or fallback


def series_label(series: Mapping[str, Any], lang: str, one_phase: bool = True) -> str:
    """What a series is of, in words: the side ("høyre"), the phase when the exercise has
    more than one of that kind ("Begge knær og vugging"), or "" for the one phase without sides."""
    parts = []
    if not one_phase:
        parts.append(_in_lang(series.get("phase_names"), lang, str(series.get("phase", ""))))
    if series.get("side") in ("left", "right"):
        parts.append(i18n.t(f"side_word.{series['side']}", lang))
    return " ".join(parts)


def _amount(series: Mapping[str, Any], lang: str, with_target: bool = True) -> str:
    v, target = series["value"], series.get("target")
    if series["kind"] == "hold":
        shown = i18n.number(v, lang, 1, trim=True)
        return f"{shown}/{i18n.number(target, lang, 0)} s" if with_target and target else f"{shown} s"
    return i18n.t("history.reps_of", lang, count=v, target=target) if with_target and target else \
        i18n.t("history.reps", lang, count=v)


def history_lines(rows: list[dict[str, Any]], lang: str) -> list[str]:
    """`coach history` as lines of text in ``lang``: each session with what each exercise
    reached per side, then the change from the first to the last session per side."""
    lines = [f"{i18n.t('history.title', lang)} ({len(rows)})"]
    order: list[str] = []
    names: dict[str, str] = {}
    every: dict[str, list[dict[str, Any]]] = {}        # exercise -> all its series, all sessions
    for r in rows:
        for ex_id, ex in r["exercises"].items():
            if ex_id not in order:
                order.append(ex_id)
            names[ex_id] = _in_lang(ex.get("names"), lang, ex_id)
            every.setdefault(ex_id, []).extend(ex["series"])

    def label(ex_id: str, s: Mapping[str, Any]) -> str:
        one = len({x["phase"] for x in every[ex_id] if x["kind"] == s["kind"]}) == 1
        return series_label(s, lang, one)

    for r in rows:
        ended = i18n.t("report.ended_by." + (r.get("ended_by") or "running"), lang)
        lines.append(f"  {r['started_at'][:16].replace('T', ' ')}  {ended}")
        for ex_id in order:
            ex = r["exercises"].get(ex_id)
            if ex is not None:
                cells = [f"{label(ex_id, s)} {_amount(s, lang)}".strip() for s in ex["series"]]
                lines.append(f"      {names[ex_id]}: {', '.join(cells) if cells else '–'}")
    for ex_id in order:
        keys = list(dict.fromkeys(s["key"] for s in every[ex_id]))
        for key in keys:
            points = [s for s in every[ex_id] if s["key"] == key]
            if len(points) < 2:
                continue
            first, last = points[0], points[-1]
            diff = last["value"] - first["value"]
            arrow = "↑" if diff > 0 else ("↓" if diff < 0 else "→")
            what = ", ".join(x for x in (names[ex_id], label(ex_id, last)) if x)
            unit = " s" if last["kind"] == "hold" else ""
            lines.append(f"  {arrow} {what}: {i18n.number(first['value'], lang, 1, trim=True)} → "
                         f"{i18n.number(last['value'], lang, 1, trim=True)}{unit}")
    return lines
