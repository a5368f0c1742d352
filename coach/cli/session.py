"""`coach session`, `coach screening` and `coach history`: the guided programme.

A screening that blocks exits with 4; everything else as every command (see coach.cli).
Headless runs take their answers from ``--answers`` (format in :mod:`coach.session.program`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coach.cli.common import EXIT_BLOCKED, EXIT_INPUT, EXIT_OK, LANG_CHOICES, add_mirrored_option, ask, err
from coach.errors import CoachError, InputError


class ScreeningBlocked(CoachError):
    exit_code = EXIT_BLOCKED


def register(sub, lang_default: str) -> None:
    from coach.session.keys import help_lines, keys_label, binding

    stop = keys_label(binding("stop"))
    p = sub.add_parser("session", help=f"a guided session: the exercises one after the other, with voice, "
                                       f"safety questions and a report ({stop} stops at any time)",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="A guided session: the screening questions (before the first session), then "
                                   "each exercise\nintroduced, coached by voice and on screen, and a symptom "
                                   "question after it (raise a hand\nfor 2 s or press a key to answer yes).",
                       epilog="keys in the window:\n" + "\n".join("  " + line for line in help_lines()))
    p.add_argument("--program", metavar="FILE",
                   help="YAML with `exercises: [id, ...]` (default: the seven, in the article's order)")
    p.add_argument("--camera", default="0", metavar="N|FILE",
                   help="camera number (default 0), or a video file played as a live camera")
    p.add_argument("--lang", choices=LANG_CHOICES, default=lang_default,
                   help=f"language of speech and text (default from the system locale: {lang_default})")
    p.add_argument("--profile", metavar="FILE", help="a physiotherapist's profile YAML overriding thresholds")
    p.add_argument("--model", metavar="PATH", help="pose model .task bundle")
    p.add_argument("--mute", action="store_true", help="no speech and no chimes (text only)")
    p.add_argument("--volume", type=int, default=None, metavar="0-200", help="speech volume (default 100)")
    p.add_argument("--mirror", action="store_true", help="mirror the picture (text stays readable)")
    add_mirrored_option(p)
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
    p.add_argument("--lang", choices=LANG_CHOICES, default=lang_default)
    p.add_argument("--answers", metavar="FILE", help="YAML/JSON with `screening: {question: yes/no, ...}`")
    p.add_argument("--list", action="store_true", help="list the questions and what a yes does")
    p.set_defaults(func=cmd_screening)

    p = sub.add_parser("history", help="your sessions over time; writes an HTML trend chart")
    p.add_argument("--lang", choices=LANG_CHOICES, default=lang_default)
    p.add_argument("--reports", metavar="DIR", help="reports folder (default: under $COACH_HOME)")
    p.add_argument("--out", metavar="FILE.html", help="where to write the chart (default: <reports>/history.html)")
    p.set_defaults(func=cmd_history)


# --------------------------------------------------------------------------- screening
def _ask_terminal(lang: str) -> dict[str, bool]:
    from coach import i18n
    from coach.session.program import yes_no
    from coach.session.safety import Screening

    questions = Screening().questions
    print(i18n.t("screening.title", lang))
    print(i18n.t("screening.intro", lang))
    answers: dict[str, bool] = {}
    for i, q in enumerate(questions, 1):
        while True:
            try:
                raw = ask(f"[{i}/{len(questions)}] {q.text(lang)} ({i18n.t('screening.exit_hint', lang)}) ")
            except EOFError:
                raise InputError("screening: no answer (end of input); answer every question, "
                                 "or pass the answers in --answers") from None
            try:
                v = yes_no(raw, q.id)
            except InputError:
                v = None
            if v is not None:
                answers[q.id] = v
                break
    return answers


def _run_screening(lang: str, answers: dict[str, bool] | None, store, specs=()):
    """Assess (and store) the screening; ask in the terminal when no answers are given."""
    from coach import i18n
    from coach.session.safety import assess_screening, save_screening, spec_contraindications

    if answers is None:
        if not sys.stdin.isatty():
            raise InputError(i18n.t("screening.needed_headless", lang))
        answers = _ask_terminal(lang)
    result = assess_screening(answers, spec_contraindications(specs))
    path = save_screening(store, answers, result)
    return answers, result, path


def _print_screening(result, lang: str, program: list[str] | None = None, specs=()) -> None:
    """The screening's outcome, and each exercise it leaves out by name (not id) with why."""
    from coach import i18n
    from coach.spec import list_specs

    names = {s.id: s.names.get(lang) or s.id for s in (list(specs) or list_specs())}
    for line in result.messages(lang):
        print(line)
    for ex_id, key in result.excluded.items():
        if program is None or ex_id in program:
            print(f"  - {names.get(ex_id, ex_id)}: {i18n.t(key, lang)}")


def cmd_screening(args: argparse.Namespace) -> int:
    from coach import i18n
    from coach.session.program import load_answers
    from coach.session.safety import Screening
    from coach.session.store import StateStore
    from coach.spec import list_specs

    lang = args.lang
    if args.list:
        for q in Screening().questions:
            effect = i18n.t(f"screening.effect.{q.effect}", lang)
            print(f"{q.id:<24} {effect:<18} {q.text(lang)}")
        return EXIT_OK
    answers = load_answers(args.answers)["screening"]
    _answers, result, path = _run_screening(lang, answers, StateStore(), list_specs())
    _print_screening(result, lang)
    print(i18n.t("screening.saved", lang, path=path))
    if result.blocked:
        raise ScreeningBlocked(i18n.t("cli.blocked_exit", lang))
    return EXIT_OK


