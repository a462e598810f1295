"""Small, hand-written code sets and encounters for the coding tests.

Real code titles are facts from the public FY2026 tables; only the handful of
codes a test needs is created, so tests stay fast. The full load is the
code-set loader's own (slow) test.
"""

from __future__ import annotations

import datetime as dt
import itertools

from coding.models import Code, CodeNote, CodeReference, CodeSet, CodeSystem, SeventhCharacter
from records.models import Encounter, Patient

_n = itertools.count(1)

FY2026 = (dt.date(2025, 10, 1), dt.date(2026, 9, 30))


def code_set(system: str = CodeSystem.ICD10CM, version: str = "FY2026", *, dates=FY2026) -> CodeSet:
    cs, _ = CodeSet.objects.get_or_create(
        system=system,
        version=version,
        defaults={"label": f"{version} test", "effective_from": dates[0], "effective_to": dates[1]},
    )
    return cs


def codes(cs: CodeSet, rows) -> dict[str, Code]:
    """``rows``: (code, title) or (code, title, billable) or (code, title, billable, parent).

    Parents must come before their children; the parent defaults to the longest
    already-created code that is a prefix of this one."""
    made: dict[str, Code] = {c.code: c for c in cs.codes.all()}
    for row in rows:
        code, title, *rest = row
        billable = rest[0] if rest else True
        parent_code = rest[1] if len(rest) > 1 else None
        if parent_code is None:
            prefixes = [k for k in made if code.startswith(k) and k != code]
            parent_code = max(prefixes, key=len) if prefixes else None
        parent = made.get(parent_code) if parent_code else None
        kind = Code.Kind.CATEGORY if len(code) == 3 else Code.Kind.CODE
        made[code] = Code.objects.create(
            code_set=cs,
            code=code,
            kind=kind,
            title=title,
            billable=billable,
            parent=parent,
            depth=(parent.depth + 1) if parent else 0,
            position=next(_n),
            search_text=title.lower(),
        )
    return made


def note(code: Code, kind: str, text: str, refs=()) -> CodeNote:
    """``refs``: (start, end) or (start, end, suffix) code ranges the note names."""
    n = CodeNote.objects.create(code=code, kind=kind, text=text, position=next(_n))
    for ref in refs:
        start, end, *suffix = ref
        CodeReference.objects.create(
            note=n, code=code, kind=kind, start=start, end=end, suffix=suffix[0] if suffix else ""
        )
    return n


def seventh(code: Code, pairs) -> None:
    for character, meaning in pairs:
        SeventhCharacter.objects.create(code=code, character=character, meaning=meaning)


def patient(facility, **fields) -> Patient:
    n = next(_n)
    values = {
        "facility": facility,
        "mrn": f"C{n:06d}",
        "family_name": f"Cfamily{n}",
        "given_name": "Ada",
        "birth_date": dt.date(1950, 3, 4),
        "sex": "F",
    }
    values.update(fields)
    return Patient.objects.create(**values)


def encounter(p: Patient, *, inpatient: bool = True, discharged=dt.date(2026, 3, 10), **fields):
    """A stay of four days ending on ``discharged`` (None: still admitted)."""
    end = discharged or dt.date(2026, 3, 10)
    admit = dt.datetime.combine(end, dt.time(8), tzinfo=dt.UTC) - dt.timedelta(days=4)
    values = {
        "number": f"CV{next(_n)}",
        "patient": p,
        "facility": p.facility,
        "encounter_class": "inpatient" if inpatient else "outpatient",
        "admit_at": admit,
        "discharge_at": (
            dt.datetime.combine(discharged, dt.time(12), tzinfo=dt.UTC) if discharged else None
        ),
        "discharge_disposition": "01" if discharged else "",
        "status": "discharged" if discharged else "admitted",
    }
    values.update(fields)
    return Encounter.objects.create(**values)
