"""One code as a coder reads it: its notes, hierarchy, children and 7th characters.

Shared by the code detail page and the API. Notes on the ancestors apply to
the code too (an Excludes1 on E11 governs E11.65), so they are listed with
the ancestor they come from. Codes named in a note's text become links when
the code set holds them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils import timezone

from coding.models import Code, CodeNote, CodeSet, SeventhCharacter, dotted, undotted
from coding.services.search import SearchError, parse_system

# "E10.-", "Z79.4", "E08-E13", "T38.3X-" as printed in the tabular notes.
CODE_IN_TEXT = re.compile(r"\b([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{0,4}-?|\.-)?)")
NOTE_ORDER = [
    CodeNote.Kind.INCLUSION,
    CodeNote.Kind.INCLUDES,
    CodeNote.Kind.EXCLUDES1,
    CodeNote.Kind.EXCLUDES2,
    CodeNote.Kind.CODE_FIRST,
    CodeNote.Kind.USE_ADDITIONAL,
    CodeNote.Kind.CODE_ALSO,
    CodeNote.Kind.NOTE,
    CodeNote.Kind.SEVENTH_CHARACTER,
]


class CodeNotFound(LookupError):
    pass


@dataclass
class NoteView:
    kind: str
    kind_label: str
    text: str
    source: Code  # the code (or ancestor) the note is printed under
    inherited: bool
    # The text cut into (text, linked code or "") pieces, for display with links.
    pieces: list[tuple[str, str]] = field(default_factory=list)
    references: list[dict] = field(default_factory=list)


@dataclass
class CodeDetail:
    code: Code
    code_set: CodeSet
    valid_on: bool  # in the version in force on the date asked
    on: dt.date
    ancestors: list[Code]
    children: list[Code]
    notes: list[NoteView]
    seventh_characters: list[SeventhCharacter]
    seventh_from: Code | None

    @property
    def notes_by_kind(self) -> list[tuple[str, list[NoteView]]]:
        groups: dict[str, list[NoteView]] = {}
        for note in self.notes:
            groups.setdefault(note.kind_label, []).append(note)
        return list(groups.items())

    def as_dict(self) -> dict:
        system = self.code_set.system
        brief = lambda c: {  # noqa: E731
            "code": c.code,
            "dotted": dotted(c.code, system),
            "title": c.title,
            "kind": c.kind,
            "billable": c.billable,
        }
        notes: dict[str, list[dict]] = {}
        for note in self.notes:
            notes.setdefault(note.kind, []).append(
                {
                    "text": note.text,
                    "from": note.source.code,
                    "references": note.references,
                    "codes": [code for _, code in note.pieces if code],
                }
            )
        return {
            **brief(self.code),
            "system": system,
            "code_set": {
                "version": self.code_set.version,
                "effective_from": self.code_set.effective_from,
                "effective_to": self.code_set.effective_to,
            },
            "valid_on": self.valid_on,
            "on": self.on,
            "ancestors": [brief(a) for a in self.ancestors],
            "children": [brief(c) for c in self.children],
            "notes": notes,
            "seventh_characters": [
                {"character": s.character, "meaning": s.meaning} for s in self.seventh_characters
            ],
            "seventh_characters_from": self.seventh_from.code if self.seventh_from else None,
        }


def code_detail(system: str, code: str, *, on: dt.date | None = None) -> CodeDetail:
    """The code in the version in force on ``on``, else in the latest version holding it."""
    system = parse_system(system)
    if system is None:
        raise SearchError("Name the code system.")
    key = undotted(code or "")
    if not key or len(key) > 16 or "\x00" in key:
        raise CodeNotFound(code)
    on = on or timezone.localdate()
    in_force = CodeSet.for_date(system, on)
    found = None
    if in_force:
        found = Code.objects.filter(code_set=in_force, code=key).select_related("code_set").first()
    valid_on = found is not None
    if found is None:
        found = (
            Code.objects.filter(code_set__system=system, code=key)
            .select_related("code_set")
            .order_by("-code_set__effective_from")
            .first()
        )
    if found is None:
        raise CodeNotFound(code)

    ancestors: list[Code] = []
    node = found
    while node.parent_id and len(ancestors) < 12:
        node = Code.objects.get(pk=node.parent_id)
        ancestors.append(node)
    ancestors.reverse()
    chain = [*ancestors, found]
    children = list(found.children.order_by("position", "code"))

    raw_notes = list(
        CodeNote.objects.filter(code__in=chain)
        .prefetch_related("references")
        .order_by("code__depth", "position")
    )
    by_id = {c.pk: c for c in chain}
    linkable = _existing_codes(found.code_set, raw_notes)
    notes = [
        NoteView(
            kind=n.kind,
            kind_label=n.get_kind_display(),
            text=n.text,
            source=by_id[n.code_id],
            inherited=n.code_id != found.pk,
            pieces=_pieces(n.text, linkable),
            references=[
                {"start": r.start, "end": r.end, "suffix": r.suffix} for r in n.references.all()
            ],
        )
        for n in raw_notes
    ]
    order = {kind: i for i, kind in enumerate(NOTE_ORDER)}
    # Inclusion terms of ancestors describe the ancestor, not this code.
    notes = [n for n in notes if not (n.inherited and n.kind == CodeNote.Kind.INCLUSION)]
    notes.sort(key=lambda n: (order.get(n.kind, 99), n.inherited))

    seventh, seventh_from = [], None
    for node in reversed(chain):
        rows = list(node.seventh_characters.all())
        if rows:
            seventh, seventh_from = rows, node
            break
    return CodeDetail(
        code=found,
        code_set=found.code_set,
        valid_on=valid_on,
        on=on,
        ancestors=ancestors,
        children=children,
        notes=notes,
        seventh_characters=seventh,
        seventh_from=seventh_from,
    )


def _key_of(printed: str) -> str:
    return printed.replace(".", "").rstrip("-").upper()


def _existing_codes(code_set: CodeSet, notes: list[CodeNote]) -> set[str]:
    wanted = {_key_of(m) for n in notes for m in CODE_IN_TEXT.findall(n.text)}
    if not wanted:
        return set()
    return set(
        Code.objects.filter(code_set=code_set, code__in=wanted).values_list("code", flat=True)
    )


def _pieces(text: str, linkable: set[str]) -> list[tuple[str, str]]:
    pieces: list[tuple[str, str]] = []
    last = 0
    for match in CODE_IN_TEXT.finditer(text):
        key = _key_of(match.group(1))
        if key not in linkable:
            continue
        if match.start() > last:
            pieces.append((text[last : match.start()], ""))
        pieces.append((match.group(1), key))
        last = match.end()
    if last < len(text):
        pieces.append((text[last:], ""))
    return pieces
