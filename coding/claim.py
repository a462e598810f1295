"""The codes of one encounter as the edits and the grouper read them.

A ``Claim`` is a plain snapshot: built from the saved lines (``claim_of``) or
from what a coder has on screen and not yet saved (the workspace's live
validate and what-if), so the edits and the grouper never touch the database
rows themselves and a what-if costs no write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from coding.models import CodeSet, CodeSystem, EncounterCoding


@dataclass(frozen=True)
class Dx:
    code: str  # undotted, upper case
    poa: str = ""
    sequence: int = 0


@dataclass(frozen=True)
class Px:
    code: str
    performed_on: dt.date | None = None
    sequence: int = 0


@dataclass(frozen=True)
class Service:
    code: str
    modifiers: tuple[str, ...] = ()
    units: int = 1
    pointers: tuple[int, ...] = ()
    service_date: dt.date | None = None
    sequence: int = 0


@dataclass(frozen=True)
class Claim:
    """One encounter's codes and the facts about the stay the rules need."""

    inpatient: bool
    encounter_class: str
    sex: str  # M, F, U (records.Patient.Sex values)
    age: int  # years, at admission
    admit_date: dt.date
    discharge_date: dt.date | None
    disposition: str  # UB-04 patient status, "" while admitted
    diagnoses: tuple[Dx, ...] = ()  # the first is the principal (inpatient) / first listed
    procedures: tuple[Px, ...] = ()
    services: tuple[Service, ...] = ()
    admitting_dx: str = ""
    reason_for_visit: str = ""
    coding_id: int | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def principal(self) -> Dx | None:
        return self.diagnoses[0] if self.diagnoses else None

    @property
    def code_date(self) -> dt.date:
        """The date that chooses the code set in force: discharge, else admission."""
        return self.discharge_date or self.admit_date

    def code_set(self, system: str = CodeSystem.ICD10CM) -> CodeSet | None:
        return CodeSet.for_date(system, self.code_date)

    def with_diagnoses(self, diagnoses) -> Claim:
        return replace(self, diagnoses=tuple(diagnoses))

    def with_procedures(self, procedures) -> Claim:
        return replace(self, procedures=tuple(procedures))


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def claim_of(coding: EncounterCoding) -> Claim:
    """The saved codes of ``coding`` (three queries: lines by kind)."""
    encounter = coding.encounter
    patient = encounter.patient
    admit = encounter.admit_at.date()
    return Claim(
        inpatient=encounter.encounter_class == "inpatient",
        encounter_class=encounter.encounter_class,
        sex=patient.sex,
        age=age_on(patient.birth_date, admit),
        admit_date=admit,
        discharge_date=encounter.discharge_at.date() if encounter.discharge_at else None,
        disposition=encounter.discharge_disposition or "",
        diagnoses=tuple(
            Dx(code=d.code, poa=d.poa, sequence=d.sequence)
            for d in coding.diagnoses.order_by("sequence")
        ),
        procedures=tuple(
            Px(code=p.code, performed_on=p.performed_on, sequence=p.sequence)
            for p in coding.procedures.order_by("sequence")
        ),
        services=tuple(
            Service(
                code=s.code,
                modifiers=tuple(m for m in s.modifiers.replace(" ", "").split(",") if m),
                units=s.units,
                pointers=tuple(int(p) for p in s.diagnosis_pointers.split(",") if p.strip()),
                service_date=s.service_date,
                sequence=s.sequence,
            )
            for s in coding.services.order_by("sequence")
        ),
        admitting_dx=coding.admitting_dx,
        reason_for_visit=coding.reason_for_visit,
        coding_id=coding.pk,
    )
