"""`coach tune` and `coach calibrate`: the physiotherapist's commands."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from coach.cli.common import EXIT_OK, LANG_CHOICES, Progress, status


def register(subparsers, lang_default: str) -> None:
    p = subparsers.add_parser(
        "tune", help="physio workbench: tune thresholds on a recording in the browser, save a patient profile")
    p.add_argument("input", metavar="RECORDING.npz|VIDEO",
                   help="a landmark recording (--record-landmarks) or a video (landmarks extracted once, cached)")
    p.add_argument("--exercise", "-e", required=True, metavar="ID", help="exercise id (see `coach exercises`)")
    p.add_argument("--profile", metavar="FILE", help="an existing profile to continue from (saved back to it)")
    p.add_argument("--save", metavar="FILE", help="where the page saves the profile (default: --profile, "
                                                  "else profile-<exercise>.yaml)")
    p.add_argument("--port", type=int, default=0, metavar="N", help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open the default browser; print the address")
    p.add_argument("--lang", choices=LANG_CHOICES, default=lang_default, help="language of cue texts")
    p.add_argument("--model", metavar="PATH", help="pose model .task bundle (for a video)")
    p.add_argument("--from", dest="from_s", type=float, default=None, metavar="S",
                   help="use the recording from S seconds on (e.g. one exercise of a session recording)")
    p.add_argument("--to", dest="to_s", type=float, default=None, metavar="S", help="... up to S seconds")
    p.add_argument("--exit-after", type=float, default=None, help=argparse.SUPPRESS)  # tests: stop after N s
    p.set_defaults(func=cmd_tune)

    p = subparsers.add_parser(
        "calibrate", help="suggest per-rule thresholds that separate good from faulty recordings")
    p.add_argument("--exercise", "-e", required=True, metavar="ID")
    p.add_argument("--good", nargs="+", required=True, metavar="CLIP",
                   help="recordings (.npz) or videos of good form")
    p.add_argument("--bad", nargs="+", required=True, metavar="CLIP",
                   help="recordings or videos each showing one mistake, named by its rule id "
                        "(e.g. lumbar_arching.npz; samples/<exercise>/<rule_id>.mp4)")
    p.add_argument("--profile", metavar="FILE", help="start from this profile's values instead of the spec's")
    p.add_argument("--write-profile", metavar="FILE", help="write the suggested thresholds as a profile")
    p.add_argument("--patient", default="calibrated", help="patient label written in the profile")
    p.add_argument("--prefer-spec", action="store_true",
                   help="keep a starting value that already separates the clips (default: widest margin)")
    p.add_argument("--lang", choices=LANG_CHOICES, default=lang_default)
    p.add_argument("--model", metavar="PATH", help="pose model .task bundle (for videos)")
    p.set_defaults(func=cmd_calibrate)


class ProgressLine:
    """How far a long step is, on standard error: rewritten in place on a terminal (at most
    five times a second), else a line now and then and one when it is done."""

    def __init__(self, lang: str, every_s: float = 10.0) -> None:
        self.lang = lang
        self.tty = sys.stderr.isatty()
        self.every_s = every_s if not self.tty else 0.2
        self._last = -1e9
        self._shown = False

    def __call__(self, progress) -> None:
        from coach.tools.tune.cache import progress_line

        now = time.monotonic()
        if not progress.done and now - self._last < self.every_s:
            return
        self._last = now
        line = progress_line(progress, self.lang)
        if self.tty:
            sys.stderr.write("\r" + line.ljust(78) + ("\n" if progress.done else ""))
        else:
            sys.stderr.write(f"coach: {line}\n")
        sys.stderr.flush()
        self._shown = not progress.done


def cmd_tune(args: argparse.Namespace) -> int:
    from coach import i18n
    from coach.pipeline.runner import load_spec_for
    from coach.tools.tune.cache import landmarks_for
    from coach.tools.tune.workbench import TuneError, Workbench, crop_clip
    from coach.tools.tune.server import TuneServer, TuneState

    lang = args.lang
    spec = load_spec_for(args.exercise)            # unknown exercise -> one line, before any work
    src = Path(args.input)
    if not src.exists():
        raise TuneError(f"{src}: no such recording or video")
    video = src if src.is_file() and src.suffix.lower() != ".npz" else None   # an image folder has no video
    # the page is served at once: while a video's landmarks are extracted it shows how far
    state = TuneState(None, video=video, profile_path=Path(args.profile) if args.profile else None,
                      save_path=Path(args.save) if args.save else None, source_name=src.name,
                      title=spec.names.get(lang, spec.id), lang=lang, exercise_id=spec.id)
    server = TuneServer(state, port=args.port)
    thread = server.start_background()
    try:
        print(i18n.t("tune.cli.open", lang, url=server.url))
        print(i18n.t("tune.cli.local_only", lang), flush=True)
        if not args.no_browser:
            import webbrowser

            try:
                webbrowser.open(server.url)
            except Exception:  # no browser available: the printed address is enough
                pass
        line = ProgressLine(lang)

        def progress(p) -> None:
            state.set_progress(p)
            line(p)

        try:
            clip, rec_path, cached = landmarks_for(src, spec, model=args.model, on_status=status,
                                                   on_progress=progress, lang=lang)
            if src.suffix.lower() != ".npz":
                status(i18n.t("tune.cli.cached" if cached else "tune.cli.saved", lang, path=rec_path))
            recorded_for = clip.meta.get("exercise")
            if isinstance(recorded_for, str) and recorded_for not in (spec.id, "session", ""):
                status(i18n.t("tune.cli.other_exercise", lang, file=src.name, recorded=recorded_for, exercise=spec.id))
            clip = crop_clip(clip, args.from_s, args.to_s)
            bench = Workbench(clip, spec.id, lang=lang)
            state.attach(bench)
        except BaseException as exc:
            state.failed = str(exc) or exc.__class__.__name__
            raise
        first = bench.evaluate(state.overrides)
        print(i18n.t("tune.cli.ready", lang, exercise=spec.names.get(lang, spec.id), id=spec.id, file=src.name,
                     frames=bench.n, ms=i18n.number(first.eval_ms, lang, 0)), flush=True)
        try:
            if args.exit_after is not None:
                time.sleep(max(args.exit_after, 0.0))
            else:
                while thread.is_alive():
                    thread.join(0.5)
        except KeyboardInterrupt:
            pass
    finally:
        server.shutdown()
        server.server_close()
    if state.last_eval_ms:
        ms = sorted(state.last_eval_ms)
        print(i18n.t("tune.cli.stopped", lang, count=len(ms), ms=i18n.number(ms[len(ms) // 2], lang, 0)))
    if state.profile_path is not None and state.profile_path.exists():
        print(i18n.t("tune.cli.profile", lang, path=state.profile_path))
    return EXIT_OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    from coach.tools.calibrate import calibrate, format_report, write_profile
    from coach.pipeline.runner import load_spec_for

    spec = load_spec_for(args.exercise, args.profile)
    report = calibrate(spec, args.good, args.bad, model=args.model, on_status=status, profile=args.profile,
                       lang=args.lang, prefer_spec=args.prefer_spec)
    for line in format_report(report, args.lang):
        print(line)
    if args.write_profile:
        from coach import i18n

        path = write_profile(report, args.write_profile, patient=args.patient)
        print(i18n.t("calibrate.profile_written", args.lang, path=path))
    return EXIT_OK

