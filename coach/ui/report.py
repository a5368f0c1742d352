"""Session reports: a JSON file and a self-contained HTML page (inline CSS and SVG, no
scripts, no network), and the trend across sessions (``coach history``).

    writer = ReportWriter(reports_dir(), lang="nb")     # names the files once
    writer.write(controller.record)                     # after each exercise and at the end
    writer.json_path, writer.html_path

Every write is atomic (a temporary file in the same folder, fsync, os.replace) with
user-only permissions, so Ctrl-C or a killed process leaves the previous complete report,
never a half-written one. Nothing here prints.

The pages are Jinja2 templates with autoescape in ``coach/ui/templates`` (package data):
``report.html`` and ``history.html`` on ``base.html`` and ``report.css``, the SVG plots in
``plots.html``. This module decides what they show (texts, numbers as the language writes
them, every plot's geometry); the templates only lay it out.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from functools import lru_cache

import jinja2

from coach import i18n
from coach.engine import jsonable
from coach.files import atomic_write, check_output_dir
from coach.i18n.numbers import number, percent_text, value_text
from coach.i18n.units import axis_label, bounds_text, unit_suffix
from coach.session.history import ReportError, history, hold_rows, rep_rows, series_label
from coach.session.store import state_dir
from coach.templates import environment

# Rule states in which a rule judged its value (cant_see / idle: it did not).
JUDGED_STATES = ("ok", "warning", "fault")


def reports_dir(root: str | os.PathLike | None = None) -> Path:
    """``<state dir>/reports`` (or ``root``), created 0700."""
    d = Path(root) if root is not None else state_dir() / "reports"
    return check_output_dir(d, what="the reports folder", error=ReportError)


class ReportWriter:
    """Writes one session's report (JSON + HTML) again and again as it grows."""

    def __init__(self, folder: str | os.PathLike, lang: str = "en", stem: str | None = None) -> None:
        self.folder = reports_dir(folder)
        self.lang = i18n.check_lang(lang)
        stem = stem or "session-" + datetime.now().strftime("%Y%m%d-%H%M%S")
        # never overwrite another session's report started in the same second
        n, base = 1, stem
        while (self.folder / f"{stem}.json").exists():
            n += 1
            stem = f"{base}-{n}"
        self.stem = stem
        self.json_path = self.folder / f"{stem}.json"
        self.html_path = self.folder / f"{stem}.html"
        self.writes = 0

    def write(self, record: Mapping[str, Any]) -> tuple[Path, Path]:
        data = json.dumps(jsonable(record, ndigits=None), ensure_ascii=False, indent=1) + "\n"
        try:
            atomic_write(self.json_path, data)
            atomic_write(self.html_path, render_html(record, self.lang))
        except OSError as exc:
            raise ReportError(f"cannot write the report in {self.folder}: {exc.strerror or exc}; "
                              "choose another --out") from None
        self.writes += 1
        return self.json_path, self.html_path


# =========================================================================== HTML
_STATUS_KEY = {
    "done": "report.status.done", "stopped": "report.stopped_early", "skipped": "report.skipped",
    "excluded": "report.excluded", "not_reached": "report.status.not_reached",
    "running": "report.status.running", "pending": "report.status.not_reached",
}


def _template(name: str) -> jinja2.Template:
    return environment("coach.ui").get_template(name)


def in_lang(d: Mapping[str, str] | None, lang: str, fallback: str = "") -> str:
    """The text in ``lang`` of a ``{lang: text}`` mapping (English, then any, then ``fallback``)."""
    if not d:
        return fallback
    return d.get(lang) or d.get("en") or next(iter(d.values()), fallback)


def _fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    s = max(0.0, float(seconds))
    return f"{int(s // 60)}:{int(s % 60):02d}"


def _when(started_at: str | None) -> str:
    """"2026-12-01 10:00" from an ISO time."""
    return (started_at or "")[:16].replace("T", " ")


@lru_cache(maxsize=32)
def _spec_measures(exercise_id: str | None) -> dict[str, Any]:
    """The measures of a shipped exercise spec (to tell what its body lengths are of);
    {} for an exercise that is not shipped (a physio's own spec: torso lengths assumed)."""
    if not exercise_id:
        return {}
    try:
        from coach.spec import load_spec

        return dict(load_spec(exercise_id).measures)
    except Exception:  # noqa: BLE001 - a report is written even when the spec cannot be read
        return {}


