"""AST to checked policy: resolve every name, give every expression a type, fold parameters.

The checker reports every problem it finds at once, each located in the source with a
"did you mean" where a name is close to a known one. Its output, :class:`ir.CheckedPolicy`,
is all the compiler needs.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import attrs

from . import ir
from . import nodes as n
from . import valuetypes as t
from .errors import Diagnostic, EvaluationError, PolicyError, SourceText, did_you_mean
from .runtime import FUNCTIONS, fold

RESERVED_OUTPUTS = frozenset({"applicant", "policy", "verdict", "findings", "as_of", "provenance", "warnings", "error"})
BUILTIN_NAMES = ("as_of", "application_year")
_ORDERING = ("<", "<=", ">", ">=")


class _UnresolvedError(Exception):
    """A name that is not bound; the caller decides whether an enum member fits."""


class Scope:
    """Names bound inside a rule: loop variables, ``let``s and ``show``s, innermost last."""

    def __init__(self, frames: tuple[dict[str, t.Type], ...] = ()) -> None:
        self.frames = frames

    def lookup(self, name: str) -> t.Type | None:
        for frame in reversed(self.frames):
            if name in frame:
                return frame[name]
        return None

    def names(self) -> Iterator[str]:
        for frame in self.frames:
            yield from frame

    def push(self, frame: dict[str, t.Type] | None = None) -> Scope:
        return Scope((*self.frames, frame if frame is not None else {}))

    def bind(self, name: str, type_: t.Type) -> None:
        self.frames[-1][name] = type_


class _Checker:
    def __init__(self, policy_file: n.PolicyFile, source: str, inherited: tuple[tuple[str, str], ...] = ()) -> None:
        self.file = policy_file
        self.source = SourceText(source, policy_file.filename)
        self.inherited = inherited
        # A derived policy's parent declarations carry spans into the parent's file.
        self.sources = {name: SourceText(text, name) for name, text in inherited}
        self.problems: list[Diagnostic] = []
        decls = policy_file.declarations
        self.headers = [d for d in decls if isinstance(d, n.PolicyHeader)]
        self.enum_decls = self._unique([d for d in decls if isinstance(d, n.EnumDecl)], "enum")
        self.type_decls = self._unique([d for d in decls if isinstance(d, n.TypeDecl)], "type")
        self.param_decls = self._unique([d for d in decls if isinstance(d, n.ParamDecl)], "parameter")
        self.table_decls = self._unique([d for d in decls if isinstance(d, n.TableDecl)], "table")
        self.derived_decls = self._unique([d for d in decls if isinstance(d, n.LetDecl)], "derived fact")
        self.facts_decls = [d for d in decls if isinstance(d, n.FactsDecl)]
        self.clause_decls = [d for d in decls if isinstance(d, n.ClauseDecl)]
        self.rule_decls = [d for d in decls if isinstance(d, n.RuleDecl)]
        self.output_decls = [d for d in decls if isinstance(d, n.OutputDecl)]
        self.enums: dict[str, t.EnumType] = {}
        self.types: dict[str, t.Type] = {}
        self.types_in_progress: set[str] = set()
        self.params: dict[str, ir.ParamInfo] = {}
        self.params_in_progress: set[str] = set()
        self.tables: dict[str, ir.TableInfo] = {}
        self.derived: dict[str, ir.DerivedInfo] = {}
        self.derived_in_progress: set[str] = set()
        self.fact_fields: dict[str, t.Field] = {}
        self.year: int | None = None
        self._check_namespaces()

    # ---- bookkeeping -------------------------------------------------------------------

    def error(self, span: n.Span, message: str, code: str, hint: str | None = None) -> None:
        self.problems.append(self._source_for(span).at(span, message, code, hint))

    def _source_for(self, span: n.Span) -> SourceText:
        return self.sources.get(span.file, self.source) if span.file else self.source

    def _unique(self, decls: list[Any], kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for decl in decls:
            if decl.name in out:
                first = out[decl.name].span
                self.error(
                    decl.span,
                    f"{kind} '{decl.name}' is declared twice (first at line {first.line})",
                    "duplicate",
                )
                continue
            out[decl.name] = decl
        return out

    def _check_namespaces(self) -> None:
        """A value name means one thing: a fact, a parameter, a table or a derived fact."""
        seen: dict[str, tuple[str, n.Span]] = {}
        fact_decls = [f for d in self.facts_decls for f in d.fields]
        groups: list[tuple[str, Iterable[Any]]] = [
            ("fact", fact_decls),
            ("parameter", self.param_decls.values()),
            ("table", self.table_decls.values()),
            ("derived fact", self.derived_decls.values()),
        ]
        for kind, decls in groups:
            for decl in decls:
                if decl.name in BUILTIN_NAMES:
                    self.error(decl.span, f"'{decl.name}' is a built-in name; choose another", "reserved")
                if decl.name in seen and seen[decl.name][0] != kind:
                    other, span = seen[decl.name]
                    self.error(
                        decl.span,
                        f"'{decl.name}' is already a {other} (line {span.line})",
                        "duplicate",
                    )
                seen.setdefault(decl.name, (kind, decl.span))

    # ---- the whole policy ----------------------------------------------------------------

    def check(self) -> ir.CheckedPolicy:
        header = self._header()
        for decl in self.enum_decls.values():
            self._enum(decl)
        for name, decl in self.type_decls.items():
            if name in self.enum_decls:
                self.error(decl.span, f"'{name}' is already an enum", "duplicate")
            self._named_type(name, decl.span)
        schema = self._facts()
        for name, decl in self.param_decls.items():
            self._param(name, decl.span)
        for decl in self.table_decls.values():
            self._table(decl)
        for name, decl in self.derived_decls.items():
            self._derived(name, decl.span)
        clauses = self._clauses()
        rules = self._rules(clauses)
        outputs = self._outputs()
        if self.problems:
            raise PolicyError(sorted(self.problems, key=lambda d: (d.filename != self.file.filename, d.line, d.column)))
        key_fields = [f.name for f in schema.fields if f.is_key]
        return ir.CheckedPolicy(
            id=header.id if header else "",
            title=self._message(header.title, Scope()) if header and header.title else None,
            document=header.document if header else None,
            issuer=header.issuer if header else None,
            year=header.year if header else None,
            filename=self.file.filename,
            source=self.source.text,
            schema=schema,
            key_field=key_fields[0] if key_fields else None,
            enums=tuple(self.enums.values()),
            params=tuple(self.params[name] for name in self.param_decls if name in self.params),
            tables=tuple(self.tables.values()),
            derived=tuple(self.derived[name] for name in self.derived_decls if name in self.derived),
            clauses=tuple(clauses.values()),
            rules=tuple(rules),
            outputs=tuple(outputs),
            inherited=self.inherited,
        )

    def _header(self) -> n.PolicyHeader | None:
        if not self.headers:
            self.problems.append(
                self.source.diagnostic(1, 1, 'a policy starts with a header: policy "id" { ... }', "no-header")
            )
            return None
        for extra in self.headers[1:]:
            self.error(extra.span, "a policy has one header", "duplicate")
        header = self.headers[0]
        if not header.id.strip():
            self.error(header.span, "the policy id is empty", "no-header")
        self.year = header.year
        return header

    # ---- types ---------------------------------------------------------------------------

    def _enum(self, decl: n.EnumDecl) -> t.EnumType:
        if decl.name in self.enums:
            return self.enums[decl.name]
        names: list[str] = []
        for member in decl.members:
            if member.name in names:
                self.error(member.span, f"'{member.name}' is listed twice in {decl.name}", "duplicate")
                continue
            names.append(member.name)
        labels = tuple(next(m.label for m in decl.members if m.name == name) for name in names)
        enum = t.EnumType(decl.name, tuple(names), labels, decl.ordered)
        self.enums[decl.name] = enum
        return enum

    def _named_type(self, name: str, span: n.Span) -> t.Type:
        if name in self.types:
            return self.types[name]
        if name in self.types_in_progress:
            self.error(span, f"type '{name}' contains itself", "recursive-type")
            return t.ANY
        self.types_in_progress.add(name)
        decl = self.type_decls[name]
        if isinstance(decl.type, n.RecordTypeExpr):
            resolved: t.Type = self._record_body(decl.type, name)
        else:
            resolved = self._type(decl.type)
        self.types_in_progress.discard(name)
        self.types[name] = resolved
        return resolved

    def _restrict(self, expr: n.NamedTypeExpr, resolved: t.Type) -> t.Type:
        """``Enum(a, b)``: the enum, accepting only the listed members in documents."""
        if expr.members is None:
            return resolved
        if not isinstance(resolved, t.EnumType):
            self.error(expr.span, f"only an enum can be restricted, not {resolved.describe()}", "type")
            return resolved
        accepted: list[str] = []
        for member in expr.members:
            if member not in resolved.allowed:
                self.error(
                    expr.span,
                    f"{resolved.name} has no member '{member}'",
                    "unknown-name",
                    did_you_mean(member, resolved.allowed),
                )
            elif member not in accepted:
                accepted.append(member)
        return attrs.evolve(resolved, accepted=tuple(accepted))

    def _type(self, expr: n.TypeExpr) -> t.Type:
        if isinstance(expr, n.PrimitiveTypeExpr):
            if expr.name in ("integer", "number"):
                low = self._bound(expr.low)
                high = self._bound(expr.high)
                if low is not None and high is not None and low > high:
                    self.error(expr.span, f"empty range {low}..{high}", "empty-range")
                cls = t.IntegerType if expr.name == "integer" else t.NumberType
                return cls(low, high)
            simple: dict[str, t.Type] = {"bool": t.BOOL, "string": t.STRING, "date": t.DATE}
            return simple[expr.name]
        if isinstance(expr, n.NamedTypeExpr):
            if expr.name in self.enum_decls:
                return self._restrict(expr, self._enum(self.enum_decls[expr.name]))
            if expr.name in self.type_decls:
                return self._restrict(expr, self._named_type(expr.name, expr.span))
            known = [*self.enum_decls, *self.type_decls, "bool", "integer", "number", "string", "date"]
            self.error(expr.span, f"unknown type '{expr.name}'", "unknown-type", did_you_mean(expr.name, known))
            return t.ANY
        if isinstance(expr, n.RecordTypeExpr):
            return self._record_body(expr, None)
        if isinstance(expr, n.ListTypeExpr):
            return t.ListType(self._type(expr.item))
        if isinstance(expr, n.MapTypeExpr):
            return t.MapType(self._type(expr.value))
        inner = self._type(expr.inner)
        if isinstance(inner, t.NullableType):
            return inner
        return t.NullableType(inner)

    def _bound(self, expr: n.Expr | None) -> float | None:
        if expr is None:
            return None
        checked = self.expr(expr, Scope(), constant=True)
        if not t.is_numeric(checked.type):
            self.error(expr.span, "a bound must be a number", "type")
            return None
        value = self._fold(checked)
        return value if isinstance(value, (int, float)) else None

    def _record_body(self, body: n.RecordTypeExpr, name: str | None) -> t.RecordType:
        fields: list[t.Field] = []
        seen: set[str] = set()
        for decl in body.fields:
            if decl.name in seen:
                self.error(decl.span, f"field '{decl.name}' is declared twice", "duplicate")
                continue
            seen.add(decl.name)
            fields.append(self._field(decl, top_level=False))
        record = t.RecordType(name, tuple(fields))
        if body.invariant is None:
            return record
        scope = Scope(({f.name: f.type for f in fields},))
        invariant = self.expr(body.invariant, scope, expect=t.BOOL)
        return t.RecordType(
            name,
            tuple(fields),
            invariant=invariant,
            invariant_text=self._source_of(body.invariant.span),
        )

    def _source_of(self, span: n.Span) -> str:
        source = self._source_for(span)
        if span.line != span.end_line:
            return " ".join((source.line(i) or "").strip() for i in range(span.line, span.end_line + 1))
        return (source.line(span.line) or "")[span.column - 1 : span.end_column - 1]

    def _field(self, decl: n.FieldDecl, top_level: bool) -> t.Field:
        type_ = self._type(decl.type)
        if decl.is_key:
            if not top_level:
                self.error(decl.span, "only a top-level fact can be the applicant key", "key")
            if not isinstance(type_, t.StringType):
                self.error(decl.span, "the applicant key must be a string", "key")
            if decl.default is not None:
                self.error(decl.span, "the applicant key cannot have a default", "key")
        if decl.default is None:
            return t.Field(decl.name, type_, is_key=decl.is_key, fixed=decl.fixed)
        checked = self.expr(decl.default, Scope(), hint=type_, constant=True)
        if not t.assignable(checked.type, type_):
            self.error(
                decl.default.span,
                f"default of type {checked.type.describe()} does not fit {type_.describe()}",
                "type",
            )
        return t.Field(decl.name, type_, self._fold(checked), True, decl.is_key, decl.fixed)

    def _facts(self) -> t.RecordType:
        fields: list[t.Field] = []
        for decl in self.facts_decls:
            for field_decl in decl.fields:
                if field_decl.name in self.fact_fields:
                    self.error(field_decl.span, f"fact '{field_decl.name}' is declared twice", "duplicate")
                    continue
                field = self._field(field_decl, top_level=True)
                self.fact_fields[field_decl.name] = field
                fields.append(field)
        keys = [f for f in fields if f.is_key]
        for extra in keys[1:]:
            extra_decl = next(d for fd in self.facts_decls for d in fd.fields if d.name == extra.name)
            self.error(extra_decl.span, "only one fact can be the applicant key", "key")
        return t.RecordType(None, tuple(fields))

    # ---- parameters, tables, derived facts ------------------------------------------------

    def _param(self, name: str, span: n.Span) -> ir.ParamInfo | None:
        if name in self.params:
            return self.params[name]
        if name in self.params_in_progress:
            self.error(span, f"parameter '{name}' is defined in terms of itself", "cycle")
            return None
        decl = self.param_decls[name]
        self.params_in_progress.add(name)
        checked = self.expr(decl.value, Scope(), constant=True)
        self.params_in_progress.discard(name)
        info = ir.ParamInfo(name, self._fold(checked), checked.type, decl.span)
        self.params[name] = info
        return info

    def _fold(self, expr: ir.Expr) -> Any:
        try:
            return fold(expr)
        except ValueError as error:
            self.error(expr.span, str(error), "not-constant")
            return None
        except EvaluationError as error:  # division by zero, overflow, a date out of range
            self.error(expr.span, f"this constant cannot be computed: {error}", "bad-constant")
            return None
        except TypeError:
            return None  # operands of the wrong type: already reported as a type error

    def _table(self, decl: n.TableDecl) -> ir.TableInfo:
        key_type = self._type(decl.key_type)
        if isinstance(key_type, t.IntegerType):
            key_type = t.INTEGER
        elif not isinstance(key_type, (t.EnumType, t.StringType, t.AnyType)):
            self.error(
                decl.key_type.span,
                f"a table is keyed by an enum, string or integer, not {key_type.describe()}",
                "type",
            )
            key_type = t.ANY
        entries: list[tuple[Any, Any]] = []
        value_type: t.Type | None = None
        for entry in decl.entries:
            key = self._table_key(entry, key_type)
            if key is not None and any(k == key for k, _ in entries):
                self.error(entry.span, f"key {entry.key!r} is given twice", "duplicate")
                continue
            checked = self.expr(entry.value, Scope(), hint=value_type, constant=True)
            value_type = self._merge_value_type(value_type, checked, entry.value.span)
            entries.append((key, self._fold(checked)))
        otherwise: Any = None
        if decl.otherwise is not None:
            checked = self.expr(decl.otherwise, Scope(), hint=value_type, constant=True)
            value_type = self._merge_value_type(value_type, checked, decl.otherwise.span)
            otherwise = self._fold(checked)
        elif isinstance(key_type, t.EnumType):
            missing = [m for m in key_type.allowed if m not in {k for k, _ in entries}]
            if missing:
                self.error(
                    decl.span,
                    f"table '{decl.name}' has no row for {', '.join(missing)} (add the rows or an 'else')",
                    "incomplete-table",
                )
        elif not isinstance(key_type, t.AnyType):
            self.error(
                decl.span,
                f"table '{decl.name}' is keyed by {key_type.describe()}: it needs an 'else' row",
                "incomplete-table",
            )
        info = ir.TableInfo(
            decl.name,
            key_type,
            tuple(entries),
            otherwise,
            decl.otherwise is not None,
            value_type or t.ANY,
            decl.span,
        )
        self.tables[decl.name] = info
        return info

    def _merge_value_type(self, current: t.Type | None, checked: ir.Expr, span: n.Span) -> t.Type:
        if current is None:
            return checked.type
        merged = t.unify(current, checked.type)
        if merged is None:
            self.error(
                span,
                f"row of type {checked.type.describe()} in a table of {current.describe()}",
                "type",
            )
            return current
        return merged

    def _table_key(self, entry: n.TableEntry, key_type: t.Type) -> Any:
        if isinstance(key_type, t.EnumType):
            if not entry.key_is_name or entry.key not in key_type.allowed:
                self.error(
                    entry.span,
                    f"{entry.key!r} is not a member of {key_type.describe()}",
                    "unknown-name",
                    did_you_mean(str(entry.key), key_type.allowed),
                )
                return None
            return entry.key
        if (isinstance(key_type, t.StringType) and not isinstance(entry.key, str)) or entry.key_is_name:
            if not isinstance(key_type, t.AnyType):
                self.error(entry.span, f"a key of this table is a {key_type.describe()} literal", "type")
            return None
        if isinstance(key_type, t.IntegerType) and not isinstance(entry.key, int):
            self.error(entry.span, "a key of this table is an integer", "type")
            return None
        return entry.key

    def _derived(self, name: str, span: n.Span) -> ir.DerivedInfo | None:
        if name in self.derived:
            return self.derived[name]
        if name in self.derived_in_progress:
            self.error(span, f"derived fact '{name}' is defined in terms of itself", "cycle")
            return None
        decl = self.derived_decls[name]
        self.derived_in_progress.add(name)
        value = self.expr(decl.value, Scope())
        self.derived_in_progress.discard(name)
        info = ir.DerivedInfo(name, value, decl.span)
        self.derived[name] = info
        return info

    # ---- clauses, rules, outputs ------------------------------------------------------------

    def _clauses(self) -> dict[str, ir.Clause]:
        clauses: dict[str, ir.Clause] = {}
        for decl in self.clause_decls:
            if decl.id in clauses:
                self.error(decl.span, f"clause {decl.id} is declared twice", "duplicate")
                continue
            clauses[decl.id] = ir.Clause(
                decl.id,
                decl.heading,
                decl.quote,
                tuple(self._message(u, Scope()) for u in decl.unchecked),
                decl.span,
            )
        return clauses

    def _rules(self, clauses: Mapping[str, ir.Clause]) -> list[ir.Rule]:
        rules: list[ir.Rule] = []
        seen: dict[str, n.Span] = {}
        for decl in self.rule_decls:
            if decl.id in seen:
                self.error(
                    decl.span,
                    f"rule '{decl.id}' is declared twice (first at line {seen[decl.id].line})",
                    "duplicate",
                )
                continue
            seen[decl.id] = decl.span
            if not decl.cites:
                self.error(
                    decl.span,
                    f"rule '{decl.id}' cites no clause of the notice (add: cite \"...\")",
                    "no-cite",
                )
            for cite, span in zip(decl.cites, decl.cite_spans, strict=True):
                if clauses and cite not in clauses:
                    self.error(
                        span,
                        f"clause {cite} is not declared",
                        "unknown-clause",
                        did_you_mean(cite, clauses),
                    )
            if decl.body.title is None:
                self.error(decl.span, f'rule \'{decl.id}\' has no title (add: title zh "..." en "...")', "no-title")
            body = self._block(decl.body, Scope(({},)), in_child=False)
            note = self._message(decl.note, Scope()) if decl.note else None
            rules.append(ir.Rule(decl.id, decl.cites, note, body, decl.span))
        return rules

    def _block(self, block: n.Block, scope: Scope, in_child: bool) -> ir.Block:
        scope = scope.push()
        lets: list[ir.LetStmt] = []
        exceptions: list[ir.ExceptionCase] = []
        requirements: list[ir.Requirement] = []
        children: list[ir.Child] = []
        child_names: set[str] = set()
        for stmt in block.statements:
            if isinstance(stmt, (n.LetDecl, n.ShowStmt)):
                if scope.frames[-1].get(stmt.name) is not None:
                    self.error(stmt.span, f"'{stmt.name}' is already bound in this block", "duplicate")
                value = self.expr(stmt.value, scope)
                scope.bind(stmt.name, value.type)
                lets.append(ir.LetStmt(stmt.name, value, isinstance(stmt, n.ShowStmt), stmt.span))
            elif isinstance(stmt, n.RequireStmt):
                requirements.append(self._requirement(stmt, scope))
            elif isinstance(stmt, n.ExceptionStmt):
                if stmt.outcome == "exempt" and not in_child:
                    self.error(
                        stmt.span,
                        "'exempt' is an outcome of a child (inside 'each' or 'child'); a rule uses 'not_applicable'",
                        "outcome",
                    )
                condition = self.expr(stmt.condition, scope, expect=t.BOOL)
                message = self._message(stmt.message, scope) if stmt.message else None
                exceptions.append(ir.ExceptionCase(stmt.outcome, condition, message, stmt.span))
            elif isinstance(stmt, n.EachChild):
                iterable, item = self._iterable(stmt.iterable, scope, "each")
                inner = scope.push({stmt.var: item})
                body = self._block(stmt.body, inner, in_child=True)
                children.append(ir.Child(None, stmt.var, iterable, body, stmt.span))
            elif isinstance(stmt, n.NamedChild):
                if stmt.name in child_names:
                    self.error(stmt.span, f"child '{stmt.name}' is declared twice", "duplicate")
                child_names.add(stmt.name)
                body = self._block(stmt.body, scope, in_child=True)
                children.append(ir.Child(stmt.name, None, None, body, stmt.span))
        title = self._message(block.title, scope) if block.title else None
        pass_message = self._message(block.pass_message, scope) if block.pass_message else None
        return ir.Block(
            title,
            tuple(lets),
            tuple(exceptions),
            tuple(requirements),
            tuple(children),
            pass_message,
            block.span,
        )

    def _requirement(self, stmt: n.RequireStmt, scope: Scope) -> ir.Requirement:
        when = self.expr(stmt.when, scope, expect=t.BOOL) if stmt.when is not None else None
        until = self.expr(stmt.until, scope, expect=t.DATE) if stmt.until is not None else None
        if stmt.by is not None:
            subject = self.expr(stmt.condition, scope, expect=t.DATE)
            deadline: ir.Expr | None = self.expr(stmt.by, scope, expect=t.DATE)
            if stmt.else_action:
                self.error(
                    stmt.span,
                    "'require ... by' already means: absent is an action until the deadline",
                    "outcome",
                )
            kind = "step"
            condition = subject
        else:
            condition = self.expr(stmt.condition, scope, expect=t.BOOL)
            deadline = None
            kind = "condition"
        requirement = ir.Requirement(
            kind,
            condition,
            deadline,
            when,
            "action" if stmt.else_action else "fail",
            until,
            tuple((m.outcome, self._message(m.text, scope)) for m in stmt.messages),
            stmt.span,
        )
        possible = requirement.outcomes()
        seen: set[str] = set()
        for message in stmt.messages:
            if message.outcome in seen:
                self.error(message.span, f"a second '{message.outcome}' message", "duplicate")
            seen.add(message.outcome)
            if message.outcome not in possible:
                self.error(
                    message.span,
                    f"this requirement never decides '{message.outcome}' "
                    f"(it can decide: {', '.join(o for o in possible if o != 'pass')})",
                    "outcome",
                )
        return requirement

    def _outputs(self) -> list[ir.Output]:
        outputs: list[ir.Output] = []
        seen: set[str] = set()
        for decl in self.output_decls:
            if decl.name in RESERVED_OUTPUTS:
                self.error(
                    decl.span,
                    f"'{decl.name}' is a key of the decision itself; name the output otherwise",
                    "reserved",
                )
            if decl.name in seen:
                self.error(decl.span, f"output '{decl.name}' is declared twice", "duplicate")
            seen.add(decl.name)
            value = self.expr(decl.value, Scope())
            label = self._message(decl.label, Scope()) if decl.label else None
            outputs.append(ir.Output(decl.name, label, value, decl.span))
        return outputs

    def _message(self, text: n.Text, scope: Scope) -> ir.Message:
        return ir.Message(self._template(text.zh, scope), self._template(text.en, scope))

    def _template(self, template: n.Template, scope: Scope) -> ir.Interpolate:
        parts = tuple(p if isinstance(p, str) else self.expr(p, scope) for p in template.parts)
        return ir.Interpolate(parts, t.STRING, template.span)

    # ---- expressions --------------------------------------------------------------------------

    def expr(
        self,
        e: n.Expr,
        scope: Scope,
        *,
        hint: t.Type | None = None,
        expect: t.Type | None = None,
        constant: bool = False,
    ) -> ir.Expr:
        """Check ``e``; ``hint`` resolves bare enum members, ``expect`` is enforced."""
        with self._constant(constant):
            checked = self._expr(e, scope, hint or expect)
        if expect is not None and not t.assignable(checked.type, expect):
            self.error(
                e.span,
                f"expected {expect.describe()}, but this is {checked.type.describe()}",
                "type",
            )
        return checked

    _in_constant = False

    @contextmanager
    def _constant(self, constant: bool) -> Iterator[None]:
        previous = self._in_constant
        self._in_constant = previous or constant
        try:
            yield
        finally:
            self._in_constant = previous

    def _expr(self, e: n.Expr, scope: Scope, hint: t.Type | None) -> ir.Expr:
        method = getattr(self, "_e_" + type(e).__name__)
        result: ir.Expr = method(e, scope, hint)
        return result

    def _e_Literal(self, e: n.Literal, scope: Scope, hint: t.Type | None) -> ir.Expr:
        value = e.value
        if value is None:
            return ir.Const(None, t.NONE, e.span)
        if isinstance(value, bool):
            return ir.Const(value, t.BOOL, e.span)
        if isinstance(value, int):
            return ir.Const(value, t.INTEGER, e.span)
        if isinstance(value, float):
            return ir.Const(value, t.NUMBER, e.span)
        if isinstance(value, datetime.date):
            return ir.Const(value, t.DATE, e.span)
        return ir.Const(value, t.STRING, e.span)

    def _e_Template(self, e: n.Template, scope: Scope, hint: t.Type | None) -> ir.Expr:
        if self._in_constant:
            self.error(e.span, "a constant cannot interpolate '{...}'", "not-constant")
        return self._template(e, scope)

    def _e_Name(self, e: n.Name, scope: Scope, hint: t.Type | None) -> ir.Expr:
        try:
            return self._resolve(e, scope)
        except _UnresolvedError:
            pass
        member = self._enum_member(e.name, hint)
        if member is not None:
            return member_const(member, e.name, e.span)
        known = [*scope.names(), *self.param_decls, *self.derived_decls, *self.fact_fields]
        known += [*BUILTIN_NAMES, *self.table_decls]
        if isinstance(hint, t.EnumType):
            known += hint.members
        else:
            known += [m for enum in self.enums.values() for m in enum.members]
        owners = [enum.name for enum in self.enums.values() if e.name in enum.members]
        if len(owners) > 1:
            self.error(
                e.span,
                f"'{e.name}' is a member of {' and '.join(owners)}; write "
                + " or ".join(f"{owner}.{e.name}" for owner in owners),
                "ambiguous-name",
            )
        elif e.name in self.enum_decls:
            self.error(
                e.span, f"'{e.name}' is an enum; name a member, as in {e.name}.{self.enums[e.name].members[0]}", "type"
            )
        else:
            self.error(e.span, f"unknown name '{e.name}'", "unknown-name", did_you_mean(e.name, known))
        return ir.Const(None, t.ANY, e.span)

    def _resolve(self, e: n.Name, scope: Scope) -> ir.Expr:
        """The binding of a bare name, or :class:`_UnresolvedError`."""
        name = e.name
        local = scope.lookup(name)
        if local is not None:
            if self._in_constant:
                self.error(e.span, f"'{name}' is not a constant", "not-constant")
            return ir.Local(name, local, e.span)
        if name in self.param_decls:
            info = self._param(name, e.span)
            if info is None:
                return ir.Const(None, t.ANY, e.span)
            return ir.Param(name, info.value, info.type, e.span)
        if name in self.table_decls:
            self.error(e.span, f"table '{name}' is read by key: {name}[key]", "type")
            return ir.Const(None, t.ANY, e.span)
        if self._in_constant and (name in self.derived_decls or name in self.fact_fields or name == "as_of"):
            self.error(e.span, f"'{name}' is not a constant", "not-constant")
            return ir.Const(None, t.ANY, e.span)
        if name in self.derived_decls:
            info2 = self._derived(name, e.span)
            return ir.Derived(name, info2.value.type if info2 else t.ANY, e.span)
        if name in self.fact_fields:
            field = self.fact_fields[name]
            return ir.Fact(name, field.default, field.has_default, field.type, e.span)
        if name == "as_of":
            return ir.AsOf(t.DATE, e.span)
        if name == "application_year":
            if self.year is None:
                self.error(e.span, "'application_year' needs 'year' in the policy header", "unknown-name")
                return ir.Const(None, t.ANY, e.span)
            return ir.Const(self.year, t.INTEGER, e.span)
        raise _UnresolvedError(name)

    def _enum_member(self, name: str, hint: t.Type | None) -> t.EnumType | None:
        hint = t.strip_nullable(hint) if hint is not None else None
        if isinstance(hint, t.ListType):
            hint = hint.item
        if isinstance(hint, t.EnumType):
            return hint if name in hint.members else None
        owners = [enum for enum in self.enums.values() if name in enum.members]
        return owners[0] if len(owners) == 1 else None

    def _bare_unresolved(self, e: n.Expr, scope: Scope) -> bool:
        """Whether ``e`` is a bare name that only an enum hint can resolve."""
        if isinstance(e, n.ListExpr):
            return any(self._bare_unresolved(item, scope) for item in e.items)
        if not isinstance(e, n.Name):
            return False
        try:
            self._resolve_quietly(e, scope)
        except _UnresolvedError:
            return True
        return False

    def _resolve_quietly(self, e: n.Name, scope: Scope) -> None:
        name = e.name
        if scope.lookup(name) is not None or name in BUILTIN_NAMES:
            return
        for names in (self.param_decls, self.table_decls, self.derived_decls, self.fact_fields):
            if name in names:
                return
        raise _UnresolvedError(name)

    def _pair(self, left: n.Expr, right: n.Expr, scope: Scope, item_of_right: bool = False) -> tuple[ir.Expr, ir.Expr]:
        """Check two operands, letting a typed side resolve bare enum members on the other."""
        if self._bare_unresolved(left, scope) and not self._bare_unresolved(right, scope):
            r = self._expr(right, scope, None)
            hint = r.type
            if item_of_right and isinstance(hint, t.ListType):
                hint = hint.item or t.ANY
            return self._expr(left, scope, hint), r
        lhs = self._expr(left, scope, None)
        hint = t.ListType(lhs.type) if item_of_right else lhs.type
        return lhs, self._expr(right, scope, hint)

    def _e_FieldAccess(self, e: n.FieldAccess, scope: Scope, hint: t.Type | None) -> ir.Expr:
        if isinstance(e.obj, n.Name) and e.obj.name in self.enum_decls and scope.lookup(e.obj.name) is None:
            enum = self.enums[e.obj.name]
            if e.name not in enum.members:
                self.error(
                    e.span,
                    f"{enum.name} has no member '{e.name}'",
                    "unknown-name",
                    did_you_mean(e.name, enum.members),
                )
                return ir.Const(None, t.ANY, e.span)
            return member_const(enum, e.name, e.span)
        obj = self._expr(e.obj, scope, None)
        record = t.strip_nullable(obj.type)
        if isinstance(record, t.AnyType):
            return ir.Const(None, t.ANY, e.span)
        subject = _path_of(e.obj) or record.describe()
        if not isinstance(record, t.RecordType):
            self.error(e.span, f"{subject} is {record.describe()}, which has no fields (reading '.{e.name}')", "type")
            return ir.Const(None, t.ANY, e.span)
        field = record.field(e.name)
        if field is None:
            self.error(
                e.span,
                f"{subject} has no field '{e.name}'",
                "unknown-field",
                did_you_mean(e.name, [f.name for f in record.fields]),
            )
            return ir.Const(None, t.ANY, e.span)
        return ir.GetField(obj, e.name, field.default, field.has_default, field.type, e.span)

    def _e_Index(self, e: n.Index, scope: Scope, hint: t.Type | None) -> ir.Expr:
        if isinstance(e.obj, n.Name) and e.obj.name in self.table_decls and scope.lookup(e.obj.name) is None:
            table = self.tables.get(e.obj.name) or self._table(self.table_decls[e.obj.name])
            key = self.expr(e.key, scope, expect=table.key_type)
            return ir.TableGet(
                table.name,
                table.entries,
                table.otherwise,
                table.has_otherwise,
                key,
                table.value_type,
                e.span,
            )
        obj = self._expr(e.obj, scope, None)
        container = t.strip_nullable(obj.type)
        if isinstance(container, t.MapType):
            key = self.expr(e.key, scope, expect=t.INTEGER)
            return ir.GetItem(obj, key, container.value, e.span)
        if isinstance(container, t.ListType):
            key = self.expr(e.key, scope, expect=t.INTEGER)
            return ir.GetItem(obj, key, container.item or t.ANY, e.span)
        if not isinstance(container, t.AnyType):
            self.error(e.span, f"{container.describe()} cannot be indexed with [...]", "type")
        return ir.Const(None, t.ANY, e.span)

    def _e_Call(self, e: n.Call, scope: Scope, hint: t.Type | None) -> ir.Expr:
        function = FUNCTIONS.get(e.function)
        if function is None:
            self.error(
                e.span,
                f"unknown function '{e.function}'",
                "unknown-function",
                did_you_mean(e.function, FUNCTIONS),
            )
            return ir.Const(None, t.ANY, e.span)
        args = tuple(self._expr(a, scope, None) for a in e.args)
        result, problem = function.signature(tuple(a.type for a in args))
        if problem is not None:
            self.error(e.span, f"{e.function}(): {problem}", "type")
            return ir.Const(None, t.ANY, e.span)
        if self._in_constant and not function.constant:
            self.error(e.span, f"{e.function}() is not a constant", "not-constant")
        return ir.CallFn(e.function, args, result, e.span)

    def _e_Unary(self, e: n.Unary, scope: Scope, hint: t.Type | None) -> ir.Expr:
        if e.op == "not":
            operand = self.expr(e.operand, scope, expect=t.BOOL)
            return ir.Not(operand, t.BOOL, e.span)
        operand = self._expr(e.operand, scope, None)
        if not t.is_numeric(operand.type):
            self.error(e.span, f"cannot negate {operand.type.describe()}", "type")
        return ir.Negate(operand, t.strip_nullable(operand.type), e.span)

    def _e_Logical(self, e: n.Logical, scope: Scope, hint: t.Type | None) -> ir.Expr:
        operands = tuple(self.expr(o, scope, expect=t.BOOL) for o in e.operands)
        return ir.Logic(e.op, operands, t.BOOL, e.span)

    def _e_Binary(self, e: n.Binary, scope: Scope, hint: t.Type | None) -> ir.Expr:
        if e.op in ("in", "not in"):
            element, collection = self._pair(e.left, e.right, scope, item_of_right=True)
            ctype = t.strip_nullable(collection.type)
            if not isinstance(ctype, (t.ListType, t.AnyType)):
                self.error(e.right.span, f"'in' needs a list, not {ctype.describe()}", "type")
            elif isinstance(ctype, t.ListType) and ctype.item is not None and not t.same_kind(element.type, ctype.item):
                self.error(
                    e.span,
                    f"{element.type.describe()} can never be in a {ctype.describe()}",
                    "type",
                )
            return ir.Member(element, collection, e.op == "not in", t.BOOL, e.span)
        if e.op in ("+", "-", "*", "/"):
            left = self._expr(e.left, scope, None)
            right = self._expr(e.right, scope, None)
            for side in (left, right):
                if not t.is_numeric(t.strip_nullable(side.type)):
                    self.error(
                        side.span,
                        f"'{e.op}' needs numbers, not {side.type.describe()}"
                        + (
                            " (dates use add_days, add_years, days_between)"
                            if isinstance(side.type, t.DateType)
                            else ""
                        ),
                        "type",
                    )
            integral = all(isinstance(s.type, t.IntegerType) for s in (left, right)) and e.op != "/"
            return ir.Arith(e.op, left, right, t.INTEGER if integral else t.NUMBER, e.span)
        left, right = self._pair(e.left, e.right, scope)
        if not t.same_kind(left.type, right.type):
            self.error(
                e.span,
                f"cannot compare {left.type.describe()} with {right.type.describe()}",
                "type",
            )
            return ir.Compare(e.op, left, right, None, t.BOOL, e.span)
        kind = t.strip_nullable(left.type)
        if isinstance(kind, (t.AnyType, t.NoneType)):
            kind = t.strip_nullable(right.type)
        enum = kind if isinstance(kind, t.EnumType) else None
        if e.op in _ORDERING:
            if enum is not None and not enum.ordered:
                self.error(
                    e.span,
                    f"{enum.name} is not ordered (declare it 'enum {enum.name} ordered')",
                    "type",
                )
            elif not isinstance(kind, (t.IntegerType, t.NumberType, t.DateType, t.EnumType, t.AnyType)):
                self.error(e.span, f"{kind.describe()} values have no order", "type")
        return ir.Compare(e.op, left, right, enum, t.BOOL, e.span)

    def _e_InRange(self, e: n.InRange, scope: Scope, hint: t.Type | None) -> ir.Expr:
        operand = self._expr(e.operand, scope, None)
        low = self._expr(e.low, scope, operand.type)
        high = self._expr(e.high, scope, operand.type)
        kind = t.strip_nullable(operand.type)
        if not isinstance(kind, (t.IntegerType, t.NumberType, t.DateType, t.AnyType)):
            self.error(e.span, f"a range needs numbers or dates, not {kind.describe()}", "type")
        for bound in (low, high):
            if not t.same_kind(bound.type, operand.type):
                self.error(bound.span, f"bound of type {bound.type.describe()} for {kind.describe()}", "type")
        return ir.Between(operand, low, high, t.BOOL, e.span)

    def _e_Test(self, e: n.Test, scope: Scope, hint: t.Type | None) -> ir.Expr:
        operand = self._expr(e.operand, scope, None)
        if e.test in ("none", "not none") and not isinstance(operand.type, (t.NullableType, t.AnyType, t.NoneType)):
            self.error(
                e.span,
                f"{operand.type.describe()} is never none (declare it 'nullable')",
                "type",
            )
        return ir.TestValue(operand, e.test, t.BOOL, e.span)

    def _e_ListExpr(self, e: n.ListExpr, scope: Scope, hint: t.Type | None) -> ir.Expr:
        item_hint = hint.item if isinstance(hint, t.ListType) else None
        items = tuple(self._expr(i, scope, item_hint) for i in e.items)
        item_type: t.Type | None = None
        for item in items:
            if item_type is None:
                item_type = item.type
                continue
            merged = t.unify(item_type, item.type)
            if merged is None:
                self.error(
                    item.span,
                    f"a list of {item_type.describe()} cannot hold {item.type.describe()}",
                    "type",
                )
            else:
                item_type = merged
        return ir.MakeList(items, t.ListType(item_type), e.span)

    def _e_RecordExpr(self, e: n.RecordExpr, scope: Scope, hint: t.Type | None) -> ir.Expr:
        hinted = hint if isinstance(hint, t.RecordType) else None
        items: list[tuple[str, ir.Expr]] = []
        for name, value in e.items:
            field = hinted.field(name) if hinted else None
            items.append((name, self._expr(value, scope, field.type if field else None)))
        record = t.RecordType(None, tuple(t.Field(name, v.type) for name, v in items))
        return ir.MakeRecord(tuple(items), record, e.span)

    def _e_Quantified(self, e: n.Quantified, scope: Scope, hint: t.Type | None) -> ir.Expr:
        iterable, item = self._iterable(e.iterable, scope, e.quantifier)
        inner = scope.push({e.var: item})
        body = self.expr(e.body, inner, expect=t.BOOL)
        return ir.Quantify(e.quantifier, e.var, iterable, body, t.BOOL, e.span)

    def _e_Comprehension(self, e: n.Comprehension, scope: Scope, hint: t.Type | None) -> ir.Expr:
        iterable, item = self._iterable(e.iterable, scope, "for")
        inner = scope.push({e.var: item})
        condition = self.expr(e.condition, inner, expect=t.BOOL) if e.condition is not None else None
        element_hint = hint.item if isinstance(hint, t.ListType) else None
        element = self._expr(e.element, inner, element_hint)
        return ir.Comprehension(element, e.var, iterable, condition, t.ListType(element.type), e.span)

    def _iterable(self, e: n.Expr, scope: Scope, what: str) -> tuple[ir.Expr, t.Type]:
        iterable = self._expr(e, scope, None)
        kind = t.strip_nullable(iterable.type)
        if isinstance(kind, t.ListType):
            return iterable, kind.item or t.ANY
        if not isinstance(kind, t.AnyType):
            hint = " (use keys(...) for the years of a map)" if isinstance(kind, t.MapType) else ""
            self.error(e.span, f"'{what}' needs a list, not {kind.describe()}{hint}", "type")
        return iterable, t.ANY

    def _e_Conditional(self, e: n.Conditional, scope: Scope, hint: t.Type | None) -> ir.Expr:
        condition = self.expr(e.condition, scope, expect=t.BOOL)
        then = self._expr(e.then, scope, hint)
        otherwise = self._expr(e.otherwise, scope, hint or then.type)
        merged = t.unify(then.type, otherwise.type)
        if merged is None:
            self.error(
                e.span,
                f"the branches differ: {then.type.describe()} and {otherwise.type.describe()}",
                "type",
            )
            merged = t.ANY
        return ir.IfElse(condition, then, otherwise, merged, e.span)


def _path_of(e: n.Expr) -> str | None:
    """``a.b.c`` for a chain of names and fields, to name it in a message."""
    if isinstance(e, n.Name):
        return e.name
    if isinstance(e, n.FieldAccess):
        base = _path_of(e.obj)
        return f"{base}.{e.name}" if base else None
    return None


def member_const(enum: t.EnumType, member: str, span: n.Span) -> ir.Const:
    """The constant for an enum member."""
    return ir.Const(member, enum, span)


def check(policy_file: n.PolicyFile, source: str, inherited: tuple[tuple[str, str], ...] = ()) -> ir.CheckedPolicy:
    """Check a parsed policy; raises :class:`~titlerules.errors.PolicyError` with every
    problem found. ``inherited`` holds the ``(file name, text)`` of a derived policy's
    ancestors (:func:`titlerules.extends.derive`), for errors in their declarations."""
    return _Checker(policy_file, source, inherited).check()
