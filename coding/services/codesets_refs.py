"""Turning the code ranges that ICD-10-CM notes name into ``CodeReference`` rows.

A note names codes in parentheses: "type 2 diabetes mellitus (E11.-)",
"(E08-E13 with .42)", "(E00-E07, E15-E16, E20-E34)", "(A00.0)",
"(T36-T50 with fifth or sixth character 5)". Each becomes one or more
``Ref(start, end, suffix)`` that ``CodeReference.matches`` understands: the
code's first ``len(start)`` characters lie in ``[start, end]`` and, with a
suffix, the characters after the category start with it.

Qualifiers that name a character position ("fifth or sixth character 5",
"7th character B", "final characters -23") cannot be said with a prefix, so
they are resolved against the whole code list (``universe``): each matching
code contributes its category plus the characters up to the one that matched,
which is exact for that version of the classification.

A group the parser does not understand is left out (``parse`` reports it in
``unparsed``): a missing reference only loses a reminder, a wrong one would
raise a false edit.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

# A code as printed: a category (letter, digit, digit-or-letter) and up to four
# more characters after a dot (notes always print the dot). Not followed by a
# letter or digit, so "G6PD" is not a code.
_CODE = r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?(?![0-9A-Za-z])"
_TOKEN = re.compile(rf"({_CODE})(\.-|-|\.)?")
_GROUP = re.compile(r"\(([^()]*)\)")
_WITH = re.compile(r"-?\s*,?\s*\bwith\b|(?<=[-.])with\b", re.IGNORECASE)
_ORDINAL = {
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "sixth": 5,
    "six": 5,
    "6th": 5,
    "seventh": 6,
    "7th": 6,
}
# The intent characters of the poisoning codes (T36-T65): accidental,
# intentional self-harm, assault, undetermined.
_INTENT = "1234"


@dataclass(frozen=True, order=True)
class Ref:
    start: str
    end: str
    suffix: str = ""

    def matches(self, code: str) -> bool:
        width = len(self.start)
        if not (self.start <= code[:width] <= self.end[:width]):
            return False
        return not self.suffix or code[3:].startswith(self.suffix)


@dataclass
class Universe:
    """Every code of the classification (undotted, sorted), with the meaning of
    its 7th character where it has one (for "open fracture 7th character")."""

    codes: Sequence[str]
    seventh_meaning: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, codes: Iterable[str], seventh_meaning: dict[str, str] | None = None) -> Universe:
        return cls(sorted(set(codes)), seventh_meaning or {})

    def within(self, ref: Ref) -> Iterable[str]:
        lo = bisect.bisect_left(self.codes, ref.start)
        for code in self.codes[lo:]:
            if code[: len(ref.start)] > ref.end[: len(ref.start)]:
                break
            if ref.matches(code):
                yield code


@dataclass
class Parsed:
    refs: list[Ref]
    unparsed: list[str]


def parse(text: str, universe: Universe | None = None) -> Parsed:
    """The references a note's text names, in order, without repeats."""
    refs: dict[Ref, None] = {}
    unparsed: list[str] = []
    for match in _GROUP.finditer(text or ""):
        group = match.group(1).strip()
        if not _TOKEN.search(group):
            continue
        found = _parse_group(group, universe)
        if found is None:
            unparsed.append(group)
            continue
        refs.update(dict.fromkeys(found))
    return Parsed(list(refs), unparsed)


def parse_refs(text: str, universe: Universe | None = None) -> list[Ref]:
    return parse(text, universe).refs


def _parse_group(group: str, universe: Universe | None) -> list[Ref] | None:
    lowered = group.lower()
    if lowered.startswith(("e.g.", "eg ", "see ")):
        return []
    group = re.sub(r"^(i\.e\.|ie)\s*", "", group, flags=re.IGNORECASE)
    head, qualifier = _split_qualifier(group)
    heads = _parse_head(head)
    if heads is None:
        return None
    if not qualifier:
        return heads
    return _qualify(heads, qualifier, universe)


def _split_qualifier(group: str) -> tuple[str, str]:
    match = _WITH.search(group)
    if not match:
        return group, ""
    return group[: match.start()], group[match.end() :].strip()


def _undot(token: str) -> str:
    return token.replace(".", "").upper()


def _parse_head(head: str) -> list[Ref] | None:
    """Comma/semicolon/"and" separated codes and ranges; None when an item holds
    words besides codes (a note we should not guess at)."""
    refs: list[Ref] = []
    for item in re.split(r"[,;]|\band\b", head):
        item = item.strip()
        if not item:
            continue
        tokens = list(_TOKEN.finditer(item))
        if not tokens:
            return None
        rest = _TOKEN.sub(" ", item)
        if re.sub(r"\bto\b|[-\s.]", "", rest):
            return None
        refs.extend(_item_refs(item, tokens))
    return refs


def _item_refs(item: str, tokens: list[re.Match]) -> list[Ref]:
    out: list[Ref] = []
    i = 0
    while i < len(tokens):
        first = tokens[i]
        if i + 1 < len(tokens):
            second = tokens[i + 1]
            between = item[first.end() : second.start()]
            trailing = first.group(2) or ""
            is_range = ("-" in between or re.search(r"\bto\b", between)) or (
                between == "" and trailing.endswith("-")
            )
            if is_range:
                out.extend(_range(_undot(first.group(1)), _undot(second.group(1))))
                i += 2
                continue
        code = _undot(first.group(1))
        out.append(Ref(code, code))
        i += 1
    return out


