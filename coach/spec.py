"""Exercise specs and physio profiles: YAML -> validated, immutable objects.

One YAML file per exercise lives in ``exercise_specs/<id>.yaml``; the format is described
in ``exercise_specs/schema.md``. Loading never evaluates spec text: measures come from the
closed vocabulary of :mod:`coach.measures`, and cue texts only know ``{placeholders}``
from a fixed list.

Every problem is a :class:`SpecError` whose message is one line::

    exercise_specs/lying_twist.yaml:42: rules.shoulder_lifting.max_deg: must be a number, got 'high'

A physio profile (:func:`load_profile`) overrides thresholds, holds and rep targets per
exercise; its values are validated together with the spec, and errors in overridden
fields point at the profile's file and line.

    spec = load_spec("lying_twist")                 # id -> exercise_specs/lying_twist.yaml
    spec = load_spec(path, profile=load_profile(p)) # with a physio's overrides
    specs = list_specs()
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from coach.errors import CoachError

LANGS: tuple[str, ...] = ("nb", "en")
SIDES: tuple[str, ...] = ("left", "right")

# Severity order: lower rank = more important.
SEVERITIES: tuple[str, ...] = ("safety", "setup", "form", "pace", "count")
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}

PHASE_KINDS: tuple[str, ...] = ("setup", "hold", "reps", "rest")
CAMERA_VIEWS: tuple[str, ...] = ("side", "front", "feet_end", "side_or_feet_end")
CAMERA_HEIGHTS: tuple[str, ...] = ("floor", "seat", "hip", "chest")
TIMING_CHECKS: tuple[str, ...] = ("hold_short", "hold_long", "reps_range", "rep_period", "side_skipped")

# Unit of a measure -> the suffix its bounds carry in a rule ("deg" -> min_deg / max_deg).
UNIT_SUFFIX: dict[str, str] = {
    "deg": "deg",
    "body": "body",
    "deg/s": "deg_s",
    "body/s": "body_s",
    "s": "s",
    "ratio": "ratio",
}

# The screening list of EXERCISES.md: tag -> (nb, en) label.
CONTRAINDICATION_TAGS: dict[str, tuple[str, str]] = {
    "acute_back_pain": ("akutte eller sterke, plutselige ryggsmerter eller betennelse",
                        "acute or strong sudden back pain or inflammation"),
    "disc_herniation": ("skiveprolaps (særlig med utstrålende smerter)",
                        "disc herniation (especially with radiating pain)"),
    "sciatica_flare": ("isjiasanfall", "a sciatica flare"),
    "spinal_stenosis": ("spinal stenose", "spinal stenosis"),
    "spondylolisthesis": ("spondylolistese", "spondylolisthesis"),
    "osteoporosis": ("osteoporose (benskjørhet)", "osteoporosis"),
    "back_surgery": ("ryggoperasjon (implantat, skivefjerning, stivgjøring)",
                     "back surgery (implant, disc removal, fusion)"),
    "neck_surgery": ("nakkeoperasjon", "neck surgery"),
    "neurological_symptoms": ("prikking, nummenhet, svakhet, svimmelhet eller tap av balanse",
                              "tingling, numbness, weakness, dizziness or loss of balance"),
    "osteoarthritis": ("slitasjegikt", "osteoarthritis"),
    "reduced_sensation": ("nedsatt følelse, nummenhet eller prikking",
                          "reduced sensation, numbness or tingling"),
    "hypermobility": ("hypermobile ledd", "hypermobile joints"),
    "unsure_technique": ("usikker på hvordan bevegelsen gjøres", "unsure how to do the movement"),
    "pregnancy": ("graviditet (unngå press på magen)", "pregnancy (no pressure on the belly)"),
    "hernia": ("brokk (unngå press på magen)", "hernia (no pressure on the belly)"),
    "shoulder_pain": ("smerter i skuldre, armer eller nakke", "pain in the shoulders, arms or neck"),
}

# Placeholders a cue text may use; anything else in {braces} is a spec error.
PLACEHOLDERS: frozenset[str] = frozenset({
    "side", "other_side", "min_s", "target_s", "max_s", "achieved_s", "left_s",
    "reps", "min_reps", "target_reps", "max_reps", "value", "min", "max",
})
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


class SpecError(CoachError):
    """A spec or profile problem: ``file:line: field.path: message`` (always one line)."""

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(" ".join(str(message).split("\n")).replace("\r", " "), exit_code)


# --------------------------------------------------------------------------- YAML + lines

Path_ = tuple[Any, ...]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that keeps each node's start mark (line numbers for errors)."""


@dataclass
class _Doc:
    """Plain YAML data plus where each field came from: path -> (file, line)."""

    data: Any
    where: dict[Path_, tuple[str, int]]
    file: str


_MAX_DEPTH = 50


_MAX_NODES = 50_000


def _parse_yaml(text: str, file: str) -> _Doc:
    try:
        loader = _LineLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise SpecError(f"{file}:{line}: YAML: {problem}") from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        raise SpecError(f"{file}:1: YAML: {first}") from None
    where: dict[Path_, tuple[str, int]] = {}
    if node is None:
        return _Doc(None, where, file)
    where[()] = (file, node.start_mark.line + 1)
    data = _construct(loader, node, (), where, file, 0, [0])
    return _Doc(data, where, file)


def _construct(loader: _LineLoader, node: yaml.Node, path: Path_, where: dict, file: str, depth: int,
               count: list[int]) -> Any:
    line = node.start_mark.line + 1
    if depth > _MAX_DEPTH:
        raise SpecError(f"{file}:{line}: {_dotted(path)}: nested too deeply")
    count[0] += 1
    if count[0] > _MAX_NODES:
        raise SpecError(f"{file}:{line}: {_dotted(path)}: document too large (aliases expand to over {_MAX_NODES} values)")
    if isinstance(node, yaml.ScalarNode):
        try:
            value = loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            msg = getattr(exc, "problem", None) or str(exc).splitlines()[0] if str(exc) else "bad value"
            raise SpecError(f"{file}:{line}: {_dotted(path)}: {msg}") from None
        return value
    if isinstance(node, yaml.SequenceNode):
        out = []
        for i, child in enumerate(node.value):
            p = path + (i,)
            where[p] = (file, child.start_mark.line + 1)
            out.append(_construct(loader, child, p, where, file, depth + 1, count))
        return out
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        try:
            loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        except yaml.YAMLError as exc:
            raise SpecError(f"{file}:{line}: {_dotted(path)}: {getattr(exc, 'problem', None) or 'bad merge'}") from None
        for key_node, value_node in node.value:
            kline = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise SpecError(f"{file}:{kline}: {_dotted(path)}: keys must be plain names")
            key = _construct(loader, key_node, path, where, file, depth + 1, count)
            if not isinstance(key, str):
                key = str(key) if isinstance(key, (int, float, bool)) or key is None else repr(key)
            p = path + (key,)
            if key in out:
                raise SpecError(f"{file}:{kline}: {_dotted(p)}: duplicate key")
            where[p] = (file, kline)
            out[key] = _construct(loader, value_node, p, where, file, depth + 1, count)
        return out
    raise SpecError(f"{file}:{line}: {_dotted(path)}: unsupported YAML node")


