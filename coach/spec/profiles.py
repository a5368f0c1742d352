"""Physio profiles: per-person overrides of a spec's thresholds, holds and rep targets.

A profile is checked against the same typed models as a spec (:mod:`coach.spec.schema`:
the same declared ranges), then merged into each spec it names and the merged spec is
validated again, so an error in an overridden field names the profile's file and line,
and every error is listed. A profile may tighten a safety rule but never silently loosen
one: loosening (a max raised, a min lowered, a longer persist_s, a smaller hysteresis, the
rule switched off) needs ``loosen_safety: {reason: ...}`` on that rule, and the spec then
carries the change and the reason (``ExerciseSpec.safety_loosened``: shown by ``coach
explain``, in the engine's summary and so in every report).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach.spec import schema
from coach.spec.library import load_spec, read_text, spec_dir, spec_ids
from coach.spec.loading import (
    Doc, DocReader, Issues, Path_, SpecError, fmt_num, parse_yaml, sort_lines, validate_doc,
)
from coach.spec.models import UNIT_SUFFIX, ExerciseSpec, RuleSpec
from coach.spec.validation import parse_spec

_RULE_DEFAULTS = {"persist_s": schema.MeasureRule.model_fields["persist_s"].default}


@dataclass
class Profile:
    """A physio's per-person overrides. ``exercises`` maps exercise id -> override mapping."""

    patient: str
    note: str
    exercises: dict[str, dict]
    source: str = ""
    _doc: Doc | None = field(default=None, repr=False)

    def apply(self, spec_id: Any, doc: Doc) -> tuple[Doc, tuple[dict[str, Any], ...]]:
        """A copy of the spec document with this profile's overrides merged in, and the
        safety rules it loosens (each with the physio's reason)."""
        if not isinstance(spec_id, str) or spec_id not in self.exercises or not isinstance(doc.data, dict):
            out = Doc(doc.data, doc.where, doc.file)
            out.profile_label = self.patient if isinstance(doc.data, dict) else None  # type: ignore[attr-defined]
            return out, ()
        data = copy.deepcopy(doc.data)
        where = dict(doc.where)
        merge = _Merge(self, spec_id, data, where)
        merge.rules()
        merge.phases()
        merge.sections()
        merge.issues.raise_if_any()
        out = Doc(data, where, doc.file)
        out.profile_label = self.patient  # type: ignore[attr-defined]
        return out, tuple(merge.loosened)


