"""`coach tune` and `coach calibrate`: the physiotherapist's commands."""

from __future__ import annotations

import argparse
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


def cmd_tune(args: argparse.Namespace) -> int:
    from coach.pipeline.runner import load_spec_for
    from coach.tools.tune.cache import landmarks_for
    from coach.tools.tune.workbench import TuneError, Workbench, crop_clip
    from coach.tools.tune.server import TuneServer, TuneState

    spec = load_spec_for(args.exercise)            # unknown exercise -> one line, before any work
    src = Path(args.input)
    if not src.exists():
        raise TuneError(f"{src}: no such recording or video")
    progress = Progress(None)
    try:
        clip, rec_path, cached = landmarks_for(src, spec, model=args.model, on_status=status, on_progress=progress)
    finally:
        progress.done()
    if not src.suffix.lower() == ".npz":
        status(f"landmarks {'from the cache' if cached else 'saved'}: {rec_path}")
    recorded_for = clip.meta.get("exercise")
    if isinstance(recorded_for, str) and recorded_for not in (spec.id, "session", ""):
        status(f"note: {src.name} was recorded for {recorded_for}, tuning it as {spec.id}")
    clip = crop_clip(clip, args.from_s, args.to_s)
    bench = Workbench(clip, spec.id, lang=args.lang)
    video = src if src.is_file() and src.suffix.lower() != ".npz" else None   # an image folder has no video
    state = TuneState(bench, video=video, profile_path=Path(args.profile) if args.profile else None,
                      save_path=Path(args.save) if args.save else None, source_name=src.name)
    first = bench.evaluate(state.overrides)
    server = TuneServer(state, port=args.port)
    print(f"coach tune: {spec.id} on {src.name} ({bench.n} frames; one re-evaluation takes "
          f"{first.eval_ms:.0f} ms)")
    print(f"open {server.url}")
    print("(served on 127.0.0.1 only; Ctrl-C stops)", flush=True)
    if not args.no_browser:
        import webbrowser

        try:
            webbrowser.open(server.url)
        except Exception:  # no browser available: the printed address is enough
            pass
    thread = server.start_background()
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
        print(f"coach tune: stopped after {len(ms)} re-evaluations (median {ms[len(ms) // 2]:.0f} ms)")
    if state.profile_path is not None and state.profile_path.exists():
        print(f"profile: {state.profile_path}")
    return EXIT_OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    from coach.tools.calibrate import calibrate, format_report, write_profile
    from coach.pipeline.runner import load_spec_for

    spec = load_spec_for(args.exercise, args.profile)
    report = calibrate(spec, args.good, args.bad, model=args.model, on_status=status, profile=args.profile,
                       lang=args.lang, prefer_spec=args.prefer_spec)
    for line in format_report(report):
        print(line)
    if args.write_profile:
        path = write_profile(report, args.write_profile, patient=args.patient)
        print(f"profile -> {path}")
    return EXIT_OK