def _norm(m: Mapping[str, Any], exercise_id: str | None) -> str | None:
    from coach.measures import body_norm

    return m.get("norm") or body_norm(_spec_measures(exercise_id), m.get("measure"))


def judged_samples(m: Mapping[str, Any]) -> list[list[Any]]:
    """The samples of a measure where its rule judged a value: what the plot draws."""
    return [s for s in m.get("samples", []) if s[1] is not None and (len(s) < 5 or s[4] in JUDGED_STATES)]


def _outside(v: float, lo: float | None, hi: float | None) -> bool:
    return (lo is not None and v < lo) or (hi is not None and v > hi)


def within_limits(m: Mapping[str, Any]) -> float | None:
    """The share of the judged samples inside the rule's limits: the same samples and the
    same limits the plot draws (its red points are the ones outside). None: never judged."""
    judged = judged_samples(m)
    if not judged:
        return None
    lo, hi = m.get("min"), m.get("max")
    return sum(1 for s in judged if not _outside(float(s[1]), lo, hi)) / len(judged)


def render_html(record: Mapping[str, Any], lang: str = "en") -> str:
    """The whole report page as one self-contained HTML string (templates/report.html)."""
    t = _translator(lang)
    alerts = []
    if record.get("ended_by") == "symptoms":
        alerts.append(f"{t('report.symptoms_reported')}: {t('symptoms.stop')}")
    if (record.get("screening") or {}).get("status") == "caution":
        alerts.append(t("screening.result.caution"))
    if record.get("warning_today"):
        alerts.append(t("session.too_many_today", count=record["warning_today"]))
    return _template("report.html").render(
        lang=lang, t=t, started=_when(record.get("started_at")), duration=_fmt_s(record.get("duration_s")),
        ended_by=t("report.ended_by." + (record.get("ended_by") or "running")), alerts=alerts,
        exercises=[_exercise_view(ex, lang) for ex in record.get("exercises", [])])


def _translator(lang: str) -> Callable[..., str]:
    return lambda key, **kw: i18n.t(key, lang, **kw)


def _side_name(side: str | None, lang: str) -> str:
    if side in ("left", "right"):
        return i18n.t(f"side.{side}", lang)
    return ""


def _row_name(ex: Mapping[str, Any], phase: str, side: str | None, lang: str) -> str:
    """The side, or for a phase without sides its name ("Rocking")."""
    s = _side_name(side, lang)
    if s:
        return s
    names = ((ex.get("targets") or {}).get(phase) or {}).get("names")
    return in_lang(names, lang, "—") if names else "—"


def holds_text(ex: Mapping[str, Any], lang: str) -> str:
    """"Høyre 30/30 s, Venstre 12,5/30 s" (seconds held of the target, per side)."""
    out = []
    for phase, side, achieved, target in hold_rows(ex):
        name = _row_name(ex, phase, side, lang)
        s = f"{'' if name == '—' else name} {number(achieved, lang, 1, trim=True)}/{number(target, lang, 0)} s"
        out.append(s.strip())
    return ", ".join(out) or "—"


def reps_text(ex: Mapping[str, Any], lang: str) -> str:
    out = []
    for _phase, side, n, target in rep_rows(ex):
        out.append(f"{_side_name(side, lang)} {n}/{number(target, lang, 0)}".strip())
    return ", ".join(out) or "—"


def symptoms_text(ex: Mapping[str, Any], lang: str) -> str:
    s = ex.get("symptoms")
    if not s:
        return "—"
    a = s.get("answer")
    if a is True:
        return i18n.t("report.symptoms_reported", lang)
    if a is False:
        return i18n.t("screening.no", lang)
    return i18n.t("report.no_answer", lang)


