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


from coach.spec.library import (
    list_specs, load_spec, resolve_spec_path, schema_md_text, schema_path, schema_text, spec_dir, spec_ids,
)
from coach.spec.loading import PLACEHOLDERS, SpecError
from coach.spec.models import UNIT_SUFFIX, CoachingSpec, ExerciseSpec, PhaseSpec, RuleSpec, TimingSpec
from coach.spec.profiles import Profile, load_profile, loosens, parse_profile
from coach.spec.validation import parse_spec

__all__ = [
    "PLACEHOLDERS", "UNIT_SUFFIX", "CoachingSpec", "ExerciseSpec", "PhaseSpec", "Profile", "RuleSpec", "SpecError", "TimingSpec",
    "list_specs", "load_profile", "load_spec", "loosens", "parse_profile", "parse_spec", "resolve_spec_path", "schema_md_text",
    "schema_path", "schema_text", "spec_dir", "spec_ids",
]
