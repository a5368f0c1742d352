"""`coach synth ...`: the synthetic exercise studio, loaded only when asked for (it needs the
heavy `synth` extra: torch, anny, pyrender; the coach itself never does)."""

from __future__ import annotations

import argparse


def register(sub, lang_default: str) -> None:
    p = sub.add_parser("synth", help="the synthetic exercise studio (needs: pip install -e .[synth])",
                       add_help=False)
    p.add_argument("synth_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_synth)


def cmd_synth(args: argparse.Namespace) -> int:
    from coach.synth.__main__ import main as synth_main

    return int(synth_main(args.synth_args) or 0)
