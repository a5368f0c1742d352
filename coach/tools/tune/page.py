"""The workbench page: one self-contained HTML document (inline CSS and JS, canvas plots),
``page.html`` next to this module (package data).

No CDN, no fonts, no network: everything the page needs is in that file, and the data
comes from the local server's JSON endpoints.
"""

from __future__ import annotations

import html
import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def page_template() -> str:
    return resources.files("coach.tools.tune").joinpath("page.html").read_text(encoding="utf-8")


def page_words(lang: str) -> dict[str, str]:
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
    boot = json.dumps({"token": token, **page_words(lang)}, ensure_ascii=False).replace("</", "<\\/")
    return (page_template().replace("__TITLE__", html.escape(title)).replace("__LANG__", html.escape(lang))
            .replace("__BOOT__", boot))
