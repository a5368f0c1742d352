"""`coach exercises`, `coach explain` and `coach check-spec`: the exercise specs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coach.cli.common import EXIT_INPUT, EXIT_OK, LANG_CHOICES
from coach.errors import CoachError


def register(sub, lang_default: str) -> None:
    p = sub.add_parser("exercises", help="list the exercises")
    p.add_argument("--lang", choices=LANG_CHOICES, default=lang_default)
    p.set_defaults(func=cmd_exercises)

    p = sub.add_parser("check-spec", help="validate exercise specs and physio profiles (every mistake, one line each)")
    p.add_argument("files", nargs="*", metavar="FILE")
    p.add_argument("--write-schema", nargs="?", const="", metavar="PATH",
                   help="write the JSON Schema of specs and profiles (default: exercise_specs/schema.json)")
    p.set_defaults(func=cmd_check_spec)

    p = sub.add_parser("explain", help="the exercise's rules and thresholds in plain language")
    p.add_argument("exercise", metavar="ID")
    p.add_argument("--lang", choices=LANG_CHOICES, default=lang_default)
    p.add_argument("--profile", metavar="FILE", help="show the thresholds of this profile")
    p.set_defaults(func=cmd_explain)


def cmd_exercises(args: argparse.Namespace) -> int:
    from coach.spec import list_specs

    from coach import i18n

    specs = list_specs()
    lang = args.lang
    width = max(len(s.id) for s in specs)
    for spec in specs:
        name = spec.names.get(lang) or spec.names.get("en")
        sides = ", ".join(i18n.t(f"side_word.{s}", lang) for s in spec.sides) if spec.sides else \
            i18n.t("exercises.both_sides", lang)
        camera = ", ".join(i18n.t(f"explain.{kind}_name.{value}", lang) for kind, value in
                           (("view", spec.camera_view), ("height", spec.camera_height)))
        print(f"{spec.id:<{width}}  {name}  ({i18n.t('exercises.camera', lang)}: {camera}; "
              f"{i18n.t('exercises.sides', lang)}: {sides})")
    return EXIT_OK


def cmd_check_spec(args: argparse.Namespace) -> int:
    """Validate spec and profile files: one line per file, exit 2 if any is invalid."""
    import yaml

    from coach.spec import SpecError, load_profile, load_spec

    if args.write_schema is not None:
        from coach.files import atomic_write
        from coach.spec import schema_md_text, schema_path, schema_text

        target = Path(args.write_schema) if args.write_schema else schema_path()
        md = target.with_name("schema.md")
        try:
            atomic_write(target, schema_text(), mode=0o644)
            if md.is_file():   # its field reference is generated from the same models
                atomic_write(md, schema_md_text(md.read_text(encoding="utf-8")), mode=0o644)
        except OSError as exc:
            raise CoachError(f"{target}: cannot write: {exc.strerror or exc}") from None
        print(f"schema -> {target}" + (f", {md}" if md.is_file() else ""))
    elif not args.files:
        raise CoachError("check-spec: give one or more spec or profile files (or --write-schema)")
    bad = 0
    for path in args.files:
        try:
            text = Path(path).read_text(encoding="utf-8")
            try:
                top = yaml.safe_load(text)
            except yaml.YAMLError:
                top = None
            if isinstance(top, dict) and "exercises" in top and "id" not in top:
                profile = load_profile(path)
                print(f"{path}: ok (profile{' ' + repr(profile.patient) if profile.patient else ''})")
            else:
                spec = load_spec(path)
                print(f"{path}: ok ({spec.id}: {len(spec.rules)} rules, {len(spec.phases)} phases)")
        except OSError as exc:
            bad += 1
            print(f"{path}: {exc.strerror or exc}", file=sys.stderr)
        except UnicodeDecodeError as exc:
            bad += 1
            print(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8", file=sys.stderr)
        except SpecError as exc:
            bad += 1
            for line in exc.errors:
                print(line, file=sys.stderr)
    return EXIT_INPUT if bad else EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from coach.pipeline.runner import load_spec_for
    from coach.tools.explain import explain

    print(explain(load_spec_for(args.exercise, args.profile), args.lang))
    return EXIT_OK
