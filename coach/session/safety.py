"""Safety: the screening before a session, per-exercise exclusions, the symptom check
after each exercise, the sessions-per-day warning, and local-only storage of answers.

Pure logic (``assess_screening``, ``excluded_exercises``, ``SymptomCheck``, ``SessionLog``
counting) is apart from I/O (:mod:`coach.session.store`: one directory, files written
atomically, user-only permissions). Nothing here touches the network, prints or exits.

Contraindication tags
---------------------
The tags and what a yes to each does (block / caution / exclude) are defined once, in
:data:`coach.vocab.CONTRAINDICATIONS`; every tag has a question ``screening.q.<tag>`` and
a reason ``screening.reason.<tag>`` in the catalogues. Exercise specs list the tags that
rule them out (``contraindications``); those add to the article's table
``EXERCISE_CONTRAINDICATIONS`` below.

Reading of the article (EXERCISES.md) where its two lists overlap: back surgery, a
current disc herniation, osteoporosis and current neurological symptoms block; the
"extra careful" list therefore adds earlier *neck* surgery, an *earlier* (quiet) disc
herniation, osteoarthritis and *long-standing* reduced sensation. A sciatica flare is
asked separately because the lying twist must be skipped during one; pain in the
shoulders, arms or neck because the passive hang must be skipped with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from coach import i18n
from coach.errors import CoachError
from coach.session.store import StateStore
from coach.vocab import CONTRAINDICATIONS, Effect

Status = Literal["ok", "caution", "blocked"]

# Bump when the questions change: stored answers are then asked again.
# 2: shoulder_pain asked (passive_hang's contraindication); unsure_how is now unsure_technique.
SCREENING_VERSION = 2

# Exercise-specific exclusions from the article: exercise id -> tags that exclude it.
# Spec files may add more through their ``contraindications`` list.
EXERCISE_CONTRAINDICATIONS: dict[str, tuple[str, ...]] = {
    "lying_twist": ("acute_back_pain", "disc_herniation", "sciatica_flare"),
    "knee_to_chest": ("pregnancy", "hernia"),
}

# Extra advice shown with a caution for some tags.
ADVICE_KEYS: dict[str, str] = {"hypermobility": "screening.advice.hypermobility"}

MAX_SESSIONS_PER_DAY = 2


def check_tags(tags: Iterable[str], where: str = "contraindications") -> tuple[str, ...]:
    """Validate tag names (e.g. from a spec file); the error lists the known ones."""
    tags = tuple(tags)
    unknown = [t for t in tags if t not in CONTRAINDICATIONS]
    if unknown:
        raise CoachError(f"{where}: unknown tag(s) {unknown}, expecting one of [{', '.join(CONTRAINDICATIONS)}]")
    return tags


def reason_key(tag: str) -> str:
    """i18n key of the short reason text for a tag."""
    return f"screening.reason.{check_tags([tag])[0]}"


# --------------------------------------------------------------------------- screening
@dataclass(frozen=True, slots=True)
class Question:
    id: str  # == its contraindication tag
    effect: Effect

    @property
    def key(self) -> str:
        return f"screening.q.{self.id}"

    def text(self, lang: str) -> str:
        return i18n.t(self.key, lang)


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    status: Status
    reasons: tuple[str, ...] = ()  # tags answered yes that block or caution
    excluded: dict[str, str] = field(default_factory=dict)  # exercise id -> reason i18n key
    advice_keys: tuple[str, ...] = ()  # i18n keys to show, most important first

    @property
    def blocked(self) -> bool:
        return self.status == "blocked"

    def messages(self, lang: str) -> list[str]:
        """The advice as text in ``lang``: the outcome, then its reasons."""
        out = [i18n.t(k, lang) for k in self.advice_keys]
        if self.reasons:
            out.append(", ".join(i18n.t(reason_key(r), lang) for r in self.reasons))
        return out


class Screening:
    """The questionnaire: blocking questions first, then cautions, then exclusions."""

    def __init__(self) -> None:
        order = {"block": 0, "caution": 1, "exclude": 2}
        self.questions: tuple[Question, ...] = tuple(
            Question(tag, eff) for tag, eff in sorted(CONTRAINDICATIONS.items(), key=lambda kv: order[kv[1]])
        )

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)

    def assess(self, answers: Mapping[str, bool],
               spec_contraindications: Mapping[str, Iterable[str]] | None = None) -> ScreeningResult:
        return assess_screening(answers, spec_contraindications)


def _check_answers(answers: Mapping[str, bool]) -> dict[str, bool]:
    unknown = sorted(set(answers) - set(CONTRAINDICATIONS))
    if unknown:
        raise CoachError(f"screening: unknown question id(s) {unknown}, expecting one of [{', '.join(CONTRAINDICATIONS)}]")
    missing = [q for q in CONTRAINDICATIONS if q not in answers]
    if missing:
        raise CoachError(f"screening: unanswered question(s) {missing}; every question needs a yes or no")
    bad = [k for k, v in answers.items() if not isinstance(v, bool)]
    if bad:
        raise CoachError(f"screening: answers must be true or false, got {[(k, answers[k]) for k in bad]}")
    return dict(answers)


def spec_contraindications(specs: Iterable[Any]) -> dict[str, list[str]]:
    """Exercise id -> the contraindication tags its spec lists (every one a known tag: the
    spec loader refuses others), for ``excluded_exercises`` and ``assess_screening``."""
    return {s.id: list(s.contraindications) for s in specs}


def excluded_exercises(answers: Mapping[str, bool],
                       spec_contraindications: Mapping[str, Iterable[str]] | None = None) -> dict[str, str]:
    """Exercise id -> reason i18n key for each exercise a yes-answer rules out.

    ``spec_contraindications`` (exercise id -> tags, from the spec files) adds to the
    article's table ``EXERCISE_CONTRAINDICATIONS``. Unanswered questions count as no here;
    ``assess_screening`` insists on complete answers."""
    yes = {tag for tag, v in answers.items() if v}
    table: dict[str, list[str]] = {ex: list(tags) for ex, tags in EXERCISE_CONTRAINDICATIONS.items()}
    for ex, tags in (spec_contraindications or {}).items():
        for tag in check_tags(tags, f"{ex}: contraindications"):
            if tag not in table.setdefault(ex, []):
                table[ex].append(tag)
    out: dict[str, str] = {}
    for ex, tags in table.items():
        hit = [t for t in tags if t in yes]
        if hit:
            out[ex] = reason_key(hit[0])
    return out


def assess_screening(answers: Mapping[str, bool],
             spec_contraindications: Mapping[str, Iterable[str]] | None = None) -> ScreeningResult:
    """The screening outcome: ``blocked`` if any blocking question is yes, else
    ``caution`` if any cautioning one is, else ``ok``; plus the excluded exercises."""
    answers = _check_answers(answers)
    yes = [tag for tag in CONTRAINDICATIONS if answers[tag]]
    blocking = tuple(t for t in yes if CONTRAINDICATIONS[t] == "block")
    cautions = tuple(t for t in yes if CONTRAINDICATIONS[t] == "caution")
    excluded = excluded_exercises(answers, spec_contraindications)
    if blocking:
        return ScreeningResult("blocked", blocking, excluded, ("screening.result.blocked",))
    if cautions:
        advice = ("screening.result.caution",) + tuple(ADVICE_KEYS[t] for t in cautions if t in ADVICE_KEYS)
        return ScreeningResult("caution", cautions, excluded, advice)
    return ScreeningResult("ok", (), excluded, ("screening.result.ok",))


# --------------------------------------------------------------------------- symptoms
SYMPTOMS: tuple[str, ...] = ("pain", "tingling", "numbness", "dizziness")


@dataclass(frozen=True, slots=True)
class SymptomResult:
    ends_session: bool
    symptoms: tuple[str, ...]
    message_key: str  # "symptoms.stop" or "symptoms.ok"


class SymptomCheck:
    """Asked after each exercise: any pain, tingling, numbness or dizziness? Any yes (or
    a single yes to the combined question) ends the session."""

    question_key = "symptoms.question"
    symptoms = SYMPTOMS

    def question(self, lang: str) -> str:
        return i18n.t(self.question_key, lang)

    def assess(self, answers: bool | Mapping[str, bool]) -> SymptomResult:
        if isinstance(answers, bool):
            found: tuple[str, ...] = SYMPTOMS if answers else ()
        else:
            unknown = sorted(set(answers) - set(SYMPTOMS))
            if unknown:
                raise CoachError(f"symptoms: unknown {unknown}, expecting one of [{', '.join(SYMPTOMS)}]")
            found = tuple(s for s in SYMPTOMS if answers.get(s, False))
        if found:
            return SymptomResult(True, found, "symptoms.stop")
        return SymptomResult(False, (), "symptoms.ok")


SCREENING_FILE = "screening.json"
SESSIONS_FILE = "sessions.json"


def save_screening(store: StateStore, answers: Mapping[str, bool], result: ScreeningResult,
                   now: datetime | None = None) -> Path:
    now = now or datetime.now().astimezone()
    return store.write_json(SCREENING_FILE, {
        "version": SCREENING_VERSION,
        "answered_at": now.isoformat(timespec="seconds"),
        "answers": dict(answers),
        "status": result.status,
        "reasons": list(result.reasons),
        "excluded": dict(result.excluded),
    })


def load_screening(store: StateStore) -> dict | None:
    """The stored screening, or None when there is none or it is from older questions."""
    data = store.read_json(SCREENING_FILE)
    if not isinstance(data, dict) or data.get("version") != SCREENING_VERSION:
        return None
    return data


def screening_needed(store: StateStore) -> bool:
    return load_screening(store) is None


# --------------------------------------------------------------------------- sessions per day
@dataclass(frozen=True, slots=True)
class SessionCheck:
    count_today: int  # sessions already started today
    warn: bool  # starting one more goes past MAX_SESSIONS_PER_DAY
    message_key: str | None  # "session.too_many_today" when warn


class SessionLog:
    """Counts sessions per local day; warns when a third (or later) one starts.

    The log holds only session start times (ISO 8601) in ``sessions.json``."""

    def __init__(self, store: StateStore, max_per_day: int = MAX_SESSIONS_PER_DAY) -> None:
        if max_per_day < 1:
            raise ValueError(f"max_per_day must be >= 1, got {max_per_day}")
        self.store = store
        self.max_per_day = max_per_day

    def starts(self) -> list[datetime]:
        data = self.store.read_json(SESSIONS_FILE, {"starts": []})
        out = []
        for s in data.get("starts", []) if isinstance(data, dict) else []:
            try:
                out.append(datetime.fromisoformat(s))
            except (TypeError, ValueError):
                continue
        return out

    def count_on(self, day: date) -> int:
        return sum(1 for s in self.starts() if s.date() == day)

    def check(self, now: datetime | None = None) -> SessionCheck:
        """Before starting: how many today, and whether to warn."""
        now = now or datetime.now().astimezone()
        n = self.count_on(now.date())
        warn = n >= self.max_per_day
        return SessionCheck(n, warn, "session.too_many_today" if warn else None)

    def record_start(self, now: datetime | None = None, keep_days: int = 400) -> SessionCheck:
        """Log a session start; returns the check as it was before this start."""
        now = now or datetime.now().astimezone()
        result = self.check(now)
        starts = [s for s in self.starts() if (now.date() - s.date()).days <= keep_days]
        starts.append(now)
        self.store.write_json(SESSIONS_FILE, {"starts": [s.isoformat(timespec="seconds") for s in starts]})
        return result
