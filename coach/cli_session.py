"""`coach session`, `coach screening` and `coach history`: the guided session's command
line. Registered into the main parser by ``add_session_commands(subparsers, lang_default)``.

User mistakes raise CoachError subclasses (main() prints one line and exits with
``exc.exit_code``); a screening that blocks exits with 4. Only the cli modules print.

Answers file (``--answers``, YAML or JSON) for headless runs::

    screening: {acute_back_pain: false, ...}   # all questions (see `coach screening --list`)
    symptoms: [no, no, yes]                     # one per exercise, in order; null = no answer
    keys: [[12.5, p], [20, p], [30, s]]         # keys pressed at session seconds (p, space, s, n, q, esc)
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Any

from coach.errors import CoachError

EXIT_OK, EXIT_BLOCKED = 0, 4

# The article's order (EXERCISES.md 1-7).
DEFAULT_PROGRAM = ("lying_twist", "chair_extension", "cat_cow", "knee_to_chest", "seated_rotation",
                   "passive_hang", "crossed_leg_rotation")


class ScreeningBlocked(CoachError):
    exit_code = EXIT_BLOCKED


class InputFileError(CoachError):
    exit_code = 2


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: what happened so far is written, then exit."""


# --------------------------------------------------------------------------- files
def _read_yaml(path: str, what: str) -> Any:
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{what}: file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{what}: cannot read {p}: {exc.__class__.__name__}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InputFileError(f"{what}: {p}{where}: not valid YAML/JSON") from None


def load_program(path: str | None) -> tuple[list[str], dict[str, Any]]:
    """Exercise ids and session settings from a program file, or the article's seven."""
    from coach.spec import spec_ids

    if path is None:
        return list(DEFAULT_PROGRAM), {}
    data = _read_yaml(path, "--program")
    if isinstance(data, list):
        data = {"exercises": data}
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), list) or not data["exercises"]:
        raise InputFileError(f"--program: {path}: expected `exercises: [id, ...]` with at least one exercise")
    known = spec_ids()
    ids = []
    for i, ex in enumerate(data["exercises"]):
        if not isinstance(ex, str) or (ex not in known and not ex.endswith((".yaml", ".yml"))):
            raise InputFileError(f"--program: {path}: exercises[{i}]: unknown exercise {ex!r}, "
                                 f"expecting one of [{', '.join(known)}]")
        ids.append(ex)
    settings = {}
    allowed = {"intro_s", "framing_s", "framing_repeat_s", "symptom_timeout_s"}
    for k, v in data.items():
        if k == "exercises":
            continue
        if k not in allowed:
            raise InputFileError(f"--program: {path}: unknown setting {k!r}, expecting one of "
                                 f"[exercises, {', '.join(sorted(allowed))}]")
        if not (v is None and k == "symptom_timeout_s") and not isinstance(v, (int, float)):
            raise InputFileError(f"--program: {path}: {k}: expected a number of seconds, got {v!r}")
        settings[k] = v
    return ids, settings


def _yes_no(v: Any, where: str) -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("y", "yes", "j", "ja", "true"):
        return True
    if isinstance(v, str) and v.strip().lower() in ("n", "no", "nei", "false"):
        return False
    raise InputFileError(f"--answers: {where}: expected yes or no, got {v!r}")


def load_answers(path: str | None) -> dict[str, Any]:
    """``{"screening": {tag: bool} | None, "symptoms": [bool|None] | None, "keys": [(s, key)]}``."""
    out: dict[str, Any] = {"screening": None, "symptoms": None, "keys": []}
    if path is None:
        return out
    data = _read_yaml(path, "--answers")
    if not isinstance(data, dict):
        raise InputFileError(f"--answers: {path}: expected a mapping with screening / symptoms / keys")
    unknown = sorted(set(data) - {"screening", "symptoms", "keys"})
    if unknown:
        raise InputFileError(f"--answers: {path}: unknown key(s) {unknown}, expecting one of [screening, symptoms, keys]")
    if data.get("screening") is not None:
        if not isinstance(data["screening"], dict):
            raise InputFileError(f"--answers: {path}: screening: expected a mapping of question id to yes/no")
        out["screening"] = {str(k): _yes_no(v, f"screening.{k}") for k, v in data["screening"].items()}
    if data.get("symptoms") is not None:
        if not isinstance(data["symptoms"], list):
            raise InputFileError(f"--answers: {path}: symptoms: expected a list of yes/no (one per exercise)")
        out["symptoms"] = [_yes_no(v, f"symptoms[{i}]") for i, v in enumerate(data["symptoms"])]
    from coach.session import normalise_key

    for i, item in enumerate(data.get("keys") or []):
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], (int, float))
                and item[0] >= 0 and isinstance(item[1], str) and normalise_key(item[1]) is not None):
            raise InputFileError(f"--answers: {path}: keys[{i}]: expected [seconds, key] with key one of "
                                 "[p, space, s, n, y, j, q, esc], got {item!r}".replace("{item!r}", repr(item)))
        out["keys"].append((float(item[0]), item[1]))
    return out