def _range(start: str, end: str) -> list[Ref]:
    """A range whose end is longer than its start ("T80-T88.6") is split so the
    comparison on the start's width does not take in all of T88."""
    if start > end:
        start, end = end, start
    width = len(start)
    if len(end) <= width:
        return [Ref(start, end)]
    head = end[:width]
    out = []
    if start < head:
        out.append(Ref(start, _previous(head)))
    out.append(Ref(head + "0" * (len(end) - width), end))
    return out


_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _previous(code: str) -> str:
    chars = list(code)
    for pos in range(len(chars) - 1, -1, -1):
        index = _ALPHABET.find(chars[pos])
        if index > 0:
            chars[pos] = _ALPHABET[index - 1]
            return "".join(chars)
        chars[pos] = _ALPHABET[-1]
    return code


# ---------------------------------------------------------------- qualifiers


def _qualify(heads: list[Ref], qualifier: str, universe: Universe | None) -> list[Ref] | None:
    q = qualifier.strip().lower()
    q = re.sub(r"^final characters?\s*(?=\.)", "", q)
    # "with .42", "with .51-.52", "with .17, .27, .97", "with final characters .00 or .01"
    if q.startswith("."):
        suffixes = _suffixes(q)
        if not suffixes:
            return None
        return [
            Ref(h.start[:3], h.end[:3], s) if len(h.start) >= 3 else Ref(h.start, h.end, s)
            for h in heads
            for s in suffixes
        ]
    predicate = _position_predicate(q)
    if predicate is None or universe is None:
        return None
    out: list[Ref] = []
    for head in heads:
        for code in universe.within(head):
            upto = predicate(code, universe)
            if upto is None:
                continue
            suffix = code[3:upto][:4]
            out.append(Ref(code[:3], code[:3], suffix))
    return sorted(set(out))


def _suffixes(q: str) -> list[str]:
    parts = re.findall(r"\.([0-9A-Z]+)(-)?(?:\s*-\s*\.([0-9A-Z]+))?", q.upper())
    out: list[str] = []
    for first, _dash, last in parts:
        if last and first.isdigit() and last.isdigit() and len(first) == len(last):
            out.extend(str(n).zfill(len(first)) for n in range(int(first), int(last) + 1))
        else:
            out.append(first)
            if last:
                out.append(last)
    return list(dict.fromkeys(out))


def _chars(text: str) -> str | None:
    """'5', '1-4', '1-4 or 6', 'b or c', '.6', 'to indicate intent'."""
    text = text.strip().upper().lstrip(".")
    if "INTENT" in text:
        return _INTENT
    chars = ""
    for part in re.split(r"\s*(?:,|\bOR\b|\bAND\b)\s*", text):
        part = part.strip()
        if not part:
            continue
        span = re.fullmatch(r"([0-9A-Z])\s*-\s*([0-9A-Z])", part)
        if span:
            lo, hi = _ALPHABET.index(span.group(1)), _ALPHABET.index(span.group(2))
            chars += _ALPHABET[lo : hi + 1]
        elif re.fullmatch(r"[0-9A-Z]", part):
            chars += part
        else:
            return None
    return chars or None


Predicate = Callable[[str, Universe], "int | None"]


def _base(code: str) -> str:
    """The code without its 7th character and without trailing placeholder X."""
    return (code[:6] if len(code) == 7 else code).rstrip("X")


def _position_predicate(q: str) -> Predicate | None:
    # "final characters -23": the code (before any 7th character) ends with 23
    final = re.fullmatch(r"final characters?\s*-?\s*([0-9a-z]+)", q)
    if final:
        tail = final.group(1).upper()
        if len(tail) == 1:
            return lambda code, _u: len(_base(code)) if _base(code).endswith(tail) else None
        return lambda code, _u: (
            len(_base(code)) if len(_base(code)) > 3 and _base(code).endswith(tail) else None
        )
    # "open fracture 7th character"
    if re.fullmatch(r"open fracture (7th|seventh) character", q):
        return lambda code, u: (
            7 if len(code) == 7 and "open fracture" in u.seventh_meaning.get(code, "") else None
        )
    # "fifth or sixth character 5", "5th character 9", "sixth character 1-4",
    # "7th character B or C", "fifth-character 1", "fifth to sixth characters 51"
    span = re.fullmatch(r"(\w+)\s+to\s+(\w+)[\s-]+characters?\s+([0-9a-z]+)", q)
    if span and span.group(1) in _ORDINAL and span.group(2) in _ORDINAL:
        first, text = _ORDINAL[span.group(1)], span.group(3).upper()
        return lambda code, _u: (
            first + len(text) if code[first : first + len(text)] == text else None
        )
    position = re.fullmatch(r"(\w+)(?:\s+or\s+(\w+))?[\s-]+characters?\s+(.+)", q)
    if position:
        names = [n for n in position.group(1, 2) if n]
        if not all(n in _ORDINAL for n in names):
            return None
        places = [_ORDINAL[n] for n in names]
        chars = _chars(position.group(3))
        if chars is None:
            return None

        def predicate(code: str, _u: Universe) -> int | None:
            for place in places:
                if len(code) > place and code[place] in chars:
                    return place + 1
            return None

        return predicate
    return None
