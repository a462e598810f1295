"""Small code sets and people for the workspace tests (real FY2026 codes and titles)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coding_factories import code_set, codes, encounter, patient

from coding.models import CodeSystem
from coding.services import grouping
from coding.services.encounters import coding_for
from him import roles
from him.testing.factories import FacilityFactory, UserFactory
from him.testing.personas import web_client

CM = [
    ("J18", "Pneumonia, unspecified organism", False),
    ("J189", "Pneumonia, unspecified organism"),
    ("J96", "Respiratory failure, not elsewhere classified", False),
    ("J960", "Acute respiratory failure", False),
    ("J9601", "Acute respiratory failure with hypoxia"),
    ("N17", "Acute kidney failure", False),
    ("N179", "Acute kidney failure, unspecified"),
    ("E11", "Type 2 diabetes mellitus", False),
    ("E119", "Type 2 diabetes mellitus without complications"),
    ("E1165", "Type 2 diabetes mellitus with hyperglycemia"),
    ("I10", "Essential (primary) hypertension"),
    ("I50", "Heart failure", False),
    ("I502", "Systolic (congestive) heart failure", False),
    ("I5021", "Acute systolic (congestive) heart failure"),
    ("I5023", "Acute on chronic systolic (congestive) heart failure"),
    ("E78", "Disorders of lipoprotein metabolism", False),
    ("E785", "Hyperlipidemia, unspecified"),
    ("Z79", "Long term (current) drug therapy", False),
    ("Z794", "Long term (current) use of insulin"),
    ("R05", "Cough", False),
    ("R051", "Acute cough"),
]
PCS = [
    ("0BH17EZ", "Insertion of Endotracheal Airway into Trachea, Via Natural or Artificial Opening"),
    ("5A1945Z", "Respiratory Ventilation, 24-96 Consecutive Hours"),
]
CPT = [("99213", "Office or other outpatient visit, established patient, low MDM")]
HCPCS = [("G0008", "Administration of influenza virus vaccine")]

FY2027 = (dt.date(2026, 10, 1), dt.date(2027, 9, 30))


def load_codes(dates=None) -> None:
    kwargs = {"dates": dates} if dates else {}
    version = "FY2027" if dates == FY2027 else "FY2026"
    codes(code_set(CodeSystem.ICD10CM, version, **kwargs), CM)
    codes(code_set(CodeSystem.ICD10PCS, version, **kwargs), PCS)
    codes(code_set(CodeSystem.CPT, version, **kwargs), CPT)
    codes(code_set(CodeSystem.HCPCS, version, **kwargs), HCPCS)


@dataclass
class World:
    facility: object
    other: object
    coder: object
    auditor: object
    outsider: object

    def inpatient(self, facility=None, **fields):
        p = patient(facility or self.facility, sex="F", birth_date=dt.date(1955, 1, 2))
        return coding_for(encounter(p, **fields))

    def outpatient(self, **fields):
        p = patient(self.facility)
        return coding_for(encounter(p, inpatient=False, **fields))

    def client(self, user=None):
        return web_client(user or self.coder)


def world() -> World:
    grouping.forget_facts()  # weights cached by an earlier test's DRG table
    load_codes()
    facility = FacilityFactory(code="WSIN", name="Workspace Hospital")
    other = FacilityFactory(code="WSOUT", name="Elsewhere Hospital")
    return World(
        facility=facility,
        other=other,
        coder=UserFactory(username="coder1", roles=[roles.CODER], facilities=[facility]),
        auditor=UserFactory(username="auditor1", roles=[roles.AUDITOR], facilities=[facility]),
        outsider=UserFactory(username="coder2", roles=[roles.CODER], facilities=[other]),
    )


def dx(*pairs):
    return [{"code": c, "poa": p} for c, p in pairs]