# --------------------------------------------------------------------------- screening
def _ask_terminal(lang: str) -> dict[str, bool]:
    from coach import i18n
    from coach.safety import Screening

    questions = Screening().questions
    print(i18n.t("screening.title", lang))
    print(i18n.t("screening.intro", lang))
    answers: dict[str, bool] = {}
    for i, q in enumerate(questions, 1):
        while True:
            try:
                raw = input(f"[{i}/{len(questions)}] {q.text(lang)} ({i18n.t('screening.exit_hint', lang)}) ")
            except EOFError:
                raise InputFileError("screening: no answer (end of input); answer every question, "
                                     "or pass the answers in --answers") from None
            try:
                v = _yes_no(raw, q.id)
            except InputFileError:
                v = None
            if v is not None:
                answers[q.id] = v
                break
    return answers


def _spec_contraindications(specs) -> dict[str, list[str]]:
    from coach.safety import CONTRAINDICATIONS

    return {s.id: [t for t in s.contraindications if t in CONTRAINDICATIONS] for s in specs}


def run_screening(lang: str, answers: dict[str, bool] | None, store, specs=(), ask: bool = True):
    """Evaluate (and store) the screening; ask in the terminal when no answers are given."""
    from coach.safety import evaluate, save_screening

    if answers is None:
        if not ask:
            from coach import i18n
            raise InputFileError(i18n.t("screening.needed_headless", lang))
        answers = _ask_terminal(lang)
    result = evaluate(answers, _spec_contraindications(specs))
    path = save_screening(store, answers, result)
    return answers, result, path


def _print_screening(result, lang: str, program: list[str] | None = None) -> None:
    from coach import i18n

    for line in result.messages(lang):
        print(line)
    for ex_id, key in result.excluded.items():
        if program is None or ex_id in program:
            print(f"  - {ex_id}: {i18n.t(key, lang)}")


def cmd_screening(args: argparse.Namespace) -> int:
    from coach import i18n
    from coach.safety import Screening, StateStore

    lang = args.lang
    if args.list:
        for q in Screening().questions:
            print(f"{q.id:<24} {q.effect:<8} {q.text(lang)}")
        return EXIT_OK
    answers = load_answers(args.answers)["screening"]
    from coach.spec import list_specs

    store = StateStore()
    _answers, result, path = run_screening(lang, answers, store, list_specs(), ask=sys.stdin.isatty())
    _print_screening(result, lang)
    print(i18n.t("screening.saved", lang, path=path))
    if result.blocked:
        raise ScreeningBlocked(i18n.t("cli.blocked_exit", lang))
    return EXIT_OK