class _Merge:
    """Merging one exercise's overrides into its spec document."""

    def __init__(self, profile: Profile, spec_id: str, data: dict[str, Any], where: dict) -> None:
        self.p = profile
        self.spec_id = spec_id
        self.data = data
        self.where = where
        self.ov = profile.exercises[spec_id]
        self.base: Path_ = ("exercises", spec_id)
        pdoc = profile._doc or Doc({}, {}, profile.source)
        self.pwhere = pdoc.where
        self.issues = Issues(DocReader(pdoc))
        self.loosened: list[dict[str, Any]] = []

    def _set(self, target: dict, key: str, value: Any, spec_path: Path_, prof_path: Path_) -> None:
        target[key] = value
        self.where[spec_path] = self.pwhere.get(self.base + prof_path, (self.p.source, 1))

    def rules(self) -> None:
        rules = self.data.get("rules") if isinstance(self.data.get("rules"), dict) else {}
        for rid, fields in self.ov.get("rules", {}).items():
            rule = rules.get(rid)
            if not isinstance(rule, dict):
                self.issues.add(self.base + ("rules", rid), f"unknown rule for {self.spec_id}, expecting one of "
                                f"[{', '.join(rules)}]")
                continue
            self._safety(rid, rule, fields)
            for key, value in fields.items():
                if key not in ("enabled", "loosen_safety"):
                    self._set(rule, key, value, ("rules", rid, key), ("rules", rid, key))
            if fields.get("enabled") is False:
                del rules[rid]
                for p in self.data.get("phases", []) if isinstance(self.data.get("phases"), list) else []:
                    if isinstance(p, dict) and isinstance(p.get("position"), list) and rid in p["position"]:
                        self.issues.add(self.base + ("rules", rid, "enabled"), f"rule '{rid}' defines the position "
                                        f"of phase '{p.get('id')}' and cannot be turned off")

    def _safety(self, rid: str, rule: dict, fields: dict) -> None:
        """A safety rule may be tightened; loosening it needs the physio's stated reason."""
        path = self.base + ("rules", rid)
        reason = (fields.get("loosen_safety") or {}).get("reason")
        if rule.get("severity") != "safety":
            if "loosen_safety" in fields:
                self.issues.add(path + ("loosen_safety",), f"only a safety rule can be loosened with a reason "
                                f"('{rid}' is {rule.get('severity')}): change its values directly")
            return
        for key, value in fields.items():
            if key == "loosen_safety":
                continue
            before = rule.get(key, _RULE_DEFAULTS.get(key, True if key == "enabled" else None))
            if not loosens(key, before, value):
                continue
            if reason is None:
                self.issues.add(path + (key,), f"loosens the safety rule '{rid}' ({key}: {_show(before)} in the "
                                f"spec, {_show(value)} here); a profile may only tighten a safety rule: to loosen "
                                "it, add loosen_safety: {reason: ...} with the physiotherapist's reason")
            else:
                self.loosened.append({"rule": rid, "field": key, "spec": before, "profile": value,
                                      "reason": reason, "patient": self.p.patient})

    def phases(self) -> None:
        phases = self.data.get("phases") if isinstance(self.data.get("phases"), list) else []
        by_id = {p.get("id"): i for i, p in enumerate(phases) if isinstance(p, dict) and isinstance(p.get("id"), str)}
        targets: list[tuple[Path_, int, dict]] = []
        for pid, fields in self.ov.get("phases", {}).items():
            if pid not in by_id:
                self.issues.add(self.base + ("phases", pid), f"unknown phase for {self.spec_id}, expecting one of "
                                f"[{', '.join(map(str, by_id))}]")
                continue
            targets.append((("phases", pid), by_id[pid], fields))
        for kind in ("hold", "reps"):
            if kind in self.ov:
                hits = [i for i, p in enumerate(phases) if isinstance(p, dict) and p.get("kind") == kind]
                if not hits:
                    self.issues.add(self.base + (kind,), f"{self.spec_id} has no {kind} phase")
                targets.extend(((kind,), i, self.ov[kind]) for i in hits)
        for ppath, i, fields in targets:
            kind = phases[i].get("kind")
            model = schema.PHASE_MODELS.get(kind)
            for key, value in fields.items():
                if model is None or key not in model.model_fields:
                    self.issues.add(self.base + ppath + (key,), f"a {kind} phase has no field '{key}'")
                    continue
                self._set(phases[i], key, value, ("phases", i, key), ppath + (key,))

    def sections(self) -> None:
        for section in ("coaching", "timing"):
            if section not in self.ov:
                continue
            target = self.data.setdefault(section, {})
            if not isinstance(target, dict):
                self.issues.add(self.base + (section,), f"spec {section} is not a mapping")
                continue
            for key, value in self.ov[section].items():
                self._set(target, key, value, (section, key), (section, key))


def loosens(key: str, before: Any, value: Any) -> bool:
    """Does changing a rule's ``key`` from ``before`` to ``value`` make it fault less? A max
    raised, a min lowered, a longer persist_s, a smaller hysteresis, the rule switched off."""
    if key == "enabled":
        return value is False
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not isinstance(before, (int, float)):
        return False   # a bound the rule did not have is an extra check: tighter
    if key.startswith("max_") or key == "persist_s":
        return value > before
    if key.startswith(("min_", "hysteresis_")):
        return value < before
    return False


def _show(v: Any) -> str:
    return fmt_num(float(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v).lower()


# --------------------------------------------------------------------------- loading

def load_profile(path: str | Path) -> Profile:
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"{p}: no such profile file")
    return parse_profile(read_text(p), str(p))


def parse_profile(text: str, file: str = "<profile>", known: dict[str, ExerciseSpec] | None = None) -> Profile:
    """Validate a profile. ``known`` = the specs it may refer to (default: every spec on disk).

    The profile is checked against the typed models, then merged into each spec it names
    and the result validated like a spec: every error is listed, each at the profile's line."""
    try:
        doc = parse_yaml(text, file)
        return _build_profile(doc, known)
    except SpecError:
        raise
    except RecursionError:
        raise SpecError(f"{file}:1: (top): nested too deeply") from None


def _build_profile(doc: Doc, known: dict[str, ExerciseSpec] | None) -> Profile:
    issues, model, data = validate_doc(doc, schema.ProfileDoc)
    exs = data.get("exercises")
    if known is None and isinstance(exs, dict):
        ids = set(spec_ids())
        known = {i: load_spec(spec_dir() / f"{i}.yaml") for i in exs if i in ids}
        known_ids = sorted(ids)
    else:
        known_ids = sorted(known or {})
    clean: dict[str, dict] = {}
    for eid, ov in (exs.items() if isinstance(exs, dict) else ()):
        path: Path_ = ("exercises", eid)
        if eid not in (known or {}):
            issues.add(path, f"unknown exercise, expecting one of [{', '.join(known_ids)}]")
            continue
        if isinstance(ov, dict):
            _check_overrides(known[eid], ov, path, issues)  # type: ignore[index]
            clean[eid] = _without_errors(ov, path, issues)
    patient = model.patient if model is not None else str(data.get("patient", ""))
    note = (model.note or "") if model is not None else ""
    prof = Profile(patient=patient, note=note, exercises=clean, source=doc.file, _doc=doc)
    merged = _check_merged(prof, known or {})   # the rest, merged into the specs: every error at once
    if issues or merged:
        raise SpecError.of(sort_lines(issues.lines() + merged, doc.file))
    return prof