def _exercise_view(ex: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """What report.html shows of one exercise: its overview row and its section."""
    t = _translator(lang)
    status = ex.get("status", "pending")
    view: dict[str, Any] = {
        "id": ex["id"], "name": in_lang(ex.get("names"), lang, ex["id"]), "status": status,
        "status_text": t(_STATUS_KEY.get(status, "report.status.not_reached")),
        "holds": holds_text(ex, lang), "reps": reps_text(ex, lang), "symptoms": symptoms_text(ex, lang),
        "cues": [{"time": _fmt_s(c.get("t_s")), "side": _side_name(c.get("side"), lang),
                  "severity": c.get("severity") or "setup", "text": in_lang(c.get("text"), lang)}
                 for c in ex.get("cues") or []],
        "reason": in_lang(ex.get("reason"), lang) if status == "excluded" else None,
        "no_data": status in ("not_reached", "pending") and not ex.get("summary"),
    }
    summary = ex.get("summary") or {}
    view["duration"] = _fmt_s(summary.get("duration_s"))
    view["loosened"] = [t("report.safety_loosened", **{k: x.get(k, "") for k in ("rule", "field", "spec", "profile",
                                                                               "reason")})
                        for x in summary.get("safety_loosened") or ()]

    def table(title: str, rows: list, value: str, unit: str) -> dict[str, Any]:
        """The holds or the reps: side (or phase), achieved, target, a bar."""
        return {"title": title, "value": value, "unit": unit, "rows": [
            {"name": _row_name(ex, phase, side, lang),
             "achieved": number(achieved, lang, 1) if isinstance(achieved, float) else str(achieved),
             "target": number(target, lang, 0),
             "fraction": max(0.0, min(1.0, float(achieved) / float(target))) if target else None}
            for phase, side, achieved, target in rows]}

    view["tables"] = [tb for tb in (table(t("report.holds"), hold_rows(ex), t("report.achieved_s"), " s"),
                                    table(t("report.reps"), rep_rows(ex), t("report.reps"), ""))
                      if tb["rows"]]
    measures = {k: v for k, v in (ex.get("measures") or {}).items()
                if any(s[1] is not None for s in v.get("samples", []))}
    view["measures"] = [_measure_row(rid, m, lang, ex.get("id")) for rid, m in measures.items()]
    view["plots"] = [measure_plot(rid, m, lang, exercise_id=ex.get("id")) for rid, m in measures.items()]
    return view


def _measure_row(rid: str, m: Mapping[str, Any], lang: str, exercise_id: str | None) -> dict[str, str]:
    """One row of the range-of-motion table: lowest and highest judged value, the limits,
    the share of the time inside them."""
    judged = [float(s[1]) for s in judged_samples(m)]
    unit, norm = m.get("unit"), _norm(m, exercise_id)
    limits = (m.get("min"), m.get("max"))
    # the unit once per row in words; a symbol (°, s) also stays with each number
    sym = unit_suffix(unit, lang, norm) if len(unit_suffix(unit, lang, norm).strip()) <= 2 else ""
    low = value_text(min(judged), unit, lang, limits) + sym if judged else "—"
    high = value_text(max(judged), unit, lang, limits) + sym if judged else "—"
    limit_text = bounds_text(limits, unit, lang, norm)
    if limit_text and not sym:
        limit_text = limit_text[: len(limit_text) - len(unit_suffix(unit, lang, norm))]
    return {"label": measure_label(rid, m, lang, exercise_id), "unit": axis_label(unit, lang, norm),
            "low": low, "high": high, "limits": limit_text or "—", "within": percent_text(within_limits(m), lang)}


def measure_label(rule_id: str, m: Mapping[str, Any], lang: str, exercise_id: str | None = None) -> str:
    """The rule's short name ("Skuldrene nede"); without the exercise, its recorded label."""
    if exercise_id:
        return i18n.rule_name(exercise_id, rule_id, lang)
    label = in_lang(m.get("label"), lang)
    return label.rstrip(".") if label else rule_id.replace("_", " ")


def measure_svg(rule_id: str, m: Mapping[str, Any], lang: str, width: int = 460, height: int = 220,
                exercise_id: str | None = None) -> str:
    """An inline SVG line plot of what one rule judged over time (plots.html's ``measure``)."""
    plot = measure_plot(rule_id, m, lang, width, height, exercise_id)
    return str(_template("plots.html").module.measure(plot))


def measure_plot(rule_id: str, m: Mapping[str, Any], lang: str, width: int = 460, height: int = 220,
                 exercise_id: str | None = None) -> dict[str, Any]:
    """The geometry of one rule's plot: its allowed band (green), its limits (red dashes),
    the judged values (blue; red points outside the limits, the same samples
    ``within_limits`` counts), the value axis titled with its unit and the time axis in min:s."""
    samples = judged_samples(m)
    lo, hi = m.get("min"), m.get("max")
    unit, norm = m.get("unit"), _norm(m, exercise_id)
    title = measure_label(rule_id, m, lang, exercise_id)
    pad_l, pad_r, pad_t, pad_b = 58, 12, 26, 40
    pw, ph = width - pad_l - pad_r, height - pad_t - pad_b
    ts = [s[0] for s in samples]
    vs = [float(s[1]) for s in samples]
    t0, t1 = (min(ts), max(ts)) if ts else (0.0, 1.0)
    if t1 - t0 < 1e-6:
        t1 = t0 + 1.0
    ys = vs + [b for b in (lo, hi) if b is not None]
    y0, y1 = (min(ys), max(ys)) if ys else (0.0, 1.0)
    span = max(y1 - y0, 1e-6)
    y0, y1 = y0 - 0.08 * span, y1 + 0.08 * span

    def px(tv: float) -> float:
        return pad_l + (tv - t0) / (t1 - t0) * pw

    def py(v: float) -> float:
        return pad_t + (1.0 - (v - y0) / (y1 - y0)) * ph

    band = None
    if lo is not None or hi is not None:
        band_lo = lo if lo is not None else y0
        band_hi = hi if hi is not None else y1
        a, b = py(min(max(band_hi, y0), y1)), py(max(min(band_lo, y1), y0))
        band = (a, max(b - a, 0))
    ticks = _ticks(y0, y1, 4)
    nd = _tick_decimals(ticks)
    deg = "°" if (unit or "").startswith("deg") else ""
    # the line, broken where the rule judged nothing or the side changed
    segments: list[list[tuple[float, float]]] = []
    prev = None
    judged = {id(s) for s in samples}
    for s in m.get("samples", []):
        if id(s) not in judged:
            prev = None
            continue
        if prev is None or prev[2] != s[2] or s[0] - prev[0] > 2.0:
            segments.append([])
        segments[-1].append((px(s[0]), py(float(s[1]))))
        prev = s
    return {
        "rule_id": rule_id, "title": title, "short_title": _clip(title, 52),
        "width": width, "height": height, "pad_right": pad_r,
        "left": pad_l, "right": pad_l + pw, "top": pad_t, "bottom": pad_t + ph, "plot_w": pw,
        "band": band,
        "value_ticks": [(py(v), number(v, lang, nd) + deg) for v in ticks],
        "time_ticks": [(px(tv), _fmt_s(tv)) for tv in _time_ticks(t0, t1, 5)],
        "axis_x": i18n.t("report.axis_time", lang), "axis_y": axis_label(unit, lang, norm),
        "thresholds": [py(b) for b in (lo, hi) if b is not None and y0 <= b <= y1],
        "segments": segments,
        "outside": [(px(s[0]), py(float(s[1]))) for s in samples if _outside(float(s[1]), lo, hi)],
        "no_data": None if samples else i18n.t("report.no_data", lang),
    }


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _ticks(a: float, b: float, n: int) -> list[float]:
    if b <= a:
        return [a]
    raw = (b - a) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(a / step) * step
    out = []
    v = start
    while v <= b + 1e-9 and len(out) < 20:
        out.append(round(v, 10))
        v += step
    return out


def _time_ticks(a: float, b: float, n: int) -> list[float]:
    """Ticks on whole, round seconds (1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10 min)."""
    raw = (b - a) / max(n, 1)
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600) if s >= raw), 1200)
    start = math.ceil(a / step) * step
    return [start + i * step for i in range(int((b - start) // step) + 1)][:20]


def _tick_decimals(ticks: list[float]) -> int:
    """Decimals that tell the ticks apart (0 for 10, 20, ...; 2 for 0.02, 0.04, ...)."""
    for d in range(4):
        if all(abs(v * 10 ** d - round(v * 10 ** d)) < 1e-6 for v in ticks):
            return d
    return 3


# =========================================================================== history
SERIES_COLORS = ("#1f5fa8", "#c2571a", "#2e8b57", "#8e44ad")


def history_html(rows: list[dict[str, Any]], lang: str = "en") -> str:
    """A self-contained page (templates/history.html): per exercise, what each side (and
    phase) reached per session as lines with markers (hold seconds or reps), and a table of
    all sessions."""
    t = _translator(lang)
    ids: list[str] = []
    for r in rows:
        for ex_id in r["exercises"]:
            if ex_id not in ids:
                ids.append(ex_id)
    trends = []
    for ex_id in ids:
        name = ex_id
        lines: dict[str, dict[str, Any]] = {}
        every = [s for r in rows for s in (r["exercises"].get(ex_id) or {}).get("series", [])]
        for i, r in enumerate(rows):
            ex = r["exercises"].get(ex_id)
            if ex is None:
                continue
            name = in_lang(ex.get("names"), lang, ex_id)
            for s in ex["series"]:
                one = len({x["phase"] for x in every if x["kind"] == s["kind"]}) == 1
                label = series_label(s, lang, one) or name
                line = lines.setdefault(s["key"], {"label": label, "kind": s["kind"], "points": []})
                line["points"].append((i, float(s["value"]), r["started_at"][:10]))
        kinds = {v["kind"] for v in lines.values()}
        ylabel = t("report.hold_s") if kinds == {"hold"} else t("report.reps") if kinds == {"reps"} else \
            f"{t('report.hold_s')} / {t('report.reps').lower()}"
        trends.append(trend_plot(name, list(lines.values()), ylabel, len(rows), lang))
    sessions = [{"started": _when(r["started_at"]), "duration": _fmt_s(r.get("duration_s")),
                 "ended_by": t("report.ended_by." + (r.get("ended_by") or "running")),
                 "exercises": ", ".join(in_lang(e.get("names"), lang, k) for k, e in r["exercises"].items())}
                for r in rows]
    return _template("history.html").render(lang=lang, t=t, trends=trends, sessions=sessions)


def trend_plot(title: str, lines: list[dict[str, Any]], ylabel: str, n: int, lang: str,
               width: int = 460, height: int = 220) -> dict[str, Any]:
    """The geometry of one exercise's trend (plots.html's ``trend``): one line per side (and
    phase) over the sessions, with a legend."""
    pad_l, pad_r, pad_t, pad_b = 48, 16, 44, 30
    pw, ph = width - pad_l - pad_r, height - pad_t - pad_b
    vmax = max([v for ln in lines for _i, v, _d in ln["points"]] + [1.0]) * 1.15
    x = lambda i: pad_l + (i / max(n - 1, 1)) * pw  # noqa: E731
    y = lambda v: pad_t + (1 - v / vmax) * ph  # noqa: E731
    ticks = _ticks(0.0, vmax, 4)
    nd = _tick_decimals(ticks)
    drawn = []
    lx = pad_l
    for k, ln in enumerate(lines):
        legend_x = None
        if len(lines) > 1 or ln["label"] != title:   # legend: which line is which side
            legend_x = lx
            lx += 30 + 7 * len(ln["label"])
        drawn.append({"label": ln["label"], "color": SERIES_COLORS[k % len(SERIES_COLORS)], "legend_x": legend_x,
                      "points": [{"x": x(i), "y": y(v), "date": d, "value": number(v, lang, 1, trim=True)}
                                 for i, v, d in ln["points"]]})
    first = min((p for ln in lines for p in ln["points"]), default=None, key=lambda p: p[0])
    last = max((p for ln in lines for p in ln["points"]), default=None, key=lambda p: p[0])
    return {"title": title, "ylabel": ylabel, "width": width, "height": height,
            "left": pad_l, "right": pad_l + pw, "top": pad_t, "bottom": pad_t + ph,
            "value_ticks": [(y(v), number(v, lang, nd)) for v in ticks], "lines": drawn,
            "first": (x(first[0]), first[2]) if first is not None else None,
            "last": (x(last[0]), last[2]) if first is not None and last is not None and last[0] != first[0]
            else None}


def write_history(folder: str | os.PathLike, lang: str = "en", out: str | os.PathLike | None = None
                  ) -> tuple[list[dict[str, Any]], Path | None]:
    rows = history(folder)
    if not rows:
        return rows, None
    path = Path(out) if out is not None else Path(folder) / "history.html"
    try:
        atomic_write(path, history_html(rows, lang))
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None
    return rows, path


def iter_cue_lines(record: Mapping[str, Any], lang: str) -> Iterable[str]:
    for ex in record.get("exercises", []):
        for c in ex.get("cues") or []:
            yield f"{_fmt_s(c.get('t_s'))}  {in_lang(c.get('text'), lang)}"