# --------------------------------------------------------------------------- session
def cmd_session(args: argparse.Namespace) -> int:
    from coach import i18n
    from coach.pipeline import run
    from coach.report import ReportWriter, reports_dir
    from coach.safety import SessionLog, StateStore, excluded_exercises, load_screening
    from coach.session import (
        RenderedVideo, ScriptedKeys, SessionConfig, SessionController, SessionRenderer, SessionWindow,
        VoiceAdapter,
    )
    from coach.sinks import EventLog
    from coach.spec import load_profile, load_spec

    lang = args.lang
    if args.volume is not None and not 0 <= args.volume <= 200:
        raise InputFileError(f"--volume: must be in 0..200, got {args.volume}")
    ids, settings = load_program(args.program)
    profile = load_profile(args.profile) if args.profile else None
    specs = [load_spec(i, profile=profile) for i in ids]
    answers = load_answers(args.answers)
    if args.no_window and args.out is None:
        raise InputFileError("--no-window needs --out DIR (where the report and events go)")
    camera_arg = str(args.camera)
    if not camera_arg.isdigit() and not Path(camera_arg).exists():
        raise InputFileError(f"--camera must be a camera number or a video file; {camera_arg} does not exist")
    if not args.no_window:
        from coach.session import display_problem

        problem = display_problem()
        if problem:
            raise InputFileError(f"cannot open a window: {problem}; use --no-window --out DIR to run without one")

    # safety first: screening (stored, from --answers, or asked now), then the daily count
    store = StateStore()
    stored = load_screening(store)
    if answers["screening"] is not None or stored is None:
        if answers["screening"] is None and sys.stdin.isatty():
            print(i18n.t("cli.screening_needed", lang))
            print(i18n.t("cli.state_dir", lang, path=store.root))
        _a, result, _p = run_screening(lang, answers["screening"], store, specs, ask=sys.stdin.isatty())
        screen_answers = _a
    else:
        from coach.safety import evaluate

        screen_answers = stored["answers"]
        result = evaluate(screen_answers, _spec_contraindications(specs))
    if result.blocked:
        _print_screening(result, lang, ids)
        raise ScreeningBlocked(i18n.t("cli.blocked_exit", lang))
    if result.status == "caution":
        _print_screening(result, lang, ids)
    excluded = excluded_exercises(screen_answers, _spec_contraindications(specs))
    # camera, model
    from coach.runner import make_estimator, needs_masks
    from coach.sources import CameraSource, VideoFileSource

    estimator = make_estimator(args.model, 1, any(needs_masks(s) for s in specs), specs[0])
    try:
        if camera_arg.isdigit():
            source = CameraSource(int(camera_arg))
        elif args.fast:
            source = VideoFileSource(camera_arg)
        else:
            source = CameraSource.from_file(camera_arg)
    except CoachError:
        estimator.close()
        raise
    fps = source.info.fps

    voice = None
    try:
        out = reports_dir(args.out) if args.out else reports_dir()
        writer = ReportWriter(out, lang)
        # counted only once the camera and the output folder work
        check = SessionLog(store).record_start()
        warnings = []
        if result.status == "caution":  # said aloud too: the person may be far from the screen
            warnings.append({lg: " ".join(result.messages(lg)) for lg in i18n.LANGS})
        if check.warn:
            warnings.append({lg: i18n.t("session.too_many_today", lg, count=check.count_today) for lg in i18n.LANGS})
            print(warnings[-1][lang])

        config = SessionConfig(**settings)
        meta = {"screening": {"status": result.status, "reasons": list(result.reasons)},
                "warning_today": check.count_today if check.warn else 0,
                "source": f"camera {camera_arg}"}
        controller = SessionController(specs, lang, excluded=excluded, config=config, answers=answers["symptoms"],
                                       on_checkpoint=writer.write, meta=meta, warnings=warnings)

        # voice
        import logging

        from coach.voice import Voice

        vlog = logging.getLogger("coach.voice")  # its one warning is printed below, once
        vlog.propagate = False
        if not any(isinstance(h, logging.NullHandler) for h in vlog.handlers):
            vlog.addHandler(logging.NullHandler())
        voice = Voice(lang=lang, muted=args.mute, volume=args.volume if args.volume is not None else 100,
                      max_age_s=8.0)
        if voice.available and not args.mute:
            controller.speech_busy = lambda: voice.busy
        if voice.warning:
            print(f"coach: warning: {voice.warning}", file=sys.stderr)
        speaker = VoiceAdapter(voice, lang)
        renderer = SessionRenderer(controller, lang, mirror=args.mirror, muted=args.mute or not voice.available,
                                   display_height=None if args.no_window else args.window_height)
        sinks: list = [speaker]  # says each frame's texts as one utterance
        if answers["keys"]:
            sinks.append(ScriptedKeys(controller, answers["keys"]))
        if not args.no_window:
            sinks.append(SessionWindow("coach", renderer, controller))
        video = None
        if args.video:
            video = RenderedVideo(out / f"{writer.stem}.mp4", fps, renderer)
            sinks.append(video)
        events_log = EventLog(out / f"{writer.stem}.events.jsonl") if args.out else None
        recorder = None
        if args.record_landmarks:
            from coach.recording import RecordingWriter

            recorder = RecordingWriter(args.record_landmarks, meta={"source": f"camera {camera_arg}", "exercise": "session"})

    except BaseException:
        if voice is not None:
            voice.close()
        close = getattr(source, "close", None)
        if close is not None:
            close()
        estimator.close()
        raise

    from coach.plausibility import PlausibilityChecker

    def on_event(ev) -> None:
        if events_log is not None:
            events_log(ev)
        speaker(ev)
        if ev.kind == "intro":  # the skeleton check follows the exercise's posture
            spec = next((s for s in specs if s.id == ev.exercise_id), None)
            if spec is not None:
                estimator.plausibility = PlausibilityChecker(
                    posture=getattr(spec, "posture", None), front_view=getattr(spec, "camera_view", "") == "front")

    import time as _time

    start = _time.monotonic()

    def should_stop() -> bool:
        if controller.stopped or controller.done:
            return True
        return bool(args.max_seconds and _time.monotonic() - start > args.max_seconds)

    def on_signal(signum, _frame):
        controller.interrupted = True
        raise _Terminated()

    old_term = signal.signal(signal.SIGTERM, on_signal)
    old_int = signal.signal(signal.SIGINT, on_signal)
    from coach.smoothing import PoseSmoother

    interrupted = False
    stats = None
    try:
        stats = run(source, estimator=estimator, smoother=PoseSmoother(None), engine=controller, sinks=sinks,
                    recorder=recorder, should_stop=should_stop, on_event=on_event)
    except KeyboardInterrupt:
        interrupted = True
        controller.interrupted = True
        if not controller.done:
            controller.interrupt()
    finally:
        signal.signal(signal.SIGTERM, old_term)
        signal.signal(signal.SIGINT, old_int)
        camera_lost = bool(getattr(source, "failed", False) and not getattr(source, "ended", False))
        try:
            if controller.interrupted and controller.ended_by != "interrupted":
                controller.ended_by = "interrupted"
            elif camera_lost and controller.ended_by == "source_ended":
                controller.ended_by = "camera_lost"
            writer.write(controller.record)
        finally:
            if events_log is not None:
                events_log.close()
            if recorder is not None:
                recorder.close()
            close = getattr(source, "close", None)
            if close is not None:
                close()
            estimator.close()
            if not interrupted:
                voice.wait_idle(timeout_s=8.0)
            voice.close()
    if interrupted:
        print(i18n.t("cli.interrupted", lang, path=writer.html_path), file=sys.stderr)
        raise KeyboardInterrupt
    _print_session(controller.record, lang)
    print(i18n.t("cli.report_written", lang, path=writer.html_path))
    print(f"json -> {writer.json_path}")
    if video is not None:
        print(f"video -> {video.path}")
    if args.record_landmarks:
        print(f"landmark recording -> {args.record_landmarks}")
    if camera_lost:
        print(f"coach: error: {i18n.t('cli.camera_lost', lang, device=camera_arg)}", file=sys.stderr)
        return 2
    return EXIT_OK


