"""The HTML templates: Jinja2 with autoescape, read from package data.

Each package that writes HTML keeps its templates in its own ``templates/`` folder
(``coach/ui/templates``: the session report and the history page; ``coach/tools/tune/
templates``: the workbench page), shipped in the wheel as package data and read through
:mod:`importlib.resources`, so an installed coach finds them wherever it runs.

    env = environment("coach.ui")
    env.get_template("report.html").render(record=..., lang="nb")

Every ``{{ value }}`` is HTML-escaped; a template marks nothing safe by hand but the
markup another template (a macro) made. Nothing here prints.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import jinja2


def _loader(package: str) -> jinja2.FunctionLoader:
    folder = resources.files(package).joinpath("templates")

    def load(name: str) -> tuple[str, None, None] | None:
        path = folder.joinpath(*name.split("/"))
        if not path.is_file():
            return None
        # (source, filename, uptodate): package data does not change while the coach runs
        return path.read_text(encoding="utf-8"), None, None

    return jinja2.FunctionLoader(load)


@lru_cache(maxsize=None)
def environment(package: str) -> jinja2.Environment:
    """The template environment of ``package`` (its ``templates/`` folder): autoescape on,
    an undefined name is an error (never an empty cell), block tags take their line."""
    env = jinja2.Environment(loader=_loader(package), autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["f1"] = lambda v: f"{float(v):.1f}"   # an SVG coordinate: one decimal
    return env
