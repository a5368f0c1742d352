"""Physio profiles: per-person overrides of a spec's thresholds, holds and rep targets.

A profile is validated on its own (:func:`parse_profile`: known exercises, rules, phases and
fields) and again merged into the spec when that is loaded (``load_spec(id, profile=...)``),
so an error in an overridden field names the profile's file and line.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach.spec.library import read_text, load_spec, spec_dir, spec_ids
from coach.spec.loading import Path_, SpecError, DocReader, Doc, dotted, parse_yaml
from coach.spec.models import UNIT_SUFFIX, CoachingSpec, ExerciseSpec, PhaseSpec, RuleSpec
from coach.spec.validation import _PHASE_FIELDS


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
    _doc: Doc | None = field(default=None, repr=False)

    def apply(self, spec_id: Any, doc: Doc) -> Doc:
        """Return a copy of the spec document with this profile's overrides merged in."""
        if not isinstance(spec_id, str) or spec_id not in self.exercises or not isinstance(doc.data, dict):
            doc = Doc(doc.data, doc.where, doc.file)
            doc.profile_label = self.patient if isinstance(doc.data, dict) else None  # type: ignore[attr-defined]
            return doc
        data = copy.deepcopy(doc.data)
        where = dict(doc.where)
        ov = self.exercises[spec_id]
        pwhere = self._doc.where if self._doc is not None else {}
        base = ("exercises", spec_id)
        ctx = DocReader(self._doc) if self._doc is not None else None

        def err(path: Path_, msg: str) -> SpecError:
            if ctx is not None:
                return ctx.err(base + path, msg)
            return SpecError(f"{self.source}:1: {dotted(base + path)}: {msg}")

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
        out = Doc(data, where, doc.file)
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
    return parse_profile(read_text(p), str(p))


def parse_profile(text: str, file: str = "<profile>", known: dict[str, ExerciseSpec] | None = None) -> Profile:
    """Validate a profile. ``known`` = the specs it may refer to (default: every spec on disk).

    The merged result is validated again when a spec is loaded with the profile, so
    out-of-range overrides (``min_s`` above ``target_s``...) are caught with the profile's line.
    """
    try:
        doc = parse_yaml(text, file)
        return _build_profile(DocReader(doc), known)
    except SpecError:
        raise
    except RecursionError:
        raise SpecError(f"{file}:1: (top): nested too deeply") from None


def _build_profile(ctx: DocReader, known: dict[str, ExerciseSpec] | None) -> Profile:
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


def _check_phase_override(ctx: DocReader, fields: Any, path: Path_, phases: list[PhaseSpec]) -> dict:
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