def _print_session(record: dict, lang: str) -> None:
    from coach import i18n
    from coach.report import _holds_text, _name, _reps_text, _symptoms_text

    print(f"{i18n.t('report.title', lang)}: {i18n.t('report.ended_by.' + (record.get('ended_by') or 'running'), lang)}"
          f", {record.get('duration_s', 0):.0f} s")
    status_key = {"done": "report.status.done", "stopped": "report.stopped_early", "skipped": "report.skipped",
                  "excluded": "report.excluded", "not_reached": "report.status.not_reached",
                  "running": "report.status.running", "pending": "report.status.not_reached"}
    for ex in record.get("exercises", []):
        name = _name(ex.get("names"), lang, ex["id"])
        status = i18n.t(status_key.get(ex.get("status"), "report.status.not_reached"), lang)
        line = f"  {name:<36} {status:<14}"
        if ex.get("status") not in ("excluded", "not_reached", "pending"):
            line += (f" {i18n.t('report.holds', lang).lower()}: {_holds_text(ex, lang)};"
                     f" {i18n.t('report.reps', lang).lower()}: {_reps_text(ex, lang)};"
                     f" {i18n.t('report.cues', lang).lower()}: {len(ex.get('cues') or [])};"
                     f" {i18n.t('report.symptoms', lang).lower()}: {_symptoms_text(ex, lang)}")
        print(line.rstrip())


