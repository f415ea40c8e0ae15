"""Derived policies: ``policy "b" extends "a" { ... }``.

Next year's notice mostly changes years, dates and amounts. A derived policy names its
parent and declares only what differs; :func:`derive` merges the two ASTs before the
checker sees them, so the checker, compiler and tools work on one ordinary policy.

- The header's fields replace the parent's; those it leaves out are inherited.
- A declaration with the name of one of the parent's (``param``, ``table``, ``let``,
  ``enum``, ``type``, ``output``, ``clause`` by id, ``rule`` by id) replaces it where it
  stands, so the order of findings stays the parent's. New declarations come after.
- ``facts { ... }`` adds fields, or replaces the parent's fields of the same name.
- ``messages rule[.child] { ... }`` gives a rule of the parent new messages without
  restating its logic: ``note``, ``title``, ``pass``, ``exception <outcome>``, or a
  requirement's ``fail`` / ``action`` / ``unknown`` (when one requirement of the block has it).

The parent's declarations keep spans into the parent's file, so an error in them (for
example a rule of the parent that no longer checks with a replaced parameter) points
into the file where it is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from . import nodes as n
from .errors import Diagnostic, PolicyError, SourceText, did_you_mean

# (parent name, the child's file name) -> (parent text, parent file name)
ParentLoader = Callable[[str, str], tuple[str, str]]


def derive(
    tree: n.PolicyFile,
    text: str,
    load_parent: ParentLoader,
    parse: Callable[[str, str], n.PolicyFile],
    _chain: tuple[str, ...] = (),
) -> tuple[n.PolicyFile, tuple[tuple[str, str], ...]]:
    """The policy with its ancestors' declarations merged in, and each ancestor's
    ``(file name, text)``. A policy that extends none is returned as it is."""
    source = SourceText(text, tree.filename)
    headers = [d for d in tree.declarations if isinstance(d, n.PolicyHeader)]
    header = headers[0] if headers else None
    if header is None or header.extends is None:
        overrides = [d for d in tree.declarations if isinstance(d, n.MessagesDecl)]
        if overrides:
            raise PolicyError(
                [
                    source.at(
                        d.span,
                        "'messages' gives new messages to a parent's rules; this policy extends none",
                        "extends",
                    )
                    for d in overrides
                ]
            )
        return tree, ()
    chain = (*_chain, tree.filename)
    try:
        parent_text, parent_name = load_parent(header.extends, tree.filename)
    except PolicyError:
        raise
    except Exception as error:  # the loader's own errors say what is missing
        raise PolicyError(
            [source.at(header.span, f"cannot load the parent policy {header.extends!r}: {error}", "extends")]
        ) from None
    if parent_name in chain:
        raise PolicyError(
            [source.at(header.span, f"policy {header.extends!r} extends itself (through {parent_name})", "extends")]
        )
    parent_tree, ancestors = derive(parse(parent_text, parent_name), parent_text, load_parent, parse, chain)
    parent_decls = tuple(_in_file(d, parent_name) for d in parent_tree.declarations)
    merged = _Merger(source).merge(parent_decls, tree.declarations)
    return n.PolicyFile(tree.filename, merged), (*ancestors, (parent_name, parent_text))


def _in_file(node: Any, filename: str) -> Any:
    """``node`` with every span (that has none yet) marked as being in ``filename``."""
    if isinstance(node, n.Span):
        return node if node.file is not None else attrs.evolve(node, file=filename)
    if isinstance(node, tuple):
        return tuple(_in_file(item, filename) for item in node)
    if not attrs.has(type(node)):
        return node
    changes = {}
    for field in attrs.fields(type(node)):
        value = getattr(node, field.name)
        if isinstance(value, (n.Span, tuple)) or attrs.has(type(value)):
            changes[field.name] = _in_file(value, filename)
    return attrs.evolve(node, **changes)


def _key(decl: n.Declaration) -> tuple[str, str] | None:
    if isinstance(decl, n.RuleDecl):
        return ("rule", decl.id)
    if isinstance(decl, n.ClauseDecl):
        return ("clause", decl.id)
    if isinstance(decl, n.EnumDecl):
        return ("enum", decl.name)
    if isinstance(decl, n.TypeDecl):
        return ("type", decl.name)
    if isinstance(decl, (n.ParamDecl, n.TableDecl, n.LetDecl)):
        # One namespace of values: a parameter may become a table next year.
        return ("value", decl.name)
    if isinstance(decl, n.OutputDecl):
        return ("output", decl.name)
    return None


class _Merger:
    def __init__(self, source: SourceText) -> None:
        self.source = source
        self.problems: list[Diagnostic] = []

    def merge(self, parent: tuple[n.Declaration, ...], child: tuple[n.Declaration, ...]) -> tuple[n.Declaration, ...]:
        merged: list[n.Declaration] = list(parent)
        index = {_key(d): i for i, d in enumerate(merged) if _key(d) is not None}
        appended: list[n.Declaration] = []
        messages: list[n.MessagesDecl] = []
        for decl in child:
            key = _key(decl)
            if isinstance(decl, n.PolicyHeader):
                self._header(merged, decl)
            elif isinstance(decl, n.FactsDecl):
                self._facts(merged, decl)
            elif isinstance(decl, n.MessagesDecl):
                messages.append(decl)
            elif key is not None and key in index:
                merged[index[key]] = decl
            else:
                appended.append(decl)
        merged.extend(appended)
        for decl in messages:
            self._messages(merged, decl)
        if self.problems:
            raise PolicyError(self.problems)
        return tuple(merged)

    def _header(self, merged: list[n.Declaration], header: n.PolicyHeader) -> None:
        for i, decl in enumerate(merged):
            if isinstance(decl, n.PolicyHeader):
                merged[i] = n.PolicyHeader(
                    header.id,
                    header.title if header.title is not None else decl.title,
                    header.document if header.document is not None else decl.document,
                    header.issuer if header.issuer is not None else decl.issuer,
                    header.year if header.year is not None else decl.year,
                    header.span,
                    header.extends,
                )
                return
        merged.insert(0, header)

    def _facts(self, merged: list[n.Declaration], facts: n.FactsDecl) -> None:
        for i, decl in enumerate(merged):
            if isinstance(decl, n.FactsDecl):
                fields = list(decl.fields)
                names = {f.name: j for j, f in enumerate(fields)}
                for field in facts.fields:
                    if field.name in names:
                        fields[names[field.name]] = field
                    else:
                        fields.append(field)
                merged[i] = n.FactsDecl(tuple(fields), decl.span)
                return
        merged.append(facts)

    # ---- messages ---------------------------------------------------------------------------

    def _messages(self, merged: list[n.Declaration], decl: n.MessagesDecl) -> None:
        rule_id, *path = decl.target
        position = next((i for i, d in enumerate(merged) if isinstance(d, n.RuleDecl) and d.id == rule_id), None)
        if position is None:
            known = [d.id for d in merged if isinstance(d, n.RuleDecl)]
            self._problem(decl.span, f"no rule '{rule_id}' to give messages to", known, rule_id)
            return
        rule = merged[position]
        assert isinstance(rule, n.RuleDecl)
        body = self._block(rule.body, path, decl)
        if body is None:
            return
        note = rule.note
        for override in decl.overrides:
            if override.kind == "note":
                if path:
                    self._problem(override.span, "a 'note' belongs to the rule, not to one of its children")
                else:
                    note = override.text
            else:
                body = self._override(body, override, decl.target)
        merged[position] = attrs.evolve(rule, note=note, body=self._replace(rule.body, path, body))

    def _problem(self, span: n.Span, message: str, known: list[str] | None = None, name: str = "") -> None:
        hint = did_you_mean(name, known) if known else None
        self.problems.append(self.source.at(span, message, "extends", hint))

    @staticmethod
    def _children(block: n.Block) -> dict[str, n.EachChild | n.NamedChild]:
        out: dict[str, n.EachChild | n.NamedChild] = {}
        for stmt in block.statements:
            if isinstance(stmt, n.EachChild):
                out[stmt.var] = stmt
            elif isinstance(stmt, n.NamedChild):
                out[stmt.name] = stmt
        return out

    def _block(self, block: n.Block, path: list[str], decl: n.MessagesDecl) -> n.Block | None:
        for name in path:
            children = self._children(block)
            if name not in children:
                self._problem(decl.span, f"'{'.'.join(decl.target)}': no child '{name}'", list(children), name)
                return None
            block = children[name].body
        return block

    def _replace(self, block: n.Block, path: list[str], new: n.Block) -> n.Block:
        if not path:
            return new
        name, *rest = path
        statements: list[n.Statement] = []
        for stmt in block.statements:
            if isinstance(stmt, (n.EachChild, n.NamedChild)) and name == (
                stmt.var if isinstance(stmt, n.EachChild) else stmt.name
            ):
                stmt = attrs.evolve(stmt, body=self._replace(stmt.body, rest, new))
            statements.append(stmt)
        return attrs.evolve(block, statements=tuple(statements))

    def _override(self, block: n.Block, override: n.MessageOverride, target: tuple[str, ...]) -> n.Block:
        where = ".".join(target)
        if override.kind == "title":
            return attrs.evolve(block, title=override.text)
        if override.kind == "pass":
            return attrs.evolve(block, pass_message=override.text)
        statements = list(block.statements)
        if override.kind == "exception":
            found = [
                i for i, s in enumerate(statements) if isinstance(s, n.ExceptionStmt) and s.outcome == override.outcome
            ]
            if len(found) != 1:
                self._problem(override.span, f"{where} has {len(found)} '{override.outcome}' exceptions, not one")
                return block
            stmt = statements[found[0]]
            assert isinstance(stmt, n.ExceptionStmt)
            statements[found[0]] = attrs.evolve(stmt, message=override.text)
            return attrs.evolve(block, statements=tuple(statements))
        requirements = [i for i, s in enumerate(statements) if isinstance(s, n.RequireStmt)]
        with_message = [
            i
            for i in requirements
            if any(m.outcome == override.outcome for m in statements[i].messages)  # type: ignore[union-attr]
        ]
        found = with_message or (requirements if len(requirements) == 1 else [])
        if len(found) != 1:
            count = len(with_message) if with_message else len(requirements)
            self._problem(
                override.span,
                f"{where}: {count} requirements could take this '{override.outcome}' message; "
                "redeclare the rule to say which",
            )
            return block
        stmt = statements[found[0]]
        assert isinstance(stmt, n.RequireStmt)
        message = n.OutcomeMessage(str(override.outcome), override.text, override.span)
        if any(m.outcome == override.outcome for m in stmt.messages):
            messages = tuple(message if m.outcome == override.outcome else m for m in stmt.messages)
        else:
            messages = (*stmt.messages, message)
        statements[found[0]] = attrs.evolve(stmt, messages=messages)
        return attrs.evolve(block, statements=tuple(statements))
