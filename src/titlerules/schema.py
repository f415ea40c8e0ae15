"""JSON Schema (2020-12) for a policy's applicant documents and for its decisions.

Both are generated from the checked policy: the input schema from the fact schema (types,
bounds, enums, defaults, the applicant key, ``fixed`` as the ``x-fixed`` annotation), the
decision schema from the rule ids, the outcomes and the outputs' types. Systems in other
languages validate against them before calling. What JSON Schema cannot say (a record's
``where`` invariant, such as ``start <= end``) is given in ``$comment``.
"""

from __future__ import annotations

from typing import Any

from . import valuetypes as t
from .decision import Outcome, Verdict

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_DATE = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_YEAR_KEY = {"pattern": "^[0-9]{4}$"}


class _Builder:
    """Turns types into schemas, naming enums and named records under ``$defs``."""

    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}

    def type(self, kind: t.Type, nullable_values: bool = False) -> dict[str, Any]:
        if isinstance(kind, t.NullableType):
            return {"anyOf": [self.type(kind.inner), {"type": "null"}]}
        schema = self._type(kind)
        if nullable_values:
            return {"anyOf": [schema, {"type": "null"}]}
        return schema

    def _type(self, kind: t.Type) -> dict[str, Any]:
        if isinstance(kind, t.BoolType):
            return {"type": "boolean"}
        if isinstance(kind, (t.IntegerType, t.NumberType)):
            out: dict[str, Any] = {"type": "integer" if isinstance(kind, t.IntegerType) else "number"}
            if kind.low is not None:
                out["minimum"] = _number(kind.low)
            if kind.high is not None:
                out["maximum"] = _number(kind.high)
            return out
        if isinstance(kind, t.StringType):
            return {"type": "string"}
        if isinstance(kind, t.DateType):
            return dict(_DATE)
        if isinstance(kind, t.EnumType):
            return self._enum(kind)
        if isinstance(kind, t.RecordType):
            return self._record(kind)
        if isinstance(kind, t.ListType):
            return {"type": "array", "items": self.type(kind.item)} if kind.item else {"type": "array"}
        if isinstance(kind, t.MapType):
            return {"type": "object", "propertyNames": dict(_YEAR_KEY), "additionalProperties": self.type(kind.value)}
        if isinstance(kind, t.NoneType):
            return {"type": "null"}
        return {}

    def _enum(self, kind: t.EnumType) -> dict[str, Any]:
        name = kind.name if kind.accepted is None else f"{kind.name}_{'_'.join(kind.accepted)}"
        if name not in self.defs:
            labels = {m: kind.label(m) for m in kind.allowed}
            self.defs[name] = {
                "enum": list(kind.allowed),
                "description": "; ".join(f"{m}: {label}" for m, label in labels.items()),
            }
        return {"$ref": f"#/$defs/{name}"}

    def _record(self, kind: t.RecordType) -> dict[str, Any]:
        if kind.name is not None and kind.name in self.defs:
            return {"$ref": f"#/$defs/{kind.name}"}
        if kind.name is not None:
            self.defs[kind.name] = {}  # reserve the name before the fields, for recursion
        properties: dict[str, Any] = {}
        required: list[str] = []
        for field in kind.fields:
            schema = self.type(field.type)
            if field.has_default:
                schema = {**schema, "default": _json_default(field.default)}
            if field.fixed:
                schema = {**schema, "x-fixed": True, "description": "fixed history: never suggested to change"}
            properties[field.name] = schema
            if field.is_key:
                required.append(field.name)
        out: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            out["required"] = required
        if kind.invariant_text:
            out["$comment"] = f"also: {kind.invariant_text}"
        if kind.name is not None:
            self.defs[kind.name] = out
            return {"$ref": f"#/$defs/{kind.name}"}
        return out


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _json_default(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value


def input_schema(policy: Any) -> dict[str, Any]:
    """The JSON Schema of the applicant documents ``policy`` reads.

    Keys the schema does not declare are allowed (the evaluator warns and ignores them).
    """
    builder = _Builder()
    root = builder.type(policy.checked.schema)
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": f"urn:titlerules:{policy.id}:input",
        "title": f"Applicant document for {policy.id}",
        **root,
    }
    if builder.defs:
        schema["$defs"] = builder.defs
    return schema


