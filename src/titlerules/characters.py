"""What unusual characters mean in policy text: decided here, documented in docs/safety.md.

A Chinese author types full-width forms (``９０``, ``，``, ``（）``) without noticing, and
text pasted from a web page or a word processor brings invisible characters with it. The
language never guesses what such a character was meant to be:

- **Full-width forms** (U+FF01..U+FF5E, the ideographic space U+3000) and other non-ASCII
  spaces are refused outside strings and comments, each with the ASCII character to type
  instead. They are kept as written inside strings and comments, where Chinese text
  belongs. They are not silently normalised, because then the text an author reviews
  would differ from the text the library runs.
- **Bidirectional controls** (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C) are
  refused everywhere, strings and comments included: they can make text display in an
  order other than the one it is parsed in.
- **Invisible characters** (zero-width spaces and joiners, word joiner, soft hyphen, a
  byte-order mark after the start) and control characters other than tab and newline are
  refused everywhere: two names or messages that look the same must be the same.
  A byte-order mark at the very start of a file is dropped when the file is read.
- **Mixed scripts**: a name that mixes Latin letters with Cyrillic or Greek ones
  (``hоurs`` with a Cyrillic ``о``) is refused, naming the odd letter. Names mixing Han
  characters with Latin letters and digits are ordinary and allowed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import attrs

_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e")
_SPACES = frozenset("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f")
_NAME = re.compile(r"[^\W\d]\w*")
_CONFUSABLE_SCRIPTS = ("CYRILLIC", "GREEK")

MAX_REPORTED = 20
"""At most this many character problems are reported for one text."""


@attrs.frozen
class CharacterProblem:
    """One character the language refuses, where it stands and why."""

    line: int
    column: int
    message: str


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')}"


def _everywhere(char: str) -> str | None:
    """Why ``char`` is refused wherever it stands, or ``None``."""
    if char in _BIDI:
        return (
            f"bidirectional control character {_codepoint(char)}: it can make the text display in "
            "another order than it is read; remove it"
        )
    if char in _INVISIBLE:
        return f"invisible character {_codepoint(char)}; remove it"
    code = ord(char)
    if (code < 0x20 and char not in "\t\n\r") or 0x7F <= code < 0xA0:
        return f"control character {_codepoint(char)}; remove it"
    return None


def _in_code(char: str) -> str | None:
    """Why ``char`` is refused outside strings and comments, or ``None``."""
    code = ord(char)
    if 0xFF01 <= code <= 0xFF5E:
        return f"full-width character {char!r} outside a string; type the ASCII {chr(code - 0xFEE0)!r}"
    if char == "\u3000":
        return "full-width space outside a string; type an ASCII space"
    if char in _SPACES:
        return f"non-ASCII space {_codepoint(char)} outside a string; type an ASCII space"
    return None


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else None


def mixed_script(name: str) -> tuple[int, str] | None:
    """The offset and description of the first letter in ``name`` from a script that does
    not mix with the Latin letters in it (Cyrillic, Greek), or ``None``."""
    scripts = [_script(c) for c in name]
    if "LATIN" not in scripts:
        return None
    for offset, script in enumerate(scripts):
        if script in _CONFUSABLE_SCRIPTS:
            return offset, f"{_codepoint(name[offset])}"
    return None


_REFUSED_ANYWHERE = re.compile("[" + "".join(sorted(_BIDI | _INVISIBLE)) + "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*')
_BRACKET = re.compile(r"[()\[\]{}]")


def scan(text: str) -> tuple[list[CharacterProblem], int, tuple[int, int]]:
    """The refused characters in policy ``text``; also the deepest nesting of brackets
    outside strings and comments, and the (line, column) where it is first reached.

    Text with no refused character anywhere and only ASCII outside strings and comments
    (nearly every policy) is measured with regular expressions; any other text is read
    character by character to locate each problem.
    """
    if _REFUSED_ANYWHERE.search(text):
        return _scan_exact(text)
    code = _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group()), text)
    if not code.isascii():
        return _scan_exact(text)
    depth = deepest = 0
    deepest_offset = 0
    for match in _BRACKET.finditer(code):
        if match.group() in "([{":
            depth += 1
            if depth > deepest:
                deepest, deepest_offset = depth, match.start()
        else:
            depth = max(depth - 1, 0)
    line = text.count("\n", 0, deepest_offset) + 1
    column = deepest_offset - (text.rfind("\n", 0, deepest_offset) + 1) + 1
    return [], deepest, (line, column)


def _scan_exact(text: str) -> tuple[list[CharacterProblem], int, tuple[int, int]]:
    problems: list[CharacterProblem] = []
    depth = deepest = 0
    deepest_at = (1, 1)
    for line_no, line in enumerate(text.split("\n"), start=1):
        in_string = False
        escaped = False
        column = 0
        while column < len(line):
            char = line[column]
            column += 1
            reason = _everywhere(char)
            if reason:
                problems.append(CharacterProblem(line_no, column, reason))
                continue
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
                continue
            if char == '"':
                in_string = True
            elif char == "#":
                problems.extend(_comment(line[column:], line_no, column))
                break
            elif char in "([{":
                depth += 1
                if depth > deepest:
                    deepest, deepest_at = depth, (line_no, column)
            elif char in ")]}":
                depth = max(depth - 1, 0)
            elif char.isalpha() or char == "_":
                match = _NAME.match(line, column - 1)
                if match and not match.group().isascii():
                    problems.extend(_name(match.group(), line_no, column))
                if match:
                    column = match.end()
                    continue
            reason = _in_code(char)
            if reason:
                problems.append(CharacterProblem(line_no, column, reason))
    return problems[:MAX_REPORTED], deepest, deepest_at


def _name(name: str, line: int, column: int) -> Iterator[CharacterProblem]:
    for offset, char in enumerate(name):
        reason = _everywhere(char) or _in_code(char)
        if reason:
            yield CharacterProblem(line, column + offset, reason)
            return
    mixed = mixed_script(name)
    if mixed:
        offset, what = mixed
        yield CharacterProblem(
            line, column + offset, f"the name {name!r} mixes Latin letters with {what}; type it in one script"
        )


def _comment(rest: str, line: int, start: int) -> Iterator[CharacterProblem]:
    for offset, char in enumerate(rest, start=1):
        reason = _everywhere(char)
        if reason:
            yield CharacterProblem(line, start + offset, reason)
