"""The workbench page: one self-contained HTML document (inline CSS and JS, canvas plots),
the Jinja2 template ``templates/page.html`` next to this module (package data).

No CDN, no fonts, no network: everything the page needs is in that file, and the data
comes from the local server's JSON endpoints.
"""

from __future__ import annotations

from typing import Any

from coach.templates import environment


def page_words(lang: str) -> dict[str, Any]:
    """Every word the page shows, in ``lang`` (the catalogues' ``tune.page.*``), and how it
    writes numbers: the same rules as :mod:`coach.i18n.numbers`."""
    from coach import i18n
    from coach.i18n.numbers import DECIMAL_SEP, UNIT_DECIMALS

    words = {k: v[lang] for k, v in i18n.texts_under("tune.page").items()}
    words["range"] = i18n.texts("unit.range")[lang]
    words.update({f"side.{s}": i18n.t(f"side_word.{s}", lang) for s in ("left", "right")})
    words.update({f"severity.{k}": v[lang] for k, v in i18n.texts_under("explain.severity").items()})
    return {"lang": lang, "words": words, "decimal": DECIMAL_SEP[lang], "unit_decimals": UNIT_DECIMALS}


def render_page(token: str, title: str, lang: str = "en") -> str:
    """The page for one workbench session: its title (the exercise) and language; BOOT (the
    session's token, the page's words) as JSON inside the page's script."""
    return environment("coach.tools.tune").get_template("page.html").render(
        title=title, lang=lang, boot={"token": token, **page_words(lang)})