def decision_schema(policy: Any) -> dict[str, Any]:
    """The JSON Schema of ``policy``'s decisions (``Decision.to_dict()``), explained or not:
    every top-level rule once, in policy order; the outputs with their types (``null``
    where unknown); the ``next`` and ``next_steps`` keys of an explanation."""
    builder = _Builder()
    message = {
        "type": "object",
        "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
        "required": ["zh", "en"],
    }
    nullable_date = {"anyOf": [dict(_DATE), {"type": "null"}]}
    change = {
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "kind": {"enum": ["set", "remove", "supply"]},
            "from": {},
            "to": {},
            "by": dict(_DATE),
            "choices": {"type": "array"},
        },
        "required": ["path", "kind", "from", "to"],
    }
    outcome = {"enum": [str(o) for o in Outcome]}
    defs: dict[str, Any] = {
        "message": message,
        "outcome": outcome,
        "change": change,
        "remedy": {
            "type": "object",
            "properties": {
                "changes": {"type": "array", "items": {"$ref": "#/$defs/change"}},
                "outcome_after": {"anyOf": [{"$ref": "#/$defs/outcome"}, {"type": "null"}]},
                "verdict_after": {"anyOf": [{"enum": [str(v) for v in Verdict]}, {"type": "null"}]},
            },
            "required": ["changes", "outcome_after", "verdict_after"],
        },
        "next": {
            "type": "object",
            "properties": {
                "kind": {"enum": ["blocked", "change", "missing", "todo"]},
                "advice": {"anyOf": [{"$ref": "#/$defs/message"}, {"type": "null"}]},
                "deadline": nullable_date,
                "remedies": {"type": "array", "items": {"$ref": "#/$defs/remedy"}},
                "obstacles": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "kind": {"enum": ["fixed", "deadline", "unsolvable"]},
                            "condition": {"type": "string"},
                            "facts": {"type": "object"},
                            "deadline": nullable_date,
                            "message": {"$ref": "#/$defs/message"},
                        },
                        "required": ["kind", "condition", "facts", "deadline", "message"],
                    },
                },
                "missing": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "path": {"type": "string"},
                            "leads_to": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {"outcome": {"$ref": "#/$defs/outcome"}, "values": {"type": "array"}},
                                    "required": ["outcome", "values"],
                                },
                            },
                        },
                        "required": ["path", "leads_to"],
                    },
                },
                "possible_outcomes": {"type": "array", "items": {"$ref": "#/$defs/outcome"}},
            },
            "required": ["kind", "advice", "deadline", "remedies", "obstacles", "missing", "possible_outcomes"],
        },
        "finding": {
            "type": "object",
            "properties": {
                "rule": {"type": "string"},
                "outcome": {"$ref": "#/$defs/outcome"},
                "cite": {"type": "string"},
                "title": {"$ref": "#/$defs/message"},
                "message": {"$ref": "#/$defs/message"},
                "facts": {"type": "object"},
                "missing": {"type": "array", "items": {"type": "string"}},
                "deadline": nullable_date,
                "note": {"anyOf": [{"$ref": "#/$defs/message"}, {"type": "null"}]},
                "children": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
                "next": {"$ref": "#/$defs/next"},
            },
            "required": ["rule", "outcome", "cite", "title", "message", "facts", "missing", "deadline", "note"],
        },
    }
    rule_ids = [rule.id for rule in policy.checked.rules]
    findings = {
        "type": "array",
        "prefixItems": [
            {"allOf": [{"$ref": "#/$defs/finding"}, {"properties": {"rule": {"const": rule_id}}}]}
            for rule_id in rule_ids
        ],
        "items": False,
        "minItems": len(rule_ids),
    }
    properties: dict[str, Any] = {
        "applicant": {"type": ["string", "null"]},
        "policy": {"const": policy.id},
        "verdict": {"enum": [str(v) for v in Verdict]},
        "findings": findings,
    }
    for output in policy.checked.outputs:
        properties[output.name] = builder.type(output.value.type, nullable_values=True)
    properties["as_of"] = nullable_date
    properties["provenance"] = {
        "type": "object",
        "description": "What replays the decision (titlerules replay): with the policy id and as_of above.",
        "properties": {
            "policy_sha256": {
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
                "description": "SHA-256 of the policy's UTF-8 text (then its ancestors' texts, for extends)",
            },
            "document_sha256": {
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
                "description": "SHA-256 of the document's canonical JSON: keys sorted, no whitespace, UTF-8",
            },
            "titlerules_version": {"type": "string", "description": "the library version that decided"},
        },
        "required": ["policy_sha256", "document_sha256", "titlerules_version"],
        "additionalProperties": False,
    }
    properties["warnings"] = {"type": "array", "items": {"type": "string"}}
    properties["next_steps"] = {
        "type": "object",
        "properties": {
            "order": {"type": "array", "items": {"type": "string"}},
            "summary": {"$ref": "#/$defs/message"},
            "combined": {"anyOf": [{"$ref": "#/$defs/remedy"}, {"type": "null"}]},
        },
        "required": ["order", "summary", "combined"],
    }
    required = ["applicant", "policy", "verdict", "findings", *(o.name for o in policy.checked.outputs)]
    required += ["as_of", "provenance", "warnings"]
    return {
        "$schema": DIALECT,
        "$id": f"urn:titlerules:{policy.id}:decision",
        "title": f"Decision of {policy.id}",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        "$defs": {**defs, **builder.defs},
    }