# --------------------------------------------------------------------------- session
def cmd_session(args: argparse.Namespace) -> int:
    from coach import i18n
    from coach.pipeline.guided import GuidedSession, SessionOptions
    from coach.session.program import load_answers, load_program
    from coach.session.safety import assess_screening, excluded_exercises, load_screening, spec_contraindications
    from coach.session.store import StateStore
    from coach.pipeline.runner import exercise_spec
    from coach.spec import load_profile

    lang = args.lang
    ids, settings = load_program(args.program)
    profile = load_profile(args.profile) if args.profile else None
    # an entry is an exercise id, or a spec file when it ends in .yaml / .yml (see --program)
    specs = [exercise_spec(spec_file=i, profile=profile) if i.endswith((".yaml", ".yml"))
             else exercise_spec(i, profile=profile) for i in ids]
    answers = load_answers(args.answers)
    options = SessionOptions(
        lang=lang, camera=str(args.camera), model=args.model, mute=args.mute, volume=args.volume, mirror=args.mirror,
        mirrored=args.mirrored,
        window=not args.no_window, window_height=args.window_height, out=args.out,
        record_landmarks=args.record_landmarks, video=args.video, fast=args.fast, max_seconds=args.max_seconds,
        symptoms=answers["symptoms"], keys=answers["keys"], settings=settings)
    options.check()  # before the screening questions: a wrong option fails at once

    # safety first: screening (stored, from --answers, or asked now), then the daily count
    store = StateStore()
    stored = load_screening(store)
    if answers["screening"] is not None or stored is None:
        if answers["screening"] is None and sys.stdin.isatty():
            print(i18n.t("cli.screening_needed", lang))
            print(i18n.t("cli.state_dir", lang, path=store.root))
        screen_answers, result, _path = _run_screening(lang, answers["screening"], store, specs)
    else:
        screen_answers = stored["answers"]
        result = assess_screening(screen_answers, spec_contraindications(specs))
    if result.blocked:
        _print_screening(result, lang, [s.id for s in specs], specs)
        raise ScreeningBlocked(i18n.t("cli.blocked_exit", lang))
    if result.status == "caution":
        _print_screening(result, lang, [s.id for s in specs], specs)
    excluded = excluded_exercises(screen_answers, spec_contraindications(specs))

    session = GuidedSession(specs, options, screening=result, excluded=excluded, store=store)
    if session.too_many_today:
        print(session.too_many_today)
    if session.voice_warning:
        print(f"coach: warning: {session.voice_warning}", file=sys.stderr)
    try:
        outcome = session.run()
    except KeyboardInterrupt:
        print(i18n.t("cli.interrupted", lang, path=session.report_path), file=sys.stderr)
        raise
    _print_session(outcome.record, lang)
    print(i18n.t("cli.report_written", lang, path=outcome.report_html))
    print(f"json -> {outcome.report_json}")
    if outcome.video_path is not None:
        print(f"{i18n.t('replay.file.video', lang)} -> {outcome.video_path}")
    if options.record_landmarks:
        print(f"{i18n.t('replay.file.recording', lang)} -> {options.record_landmarks}")
    if outcome.camera_lost:
        err(i18n.t("cli.camera_lost", lang, device=options.camera))
        return EXIT_INPUT
    return EXIT_OK


def _print_session(record: dict, lang: str) -> None:
    from coach import i18n
    from coach.ui.report import in_lang, holds_text, reps_text, symptoms_text

    print(f"{i18n.t('report.title', lang)}: {i18n.t('report.ended_by.' + (record.get('ended_by') or 'running'), lang)}"
          f", {record.get('duration_s', 0):.0f} s")
    status_key = {"done": "report.status.done", "stopped": "report.stopped_early", "skipped": "report.skipped",
                  "excluded": "report.excluded", "not_reached": "report.status.not_reached",
                  "running": "report.status.running", "pending": "report.status.not_reached"}
    for ex in record.get("exercises", []):
        name = in_lang(ex.get("names"), lang, ex["id"])
        status = i18n.t(status_key.get(ex.get("status"), "report.status.not_reached"), lang)
        line = f"  {name:<36} {status:<14}"
        if ex.get("status") not in ("excluded", "not_reached", "pending"):
            line += (f" {i18n.t('report.holds', lang).lower()}: {holds_text(ex, lang)};"
                     f" {i18n.t('report.reps', lang).lower()}: {reps_text(ex, lang)};"
                     f" {i18n.t('report.cues', lang).lower()}: {len(ex.get('cues') or [])};"
                     f" {i18n.t('report.symptoms', lang).lower()}: {symptoms_text(ex, lang)}")
        print(line.rstrip())


# --------------------------------------------------------------------------- history
def cmd_history(args: argparse.Namespace) -> int:
    from coach import i18n
    from coach.session.history import history_lines
    from coach.session.store import state_dir
    from coach.ui.report import write_history

    folder = Path(args.reports) if args.reports else state_dir() / "reports"
    rows, path = write_history(folder, args.lang, args.out)
    if not rows:
        print(i18n.t("history.no_sessions", args.lang))
        return EXIT_OK
    for line in history_lines(rows, args.lang):
        print(line)
    print(i18n.t("history.saved_to", args.lang, path=path))
    return EXIT_OK