def _dotted(path: Path_) -> str:
    if not path:
        return "(top)"
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = str(part)
            if not re.fullmatch(r"[\w\-]+", name):
                name = repr(name) if len(name) <= 30 else repr(name[:27] + "...")
            out += ("." if out else "") + name
    return out


class _Ctx:
    """Error helper: knows where each path came from."""

    def __init__(self, doc: _Doc) -> None:
        self.doc = doc

    def where(self, path: Path_) -> tuple[str, int]:
        p = tuple(path)
        while p:
            if p in self.doc.where:
                return self.doc.where[p]
            p = p[:-1]
        return self.doc.where.get((), (self.doc.file, 1))

    def err(self, path: Path_, msg: str) -> SpecError:
        file, line = self.where(path)
        return SpecError(f"{file}:{line}: {_dotted(path)}: {msg}")

    # -- typed getters -------------------------------------------------------------
    def mapping(self, value: Any, path: Path_, allowed: set[str] | None = None,
                required: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            raise self.err(path, f"must be a mapping, got {_typename(value)}")
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    raise self.err(path + (key,), f"unknown field, expecting one of [{', '.join(sorted(allowed))}]")
        for key in required:
            if key not in value:
                raise self.err(path, f"missing required field '{key}'")
        return value

    def string(self, value: Any, path: Path_, pattern: str | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.err(path, f"must be a non-empty text, got {_typename(value)}")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise self.err(path, f"'{value}' is not a valid name (lower-case letters, digits, _)")
        return value

    def choice(self, value: Any, path: Path_, choices: tuple[str, ...] | list[str]) -> str:
        if not isinstance(value, str) or value not in choices:
            raise self.err(path, f"unknown value {_short(value)}, expecting one of [{', '.join(choices)}]")
        return value

    def number(self, value: Any, path: Path_, lo: float | None = None, hi: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.err(path, f"must be a number, got {_short(value)}")
        try:
            v = float(value)
        except OverflowError:
            raise self.err(path, "must be a finite number, got a huge number") from None
        if not math.isfinite(v):
            raise self.err(path, f"must be a finite number, got {value}")
        if lo is not None and v < lo:
            raise self.err(path, f"must be >= {_fmt(lo)}, got {_fmt(v)}")
        if hi is not None and v > hi:
            raise self.err(path, f"must be <= {_fmt(hi)}, got {_fmt(v)}")
        return v

    def integer(self, value: Any, path: Path_, lo: int | None = None, hi: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.err(path, f"must be a whole number, got {_short(value)}")
        if lo is not None and value < lo:
            raise self.err(path, f"must be >= {lo}, got {value}")
        if hi is not None and value > hi:
            raise self.err(path, f"must be <= {hi}, got {value}")
        return int(value)

    def boolean(self, value: Any, path: Path_) -> bool:
        if not isinstance(value, bool):
            raise self.err(path, f"must be true or false, got {_short(value)}")
        return value

    def text(self, value: Any, path: Path_, placeholders: bool = True) -> dict[str, str]:
        """A {nb, en} text pair; both languages required, placeholders checked."""
        m = self.mapping(value, path, set(LANGS), LANGS)
        out = {}
        for lang in LANGS:
            s = self.string(m[lang], path + (lang,))
            for name in _PLACEHOLDER_RE.findall(s):
                if not placeholders or name not in PLACEHOLDERS:
                    raise self.err(path + (lang,), f"unknown placeholder {{{name}}}, expecting one of "
                                   f"[{', '.join(sorted(PLACEHOLDERS))}]" if placeholders
                                   else f"no placeholders allowed here, got {{{name}}}")
            out[lang] = s
        nb_ph = set(_PLACEHOLDER_RE.findall(out["nb"]))
        en_ph = set(_PLACEHOLDER_RE.findall(out["en"]))
        if nb_ph != en_ph:
            raise self.err(path, f"nb and en must use the same placeholders, got {sorted(nb_ph)} and {sorted(en_ph)}")
        return out

    def str_list(self, value: Any, path: Path_, choices: tuple[str, ...] | None = None,
                 allow_empty: bool = True) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.err(path, f"must be a list, got {_typename(value)}")
        if not value and not allow_empty:
            raise self.err(path, "must not be empty")
        out = []
        for i, item in enumerate(value):
            if choices is not None:
                out.append(self.choice(item, path + (i,), choices))
            else:
                out.append(self.string(item, path + (i,)))
            if out[-1] in out[:-1]:
                raise self.err(path + (i,), f"'{out[-1]}' is listed twice")
        return tuple(out)


def _typename(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__


def _short(value: Any) -> str:
    if isinstance(value, (dict, list)) or value is None:
        return _typename(value)
    s = repr(value)
    return s if len(s) <= 40 else s[:37] + "..."


def _fmt(v: float) -> str:
    return f"{v:g}"


# --------------------------------------------------------------------------- spec objects

@dataclass(frozen=True)
class RuleSpec:
    """One check. ``kind`` is "measure" (value vs bounds) or "timing" (holds, reps, sides)."""

    id: str
    kind: str
    severity: str
    cue: dict[str, str]
    praise: dict[str, str] | None = None
    phases: tuple[str, ...] = ()          # phase ids where it applies; () = every non-rest phase
    # measure rules
    measure: str | None = None
    unit: str | None = None               # the measure's unit ("deg", "body", ...)
    measures: tuple[str, ...] = ()        # all measures of the rule (a list = either side: the worse one counts)
    min: float | None = None
    max: float | None = None
    hysteresis: float = 0.0               # in the measure's unit
    persist_s: float = 1.0
    body_part: dict[str, str] | None = None  # names what "can't see" refers to
    pauses_hold: bool = True              # a fault pauses the hold timer of its phase
    missing_ok: bool = False              # when_missing: ok -> NaN means "nothing to report", not "can't see"
    mirror_on_side: str | None = None     # the value is negated on this side (one bound serves both sides)
    baseline_s: float | None = None       # relative to the mean over the first baseline_s of the hold
    only_when: str | None = None          # judged only while this other rule is OK
    # timing rules
    check: str | None = None              # one of TIMING_CHECKS
    min_s: float | None = None            # rep_period: shortest calm cycle

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]

    def applies_to(self, phase: "PhaseSpec") -> bool:
        if self.phases:
            return phase.id in self.phases
        return phase.kind != "rest"


@dataclass(frozen=True)
class PhaseSpec:
    id: str
    kind: str                                  # setup | hold | reps | rest
    per_side: bool = False
    cue: dict[str, str] | None = None          # instruction when the phase starts
    names: dict[str, str] | None = None
    # setup
    stable_s: float = 2.0
    timeout_s: float | None = None             # go on after this long even if not all is right
    # hold
    min_s: float | None = None
    target_s: float | None = None
    max_s: float | None = None
    position: tuple[str, ...] = ()             # rules whose OK means "in the position"
    release_s: float = 1.5
    settle_s: float = 0.0                      # in position this long before the hold clock starts
    countdown_s: tuple[float, ...] = ()
    # a later hold the person may go straight to: when its position (+ recognise_when
    # rules) has been OK this long while an earlier step has not started, the coach follows
    recognise_s: float | None = None
    recognise_when: tuple[str, ...] = ()
    # reps
    measure: str | None = None
    direction: str = "up"                      # up: a rep peaks high; down: peaks low
    enter: float | None = None
    exit: float | None = None
    min_period_s: float = 1.0
    min_reps: int | None = None
    target_reps: int | None = None
    max_reps: int | None = None
    peak_min_s: float | None = None            # shortest hold at the peak of each rep
    idle_end_s: float = 8.0                    # reps phase ends after this long without a rep (once min_reps)
    # rest
    duration_s: float | None = None


@dataclass(frozen=True)
class CoachingSpec:
    global_cooldown_s: float = 3.0    # no two spoken cues closer than this
    repeat_s: float = 8.0             # the same cue again at most this often
    max_repeats: int = 2              # after this many repeats of an unfixed fault, others may speak
    cant_see_s: float = 2.0           # "can't see your X" after this long
    oneshot_ttl_s: float = 10.0       # a one-off cue (hold too short, ...) expires if not spoken by then
    praise_ttl_s: float = 4.0


@dataclass(frozen=True)
class ExerciseSpec:
    id: str
    names: dict[str, str]
    summary: dict[str, str]
    equipment: dict[str, str]
    camera_view: str
    camera_height: str
    camera_placement: dict[str, str]
    sides: tuple[str, ...]                     # () = no sides; else the order, e.g. ("right", "left")
    switch_cue: dict[str, str] | None
    contraindications: tuple[str, ...]
    cautions: tuple[str, ...]
    measures: dict[str, dict]                  # name -> measure spec mapping (for build_measure)
    measure_order: tuple[str, ...]             # dependency order
    measure_units: dict[str, str]
    phases: tuple[PhaseSpec, ...]
    rules: dict[str, RuleSpec]
    coaching: CoachingSpec
    source: str = ""
    profile_label: str | None = None
    posture: str | None = None                 # lying | seated | standing | hanging | all_fours | kneeling

    def phase(self, phase_id: str) -> PhaseSpec:
        for p in self.phases:
            if p.id == phase_id:
                return p
        raise KeyError(phase_id)

    def rules_for(self, phase: PhaseSpec) -> list[RuleSpec]:
        return [r for r in self.rules.values() if r.applies_to(phase)]


# --------------------------------------------------------------------------- locating specs

def spec_dir() -> Path:
    """``exercise_specs/`` next to the package (repo checkout or installed tree)."""
    here = Path(__file__).resolve().parent
    for cand in (here.parent / "exercise_specs", here / "exercise_specs"):
        if cand.is_dir():
            return cand
    raise SpecError(f"exercise_specs: directory not found next to {here}")


def spec_ids() -> list[str]:
    return sorted(p.stem for p in spec_dir().glob("*.yaml"))


def _resolve(path_or_id: str | Path) -> Path:
    p = Path(path_or_id)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise SpecError(f"{p}: no such spec file")
        return p
    name = str(path_or_id)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise SpecError(f"{name}: not a spec file or exercise id")
    cand = spec_dir() / f"{name}.yaml"
    if not cand.is_file():
        raise SpecError(f"{name}: unknown exercise id, expecting one of [{', '.join(spec_ids())}]")
    return cand


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot read: {exc.__class__.__name__}") from None


def load_spec(path_or_id: str | Path, profile: "Profile | None" = None) -> ExerciseSpec:
    """Load and validate one spec (a file path or an exercise id)."""
    path = _resolve(path_or_id)
    return parse_spec(_read(path), str(path), stem=path.stem, profile=profile)


def list_specs(profile: "Profile | None" = None) -> list[ExerciseSpec]:
    return [load_spec(spec_dir() / f"{i}.yaml", profile) for i in spec_ids()]


def parse_spec(text: str, file: str = "<spec>", stem: str | None = None,
               profile: "Profile | None" = None, check_measures: bool = True) -> ExerciseSpec:
    """Validate spec text. ``stem`` (file name) is the id when the text has none."""
    try:
        doc = _parse_yaml(text, file)
        if profile is not None:
            spec_id = doc.data.get("id", stem) if isinstance(doc.data, dict) else stem
            doc = profile.apply(spec_id, doc)
        return _build_spec(_Ctx(doc), stem, check_measures)
    except SpecError:
        raise
    except RecursionError:
        raise SpecError(f"{file}:1: (top): nested too deeply") from None


# --------------------------------------------------------------------------- validation

_NAME = r"[a-z][a-z0-9_]*"
_TOP_FIELDS = {"id", "names", "summary", "equipment", "camera", "posture", "sides", "contraindications",
               "cautions", "measures", "phases", "rules", "coaching"}
# The body's posture during the exercise: the estimator rejects skeletons that cannot be
# in it (e.g. head below the hips when seated) instead of coaching a wrong body.
POSTURES = ("lying", "seated", "standing", "hanging", "all_fours", "kneeling")


def _build_spec(ctx: _Ctx, stem: str | None, check_measures: bool) -> ExerciseSpec:
    top = ctx.mapping(ctx.doc.data, (), _TOP_FIELDS,
                      ("names", "camera", "sides", "contraindications", "measures", "phases", "rules"))
    spec_id = ctx.string(top["id"], ("id",), _NAME) if "id" in top else stem
    if spec_id is None or not re.fullmatch(_NAME, spec_id):
        raise ctx.err(("id",), "missing exercise id")
    if stem is not None and "id" in top and spec_id != stem:
        raise ctx.err(("id",), f"must match the file name '{stem}', got '{spec_id}'")
    names = ctx.text(top["names"], ("names",), placeholders=False)
    summary = ctx.text(top.get("summary", {"nb": names["nb"], "en": names["en"]}), ("summary",), placeholders=False)
    equipment = ctx.text(top.get("equipment", {"nb": "ingen", "en": "none"}), ("equipment",), placeholders=False)

    cam = ctx.mapping(top["camera"], ("camera",), {"view", "height", "placement"}, ("view", "height", "placement"))
    view = ctx.choice(cam["view"], ("camera", "view"), CAMERA_VIEWS)
    height = ctx.choice(cam["height"], ("camera", "height"), CAMERA_HEIGHTS)
    placement = ctx.text(cam["placement"], ("camera", "placement"), placeholders=False)
    posture = ctx.choice(top["posture"], ("posture",), POSTURES) if "posture" in top else None

    sides: tuple[str, ...] = ()
    switch_cue = None
    if top["sides"] != "none":
        sm = ctx.mapping(top["sides"], ("sides",), {"order", "switch_cue"}, ("order", "switch_cue"))
        sides = ctx.str_list(sm["order"], ("sides", "order"), SIDES)
        if len(sides) != 2:
            raise ctx.err(("sides", "order"), "must list both sides, e.g. [right, left]")
        switch_cue = ctx.text(sm["switch_cue"], ("sides", "switch_cue"))

    contra = ctx.str_list(top["contraindications"], ("contraindications",), tuple(CONTRAINDICATION_TAGS))
    cautions = ctx.str_list(top.get("cautions", []), ("cautions",), tuple(CONTRAINDICATION_TAGS))

    measures, order, units = _check_measures(ctx, top["measures"], sides, check_measures)
    coaching = _check_coaching(ctx, top.get("coaching", {}))

    phase_list = top["phases"]
    if not isinstance(phase_list, list) or not phase_list:
        raise ctx.err(("phases",), "must be a non-empty list of phases")
    rules_raw = ctx.mapping(top["rules"], ("rules",))
    rule_ids = set(rules_raw)
    phases = tuple(_check_phase(ctx, p, ("phases", i), measures, units, rule_ids, sides)
                   for i, p in enumerate(phase_list))
    seen: set[str] = set()
    for i, ph in enumerate(phases):
        if ph.id in seen:
            raise ctx.err(("phases", i, "id"), f"phase id '{ph.id}' used twice")
        seen.add(ph.id)
    if any(p.per_side for p in phases) and not sides:
        raise ctx.err(("sides",), "a phase has per_side: true but the exercise has no sides")
    if sides and not any(p.per_side for p in phases):
        raise ctx.err(("sides",), "the exercise has sides but no phase has per_side: true")
    side_idx = [i for i, p in enumerate(phases) if p.per_side]
    if side_idx and side_idx != list(range(side_idx[0], side_idx[-1] + 1)):
        raise ctx.err(("phases", side_idx[-1], "per_side"), "per-side phases must follow each other")

    rules = {}
    for rid, raw in rules_raw.items():
        rules[rid] = _check_rule(ctx, rid, raw, measures, units, phases)
    for rid, r in rules.items():
        if r.only_when is not None:
            other = rules.get(r.only_when)
            if other is None or other.kind != "measure" or other.id == rid or other.only_when is not None:
                raise ctx.err(("rules", rid, "only_when"),
                              f"must name another measure rule (without only_when), got '{r.only_when}'")
            if any(r.applies_to(p) and not other.applies_to(p) for p in phases):
                raise ctx.err(("rules", rid, "only_when"), f"rule '{r.only_when}' must apply wherever '{rid}' does")
    for i, ph in enumerate(phases):
        for field_name in ("position", "recognise_when"):
            for j, rid in enumerate(getattr(ph, field_name)):
                r = rules.get(rid)
                if r is None:
                    raise ctx.err(("phases", i, field_name, j), f"unknown rule '{rid}'")
                if r.kind != "measure" or not r.applies_to(ph):
                    raise ctx.err(("phases", i, field_name, j),
                                  f"rule '{rid}' must be a measure rule that applies in phase '{ph.id}'")
        if ph.recognise_s is not None and i == 0:
            raise ctx.err(("phases", i, "recognise_s"), "the first phase has no earlier step to move on from")

    return ExerciseSpec(
        id=spec_id, names=names, summary=summary, equipment=equipment,
        camera_view=view, camera_height=height, camera_placement=placement,
        sides=sides, switch_cue=switch_cue, contraindications=contra, cautions=cautions,
        measures=measures, measure_order=order, measure_units=units, phases=phases,
        rules=rules, coaching=coaching, source=ctx.doc.file,
        profile_label=getattr(ctx.doc, "profile_label", None), posture=posture,
    )


def _check_coaching(ctx: _Ctx, raw: Any) -> CoachingSpec:
    path = ("coaching",)
    fields = {"global_cooldown_s": (0.0, 60.0), "repeat_s": (0.5, 600.0), "cant_see_s": (0.0, 60.0),
              "oneshot_ttl_s": (0.5, 600.0), "praise_ttl_s": (0.0, 60.0)}
    m = ctx.mapping(raw, path, set(fields) | {"max_repeats"})
    kw: dict[str, Any] = {k: ctx.number(m[k], path + (k,), *fields[k]) for k in fields if k in m}
    if "max_repeats" in m:
        kw["max_repeats"] = ctx.integer(m["max_repeats"], path + ("max_repeats",), 1, 100)
    return CoachingSpec(**kw)


def _measures_module():
    try:
        from coach import measures as mod  # noqa: PLC0415 (optional while it is being written)
    except ImportError:
        return None
    return mod


def _check_measures(ctx: _Ctx, raw: Any, sides: tuple[str, ...], check: bool):
    path = ("measures",)
    m = ctx.mapping(raw, path)
    if not m:
        raise ctx.err(path, "must define at least one measure")
    mod = _measures_module() if check else None
    out: dict[str, dict] = {}
    units: dict[str, str] = {}
    deps: dict[str, tuple[str, ...]] = {}
    for name, mspec in m.items():
        p = path + (name,)
        if not re.fullmatch(_NAME, name):
            raise ctx.err(p, f"'{name}' is not a valid name (lower-case letters, digits, _)")
        ms = ctx.mapping(mspec, p, None, ("type",))
        if mod is None:
            out[name] = dict(ms)
            units[name] = str(ms.get("unit", "deg"))
            deps[name] = ()
            continue
        tname = ms["type"]
        if not isinstance(tname, str) or tname not in mod.MEASURE_TYPES:
            raise ctx.err(p + ("type",), f"unknown measure type {_short(tname)}, expecting one of "
                          f"[{', '.join(sorted(mod.MEASURE_TYPES))}]")
        params = mod.measure_params(tname)
        for key in ms:
            if key != "type" and key not in params:
                raise ctx.err(p + (key,), f"unknown parameter for {tname}, expecting one of "
                              f"[{', '.join(sorted(params))}]")
        of = ms.get("of")
        deps[name] = (of,) if isinstance(of, str) else ()
        out[name] = dict(ms)
    for name, ds in deps.items():
        for d in ds:
            if d not in out:
                raise ctx.err(path + (name, "of"), f"unknown measure '{d}', expecting one of [{', '.join(out)}]")
    order = _topo(ctx, path, out, deps)
    if mod is not None:
        for name in order:
            built = None
            for side in (sides or (None,)):
                built = _build_one(ctx, mod, path + (name,), name, out[name], side, units)
            units[name] = built.unit
            deps[name] = tuple(built.depends_on)
    return out, tuple(order), units


def _build_one(ctx: _Ctx, mod: Any, p: Path_, name: str, ms: dict, side: str | None, units: dict) -> Any:
    try:
        return mod.build_measure(name, ms, side, source_units=units)
    except CoachError as exc:  # MeasureError: "param: what is wrong (expected ..., got ...)"
        msg = str(exc)
        param = getattr(exc, "param", None)
        if param and param in ms and msg.startswith(param + ":"):
            raise ctx.err(p + (param,), msg[len(param) + 1:].strip()) from None
        raise ctx.err(p, msg) from None
    except Exception as exc:  # a measure bug must still not escape as a traceback here
        raise ctx.err(p, f"cannot build measure: {exc.__class__.__name__}: {exc}") from None


def _topo(ctx: _Ctx, path: Path_, out: dict, deps: dict) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str, chain: tuple[str, ...]) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            raise ctx.err(path + (n,), f"measures depend on each other in a cycle: {' -> '.join(chain + (n,))}")
        state[n] = 1
        for d in deps[n]:
            visit(d, chain + (n,))
        state[n] = 2
        order.append(n)

    for n in out:
        visit(n, ())
    return order


_PHASE_FIELDS = {
    "setup": {"stable_s", "timeout_s"},
    "hold": {"min_s", "target_s", "max_s", "position", "release_s", "settle_s", "countdown_s",
             "recognise_s", "recognise_when"},
    "reps": {"measure", "direction", "min_period_s", "min_reps", "target_reps", "max_reps",
             "peak_min_s", "idle_end_s"},   # + enter_<unit>, exit_<unit>
    "rest": {"duration_s"},
}
_PHASE_COMMON = {"id", "kind", "per_side", "cue", "names"}


def _check_phase(ctx: _Ctx, raw: Any, path: Path_, measures: dict, units: dict,
                 rule_ids: set[str], sides: tuple[str, ...]) -> PhaseSpec:
    m = ctx.mapping(raw, path, None, ("id", "kind"))
    pid = ctx.string(m["id"], path + ("id",), _NAME)
    kind = ctx.choice(m["kind"], path + ("kind",), PHASE_KINDS)
    allowed = set(_PHASE_COMMON) | _PHASE_FIELDS[kind]
    suffix = None
    if kind == "reps":
        if "measure" not in m:
            raise ctx.err(path, "missing required field 'measure'")
        meas = ctx.string(m["measure"], path + ("measure",))
        if meas not in measures:
            raise ctx.err(path + ("measure",), f"unknown measure '{meas}', expecting one of [{', '.join(measures)}]")
        suffix = UNIT_SUFFIX.get(units[meas], "value")
        allowed |= {f"enter_{suffix}", f"exit_{suffix}"}
    for key in m:
        if key not in allowed:
            raise ctx.err(path + (key,), f"unknown field for a {kind} phase, expecting one of [{', '.join(sorted(allowed))}]")
    kw: dict[str, Any] = {"id": pid, "kind": kind}
    if "per_side" in m:
        kw["per_side"] = ctx.boolean(m["per_side"], path + ("per_side",))
    if "cue" in m:
        kw["cue"] = ctx.text(m["cue"], path + ("cue",))
    if "names" in m:
        kw["names"] = ctx.text(m["names"], path + ("names",), placeholders=False)
    num = lambda k, lo=0.0, hi=3600.0: ctx.number(m[k], path + (k,), lo, hi)  # noqa: E731
    if kind == "setup":
        if "stable_s" in m:
            kw["stable_s"] = num("stable_s", 0.0, 60.0)
        if "timeout_s" in m:
            kw["timeout_s"] = num("timeout_s", 1.0, 3600.0)
    elif kind == "hold":
        for k in ("min_s", "target_s"):
            if k not in m:
                raise ctx.err(path, f"missing required field '{k}'")
        kw["min_s"] = num("min_s", 0.5)
        kw["target_s"] = num("target_s", 0.5)
        if kw["target_s"] < kw["min_s"]:
            raise ctx.err(path + ("target_s",), f"must be >= min_s ({_fmt(kw['min_s'])}), got {_fmt(kw['target_s'])}")
        if "max_s" in m:
            kw["max_s"] = num("max_s", 0.5)
            if kw["max_s"] < kw["target_s"]:
                raise ctx.err(path + ("max_s",), f"must be >= target_s ({_fmt(kw['target_s'])}), got {_fmt(kw['max_s'])}")
        if "position" not in m:
            raise ctx.err(path, "missing required field 'position' (rules that mean 'in the position')")
        kw["position"] = ctx.str_list(m["position"], path + ("position",), allow_empty=False)
        if "release_s" in m:
            kw["release_s"] = num("release_s", 0.1, 30.0)
        if "settle_s" in m:
            kw["settle_s"] = num("settle_s", 0.0, 30.0)
        if "recognise_s" in m:
            kw["recognise_s"] = num("recognise_s", 0.5, 60.0)
        if "recognise_when" in m:
            if "recognise_s" not in m:
                raise ctx.err(path + ("recognise_when",), "needs recognise_s (how long before the coach follows)")
            kw["recognise_when"] = ctx.str_list(m["recognise_when"], path + ("recognise_when",), allow_empty=False)
        if "countdown_s" in m:
            cd = m["countdown_s"]
            if not isinstance(cd, list):
                raise ctx.err(path + ("countdown_s",), f"must be a list of seconds, got {_typename(cd)}")
            kw["countdown_s"] = tuple(ctx.number(v, path + ("countdown_s", i), 1.0, 3600.0) for i, v in enumerate(cd))
    elif kind == "reps":
        kw["measure"] = m["measure"]
        if "direction" in m:
            kw["direction"] = ctx.choice(m["direction"], path + ("direction",), ("up", "down"))
        for k in (f"enter_{suffix}", f"exit_{suffix}"):
            if k not in m:
                raise ctx.err(path, f"missing required field '{k}'")
        enter = ctx.number(m[f"enter_{suffix}"], path + (f"enter_{suffix}",), -1e6, 1e6)
        exit_ = ctx.number(m[f"exit_{suffix}"], path + (f"exit_{suffix}",), -1e6, 1e6)
        up = kw.get("direction", "up") == "up"
        if (up and not exit_ < enter) or (not up and not exit_ > enter):
            raise ctx.err(path + (f"exit_{suffix}",),
                          f"must be {'below' if up else 'above'} enter_{suffix} ({_fmt(enter)}) for direction "
                          f"{'up' if up else 'down'} (that gap is the hysteresis), got {_fmt(exit_)}")
        kw["enter"], kw["exit"] = enter, exit_
        for k in ("min_period_s", "peak_min_s", "idle_end_s"):
            if k in m:
                kw[k] = num(k, 0.0, 600.0)
        for k in ("min_reps", "target_reps", "max_reps"):
            if k in m:
                kw[k] = ctx.integer(m[k], path + (k,), 1, 1000)
        if "target_reps" not in kw:
            raise ctx.err(path, "missing required field 'target_reps'")
        lo, tg, hi = kw.get("min_reps"), kw["target_reps"], kw.get("max_reps")
        if lo is not None and tg < lo:
            raise ctx.err(path + ("target_reps",), f"must be >= min_reps ({lo}), got {tg}")
        if hi is not None and tg > hi:
            raise ctx.err(path + ("target_reps",), f"must be <= max_reps ({hi}), got {tg}")
    elif kind == "rest":
        if "duration_s" not in m:
            raise ctx.err(path, "missing required field 'duration_s'")
        kw["duration_s"] = num("duration_s", 0.5, 600.0)
    return PhaseSpec(**kw)


_RULE_COMMON = {"severity", "cue", "praise", "phases"}
_MEASURE_RULE = {"measure", "persist_s", "body_part", "pauses_hold", "when_missing", "mirror_on_side",
                 "relative_to_hold_start_s", "only_when"}   # + min_/max_/hysteresis_<unit>
_TIMING_RULE = {"check", "min_s"}


def _check_rule(ctx: _Ctx, rid: str, raw: Any, measures: dict, units: dict,
                phases: tuple[PhaseSpec, ...]) -> RuleSpec:
    path = ("rules", rid)
    if not re.fullmatch(_NAME, rid):
        raise ctx.err(path, f"'{rid}' is not a valid rule id (lower-case letters, digits, _)")
    m = ctx.mapping(raw, path, None, ("severity", "cue"))
    if "measure" in m and "check" in m:
        raise ctx.err(path, "a rule has either 'measure' or 'check', not both")
    if "measure" not in m and "check" not in m:
        raise ctx.err(path, "missing required field 'measure' (or 'check' for a timing rule)")
    kw: dict[str, Any] = {"id": rid}
    kw["severity"] = ctx.choice(m["severity"], path + ("severity",), SEVERITIES)
    kw["cue"] = ctx.text(m["cue"], path + ("cue",))
    if "praise" in m:
        kw["praise"] = ctx.text(m["praise"], path + ("praise",))
    phase_ids = [p.id for p in phases]
    if "phases" in m:
        kw["phases"] = ctx.str_list(m["phases"], path + ("phases",), tuple(phase_ids), allow_empty=False)
    if "measure" in m:
        kw["kind"] = "measure"
        raw_meas = m["measure"]
        if isinstance(raw_meas, list):
            names = ctx.str_list(raw_meas, path + ("measure",), tuple(measures), allow_empty=False)
        else:
            names = (ctx.string(raw_meas, path + ("measure",)),)
            if names[0] not in measures:
                raise ctx.err(path + ("measure",), f"unknown measure '{names[0]}', expecting one of [{', '.join(measures)}]")
        meas = names[0]
        unit = units[meas]
        for i, n in enumerate(names):
            if units[n] != unit:
                raise ctx.err(path + ("measure", i), f"all measures of a rule need the same unit: '{n}' is in "
                              f"{units[n]}, '{meas}' in {unit}")
        kw["measures"] = names
        suffix = UNIT_SUFFIX.get(unit, "value")
        allowed = _RULE_COMMON | _MEASURE_RULE | {f"min_{suffix}", f"max_{suffix}", f"hysteresis_{suffix}"}
        for key in m:
            if key not in allowed:
                hint = ""
                if re.fullmatch(r"(min|max|hysteresis)_\w+", key):
                    hint = f" (measure '{meas}' is in {unit}: use the suffix _{suffix})"
                raise ctx.err(path + (key,), f"unknown field{hint}, expecting one of [{', '.join(sorted(allowed))}]")
        kw["measure"], kw["unit"] = meas, unit
        if f"min_{suffix}" in m:
            kw["min"] = ctx.number(m[f"min_{suffix}"], path + (f"min_{suffix}",), -1e6, 1e6)
        if f"max_{suffix}" in m:
            kw["max"] = ctx.number(m[f"max_{suffix}"], path + (f"max_{suffix}",), -1e6, 1e6)
        if "min" not in kw and "max" not in kw:
            raise ctx.err(path, f"needs a bound: min_{suffix} and/or max_{suffix}")
        if "min" in kw and "max" in kw and kw["min"] >= kw["max"]:
            raise ctx.err(path + (f"max_{suffix}",), f"must be above min_{suffix} ({_fmt(kw['min'])}), got {_fmt(kw['max'])}")
        if f"hysteresis_{suffix}" in m:
            kw["hysteresis"] = ctx.number(m[f"hysteresis_{suffix}"], path + (f"hysteresis_{suffix}",), 0.0, 1e6)
            if "min" in kw and "max" in kw and kw["hysteresis"] * 2 >= kw["max"] - kw["min"]:
                raise ctx.err(path + (f"hysteresis_{suffix}",), "must be less than half the gap between the bounds")
        if "persist_s" in m:
            kw["persist_s"] = ctx.number(m["persist_s"], path + ("persist_s",), 0.0, 60.0)
        if "body_part" in m:
            kw["body_part"] = ctx.text(m["body_part"], path + ("body_part",), placeholders=False)
        if "when_missing" in m:
            kw["missing_ok"] = ctx.choice(m["when_missing"], path + ("when_missing",), ("cant_see", "ok")) == "ok"
        if "mirror_on_side" in m:
            kw["mirror_on_side"] = ctx.choice(m["mirror_on_side"], path + ("mirror_on_side",), SIDES)
        if "only_when" in m:
            kw["only_when"] = ctx.string(m["only_when"], path + ("only_when",), _NAME)
        if "relative_to_hold_start_s" in m:
            kw["baseline_s"] = ctx.number(m["relative_to_hold_start_s"], path + ("relative_to_hold_start_s",), 0.1, 30.0)
            if "phases" not in kw or not all(p.kind == "hold" for p in phases if p.id in kw["phases"]):
                raise ctx.err(path + ("relative_to_hold_start_s",), "needs 'phases' listing only hold phases")
        if "pauses_hold" in m:
            kw["pauses_hold"] = ctx.boolean(m["pauses_hold"], path + ("pauses_hold",))
        elif kw["severity"] in ("pace", "count"):
            kw["pauses_hold"] = False
    else:
        kw["kind"] = "timing"
        allowed = _RULE_COMMON | _TIMING_RULE
        for key in m:
            if key not in allowed:
                raise ctx.err(path + (key,), f"unknown field for a timing rule, expecting one of [{', '.join(sorted(allowed))}]")
        check = ctx.choice(m["check"], path + ("check",), TIMING_CHECKS)
        kw["check"] = check
        kw["pauses_hold"] = False
        targets = [p for p in phases if (p.id in kw["phases"] if "phases" in kw else True)]
        need = {"hold_short": ("hold", "reps"), "hold_long": ("hold",), "reps_range": ("reps",),
                "rep_period": ("reps",), "side_skipped": ("hold", "reps")}[check]
        if not any(p.kind in need for p in targets):
            raise ctx.err(path + ("check",), f"'{check}' needs a {' or '.join(need)} phase to apply to")
        if check == "hold_long" and not any(p.kind == "hold" and p.max_s is not None for p in targets):
            raise ctx.err(path + ("check",), "hold_long needs a hold phase with max_s")
        if check == "hold_short" and not any(
                (p.kind == "hold") or (p.kind == "reps" and p.peak_min_s is not None) for p in targets):
            raise ctx.err(path + ("check",), "hold_short needs a hold phase, or a reps phase with peak_min_s")
        if check == "rep_period":
            if "min_s" not in m:
                raise ctx.err(path, "missing required field 'min_s' (the shortest calm cycle)")
            kw["min_s"] = ctx.number(m["min_s"], path + ("min_s",), 0.1, 600.0)
        elif "min_s" in m:
            raise ctx.err(path + ("min_s",), f"only a rep_period rule has min_s (this is {check})")
        if check == "side_skipped" and not any(p.per_side for p in targets):
            raise ctx.err(path + ("check",), "side_skipped needs a per-side phase")
    return RuleSpec(**kw)


# --------------------------------------------------------------------------- profiles

# What a profile may override.
_PROFILE_RULE_FIELDS = re.compile(r"(min|max|hysteresis)_(deg|body|deg_s|body_s|s|ratio)|persist_s|min_s")
_PROFILE_PHASE_FIELDS = {"stable_s", "timeout_s", "min_s", "target_s", "max_s", "release_s", "settle_s", "min_period_s",
                         "min_reps", "target_reps", "max_reps", "peak_min_s", "idle_end_s", "duration_s"}
_PROFILE_PHASE_PATTERN = re.compile(r"(enter|exit)_(deg|body|deg_s|body_s|s|ratio)")


@dataclass
class Profile:
    """A physio's per-person overrides. ``exercises`` maps exercise id -> override mapping."""

    patient: str
    note: str
    exercises: dict[str, dict]
    source: str = ""
    _doc: _Doc | None = field(default=None, repr=False)

    def apply(self, spec_id: Any, doc: _Doc) -> _Doc:
        """Return a copy of the spec document with this profile's overrides merged in."""
        if not isinstance(spec_id, str) or spec_id not in self.exercises or not isinstance(doc.data, dict):
            doc = _Doc(doc.data, doc.where, doc.file)
            doc.profile_label = self.patient if isinstance(doc.data, dict) else None  # type: ignore[attr-defined]
            return doc
        data = copy.deepcopy(doc.data)
        where = dict(doc.where)
        ov = self.exercises[spec_id]
        pwhere = self._doc.where if self._doc is not None else {}
        base = ("exercises", spec_id)
        ctx = _Ctx(self._doc) if self._doc is not None else None

        def err(path: Path_, msg: str) -> SpecError:
            if ctx is not None:
                return ctx.err(base + path, msg)
            return SpecError(f"{self.source}:1: {_dotted(base + path)}: {msg}")

        rules = data.get("rules") if isinstance(data.get("rules"), dict) else {}
        for rid, fields in ov.get("rules", {}).items():
            if rid not in rules or not isinstance(rules[rid], dict):
                raise err(("rules", rid), f"unknown rule for {spec_id}, expecting one of [{', '.join(rules)}]")
            for key, value in fields.items():
                if key == "enabled":
                    continue
                if key not in rules[rid] and not _rule_field_ok(rules[rid], key):
                    raise err(("rules", rid, key), "this rule has no such threshold")
                rules[rid][key] = value
                where[("rules", rid, key)] = pwhere.get(base + ("rules", rid, key), (self.source, 1))
            if fields.get("enabled") is False:
                del rules[rid]
                for p in data.get("phases", []) if isinstance(data.get("phases"), list) else []:
                    if isinstance(p, dict) and isinstance(p.get("position"), list) and rid in p["position"]:
                        raise err(("rules", rid, "enabled"), f"rule '{rid}' defines the position of phase "
                                  f"'{p.get('id')}' and cannot be turned off")
        phases = data.get("phases") if isinstance(data.get("phases"), list) else []
        by_id = {p.get("id"): (i, p) for i, p in enumerate(phases) if isinstance(p, dict) and isinstance(p.get("id"), str)}
        targets: list[tuple[Path_, int, dict]] = []
        for pid, fields in ov.get("phases", {}).items():
            if pid not in by_id:
                raise err(("phases", pid), f"unknown phase for {spec_id}, expecting one of [{', '.join(map(str, by_id))}]")
            i, p = by_id[pid]
            targets.append((("phases", pid), i, fields))
        for kind in ("hold", "reps"):
            if kind in ov:
                hits = [(i, p) for i, p in enumerate(phases) if isinstance(p, dict) and p.get("kind") == kind]
                if not hits:
                    raise err((kind,), f"{spec_id} has no {kind} phase")
                for i, _p in hits:
                    targets.append(((kind,), i, ov[kind]))
        for ppath, i, fields in targets:
            for key, value in fields.items():
                kind = phases[i].get("kind")
                if key not in _PHASE_FIELDS.get(kind, set()) and not (kind == "reps" and key in phases[i]):
                    raise err(ppath + (key,), f"a {kind} phase has no field '{key}'")
                phases[i][key] = value
                where[("phases", i, key)] = pwhere.get(base + ppath + (key,), (self.source, 1))
        if "coaching" in ov:
            coaching = data.setdefault("coaching", {})
            if not isinstance(coaching, dict):
                raise err(("coaching",), "spec coaching is not a mapping")
            for key, value in ov["coaching"].items():
                coaching[key] = value
                where[("coaching", key)] = pwhere.get(base + ("coaching", key), (self.source, 1))
        out = _Doc(data, where, doc.file)
        out.profile_label = self.patient  # type: ignore[attr-defined]
        return out


def _rule_field_ok(rule: dict, key: str) -> bool:
    """A bound the rule does not set yet may be added if it has the rule's unit suffix."""
    m = re.fullmatch(r"(min|max|hysteresis)_(\w+)", key)
    if not m:
        return key in ("persist_s",)
    for k in rule:
        km = re.fullmatch(r"(min|max|hysteresis)_(\w+)", str(k))
        if km and km.group(2) == m.group(2):
            return True
    return False


def load_profile(path: str | Path) -> Profile:
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"{p}: no such profile file")
    return parse_profile(_read(p), str(p))


def parse_profile(text: str, file: str = "<profile>", known: dict[str, ExerciseSpec] | None = None) -> Profile:
    """Validate a profile. ``known`` = the specs it may refer to (default: every spec on disk).

    The merged result is validated again when a spec is loaded with the profile, so
    out-of-range overrides (``min_s`` above ``target_s``...) are caught with the profile's line.
    """
    try:
        doc = _parse_yaml(text, file)
        return _build_profile(_Ctx(doc), known)
    except SpecError:
        raise
    except RecursionError:
        raise SpecError(f"{file}:1: (top): nested too deeply") from None


def _build_profile(ctx: _Ctx, known: dict[str, ExerciseSpec] | None) -> Profile:
    top = ctx.mapping(ctx.doc.data, (), {"patient", "note", "exercises"}, ("patient", "exercises"))
    patient = ctx.string(top["patient"], ("patient",))
    note = ctx.string(top["note"], ("note",)) if "note" in top else ""
    exs = ctx.mapping(top["exercises"], ("exercises",))
    if known is None:
        known = {i: load_spec(spec_dir() / f"{i}.yaml") for i in spec_ids()}
    out: dict[str, dict] = {}
    for eid, ov in exs.items():
        path = ("exercises", eid)
        if eid not in known:
            raise ctx.err(path, f"unknown exercise, expecting one of [{', '.join(sorted(known))}]")
        spec = known[eid]
        m = ctx.mapping(ov, path, {"rules", "phases", "hold", "reps", "coaching"})
        clean: dict[str, Any] = {}
        if "rules" in m:
            rules = ctx.mapping(m["rules"], path + ("rules",))
            clean["rules"] = {}
            for rid, fields in rules.items():
                rp = path + ("rules", rid)
                if rid not in spec.rules:
                    raise ctx.err(rp, f"unknown rule for {eid}, expecting one of [{', '.join(spec.rules)}]")
                r = spec.rules[rid]
                f = ctx.mapping(fields, rp)
                allowed = _allowed_rule_overrides(r)
                for key, value in f.items():
                    if key not in allowed:
                        raise ctx.err(rp + (key,), f"cannot override, expecting one of [{', '.join(sorted(allowed))}]")
                    if key == "enabled":
                        ctx.boolean(value, rp + (key,))
                    else:
                        ctx.number(value, rp + (key,), -1e6, 1e6)
                clean["rules"][rid] = dict(f)
        for group in ("phases", "hold", "reps"):
            if group not in m:
                continue
            g = ctx.mapping(m[group], path + (group,))
            if group == "phases":
                clean["phases"] = {}
                for pid, fields in g.items():
                    pp = path + ("phases", pid)
                    match = [ph for ph in spec.phases if ph.id == pid]
                    if not match:
                        raise ctx.err(pp, f"unknown phase for {eid}, expecting one of [{', '.join(p.id for p in spec.phases)}]")
                    clean["phases"][pid] = _check_phase_override(ctx, fields, pp, [match[0]])
            else:
                match = [ph for ph in spec.phases if ph.kind == group]
                if not match:
                    raise ctx.err(path + (group,), f"{eid} has no {group} phase")
                clean[group] = _check_phase_override(ctx, g, path + (group,), match)
        if "coaching" in m:
            c = ctx.mapping(m["coaching"], path + ("coaching",), {f for f in CoachingSpec.__dataclass_fields__})
            for key, value in c.items():
                ctx.number(value, path + ("coaching", key), 0.0, 600.0)
            clean["coaching"] = dict(c)
        out[eid] = clean
    return Profile(patient=patient, note=note, exercises=out, source=ctx.doc.file, _doc=ctx.doc)


def _allowed_rule_overrides(r: RuleSpec) -> set[str]:
    if r.kind == "timing":
        return {"enabled"} | ({"min_s"} if r.check == "rep_period" else set())
    suffix = UNIT_SUFFIX.get(r.unit or "", "value")
    return {"enabled", "persist_s", f"min_{suffix}", f"max_{suffix}", f"hysteresis_{suffix}"}


def _check_phase_override(ctx: _Ctx, fields: Any, path: Path_, phases: list[PhaseSpec]) -> dict:
    f = ctx.mapping(fields, path)
    allowed: set[str] = set()
    for ph in phases:
        allowed |= _PHASE_FIELDS[ph.kind] - {"position", "countdown_s", "measure", "direction", "recognise_when"}
        if ph.kind == "reps":
            allowed |= {k for k in ("enter_deg", "exit_deg", "enter_body", "exit_body", "enter_ratio", "exit_ratio")}
    for key, value in f.items():
        if key not in allowed:
            raise ctx.err(path + (key,), f"cannot override, expecting one of [{', '.join(sorted(allowed))}]")
        if key.endswith("_reps"):
            ctx.integer(value, path + (key,), 1, 1000)
        else:
            ctx.number(value, path + (key,), -1e6, 1e6)
    return dict(f)
