"""The spec format's typed models, their JSON Schema and schema.md agree with each other and
with the shipped specs (regenerate both with `coach check-spec --write-schema`)."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml

from coach.spec import parse_profile, schema_md_text, schema_path, schema_text, spec_dir, spec_ids

SCHEMA = json.loads(schema_path().read_text(encoding="utf-8"))


def test_schema_json_is_current():
    assert schema_path().read_text(encoding="utf-8") == schema_text(), \
        "exercise_specs/schema.json is stale: run `coach check-spec --write-schema`"


def test_schema_md_field_reference_is_current():
    md = (spec_dir() / "schema.md").read_text(encoding="utf-8")
    assert md == schema_md_text(md), "exercise_specs/schema.md is stale: run `coach check-spec --write-schema`"


@pytest.mark.parametrize("exercise", spec_ids())
def test_every_spec_names_the_schema_for_editors_and_passes_it(exercise):
    text = (spec_dir() / f"{exercise}.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=schema.json\n")
    jsonschema.validate(yaml.safe_load(text), SCHEMA)


def test_the_schema_catches_what_an_editor_should_underline():
    data = yaml.safe_load((spec_dir() / "cat_cow.yaml").read_text(encoding="utf-8"))
    for broken in ({**data, "namez": data["names"]},
                   {**data, "rules": {**data["rules"], "neck_overextended": {**data["rules"]["neck_overextended"],
                                                                              "max_deg": 400}}},
                   {**data, "phases": [{**data["phases"][0], "kind": "hld"}, *data["phases"][1:]]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)


def test_documented_profiles_are_valid():
    """The profile examples in schema.md and the README validate (schema and loader)."""
    from pathlib import Path

    readme = Path(__file__).resolve().parent.parent / "README.md"
    for doc in (spec_dir() / "schema.md", readme):
        blocks = re.findall(r"```yaml\n(patient:.*?)```", doc.read_text(encoding="utf-8"), re.S)
        assert blocks, doc
        for block in blocks:
            jsonschema.validate(yaml.safe_load(block), SCHEMA)
            parse_profile(block, str(doc))
