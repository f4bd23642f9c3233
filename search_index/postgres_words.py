"""The tsquery texts of ``postgres_text`` evaluated over per-process bitmaps of their leaves (``postgres_bitmaps``).

A leaf is one lexeme, or a prefix (``'cao':*``), optionally restricted to tsvector weights (``'pino':A``). Each
leaf's documents are read once per process (the rows holding its lexeme, through the words table's GIN index; every
weight of a lexeme in the same pass) and kept current through the change log like the other entries; a query's
expression, and each of its ranking rules' sets, is then the union, intersection and difference of leaves already
held: a new combination of known words ("madera de pino" after "madera", "pino" and "de"), a typo's alternatives or
a rule's weight restriction costs no pass over the matches. A phrase (``<->``: a synonym of several words, a
proximity pair) needs the words' positions, which no bitmap holds: its candidates (the documents holding all its
words, within the query's match for a ranking rule's set) are tested in SQL.

Only the operators ``postgres_text`` writes are understood (``|``, ``&``, ``!``, ``<->``, parentheses, quoted
lexemes with ``:*`` and weight letters); anything else raises ``ValueError`` and the caller asks SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A quoted lexeme (quotes doubled inside), its flags, or an operator.
_TOKEN = re.compile(r"\s*(?:'((?:[^']|'')*)'(?::([*A-Da-d]+))?|(<->)|([|&!()]))")


@dataclass(frozen=True)
class Leaf:
    """One lexeme (``prefix``: every lexeme starting with it) in the weights ``weights`` ("" for any)."""

    text: str
    prefix: bool
    weights: str

    @property
    def base(self) -> Leaf:
        return Leaf(self.text, self.prefix, "")

    def tsquery(self) -> str:
        flags = ("*" if self.prefix else "") + self.weights
        quoted = "'" + self.text.replace("\\", "\\\\").replace("'", "''") + "'"
        return quoted + (":" + flags if flags else "")


@dataclass(frozen=True)
class Node:
    """An operator ("|", "&", "!", "<->") over ``parts``."""

    op: str
    parts: tuple[Node | Leaf, ...]

    def tsquery(self) -> str:
        if self.op == "!":
            return "!" + _text(self.parts[0])
        return "(" + f" {self.op} ".join(_text(p) for p in self.parts) + ")"


Tree = Node | Leaf


def _text(tree: Tree) -> str:
    return tree.tsquery()


def parse(expression: str) -> Tree:
    """The tree of a tsquery text as ``postgres_text`` writes it (ValueError for anything else)."""
    tokens: list[tuple[str, str | Leaf]] = []
    position = 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ValueError(f"not a tsquery of postgres_text: {expression!r}")
        position = match.end()
        if match.group(1) is not None:
            flags = (match.group(2) or "").upper()
            word = match.group(1).replace("''", "'")
            if "\\" in word:
                raise ValueError(f"not a tsquery of postgres_text: {expression!r}")
            tokens.append(("leaf", Leaf(word, "*" in flags, "".join(sorted(set(flags) - {"*"})))))
        else:
            tokens.append(("op", match.group(3) or match.group(4)))
    at = 0

    def peek() -> str | None:
        return tokens[at][1] if at < len(tokens) and tokens[at][0] == "op" else None  # type: ignore[return-value]

    def binary(op: str, inner: object) -> Tree:
        nonlocal at
        parts = [inner()]  # type: ignore[operator]
        while peek() == op:
            at += 1
            parts.append(inner())  # type: ignore[operator]
        return parts[0] if len(parts) == 1 else Node(op, tuple(parts))

    def primary() -> Tree:
        nonlocal at
        if at >= len(tokens):
            raise ValueError(f"not a tsquery of postgres_text: {expression!r}")
        kind, value = tokens[at]
        at += 1
        if kind == "leaf":
            return value  # type: ignore[return-value]
        if value == "(":
            inner = either()
            if peek() != ")":
                raise ValueError(f"not a tsquery of postgres_text: {expression!r}")
            at += 1
            return inner
        if value == "!":
            return Node("!", (primary(),))
        raise ValueError(f"not a tsquery of postgres_text: {expression!r}")

    def phrase() -> Tree:
        return binary("<->", primary)

    def both() -> Tree:
        return binary("&", phrase)

    def either() -> Tree:
        return binary("|", both)

    tree = either()
    if at != len(tokens):
        raise ValueError(f"not a tsquery of postgres_text: {expression!r}")
    return tree


def leaves(tree: Tree) -> set[Leaf]:
    """The leaves of the tree outside its phrases (a phrase is read through the GIN index as a whole: the index
    intersects its words' lists, where each word's own list may be most of the index, "de")."""
    if isinstance(tree, Leaf):
        return {tree}
    if tree.op == "<->":
        return set()
    out: set[Leaf] = set()
    for part in tree.parts:
        out |= leaves(part)
    return out


def phrases(tree: Tree) -> list[Node]:
    """The phrase nodes of the tree (outermost)."""
    if isinstance(tree, Leaf):
        return []
    if tree.op == "<->":
        return [tree]
    return [p for part in tree.parts for p in phrases(part)]


def has_negation(tree: Tree) -> bool:
    return isinstance(tree, Node) and (tree.op == "!" or any(has_negation(p) for p in tree.parts))


def standard_leaves(base: Leaf, weights: tuple[str, ...]) -> list[Leaf]:
    """What one pass over a base's rows reads: the base in each of ``weights`` (the attribute rule's levels), and
    for a prefix the whole word too (``'hule':*`` and ``'hule'``: a query's last word is a prefix while it is
    typed, a whole word once another follows)."""
    bases = [base, Leaf(base.text, False, "")] if base.prefix else [base]
    return [Leaf(b.text, b.prefix, w) for b in bases for w in weights]