def _without_errors(ov: dict, path: Path_, issues: Issues) -> dict:
    """The overrides without the fields already found wrong (the rest is still checked)."""
    out: dict = {}
    for group, fields in ov.items():
        if issues.has(path + (group,)) and not isinstance(fields, dict):
            continue
        if group in ("rules", "phases") and isinstance(fields, dict):
            out[group] = {k: {f: v for f, v in (val.items() if isinstance(val, dict) else ())
                              if not issues.has(path + (group, k, f))}
                          for k, val in fields.items() if isinstance(val, dict) and not
                          (issues.has(path + (group, k)) and (path + (group, k)) in issues.paths)}
        elif isinstance(fields, dict):
            out[group] = {f: v for f, v in fields.items() if not issues.has(path + (group, f))}
    return out


def _check_overrides(spec: ExerciseSpec, ov: dict, path: Path_, issues: Issues) -> None:
    """Overrides name rules and phases of the spec, with fields of their kind and unit."""
    for rid, fields in (ov.get("rules") or {}).items() if isinstance(ov.get("rules"), dict) else ():
        rp = path + ("rules", rid)
        if rid not in spec.rules:
            issues.add(rp, f"unknown rule for {spec.id}, expecting one of [{', '.join(spec.rules)}]")
            continue
        allowed = _allowed_rule_overrides(spec.rules[rid])
        for key in fields if isinstance(fields, dict) else ():
            if key not in allowed:
                issues.add(rp + (key,), f"cannot override, expecting one of [{', '.join(sorted(allowed))}]")
    groups = [("phases", pid, [p for p in spec.phases if p.id == pid], fields)
              for pid, fields in (ov.get("phases") or {}).items()] if isinstance(ov.get("phases"), dict) else []
    groups += [(kind, None, [p for p in spec.phases if p.kind == kind], ov[kind])
               for kind in ("hold", "reps") if kind in ov]
    for group, pid, phases, fields in groups:
        gp = path + ((group, pid) if pid is not None else (group,))
        if not phases:
            issues.add(gp, f"unknown phase for {spec.id}, expecting one of [{', '.join(p.id for p in spec.phases)}]"
                       if pid is not None else f"{spec.id} has no {group} phase")
            continue
        allowed: set[str] = set()
        for ph in phases:
            model = schema.PHASE_MODELS[ph.kind]
            allowed |= {k for k in schema.PHASE_TUNABLE if k in model.model_fields
                        and not k.startswith(("enter_", "exit_", "min_amplitude_"))}
            if ph.kind == "reps":
                sfx = UNIT_SUFFIX.get(spec.measure_units.get(ph.measure or "", ""), "value")
                allowed |= {f"min_amplitude_{sfx}"} if ph.count == "turning_points" else {f"enter_{sfx}", f"exit_{sfx}"}
        for key in fields if isinstance(fields, dict) else ():
            if key not in allowed:
                issues.add(gp + (key,), f"cannot override, expecting one of [{', '.join(sorted(allowed))}]")


def _allowed_rule_overrides(r: RuleSpec) -> set[str]:
    if r.kind == "timing":
        return {"enabled"} | ({"min_s"} if r.check == "rep_period" else set())
    suffix = UNIT_SUFFIX.get(r.unit or "", "value")
    out = {"enabled", "persist_s", f"min_{suffix}", f"max_{suffix}", f"hysteresis_{suffix}"}
    return out | ({"loosen_safety"} if r.severity == "safety" else set())


def _check_merged(prof: Profile, known: dict[str, ExerciseSpec]) -> list[str]:
    """Each named spec with the profile merged in, validated like a spec: every error."""
    errors: list[str] = []
    for eid in prof.exercises:
        spec = known[eid]
        try:
            text = read_text(Path(spec.source))
        except SpecError:
            continue   # a spec given in memory only (no file): checked when it is loaded
        try:
            parse_spec(text, spec.source, stem=Path(spec.source).stem, profile=prof)
        except SpecError as exc:
            errors.extend(exc.errors)
    return errors

