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


def render_page(token: str, title: str) -> str:
    boot = json.dumps({"token": token})
    return page_template().replace("__TITLE__", html.escape(title)).replace("__BOOT__", boot)
