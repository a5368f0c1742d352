"""Property tests: random and mutated YAML never makes the spec or profile loader raise
anything but SpecError (one line, ``file:line: ...``)."""

from __future__ import annotations

import copy
import re

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.spec import SpecError, load_spec, parse_profile, parse_spec, spec_dir, spec_ids

SPEC_TEXTS = {i: (spec_dir() / f"{i}.yaml").read_text(encoding="utf-8") for i in spec_ids()}
SPEC_DATA = {i: yaml.safe_load(t) for i, t in SPEC_TEXTS.items()}
KNOWN = {i: load_spec(i) for i in spec_ids()}

PROFILE_DATA = {
    "patient": "P", "note": "n",
    "exercises": {
        "lying_twist": {"rules": {"shoulder_lifting": {"max_deg": 10}}, "hold": {"target_s": 40}},
        "cat_cow": {"reps": {"min_reps": 6}, "phases": {"cycles": {"idle_end_s": 5}}},
    },
}

MSG = re.compile(r"^[^\n]*:\d+: [^\n]+$")

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["right", "left", "none", "hold", "setup", "reps", "form", "deg", "moving_knee",
                     "joint_angle", "speed", "{side}", "start", "twist", "ok", "cant_see"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


def check_spec_text(text: str, stem: str = "fuzz") -> None:
    try:
        parse_spec(text, "fuzz.yaml", stem=stem)
    except SpecError as exc:
        assert MSG.match(str(exc)), str(exc)


def check_profile_text(text: str) -> None:
    try:
        parse_profile(text, "fuzz.yaml", known=KNOWN)
    except SpecError as exc:
        assert MSG.match(str(exc)), str(exc)


def paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from paths(v, prefix + (i,))


def mutate(data, path, op, value):
    data = copy.deepcopy(data)
    if not path:
        return value
    parent = data
    for p in path[:-1]:
        parent = parent[p]
    key = path[-1]
    if op == "delete":
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    elif op == "replace":
        parent[key] = value
    elif op == "add" and isinstance(parent, dict):
        parent[str(value)[:10] or "x"] = value
    elif op == "add":
        parent.append(value)
    return data


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.text(max_size=300))
def test_random_text_spec(text):
    check_spec_text(text)


@FAST
@given(st.text(alphabet=st.sampled_from(list("{}[]:,-&*!|>'\"#%@` \n\tabc01.?")), max_size=200))
def test_random_yaml_punctuation_spec(text):
    check_spec_text(text)
    check_profile_text(text)


@FAST
@given(values)
def test_random_yaml_document_spec(doc):
    check_spec_text(yaml.safe_dump(doc, allow_unicode=True))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SPEC_DATA)), st.data())
def test_mutated_spec(exercise, data):
    doc = SPEC_DATA[exercise]
    all_paths = list(paths(doc))
    path = data.draw(st.sampled_from(all_paths))
    op = data.draw(st.sampled_from(["delete", "replace", "replace", "add"]))
    value = data.draw(values)
    if op == "delete" and not path:
        op = "replace"
    mutated = mutate(doc, path, op, value)
    check_spec_text(yaml.safe_dump(mutated, allow_unicode=True, sort_keys=False), stem=exercise)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SPEC_TEXTS)), st.data())
def test_mutated_spec_text(exercise, data):
    """Character-level damage to the shipped YAML."""
    text = SPEC_TEXTS[exercise]
    i = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    n = data.draw(st.integers(min_value=0, max_value=20))
    insert = data.draw(st.text(alphabet=st.sampled_from(list("{}[]:,- &*!\n\tx0.#'\"")), max_size=5))
    check_spec_text(text[:i] + insert + text[i + n:], stem=exercise)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_profile(data):
    all_paths = list(paths(PROFILE_DATA))
    path = data.draw(st.sampled_from(all_paths))
    op = data.draw(st.sampled_from(["delete", "replace", "replace", "add"]))
    value = data.draw(values)
    if op == "delete" and not path:
        op = "replace"
    mutated = mutate(PROFILE_DATA, path, op, value)
    text = yaml.safe_dump(mutated, allow_unicode=True, sort_keys=False)
    check_profile_text(text)
    # a profile that loads must also load (or fail cleanly) against its specs
    try:
        prof = parse_profile(text, "fuzz.yaml", known=KNOWN)
    except SpecError:
        return
    for eid in prof.exercises:
        try:
            parse_spec(SPEC_TEXTS[eid], f"{eid}.yaml", stem=eid, profile=prof)
        except SpecError as exc:
            assert MSG.match(str(exc)), str(exc)


def test_alias_bomb_is_refused_quickly():
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        text += f"b{i}: &b{i} [" + ", ".join([f"*{'a' if i == 1 else 'b' + str(i - 1)}"] * 10) + "]\n"
    try:
        parse_spec(text, "bomb.yaml", stem="bomb")
    except SpecError as exc:
        assert "too large" in str(exc) or MSG.match(str(exc))


def test_recursive_alias_is_refused():
    check_spec_text("a: &a [*a]\n")
    check_spec_text("&a {x: *a}\n")
