"""The keys, defined once: what each key does in a guided session (and which of them stop
``coach live``), how they are named on screen, in ``--help`` and in the README, and a
scripted stand-in for the person at the keyboard.

    KEYS                         # the table: Binding(action, keys, when)
    action_of("s", "exercise")   # -> "skip"
    controls_line("nb", "exercise")   # "Mellomrom/P: pause · S: hopp over · Q/Esc: stopp"
    help_lines()                 # the table in English, for --help and the README

A key is a character (lower case), " " for the space bar or "esc" for Escape. Each key
has one meaning at a time: at the symptom question N means no; during an exercise S
skips (N is not also "skip", so an answer pressed twice cannot skip the next exercise).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from coach import i18n

# When a binding applies: during an exercise (its introduction, the "can I see you?"
# check, the coaching and a pause), at the symptom question after it, or always.
WHEN = ("exercise", "question", "always")


@dataclass(frozen=True)
class Binding:
    """One thing the person can do with the keyboard.

    ``keys`` in the order they are shown; ``first`` puts a language's own key in front
    (J for "ja" in Norwegian, Y for "yes" in English). ``text_key``: the catalogue key of
    the action's words on screen; ``help``: the same in English for --help and the README.
    """

    action: str
    keys: tuple[str, ...]
    when: str
    help: str
    first: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.when not in WHEN:
            raise ValueError(f"when must be one of {list(WHEN)}, got {self.when!r}")
        for k in self.keys:
            if not (k in (" ", "esc") or (len(k) == 1 and k == k.lower() and k.isprintable())):
                raise ValueError(f"{self.action}: key {k!r} is not a lower-case character, ' ' or 'esc'")

    @property
    def text_key(self) -> str:
        return f"keys.action.{self.action}"

    def keys_for(self, lang: str) -> tuple[str, ...]:
        lead = self.first.get(lang)
        return tuple(sorted(self.keys, key=lambda k: k != lead)) if lead else self.keys

    def applies(self, when: str) -> bool:
        return self.when in (when, "always")


KEYS: tuple[Binding, ...] = (
    Binding("pause", (" ", "p"), "exercise", "pause, and go on again"),
    Binding("skip", ("s",), "exercise", "skip this exercise"),
    Binding("yes", ("y", "j"), "question", "yes: something hurt, tingled or felt dizzy (ends the session)",
            first={"nb": "j", "en": "y"}),
    Binding("no", ("n",), "question", "no: all is well"),
    Binding("stop", ("q", "esc"), "always", "stop (the report is written)"),
)


def _check_table(table: Iterable[Binding]) -> None:
    """No key may mean two things at the same time."""
    for when in ("exercise", "question"):
        seen: dict[str, str] = {}
        for b in table:
            if not b.applies(when):
                continue
            for k in b.keys:
                if k in seen:
                    raise ValueError(f"key {k!r} means both {seen[k]} and {b.action} ({when})")
                seen[k] = b.action


_check_table(KEYS)
ALL_KEYS: frozenset[str] = frozenset(k for b in KEYS for k in b.keys)


def binding(action: str) -> Binding:
    for b in KEYS:
        if b.action == action:
            return b
    raise KeyError(f"no key binding for {action!r}, expecting one of [{', '.join(b.action for b in KEYS)}]")


def keys_of(action: str) -> tuple[str, ...]:
    return binding(action).keys


def key_codes(action: str) -> tuple[int, ...]:
    """The action's keys as cv2.waitKey codes (both cases of a letter; 27 for Escape)."""
    out: list[int] = []
    for k in keys_of(action):
        if k == "esc":
            out.append(27)
        else:
            out += sorted({ord(k), ord(k.upper())})
    return tuple(out)


def action_of(key: str, when: str) -> str | None:
    """What ``key`` (a normalised key) does at this moment, or None."""
    for b in KEYS:
        if b.applies(when) and key in b.keys:
            return b.action
    return None


def normalise_key(key: int | str) -> str | None:
    """A key code from cv2.waitKey (int) or a name ("space", "esc", "q") as the
    table's key character, or None for keys the table does not know."""
    if isinstance(key, int):
        if key < 0 or key == 0xFF:
            return None
        key &= 0xFF
        if key == 27:
            return "esc"
        if key == 32:
            return " "
        ch = chr(key)
    else:
        ch = {"space": " ", "escape": "esc", "esc": "esc"}.get(key.lower(), key)
    ch = ch.lower() if ch != " " else ch
    return ch if ch in ALL_KEYS else None


# --------------------------------------------------------------------------- shown to people
def key_label(key: str, lang: str | None = None) -> str:
    """How a key is written: "Mellomrom" / "Space", "Esc", "S" (``lang`` None: English)."""
    if key == " ":
        return i18n.t("keys.name.space", lang) if lang else "Space"
    if key == "esc":
        return "Esc"
    return key.upper()


def keys_label(b: Binding, lang: str | None = None) -> str:
    return "/".join(key_label(k, lang) for k in (b.keys_for(lang) if lang else b.keys))


def controls_line(lang: str, when: str) -> str:
    """The key line on screen: "Mellomrom/P: pause · S: hopp over · Q/Esc: stopp"."""
    return " · ".join(f"{keys_label(b, lang)}: {i18n.t(b.text_key, lang)}" for b in KEYS if b.applies(when))


def answer_keys(lang: str) -> dict[str, str]:
    """{"yes": "J", "no": "N"}: the keys named when the symptom question is asked."""
    return {a: key_label(binding(a).keys_for(lang)[0], lang) for a in ("yes", "no")}


HELP_WHEN = {"exercise": "during an exercise", "question": "at the symptom question after each exercise",
             "always": "at any time"}


def help_lines() -> list[str]:
    """The table in English, one key per line under when it applies: ``--help`` and the
    README show exactly these lines."""
    width = max(len(keys_label(b)) for b in KEYS)
    out: list[str] = []
    for when in WHEN:
        out.append(f"{HELP_WHEN[when]}:")
        out += [f"  {keys_label(b):<{width}}  {b.help}" for b in KEYS if b.when == when]
    return out


class ScriptedKeys:
    """Keys pressed at given session times (seconds from the first frame): the headless
    stand-in for a person at the keyboard. A pipeline sink."""

    def __init__(self, press: Callable[[str], Any], keys: Iterable[tuple[float, str]]) -> None:
        self.press = press
        self.keys = sorted((float(t), str(k)) for t, k in keys)
        self._t0: float | None = None

    def write(self, step) -> None:
        t = float(step.raw.timestamp_ms)
        if self._t0 is None:
            self._t0 = t
        while self.keys and (t - self._t0) / 1000.0 >= self.keys[0][0]:
            self.press(self.keys.pop(0)[1])

    def close(self) -> None:
        pass
