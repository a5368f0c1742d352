"""Session reports: a JSON file and a self-contained HTML page (inline CSS and SVG, no
scripts, no network), and the trend across sessions (``coach history``).

    writer = ReportWriter(reports_dir(), lang="nb")     # names the files once
    writer.write(controller.record)                     # after each exercise and at the end
    writer.json_path, writer.html_path

Every write is atomic (a temporary file in the same folder, fsync, os.replace) with
user-only permissions, so Ctrl-C or a killed process leaves the previous complete report,
never a half-written one. Nothing here prints.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from functools import lru_cache

from coach import i18n
from coach.engine import jsonable
from coach.files import atomic_write, check_output_dir
from coach.i18n.numbers import number, percent_text, value_text
from coach.i18n.units import axis_label, bounds_text, unit_suffix
from coach.session.history import ReportError, history, hold_rows, rep_rows, series_label
from coach.session.store import state_dir

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
_CSS = """
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:28px;margin:0 0 4px} h2{font-size:22px;margin:0 0 8px} h3{font-size:16px;margin:16px 0 6px}
.meta{color:#555;margin-bottom:18px}
.card{background:#fff;border-radius:10px;padding:16px 20px;margin:16px 0;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.badge{display:inline-block;border-radius:12px;padding:2px 10px;font-size:13px;font-weight:bold;margin-left:8px;vertical-align:middle}
.done{background:#d8f1d0;color:#245b14}.stopped,.skipped,.not_reached{background:#ffe7c2;color:#7a4a00}
.excluded,.symptoms{background:#fbd3d0;color:#8a1c12}.running,.pending{background:#e3e7ee;color:#333}
table{border-collapse:collapse;width:100%;font-size:14px;margin:4px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e4e6ea;vertical-align:top}
th{color:#555;font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.unit{color:#555}
.plots{display:flex;flex-wrap:wrap;gap:12px}
.plot{flex:0 1 calc(50% - 6px);min-width:300px}
.sev-safety{color:#b3261e;font-weight:bold}.sev-setup{color:#0b6e99}.sev-form{color:#9a5b00}.sev-pace{color:#9a5b00}
.alert{background:#fbd3d0;border-left:6px solid #b3261e;padding:10px 14px;border-radius:6px;margin:12px 0}
.note{color:#666;font-size:13px}
"""

_STATUS_KEY = {
    "done": ("report.status.done",), "stopped": ("report.stopped_early",), "skipped": ("report.skipped",),
    "excluded": ("report.excluded",), "not_reached": ("report.status.not_reached",),
    "running": ("report.status.running",), "pending": ("report.status.not_reached",),
}


def _e(s: Any) -> str:
    return html.escape(str(s), quote=True)


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
    """The whole report page as one self-contained HTML string."""
    t = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    started = record.get("started_at", "")
    ended_by = record.get("ended_by")
    parts = [f"<!DOCTYPE html><html lang=\"{_e(lang)}\"><head><meta charset=\"utf-8\">",
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
             f"<title>{_e(t('report.title'))} {_e(started[:16].replace('T', ' '))}</title>",
             f"<style>{_CSS}</style></head><body><main>",
             f"<h1>{_e(t('report.title'))}</h1>",
             "<div class=\"meta\">"
             f"{_e(t('report.date'))}: {_e(started[:16].replace('T', ' '))} · "
             f"{_e(t('report.duration'))}: {_e(_fmt_s(record.get('duration_s')))} · "
             f"{_e(t('report.ended_by.' + (ended_by or 'running')))}"
             "</div>"]
    if ended_by == "symptoms":
        parts.append(f"<div class=\"alert\">{_e(t('report.symptoms_reported'))}: {_e(t('symptoms.stop'))}</div>")
    screening = record.get("screening") or {}
    if screening.get("status") == "caution":
        parts.append(f"<div class=\"alert\">{_e(t('screening.result.caution'))}</div>")
    if record.get("warning_today"):
        parts.append(f"<div class=\"alert\">{_e(t('session.too_many_today', count=record['warning_today']))}</div>")
    # overview table
    parts.append("<div class=\"card\"><table><tr>"
                 f"<th>{_e(t('report.exercise'))}</th><th>{_e(t('report.status'))}</th>"
                 f"<th>{_e(t('report.holds'))}</th><th>{_e(t('report.reps'))}</th>"
                 f"<th class=\"num\">{_e(t('report.cues'))}</th><th>{_e(t('report.symptoms'))}</th></tr>")
    for ex in record.get("exercises", []):
        parts.append("<tr>"
                     f"<td><a href=\"#{_e(ex['id'])}\">{_e(in_lang(ex.get('names'), lang, ex['id']))}</a></td>"
                     f"<td>{_badge(ex, lang)}</td><td>{_e(holds_text(ex, lang))}</td>"
                     f"<td>{_e(reps_text(ex, lang))}</td><td class=\"num\">{len(ex.get('cues') or [])}</td>"
                     f"<td>{_e(symptoms_text(ex, lang))}</td></tr>")
    parts.append("</table></div>")
    for ex in record.get("exercises", []):
        parts.append(_exercise_html(ex, lang))
    parts.append(f"<p class=\"note\">{_e(t('report.no_video'))} {_e(t('report.local_only'))}</p>")
    parts.append("</main></body></html>\n")
    return "".join(parts)


def _badge(ex: Mapping[str, Any], lang: str) -> str:
    status = ex.get("status", "pending")
    key = _STATUS_KEY.get(status, ("report.status.not_reached",))[0]
    return f"<span class=\"badge {_e(status)}\">{_e(i18n.t(key, lang))}</span>"


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


def _exercise_html(ex: Mapping[str, Any], lang: str) -> str:
    t = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    name = in_lang(ex.get("names"), lang, ex["id"])
    out = [f"<section class=\"card\" id=\"{_e(ex['id'])}\"><h2>{_e(name)}{_badge(ex, lang)}</h2>"]
    if ex.get("status") == "excluded":
        out.append(f"<p>{_e(in_lang(ex.get('reason'), lang))}</p></section>")
        return "".join(out)
    if ex.get("status") in ("not_reached", "pending") and not ex.get("summary"):
        out.append(f"<p class=\"note\">{_e(t('report.no_data'))}</p></section>")
        return "".join(out)
    summary = ex.get("summary") or {}
    out.append(f"<p class=\"meta\">{_e(t('report.duration'))}: {_e(_fmt_s(summary.get('duration_s')))}</p>")
    for x in summary.get("safety_loosened") or ():
        out.append(f"<div class=\"alert\">{_e(t('report.safety_loosened', **{k: x.get(k, '') for k in ('rule', 'field', 'spec', 'profile', 'reason')}))}</div>")

    def table(title: str, rows: list, value: str, unit: str) -> None:
        """The holds or the reps: side (or phase), achieved, target, a bar."""
        if not rows:
            return
        out.append(f"<h3>{_e(title)}</h3><table><tr><th>{_e(t('report.side'))}</th>"
                   f"<th class=\"num\">{_e(value)}</th><th class=\"num\">{_e(t('overlay.target').capitalize())}</th>"
                   "<th></th></tr>")
        for phase, side, achieved, target in rows:
            shown = number(achieved, lang, 1) if isinstance(achieved, float) else str(achieved)
            out.append(f"<tr><td>{_e(_row_name(ex, phase, side, lang))}</td><td class=\"num\">{shown}{unit}</td>"
                       f"<td class=\"num\">{number(target, lang, 0)}{unit}</td><td>{_bar(achieved, target)}</td></tr>")
        out.append("</table>")

    table(t("report.holds"), hold_rows(ex), t("report.achieved_s"), " s")
    table(t("report.reps"), rep_rows(ex), t("report.reps"), "")
    measures = {k: v for k, v in (ex.get("measures") or {}).items()
                if any(s[1] is not None for s in v.get("samples", []))}
    if measures:
        out.append(f"<h3>{_e(t('report.range_of_motion'))}</h3><table><tr><th>{_e(t('report.measure'))}</th>"
                   f"<th>{_e(t('report.unit'))}</th>"
                   f"<th class=\"num\">{_e(t('report.lowest'))}</th><th class=\"num\">{_e(t('report.highest'))}</th>"
                   f"<th class=\"num\">{_e(t('report.threshold'))}</th><th class=\"num\">{_e(t('report.time_ok'))}</th></tr>")
        for rid, m in measures.items():
            judged = [float(s[1]) for s in judged_samples(m)]
            unit, norm = m.get("unit"), _norm(m, ex.get("id"))
            limits = (m.get("min"), m.get("max"))
            # the unit once per row in words; a symbol (°, s) also stays with each number
            sym = unit_suffix(unit, lang, norm) if len(unit_suffix(unit, lang, norm).strip()) <= 2 else ""
            low = value_text(min(judged), unit, lang, limits) + sym if judged else "—"
            high = value_text(max(judged), unit, lang, limits) + sym if judged else "—"
            limit_text = bounds_text(limits, unit, lang, norm)
            if limit_text and not sym:
                limit_text = limit_text[: len(limit_text) - len(unit_suffix(unit, lang, norm))]
            out.append(f"<tr><td>{_e(measure_label(rid, m, lang, ex.get('id')))}</td>"
                       f"<td class=\"unit\">{_e(axis_label(unit, lang, norm))}</td>"
                       f"<td class=\"num\">{_e(low)}</td><td class=\"num\">{_e(high)}</td>"
                       f"<td class=\"num\">{_e(limit_text or '—')}</td>"
                       f"<td class=\"num\">{_e(percent_text(within_limits(m), lang))}</td></tr>")
        out.append("</table><div class=\"plots\">")
        for rid, m in measures.items():
            out.append(f"<div class=\"plot\">{measure_svg(rid, m, lang, exercise_id=ex.get('id'))}</div>")
        out.append("</div>")
    cues = ex.get("cues") or []
    out.append(f"<h3>{_e(t('report.cues'))} ({len(cues)})</h3>")
    if cues:
        out.append(f"<table><tr><th class=\"num\">{_e(t('report.time'))}</th><th>{_e(t('report.side'))}</th>"
                   f"<th>{_e(t('report.cue'))}</th></tr>")
        for c in cues:
            sev = c.get("severity") or "setup"
            out.append(f"<tr><td class=\"num\">{_e(_fmt_s(c.get('t_s')))}</td>"
                       f"<td>{_e(_side_name(c.get('side'), lang))}</td>"
                       f"<td class=\"sev-{_e(sev)}\">{_e(in_lang(c.get('text'), lang))}</td></tr>")
        out.append("</table>")
    else:
        out.append(f"<p class=\"note\">{_e(t('report.no_cues'))}</p>")
    out.append("</section>")
    return "".join(out)


def measure_label(rule_id: str, m: Mapping[str, Any], lang: str, exercise_id: str | None = None) -> str:
    """The rule's short name ("Skuldrene nede"); without the exercise, its recorded label."""
    if exercise_id:
        return i18n.rule_name(exercise_id, rule_id, lang)
    label = in_lang(m.get("label"), lang)
    return label.rstrip(".") if label else rule_id.replace("_", " ")


def _bar(value: float, target: float | None, width: int = 160, height: int = 14) -> str:
    if not target:
        return ""
    frac = max(0.0, min(1.0, float(value) / float(target)))
    color = "#3c9a2a" if frac >= 0.999 else "#e0a020"
    return (f"<svg width=\"{width}\" height=\"{height}\" role=\"img\"><rect width=\"{width}\" height=\"{height}\" "
            f"rx=\"4\" fill=\"#e4e6ea\"/><rect width=\"{frac * width:.1f}\" height=\"{height}\" rx=\"4\" "
            f"fill=\"{color}\"/></svg>")


def measure_svg(rule_id: str, m: Mapping[str, Any], lang: str, width: int = 460, height: int = 220,
                exercise_id: str | None = None) -> str:
    """An inline SVG line plot of what one rule judged over time: its allowed band
    (green), its limits (red dashes), the judged values (blue; red points outside the
    limits, the same samples ``within_limits`` counts), the value axis titled with its
    unit and the time axis in min:s."""
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

    o = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" "
         f"viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{_e(title)}\" class=\"measure\" "
         f"data-rule=\"{_e(rule_id)}\">",
         f"<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>",
         f"<text x=\"{pad_l}\" y=\"16\" font-size=\"13\" font-weight=\"bold\" fill=\"#1d2330\">"
         f"<title>{_e(title)}</title>{_e(_clip(title, 52))}</text>"]
    # allowed band
    band_lo = lo if lo is not None else y0
    band_hi = hi if hi is not None else y1
    if lo is not None or hi is not None:
        a, b = py(min(max(band_hi, y0), y1)), py(max(min(band_lo, y1), y0))
        o.append(f"<rect class=\"band\" x=\"{pad_l}\" y=\"{a:.1f}\" width=\"{pw}\" height=\"{max(b - a, 0):.1f}\" "
                 "fill=\"#d8f1d0\"/>")
    # axes, ticks and their titles (the unit a physio reads)
    o.append(f"<line x1=\"{pad_l}\" y1=\"{pad_t + ph}\" x2=\"{pad_l + pw}\" y2=\"{pad_t + ph}\" stroke=\"#888\"/>")
    o.append(f"<line x1=\"{pad_l}\" y1=\"{pad_t}\" x2=\"{pad_l}\" y2=\"{pad_t + ph}\" stroke=\"#888\"/>")
    ticks = _ticks(y0, y1, 4)
    nd = _tick_decimals(ticks)
    deg = (unit or "").startswith("deg")
    for v in ticks:
        y = py(v)
        o.append(f"<line x1=\"{pad_l - 4}\" y1=\"{y:.1f}\" x2=\"{pad_l + pw}\" y2=\"{y:.1f}\" stroke=\"#eee\"/>")
        o.append(f"<text x=\"{pad_l - 6}\" y=\"{y + 4:.1f}\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">"
                 f"{_e(number(v, lang, nd))}{'°' if deg else ''}</text>")
    for tv in _time_ticks(t0, t1, 5):
        x = px(tv)
        o.append(f"<text x=\"{x:.1f}\" y=\"{pad_t + ph + 15}\" font-size=\"11\" text-anchor=\"middle\" "
                 f"fill=\"#555\">{_e(_fmt_s(tv))}</text>")
    o.append(f"<text class=\"axis-x\" x=\"{pad_l + pw}\" y=\"{height - 4}\" font-size=\"11\" text-anchor=\"end\" "
             f"fill=\"#555\">{_e(i18n.t('report.axis_time', lang))}</text>")
    o.append(f"<text class=\"axis-y\" x=\"{width - pad_r}\" y=\"16\" font-size=\"11\" text-anchor=\"end\" "
             f"fill=\"#555\">{_e(axis_label(unit, lang, norm))}</text>")
    for b in (lo, hi):
        if b is not None and y0 <= b <= y1:
            o.append(f"<line class=\"threshold\" x1=\"{pad_l}\" y1=\"{py(b):.1f}\" x2=\"{pad_l + pw}\" "
                     f"y2=\"{py(b):.1f}\" stroke=\"#b3261e\" stroke-dasharray=\"5,4\" stroke-width=\"1.5\"/>")
    # the line, broken where the rule judged nothing or the side changed
    segs: list[list[tuple[float, float]]] = []
    prev = None
    judged = {id(s) for s in samples}
    for s in m.get("samples", []):
        if id(s) not in judged:
            prev = None
            continue
        if prev is None or prev[2] != s[2] or s[0] - prev[0] > 2.0:
            segs.append([])
        segs[-1].append((px(s[0]), py(float(s[1]))))
        prev = s
    for seg in segs:
        if len(seg) == 1:
            x, y = seg[0]
            o.append(f"<circle cx=\"{x:.1f}\" cy=\"{y:.1f}\" r=\"2\" fill=\"#1f5fa8\"/>")
        else:
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
            o.append(f"<polyline class=\"series\" points=\"{pts}\" fill=\"none\" stroke=\"#1f5fa8\" "
                     "stroke-width=\"1.8\"/>")
    for s in samples:
        if _outside(float(s[1]), lo, hi):
            o.append(f"<circle class=\"out\" cx=\"{px(s[0]):.1f}\" cy=\"{py(float(s[1])):.1f}\" r=\"2.2\" "
                     "fill=\"#b3261e\"/>")
    if not samples:
        o.append(f"<text x=\"{width / 2}\" y=\"{height / 2}\" text-anchor=\"middle\" fill=\"#888\">"
                 f"{_e(i18n.t('report.no_data', lang))}</text>")
    o.append("</svg>")
    return "".join(o)


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
    """A self-contained page: per exercise, what each side (and phase) reached per session
    as lines with markers (hold seconds or reps), and a table of all sessions."""
    t = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    parts = [f"<!DOCTYPE html><html lang=\"{_e(lang)}\"><head><meta charset=\"utf-8\">",
             f"<title>{_e(t('report.history_title'))}</title><style>{_CSS}</style></head><body><main>",
             f"<h1>{_e(t('report.history_title'))}</h1>",
             f"<div class=\"meta\">{_e(t('report.sessions'))}: {len(rows)}</div>"]
    ids: list[str] = []
    for r in rows:
        for ex_id in r["exercises"]:
            if ex_id not in ids:
                ids.append(ex_id)
    parts.append("<div class=\"card plots\">")
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
        parts.append(f"<div class=\"plot\">{_trend_svg(name, list(lines.values()), ylabel, len(rows), lang)}</div>")
    parts.append("</div><div class=\"card\"><table><tr>"
                 f"<th>{_e(t('report.date'))}</th><th>{_e(t('report.duration'))}</th>"
                 f"<th>{_e(t('report.status'))}</th><th>{_e(t('report.exercise'))}</th></tr>")
    for r in rows:
        exs = ", ".join(in_lang(e.get("names"), lang, k) for k, e in r["exercises"].items())
        parts.append(f"<tr><td>{_e(r['started_at'][:16].replace('T', ' '))}</td>"
                     f"<td>{_e(_fmt_s(r.get('duration_s')))}</td>"
                     f"<td>{_e(t('report.ended_by.' + (r.get('ended_by') or 'running')))}</td><td>{_e(exs)}</td></tr>")
    parts.append("</table></div></main></body></html>\n")
    return "".join(parts)


def _trend_svg(title: str, lines: list[dict[str, Any]], ylabel: str, n: int, lang: str,
               width: int = 460, height: int = 220) -> str:
    """One line per side (and phase) over the sessions, with a legend."""
    pad_l, pad_r, pad_t, pad_b = 48, 16, 44, 30
    pw, ph = width - pad_l - pad_r, height - pad_t - pad_b
    vmax = max([v for ln in lines for _i, v, _d in ln["points"]] + [1.0]) * 1.15
    x = lambda i: pad_l + (i / max(n - 1, 1)) * pw  # noqa: E731
    y = lambda v: pad_t + (1 - v / vmax) * ph  # noqa: E731
    o = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" viewBox=\"0 0 {width} {height}\" "
         "class=\"trend\">",
         f"<rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>",
         f"<text x=\"{pad_l}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">{_e(title)} — {_e(ylabel)}</text>",
         f"<line x1=\"{pad_l}\" y1=\"{pad_t + ph}\" x2=\"{pad_l + pw}\" y2=\"{pad_t + ph}\" stroke=\"#888\"/>",
         f"<line x1=\"{pad_l}\" y1=\"{pad_t}\" x2=\"{pad_l}\" y2=\"{pad_t + ph}\" stroke=\"#888\"/>"]
    ticks = _ticks(0.0, vmax, 4)
    nd = _tick_decimals(ticks)
    for v in ticks:
        o.append(f"<text x=\"{pad_l - 6}\" y=\"{y(v) + 4:.1f}\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">"
                 f"{_e(number(v, lang, nd))}</text>")
    lx = pad_l
    for k, ln in enumerate(lines):
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        pts = ln["points"]
        if len(pts) > 1:
            o.append(f"<polyline class=\"side\" points=\"" + " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v, _d in pts)
                     + f"\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>")
        for i, v, d in pts:
            o.append(f"<circle cx=\"{x(i):.1f}\" cy=\"{y(v):.1f}\" r=\"4\" fill=\"{color}\">"
                     f"<title>{_e(d)}, {_e(ln['label'])}: {_e(number(v, lang, 1, trim=True))}</title></circle>")
        if len(lines) > 1 or ln["label"] != title:   # legend: which line is which side
            o.append(f"<rect x=\"{lx}\" y=\"26\" width=\"12\" height=\"4\" fill=\"{color}\"/>"
                     f"<text class=\"legend\" x=\"{lx + 16}\" y=\"31\" font-size=\"11\" fill=\"#333\">"
                     f"{_e(ln['label'])}</text>")
            lx += 30 + 7 * len(ln["label"])
    first = min((p for ln in lines for p in ln["points"]), default=None, key=lambda p: p[0])
    last = max((p for ln in lines for p in ln["points"]), default=None, key=lambda p: p[0])
    if first is not None:
        o.append(f"<text x=\"{x(first[0]):.1f}\" y=\"{pad_t + ph + 18}\" font-size=\"11\" fill=\"#555\">"
                 f"{_e(first[2])}</text>")
        if last is not None and last[0] != first[0]:
            o.append(f"<text x=\"{x(last[0]):.1f}\" y=\"{pad_t + ph + 18}\" font-size=\"11\" text-anchor=\"end\" "
                     f"fill=\"#555\">{_e(last[2])}</text>")
    o.append("</svg>")
    return "".join(o)


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