# --------------------------------------------------------------------------- history
def cmd_history(args: argparse.Namespace) -> int:
    from coach import i18n
    from coach.report import write_history
    from coach.safety import state_dir

    folder = Path(args.reports) if args.reports else state_dir() / "reports"
    rows, path = write_history(folder, args.lang, args.out)
    lang = args.lang
    if not rows:
        print(i18n.t("history.no_sessions", lang))
        return EXIT_OK
    print(f"{i18n.t('history.title', lang)} ({len(rows)})")
    ids: list[str] = []
    for r in rows:
        ids += [k for k in r["exercises"] if k not in ids]
    for r in rows:
        cells = []
        for ex_id in ids:
            ex = r["exercises"].get(ex_id)
            if ex is None:
                continue
            if ex.get("hold_s") is not None:
                cells.append(f"{ex_id} {ex['hold_s']:.0f}s")
            elif ex.get("reps") is not None:
                cells.append(f"{ex_id} {ex['reps']}x")
            else:
                cells.append(f"{ex_id} -")
        ended = i18n.t("report.ended_by." + (r.get("ended_by") or "running"), lang)
        print(f"  {r['started_at'][:16].replace('T', ' ')}  {ended:<28} " + ", ".join(cells))
    # trend: first vs last session per exercise
    for ex_id in ids:
        vals = [(r["exercises"][ex_id].get("hold_s") if r["exercises"][ex_id].get("hold_s") is not None
                 else r["exercises"][ex_id].get("reps")) for r in rows if ex_id in r["exercises"]]
        vals = [v for v in vals if v is not None]
        if len(vals) >= 2:
            diff = vals[-1] - vals[0]
            arrow = "↑" if diff > 0 else ("↓" if diff < 0 else "→")
            print(f"  {arrow} {ex_id}: {vals[0]:g} → {vals[-1]:g}")
    print(i18n.t("history.saved_to", lang, path=path))
    return EXIT_OK


# --------------------------------------------------------------------------- parser
def add_session_commands(sub, lang_default: str) -> None:
    """Register `session`, `screening` and `history` on the main parser's subparsers."""
    p = sub.add_parser("session", help="a guided session: the exercises one after the other, with voice, "
                                       "safety questions and a report (q or Esc stops at any time)")
    p.add_argument("--program", metavar="FILE",
                   help="YAML with `exercises: [id, ...]` (default: the seven, in the article's order)")
    p.add_argument("--camera", default="0", metavar="N|FILE",
                   help="camera number (default 0), or a video file played as a live camera")
    p.add_argument("--lang", choices=("nb", "en"), default=lang_default,
                   help=f"language of speech and text (default from the system locale: {lang_default})")
    p.add_argument("--profile", metavar="FILE", help="a physiotherapist's profile YAML overriding thresholds")
    p.add_argument("--model", metavar="PATH", help="pose model .task bundle")
    p.add_argument("--mute", action="store_true", help="no speech and no chimes (text only)")
    p.add_argument("--volume", type=int, default=None, metavar="0-200", help="speech volume (default 100)")
    p.add_argument("--mirror", action="store_true", help="mirror the picture (text stays readable)")
    p.add_argument("--no-window", action="store_true", help="no window (needs --out); keys from --answers")
    p.add_argument("--window-height", type=int, default=720, metavar="PX",
                   help="height of the window picture in pixels (default 720)")
    p.add_argument("--out", metavar="DIR", help="folder for the report, JSON and events "
                                                "(default: the reports folder under $COACH_HOME)")
    p.add_argument("--answers", metavar="FILE",
                   help="YAML/JSON with screening answers, symptom answers and timed keys (headless runs)")
    p.add_argument("--record-landmarks", metavar="FILE.npz", help="store every pose of the session")
    p.add_argument("--video", action="store_true", help="also store the annotated session as a video (in --out)")
    p.add_argument("--fast", action="store_true",
                   help="play a --camera video file as fast as it can be processed instead of in real time")
    p.add_argument("--max-seconds", type=float, default=None, help="stop after this many seconds")
    p.set_defaults(func=cmd_session)

    p = sub.add_parser("screening", help="answer (again) the health questions asked before the first session")
    p.add_argument("--lang", choices=("nb", "en"), default=lang_default)
    p.add_argument("--answers", metavar="FILE", help="YAML/JSON with `screening: {question: yes/no, ...}`")
    p.add_argument("--list", action="store_true", help="list the questions and what a yes does")
    p.set_defaults(func=cmd_screening)

    p = sub.add_parser("history", help="your sessions over time; writes an HTML trend chart")
    p.add_argument("--lang", choices=("nb", "en"), default=lang_default)
    p.add_argument("--reports", metavar="DIR", help="reports folder (default: under $COACH_HOME)")
    p.add_argument("--out", metavar="FILE.html", help="where to write the chart (default: <reports>/history.html)")
    p.set_defaults(func=cmd_history)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (tests, and until cli.py calls add_session_commands): the lead's
    main() with these commands added."""
    from coach import cli

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "session" not in sub.choices:
        add_session_commands(sub, cli._default_lang())
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CoachError as exc:
        print(f"coach: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("coach: stopped; what was recorded so far is saved", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
