"""Synthetic records at scale: patients, identifiers, providers, encounters, documents.

Never real data: names come from the fixed lists below, combined at random;
streets and cities are made up; phones use the 555-01xx fiction range; emails
are @example.org; SSNs are in the never-issued 9xx range.

How it stays fast (a million patients in minutes on PostgreSQL):
- rows are built as tuples, never model instances, and written per chunk of
  patients in one transaction: PostgreSQL's COPY (psycopg) there, executemany
  INSERTs on SQLite;
- ids are reserved up front (the table's sequence moved past the block on
  PostgreSQL), so encounters, documents and versions can point at each other
  before they are written;
- no save(), no signals and no django-simple-history rows: history starts with
  the first real change, which is fine for seeded data;
- the SSN is encrypted (Fernet, ~10 us each) only for a sample of patients
  (``ssn_fraction``, 25% by default); the others have none, as many real
  registrations do;
- deficiencies are not created here: ``records.hooks.SYNTHETIC_SEEDED`` fires
  once at the end with the facilities, the run's start time (every seeded row's
  ``created_at``) and the id ranges, so a bulk evaluator can be registered.

Deterministic: the same ``seed`` into the same database state gives the same
data. Running again adds more: MRNs, encounter numbers, identifier values,
NPIs and enterprise ids derive from the reserved ids, so they never clash.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection, models, transaction
from django.utils import timezone

from him import crypto
from him.models import Facility
from records import hooks
from records.models import (
    Document,
    DocumentVersion,
    Encounter,
    IdentifierSystem,
    Patient,
    PatientIdentifier,
    Provider,
)
from records.models.providers import npi_with_check_digit
from records.search import normalize, phonetic_key
from records.synthetic_vocabulary import (
    CITIES,
    CLASSES,
    COMPLAINTS,
    CORRECTION_REASONS,
    DIAGNOSES,
    DISPOSITIONS,
    FACILITY_NAMES,
    FAMILY,
    GIVEN_FEMALE,
    GIVEN_MALE,
    MIDDLE_INITIALS,
    PAYERS,
    PROCEDURES,
    RESTRICTION_REASONS,
    SENSITIVITY_WEIGHTS,
    SERVICE_LINES,
    SPECIALTIES,
    STREET_KINDS,
    STREET_NAMES,
    TEMPLATES,
)

CHUNK = 20_000  # patients per transaction


@dataclass
class SeedResult:
    patients: int = 0
    identifiers: int = 0
    providers: int = 0
    encounters: int = 0
    documents: int = 0
    versions: int = 0
    facility_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.patients:,} patients, {self.identifiers:,} identifiers, "
            f"{self.providers:,} providers, {self.encounters:,} encounters, "
            f"{self.documents:,} documents, {self.versions:,} versions "
            f"in {self.seconds:.1f} s"
        )


# Writing rows -------------------------------------------------------------------------


class _Table:
    """Writes tuples into one model's table, filling columns it was not given.

    Columns not named (say a field another part of the app added later) get
    the field's default, so the seeder keeps working as the models grow.
    """

    def __init__(self, model: type[models.Model], columns: Sequence[str]):
        self.model = model
        self.table = model._meta.db_table
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(by_attname)
        if unknown:
            raise ValueError(f"{model.__name__} has no column {sorted(unknown)}")
        self.columns = list(columns)
        self.extra = [f for name, f in by_attname.items() if name not in set(columns)]
        self.extra_values = tuple(f.get_default() for f in self.extra)
        self.fields = [by_attname[c] for c in self.columns] + self.extra
        self.names = [f.column for f in self.fields]
        self.postgres = connection.vendor == "postgresql"
        self._next: int | None = None

    def reserve(self, count: int) -> int:
        """The first of ``count`` consecutive ids nobody else will use."""
        if self.postgres:
            with connection.cursor() as cursor:
                # Table and sequence names come from the model, never from input.
                sql = (
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                    f'GREATEST((SELECT COALESCE(MAX(id), 0) FROM "{self.table}"), '
                    f"(SELECT last_value FROM {self._sequence()})) + %s)"
                )
                cursor.execute(sql, [self.table, count])
                return cursor.fetchone()[0] - count + 1
        if self._next is None:
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{self.table}"')  # noqa: S608
                self._next = cursor.fetchone()[0] + 1
        first, self._next = self._next, self._next + count
        return first

    def _sequence(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [self.table])
            return cursor.fetchone()[0]

    def write(self, rows: Iterable[tuple]) -> int:
        extra = self.extra_values
        quoted = ", ".join(connection.ops.quote_name(n) for n in self.names)
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f'COPY "{self.table}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row + extra)
                        count += 1
                return count
            prepared = [self._prepare(row + extra) for row in rows]
            placeholders = ", ".join(["%s"] * len(self.names))
            cursor.executemany(
                f'INSERT INTO "{self.table}" ({quoted}) VALUES ({placeholders})',  # noqa: S608
                prepared,
            )
            return len(prepared)

    def _prepare(self, row: tuple) -> tuple:
        return tuple(
            f.get_db_prep_value(v, connection, prepared=False) if v is not None else None
            for f, v in zip(self.fields, row, strict=True)
        )


# Deterministic unique values ----------------------------------------------------------

_EID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_MASK45 = (1 << 45) - 1


def enterprise_id_for(n: int) -> str:
    """A unique, order-hiding enterprise id for row number ``n`` (a 45-bit bijection)."""
    x = n & _MASK45
    for multiplier in (0x1F2E3D4C5B7, 0x13579BDF2469):  # odd: invertible mod 2**45
        x ^= x >> 23
        x = (x * multiplier) & _MASK45
    x ^= x >> 21
    chars = []
    for _ in range(9):
        chars.append(_EID_ALPHABET[x & 31])
        x >>= 5
    return "E" + "".join(chars)


def npi_for(body: int) -> str:
    """A valid NPI from a 9-digit body: the CMS Luhn check digit appended."""
    return npi_with_check_digit(f"{body:09d}")


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


# Set-up rows (few: ORM) ---------------------------------------------------------------


def synthetic_facilities(count: int) -> list[Facility]:
    facilities = []
    for n in range(count):
        name = FACILITY_NAMES[n % len(FACILITY_NAMES)]
        if n >= len(FACILITY_NAMES):
            name = f"{name} {n // len(FACILITY_NAMES) + 1}"
        facility, _ = Facility.objects.get_or_create(
            code=f"SYN{n + 1:02d}", defaults={"name": name}
        )
        facilities.append(facility)
    return facilities


def identifier_systems(facilities: Sequence[Facility]) -> tuple[dict[int, int], list[tuple]]:
    mrn = {}
    for facility in facilities:
        system, _ = IdentifierSystem.objects.get_or_create(
            code=f"MRN-{facility.code}",
            defaults={
                "name": f"{facility.name} medical record numbers",
                "kind": IdentifierSystem.Kind.MRN,
                "facility": facility,
            },
        )
        mrn[facility.pk] = system.pk
    payers = []
    for code, name, prefix in PAYERS:
        system, _ = IdentifierSystem.objects.get_or_create(
            code=code, defaults={"name": name, "kind": IdentifierSystem.Kind.INSURANCE}
        )
        payers.append((system.pk, prefix))
    return mrn, payers


def make_providers(
    rng: random.Random, facilities: Sequence[Facility], per_facility: int
) -> dict[int, list[tuple[int, str]]]:
    """``per_facility`` providers for each facility, with valid, unused NPIs."""
    used = set(Provider.objects.values_list("npi", flat=True))
    body = 170_000_000 + Provider.objects.count() * 7
    rows = []
    for _facility in facilities:
        for _ in range(per_facility):
            while True:
                body += 1
                npi = npi_for(body)
                if npi not in used:
                    used.add(npi)
                    break
            specialty, credentials = rng.choice(SPECIALTIES)
            rows.append(
                Provider(
                    family_name=rng.choice(FAMILY),
                    given_name=rng.choice(GIVEN_FEMALE + GIVEN_MALE),
                    credentials=credentials,
                    npi=npi,
                    specialty=specialty,
                )
            )
    created = Provider.objects.bulk_create(rows, batch_size=2000)
    if any(p.pk is None for p in created):  # a backend without RETURNING
        by_npi = dict(
            Provider.objects.filter(npi__in=[p.npi for p in created]).values_list("npi", "pk")
        )
        for p in created:
            p.pk = by_npi[p.npi]
    by_facility: dict[int, list[tuple[int, str]]] = {}
    for n, facility in enumerate(facilities):
        chunk = created[n * per_facility : (n + 1) * per_facility]
        by_facility[facility.pk] = [(p.pk, f"Dr. {p.given_name} {p.family_name}") for p in chunk]
    return by_facility


# The generator -----------------------------------------------------------------------

PATIENT_COLUMNS = [
    "id",
    "enterprise_id",
    "facility_id",
    "mrn",
    "family_name",
    "given_name",
    "middle_name",
    "suffix",
    "birth_date",
    "sex",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "phone",
    "email",
    "ssn_encrypted",
    "ssn_last4",
    "deceased_date",
    "confidentiality",
    "restriction_reason",
    "merged_into_id",
    "created_at",
    "updated_at",
    "family_norm",
    "given_norm",
    "family_key",
    "given_key",
]
IDENTIFIER_COLUMNS = ["id", "patient_id", "system_id", "value", "created_at"]
ENCOUNTER_COLUMNS = [
    "id",
    "public_id",
    "number",
    "patient_id",
    "facility_id",
    "encounter_class",
    "admit_at",
    "discharge_at",
    "admit_source",
    "discharge_disposition",
    "attending_id",
    "service_line",
    "surgery_at",
    "status",
    "created_at",
    "updated_at",
]
DOCUMENT_COLUMNS = [
    "id",
    "public_id",
    "patient_id",
    "encounter_id",
    "facility_id",
    "doc_type",
    "title",
    "author_id",
    "service_date",
    "sensitivity",
    "status",
    "current_version_id",
    "created_by_id",
    "created_at",
    "updated_at",
]
VERSION_COLUMNS = [
    "id",
    "document_id",
    "number",
    "kind",
    "text",
    "file",
    "file_name",
    "content_type",
    "size",
    "page_count",
    "sha256",
    "reason",
    "created_by_id",
    "created_at",
    "signed_by_id",
    "signed_at",
]


def _weighted(rng: random.Random, pairs: Sequence[tuple[object, int]]) -> Callable[[], object]:
    values = [v for v, _ in pairs]
    cumulative = []
    total = 0
    for _, weight in pairs:
        total += weight
        cumulative.append(total)
    import bisect

    def pick():
        return values[bisect.bisect_right(cumulative, rng.random() * total)]

    return pick


class _Generator:
    def __init__(
        self,
        *,
        seed: int,
        now: datetime,
        documents: bool,
        ssn_fraction: float,
        encounters_per_patient: float,
        providers: dict[int, list[tuple[int, str]]],
        mrn_systems: dict[int, int],
        payers: list[tuple[int, str]],
    ):
        self.rng = random.Random(seed)
        self.now = now
        self.today = now.date()
        self.documents = documents
        self.ssn_fraction = ssn_fraction
        self.encounters_per_patient = encounters_per_patient
        self.providers = providers
        self.mrn_systems = mrn_systems
        self.payers = payers
        self.pick_class = _weighted(self.rng, CLASSES)
        self.pick_disposition = _weighted(self.rng, DISPOSITIONS)
        self.keys = {}  # name -> (norm, key)
        self.texts: dict[tuple, tuple[str, str]] = {}

    def name_keys(self, name: str) -> tuple[str, str]:
        keys = self.keys.get(name)
        if keys is None:
            keys = self.keys[name] = (normalize(name)[:100], phonetic_key(name))
        return keys

    def patient(self, pid: int, facility_id: int, index: int) -> tuple:
        rng = self.rng
        sex = "F" if rng.random() < 0.51 else "M"
        if rng.random() < 0.004:
            sex = rng.choice("OU")
        given = rng.choice(
            GIVEN_FEMALE if sex == "F" else GIVEN_MALE if sex == "M" else GIVEN_FEMALE + GIVEN_MALE
        )
        family = rng.choice(FAMILY)
        if rng.random() < 0.05:
            family = f"{family}-{rng.choice(FAMILY)}"
        middle = rng.choice(MIDDLE_INITIALS) if rng.random() < 0.6 else ""
        suffix = rng.choice(["Jr", "Sr", "II", "III"]) if sex == "M" and rng.random() < 0.02 else ""
        # Ages 0-100, weighted toward adults, as a hospital's population is.
        age_days = int(min(36500, abs(rng.gauss(45, 22)) * 365.25)) + rng.randrange(365)
        birth = self.today - timedelta(days=min(age_days, 36800))
        city, state = rng.choice(CITIES)
        street = f"{rng.randrange(1, 9999)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_KINDS)}"
        line2 = f"Apt {rng.randrange(1, 40)}{rng.choice('ABCD')}" if rng.random() < 0.15 else ""
        postal = f"{rng.randrange(10000, 99999)}"
        phone = f"({rng.randrange(201, 989)}) 555-01{rng.randrange(100):02d}"
        email = (
            f"{normalize(given)}.{normalize(family)}{pid % 1000}@example.org"
            if rng.random() < 0.7
            else ""
        )
        ssn_enc, last4 = "", ""
        if rng.random() < self.ssn_fraction:
            digits = (
                f"9{rng.randrange(100):02d}{rng.randrange(1, 100):02d}{rng.randrange(1, 10000):04d}"
            )
            ssn_enc, last4 = crypto.encrypt(digits), digits[-4:]
        confidentiality, reason = Patient.Confidentiality.NORMAL, ""
        # About 1%: half at random, half one in every 200 so a small seed has some.
        if rng.random() < 0.005 or index % 200 == 100:
            confidentiality = Patient.Confidentiality.RESTRICTED
            reason = rng.choice(RESTRICTION_REASONS)
        family_norm, family_key = self.name_keys(family)
        given_norm, given_key = self.name_keys(given)
        return (
            pid,
            enterprise_id_for(pid),
            facility_id,
            f"S{pid:08d}",
            family,
            given,
            middle,
            suffix,
            birth,
            sex,
            street,
            line2,
            city,
            state,
            postal,
            phone,
            email,
            ssn_enc,
            last4,
            None,
            confidentiality,
            reason,
            None,
            self.now,
            self.now,
            family_norm,
            given_norm,
            family_key,
            given_key,
        )

    def identifiers(self, pid: int, facility_id: int, mrn: str) -> list[tuple]:
        rows = [(pid, self.mrn_systems[facility_id], mrn)]
        if self.rng.random() < 0.7:
            system, prefix = self.payers[self.rng.randrange(len(self.payers))]
            rows.append((pid, system, f"{prefix}{pid:010d}"))
        return rows

    def encounter_count(self) -> int:
        return min(int(self.rng.expovariate(1 / self.encounters_per_patient) + 0.5), 25)

    def encounter(self, pid: int, facility_id: int, birth: date) -> dict:
        rng = self.rng
        klass = self.pick_class()
        window = max(1, min(3 * 365, (self.today - birth).days))
        admit = self.now - timedelta(days=rng.randrange(window), minutes=rng.randrange(1440))
        if admit.date() < birth:
            admit = datetime.combine(birth, datetime.min.time(), tzinfo=UTC) + timedelta(hours=8)
        providers = self.providers[facility_id]
        attending, doctor = providers[rng.randrange(len(providers))]
        discharge = None
        surgery = None
        disposition = Encounter.Disposition.HOME
        status = Encounter.Status.DISCHARGED
        source = Encounter.AdmitSource.NON_HEALTHCARE
        if klass == Encounter.Class.INPATIENT:
            # Skewed: most stays 1-4 days, a tail to a few weeks (mean ~4.5).
            days = max(1, min(30, int(rng.lognormvariate(1.2, 0.6))))
            discharge = admit + timedelta(days=days, hours=rng.randrange(-6, 8))
            disposition = self.pick_disposition()
            source = rng.choice(["1", "1", "1", "2", "2", "4", "5", "9"])
            if rng.random() < 0.35:
                surgery = admit + timedelta(hours=rng.randrange(2, 30))
        elif klass == Encounter.Class.OBSERVATION:
            discharge = admit + timedelta(hours=rng.randrange(8, 48))
        elif klass == Encounter.Class.EMERGENCY:
            discharge = admit + timedelta(hours=rng.randrange(1, 12), minutes=rng.randrange(60))
        else:
            source = "2"
            discharge = admit + timedelta(minutes=rng.randrange(15, 240))
            if rng.random() < 0.08:
                surgery = admit + timedelta(minutes=rng.randrange(10, 60))
        if discharge is not None and discharge < admit:
            discharge = admit + timedelta(hours=1)
        if discharge is not None and discharge > self.now:
            # Still in the building.
            discharge, disposition, status = None, "", Encounter.Status.ADMITTED
        elif rng.random() < 0.01:
            discharge, disposition, status = None, "", Encounter.Status.CANCELLED
        if discharge is None:
            disposition = ""
        if surgery is not None and surgery > self.now:
            surgery = None
        return {
            "class": klass,
            "admit": admit,
            "discharge": discharge,
            "source": source,
            "disposition": disposition,
            "attending": attending,
            "doctor": doctor,
            "service_line": rng.choice(SERVICE_LINES[klass]),
            "surgery": surgery,
            "status": status,
        }

    def document_types(self, encounter: dict) -> list[str]:
        rng = self.rng
        klass = encounter["class"]
        T = Document.Type
        if encounter["status"] == Encounter.Status.CANCELLED:
            return []
        if klass == Encounter.Class.INPATIENT:
            types = [T.HISTORY_PHYSICAL]
            if rng.random() < 0.4:
                types.append(T.PROGRESS_NOTE)
            if encounter["surgery"] is not None:
                types.append(T.OPERATIVE_REPORT)
                if rng.random() < 0.5:
                    types.append(T.PATHOLOGY)
            if encounter["discharge"] is not None:
                types.append(T.DISCHARGE_SUMMARY)
            return types
        if klass == Encounter.Class.EMERGENCY:
            return [T.PROGRESS_NOTE] + ([T.IMAGING] if rng.random() < 0.3 else [])
        if klass == Encounter.Class.OBSERVATION:
            return [T.PROGRESS_NOTE]
        pool = [
            T.PROGRESS_NOTE,
            T.PROGRESS_NOTE,
            T.CONSULT,
            T.LAB,
            T.IMAGING,
            T.TRANSCRIBED,
            T.CORRESPONDENCE,
            T.CONSENT,
            T.AUTHORIZATION,
            T.OUTSIDE_RECORD,
        ]
        return [rng.choice(pool)]

    def text(self, doc_type: str, age: int, sex: str, doctor: str) -> tuple[str, str]:
        rng = self.rng
        title, paragraphs = TEMPLATES[doc_type]
        values = {
            "age": age,
            "sex": {"F": "female", "M": "male"}.get(sex, "patient"),
            "complaint": rng.choice(COMPLAINTS),
            "dx": rng.choice(DIAGNOSES),
            "proc": rng.choice(PROCEDURES),
            "doctor": doctor,
        }
        return title, "\n\n".join(p.format(**values) for p in paragraphs)


def seed(
    *,
    patients: int,
    seed: int = 1,
    facilities: int = 2,
    facility_objects: Sequence[Facility] | None = None,
    encounters_per_patient: float = 3.0,
    documents: bool = True,
    ssn_fraction: float = 0.25,
    chunk: int = CHUNK,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Add ``patients`` synthetic patients (and their records) to the database.

    ``facility_objects`` seeds into those facilities (the demo's); otherwise
    ``facilities`` synthetic facilities SYN01.. are used (created if missing).
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=0)
    result = SeedResult()
    say = progress or (lambda message: None)
    targets = list(facility_objects) if facility_objects else synthetic_facilities(facilities)
    result.facility_ids = [f.pk for f in targets]
    mrn_systems, payers = identifier_systems(targets)
    per_facility = max(8, min(400, patients // (len(targets) * 2500) or 8))
    providers = make_providers(rng, targets, per_facility)
    result.providers = per_facility * len(targets)
    generator = _Generator(
        seed=rng.randrange(2**32),
        now=now,
        documents=documents,
        ssn_fraction=ssn_fraction,
        encounters_per_patient=encounters_per_patient,
        providers=providers,
        mrn_systems=mrn_systems,
        payers=payers,
    )
    tables = {
        "patient": _Table(Patient, PATIENT_COLUMNS),
        "identifier": _Table(PatientIdentifier, IDENTIFIER_COLUMNS),
        "encounter": _Table(Encounter, ENCOUNTER_COLUMNS),
        "document": _Table(Document, DOCUMENT_COLUMNS),
        "version": _Table(DocumentVersion, VERSION_COLUMNS),
    }
    uuids = random.Random(f"{seed}:{Patient.objects.count()}:{now.isoformat()}")
    ranges: dict[str, list[int]] = {}
    done = 0
    while done < patients:
        size = min(chunk, patients - done)
        with transaction.atomic():
            counts = _seed_chunk(generator, tables, targets, size, now, uuids, ranges)
        for key, value in counts.items():
            setattr(result, key, getattr(result, key) + value)
        done += size
        elapsed = time.perf_counter() - started
        say(
            f"  {done:,}/{patients:,} patients, {result.encounters:,} encounters, "
            f"{result.documents:,} documents ({elapsed:.0f} s, {done / elapsed:,.0f} patients/s)"
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in tables.values():
                cursor.execute(f'ANALYZE "{table.table}"')
    result.seconds = time.perf_counter() - started
    hooks.fire(
        hooks.SYNTHETIC_SEEDED,
        facility_ids=result.facility_ids,
        since=now,
        patient_ids=tuple(ranges.get("patient", ())),
        encounter_ids=tuple(ranges.get("encounter", ())),
        document_ids=tuple(ranges.get("document", ())),
    )
    return result


def _track(ranges: dict[str, list[int]], name: str, first: int, count: int) -> None:
    if count <= 0:
        return
    last = first + count - 1
    span = ranges.setdefault(name, [first, last])
    span[0], span[1] = min(span[0], first), max(span[1], last)


def _seed_chunk(gen: _Generator, tables, facilities, size: int, now, uuids, ranges) -> dict:
    rng = gen.rng
    first_patient = tables["patient"].reserve(size)
    _track(ranges, "patient", first_patient, size)
    patient_rows, identifier_rows, plans = [], [], []
    for n in range(size):
        pid = first_patient + n
        facility_id = facilities[rng.randrange(len(facilities))].pk
        row = gen.patient(pid, facility_id, n)
        patient_rows.append(row)
        identifier_rows.extend(gen.identifiers(pid, facility_id, row[3]))
        for _ in range(gen.encounter_count()):
            plans.append(
                (pid, facility_id, row[8], row[9], gen.encounter(pid, facility_id, row[8]))
            )
    counts = {"patients": tables["patient"].write(patient_rows)}
    first_identifier = tables["identifier"].reserve(len(identifier_rows))
    counts["identifiers"] = tables["identifier"].write(
        (first_identifier + i, *r, now) for i, r in enumerate(identifier_rows)
    )
    first_encounter = tables["encounter"].reserve(len(plans))
    _track(ranges, "encounter", first_encounter, len(plans))
    encounter_rows = []
    documents = []  # (encounter index, doc type)
    for i, (pid, facility_id, _birth, _sex, e) in enumerate(plans):
        eid = first_encounter + i
        encounter_rows.append(
            (
                eid,
                _uuid(uuids),
                f"V{eid:010d}",
                pid,
                facility_id,
                e["class"],
                e["admit"],
                e["discharge"],
                e["source"],
                e["disposition"],
                e["attending"],
                e["service_line"],
                e["surgery"],
                e["status"],
                now,
                now,
            )
        )
        if gen.documents:
            documents.extend((i, t) for t in gen.document_types(e))
    counts["encounters"] = tables["encounter"].write(encounter_rows)
    counts["documents"] = counts["versions"] = 0
    if not documents:
        return counts
    # Versions: one original each; a few corrections or addenda (a second version).
    extra = [rng.random() < 0.04 for _ in documents]
    first_document = tables["document"].reserve(len(documents))
    _track(ranges, "document", first_document, len(documents))
    first_version = tables["version"].reserve(len(documents) + sum(extra))
    document_rows, version_rows = [], []
    vid = first_version
    S = Document.Status
    for d, ((index, doc_type), second) in enumerate(zip(documents, extra, strict=True)):
        did = first_document + d
        pid, facility_id, birth, sex, e = plans[index]
        service_at = e["admit"]
        if doc_type == Document.Type.OPERATIVE_REPORT and e["surgery"]:
            service_at = e["surgery"]
        elif doc_type == Document.Type.DISCHARGE_SUMMARY and e["discharge"]:
            service_at = e["discharge"]
        age = max(0, (service_at.date() - birth).days // 365)
        title, text = gen.text(doc_type, age, sex, e["doctor"])
        roll = rng.random()
        if roll < 0.8:
            status = S.SIGNED
        elif roll < 0.95:
            status = S.PENDING_SIGNATURE
        elif roll < 0.995:
            status = S.DRAFT
        else:
            status = S.ENTERED_IN_ERROR
        sensitivity = 0
        for bit, weight in SENSITIVITY_WEIGHTS:
            if rng.random() < weight:
                sensitivity |= bit
        signed_at = service_at + timedelta(hours=rng.randrange(1, 72))
        signed_at = min(signed_at, now)
        signed = status in (S.SIGNED, S.ENTERED_IN_ERROR) or (second and status != S.DRAFT)
        version_rows.append(
            _version(
                vid,
                did,
                1,
                DocumentVersion.Kind.ORIGINAL,
                text,
                "",
                service_at,
                e["attending"] if signed else None,
                signed_at if signed else None,
            )
        )
        current = vid
        vid += 1
        if second and status != S.DRAFT:
            reason = rng.choice(CORRECTION_REASONS)
            kind = (
                DocumentVersion.Kind.ADDENDUM
                if reason.startswith("Addendum")
                else DocumentVersion.Kind.CORRECTION
            )
            later = min(signed_at + timedelta(days=rng.randrange(1, 10)), now)
            resigned = status == S.SIGNED
            body = text + (
                "\n\nADDENDUM: Results reviewed; no change to plan."
                if kind == DocumentVersion.Kind.ADDENDUM
                else "\n\n(Corrected.)"
            )
            version_rows.append(
                _version(
                    vid,
                    did,
                    2,
                    kind,
                    body,
                    reason,
                    later,
                    e["attending"] if resigned else None,
                    later if resigned else None,
                )
            )
            current = vid
            vid += 1
        elif second:
            vid += 1  # the reserved id stays unused: simpler than a second pass
        document_rows.append(
            (
                did,
                _uuid(uuids),
                pid,
                first_encounter + index,
                facility_id,
                doc_type,
                title,
                e["attending"],
                service_at.date(),
                sensitivity,
                status,
                current,
                None,
                now,
                now,
            )
        )
    counts["documents"] = tables["document"].write(document_rows)
    counts["versions"] = tables["version"].write(version_rows)
    return counts


def _version(vid, did, number, kind, text, reason, created_at, signer, signed_at) -> tuple:
    data = text.encode()
    return (
        vid,
        did,
        number,
        kind,
        text,
        "",
        "",
        "text/plain",
        len(data),
        None,
        hashlib.sha256(data).hexdigest(),
        reason,
        None,
        created_at,
        signer,
        signed_at,
    )


def seed_small(
    *,
    patients_per_facility: int = 60,
    rng_seed: int = 7,
    facility_codes: Sequence[str] = ("MAIN", "NORTH"),
) -> SeedResult | None:
    """The ``make run`` set: a few hundred patients in the demo's facilities, once.

    Wire it into the platform's demo seed registry (him/demo.py) from
    ``RecordsConfig.ready()``. Idempotent: does nothing when synthetic
    (S-numbered) patients exist there already, or when the facilities do not.
    """
    facilities = list(Facility.objects.filter(code__in=facility_codes).order_by("code"))
    if (
        not facilities
        or Patient.objects.filter(facility__in=facilities, mrn__startswith="S").exists()
    ):
        return None
    return seed(
        patients=patients_per_facility * len(facilities),
        seed=rng_seed,
        facility_objects=facilities,
    )
