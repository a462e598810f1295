"""Chart completion: finding deficiencies, completing and waiving them, delinquency.

How evaluation decides (the same code for one encounter and for the sweep):
- a rule applies when the encounter's class is one of the rule's classes and
  the rule's anchor (admission, surgery, discharge) has happened;
- a rule that applies but is not yet due still creates its deficiency, with
  its due date, so the physician sees it coming in the queue; it is
  *delinquent* only once the due date has passed;
- missing document: no document of the type among the encounter's documents
  that were not entered in error; assigned to the attending;
- missing signature: one deficiency per unsigned (draft or pending signature)
  document of the encounter, assigned to its author (else the attending);
- an open deficiency whose need has gone (the document was filed, signed, or
  entered in error) is completed; a waived one stays waived and is never
  created again; "incomplete" deficiencies are a person's finding and are left
  alone.
Nothing here runs from model signals: the services that file, sign and
discharge fire ``records.hooks`` events, which call ``encounter_evaluate_deficiencies``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from him import policy, trail
from him.models import Facility
from records.models import Deficiency, DeficiencyReply, DeficiencyRule, Document, Encounter

Kind = Deficiency.Kind
Status = Deficiency.Status
Anchor = DeficiencyRule.Anchor

UNSIGNED = (Document.Status.DRAFT, Document.Status.PENDING_SIGNATURE)

# The Joint Commission's measure: delinquent records must stay below 50% of the
# average monthly discharges. Percent; ``settings.DELINQUENCY_THRESHOLD`` overrides.
DELINQUENCY_THRESHOLD = 50

DEFAULT_RULES = [
    {
        "name": "History and physical within 24 hours of admission",
        "kind": Kind.MISSING_DOCUMENT,
        "doc_type": Document.Type.HISTORY_PHYSICAL,
        "anchor": Anchor.ADMISSION,
        "hours_allowed": 24,
        "encounter_classes": "inpatient,observation",
    },
    {
        "name": "Operative report within 24 hours of surgery",
        "kind": Kind.MISSING_DOCUMENT,
        "doc_type": Document.Type.OPERATIVE_REPORT,
        "anchor": Anchor.SURGERY,
        "hours_allowed": 24,
        "encounter_classes": "",
    },
    {
        "name": "Discharge summary within 30 days of discharge",
        "kind": Kind.MISSING_DOCUMENT,
        "doc_type": Document.Type.DISCHARGE_SUMMARY,
        "anchor": Anchor.DISCHARGE,
        "hours_allowed": 720,
        "encounter_classes": "inpatient",
    },
    {
        "name": "All documents signed within 30 days of discharge",
        "kind": Kind.MISSING_SIGNATURE,
        "doc_type": "",
        "anchor": Anchor.DISCHARGE,
        "hours_allowed": 720,
        "encounter_classes": "",
    },
]


def deficiency_rules_ensure_defaults(**kwargs) -> int:
    """Create the general default rules that are missing (safe after every migrate).

    Never changes a rule an administrator edited or switched off.
    """
    created = 0
    for spec in DEFAULT_RULES:
        _, made = DeficiencyRule.objects.get_or_create(
            facility=None,
            kind=spec["kind"],
            doc_type=spec["doc_type"],
            defaults=spec,
        )
        created += made
    return created


def effective_rules(rules: Iterable[DeficiencyRule]) -> dict[int | None, list[DeficiencyRule]]:
    """Per facility id (None: the general set), the active rules after overrides."""
    general = {r.override_key: r for r in rules if r.facility_id is None}
    by_facility: dict[int, dict] = defaultdict(dict)
    for r in rules:
        if r.facility_id is not None:
            by_facility[r.facility_id][r.override_key] = r
    result: dict[int | None, list[DeficiencyRule]] = {
        None: [r for r in general.values() if r.active]
    }
    for facility_id, own in by_facility.items():
        merged = {**general, **own}
        result[facility_id] = [r for r in merged.values() if r.active]
    return result


def rules_for(facility_id: int, table: dict[int | None, list[DeficiencyRule]]):
    return table.get(facility_id, table[None])


def _load_rule_table() -> dict[int | None, list[DeficiencyRule]]:
    return effective_rules(list(DeficiencyRule.objects.all()))


# Evaluation ------------------------------------------------------------------------------


@dataclass
class Evaluation:
    created: list[Deficiency] = field(default_factory=list)
    completed: list[Deficiency] = field(default_factory=list)


@dataclass(frozen=True)
class _Need:
    rule: DeficiencyRule
    document_id: int | None
    provider_id: int | None
    due_at: dt.datetime


def _needs(encounter: Encounter, rules, documents) -> dict[tuple[int, int | None], _Need]:
    """What the chart needs now, keyed by (rule, document)."""
    if encounter.status == Encounter.Status.CANCELLED:
        return {}
    live = [d for d in documents if d.status != Document.Status.ENTERED_IN_ERROR]
    filed_types = {d.doc_type for d in live}
    needs = {}
    for rule in rules:
        if not rule.applies_to_class(encounter.encounter_class):
            continue
        anchor = rule.anchor_time(encounter)
        if anchor is None:
            continue
        due = anchor + dt.timedelta(hours=rule.hours_allowed)
        if rule.kind == Kind.MISSING_DOCUMENT:
            if rule.doc_type not in filed_types:
                needs[(rule.pk, None)] = _Need(rule, None, encounter.attending_id, due)
        elif rule.kind == Kind.MISSING_SIGNATURE:
            for d in live:
                if d.status in UNSIGNED and (not rule.doc_type or d.doc_type == rule.doc_type):
                    provider = d.author_id or encounter.attending_id
                    needs[(rule.pk, d.pk)] = _Need(rule, d.pk, provider, due)
    return needs


def _still_needed(deficiency: Deficiency, documents_by_id: dict[int, Document], filed_types):
    if deficiency.kind == Kind.MISSING_DOCUMENT:
        return deficiency.doc_type not in filed_types
    if deficiency.kind == Kind.MISSING_SIGNATURE:
        doc = documents_by_id.get(deficiency.document_id)
        return doc is not None and doc.status in UNSIGNED
    return True  # incomplete: a person closes it


def _plan(encounter, rules, documents, existing, now) -> tuple[list[Deficiency], list[int]]:
    """New deficiencies to insert and the ids of open ones to complete."""
    needs = _needs(encounter, rules, documents)
    live_keys = {
        (d.rule_id, d.document_id) for d in existing if d.status in (Status.OPEN, Status.WAIVED)
    }
    documents_by_id = {d.pk: d for d in documents}
    filed_types = {d.doc_type for d in documents if d.status != Document.Status.ENTERED_IN_ERROR}
    to_create = [
        Deficiency(
            encounter=encounter,
            document_id=need.document_id,
            rule=need.rule,
            kind=need.rule.kind,
            doc_type=(
                need.rule.doc_type
                if need.document_id is None
                else documents_by_id[need.document_id].doc_type
            ),
            provider_id=need.provider_id,
            due_at=need.due_at,
        )
        for key, need in needs.items()
        if key not in live_keys
    ]
    to_complete = [
        d.pk
        for d in existing
        if d.status == Status.OPEN and not _still_needed(d, documents_by_id, filed_types)
    ]
    return to_create, to_complete


def _apply(to_create: list[Deficiency], to_complete: list[int], now) -> Evaluation:
    result = Evaluation()
    if to_complete:
        Deficiency.objects.filter(pk__in=to_complete, status=Status.OPEN).update(
            status=Status.COMPLETED, completed_at=now
        )
        result.completed = list(Deficiency.objects.filter(pk__in=to_complete))
    for deficiency in to_create:
        # One savepoint each: a concurrent evaluation that inserted the same live
        # deficiency first wins, and this one is simply not needed.
        try:
            with transaction.atomic():
                deficiency.save(force_insert=True)
        except IntegrityError:
            continue
        result.created.append(deficiency)
    return result


_DOC_FIELDS = ("pk", "encounter_id", "doc_type", "status", "author_id")


@transaction.atomic
def encounter_evaluate_deficiencies(*, encounter: Encounter, now=None) -> Evaluation:
    """Bring one encounter's deficiencies up to date (idempotent)."""
    now = now or timezone.now()
    encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
    rules = rules_for(encounter.facility_id, _load_rule_table())
    documents = list(Document.objects.filter(encounter=encounter).only(*_DOC_FIELDS))
    existing = list(Deficiency.objects.filter(encounter=encounter).exclude(status=Status.COMPLETED))
    to_create, to_complete = _plan(encounter, rules, documents, existing, now)
    return _apply(to_create, to_complete, now)


SWEEP_CHUNK = 500
# Days a provider gets to fix a document a technician found incomplete.
INCOMPLETE_DUE_DAYS = 7
# Discharged encounters are looked at for this long after discharge (longer than
# any rule allows); older ones are finished business unless something is open.
SWEEP_WINDOW_DAYS = 120


def sweep_candidates(now) -> Q:
    recent = now - dt.timedelta(days=SWEEP_WINDOW_DAYS)
    return Q(status=Encounter.Status.ADMITTED) | Q(
        status=Encounter.Status.DISCHARGED, discharge_at__gte=recent
    )


def deficiencies_sweep(*, now=None, chunk_size: int = SWEEP_CHUNK) -> Evaluation:
    """Evaluate every current encounter in bulk: rules that come due without an event.

    Per chunk: one query for the encounters, one for their documents, one for
    their live deficiencies, one bulk INSERT and one UPDATE for completions;
    rules are loaded once. ``created`` counts what was planned: under a
    concurrent evaluation a planned row may already have been there.
    """
    now = now or timezone.now()
    table = _load_rule_table()
    total = Evaluation()
    ids = list(
        Encounter.objects.filter(sweep_candidates(now)).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        with transaction.atomic():
            encounters = list(Encounter.objects.filter(pk__in=chunk))
            documents = defaultdict(list)
            for d in Document.objects.filter(encounter_id__in=chunk).only(*_DOC_FIELDS):
                documents[d.encounter_id].append(d)
            existing = defaultdict(list)
            for d in Deficiency.objects.filter(encounter_id__in=chunk).exclude(
                status=Status.COMPLETED
            ):
                existing[d.encounter_id].append(d)
            creates, completes = [], []
            for encounter in encounters:
                rules = rules_for(encounter.facility_id, table)
                c, done = _plan(
                    encounter, rules, documents[encounter.pk], existing[encounter.pk], now
                )
                creates.extend(c)
                completes.extend(done)
            result = _apply([], completes, now)
            # One INSERT per batch; a row a concurrent evaluation inserted first is
            # skipped by the live-deficiency unique constraints.
            Deficiency.objects.bulk_create(creates, batch_size=chunk_size, ignore_conflicts=True)
        total.created.extend(creates)
        total.completed.extend(result.completed)
    return total


# Hooks (registered in RecordsConfig.ready) ---------------------------------------------


def on_encounter_event(*, encounter: Encounter, **kwargs) -> None:
    encounter_evaluate_deficiencies(encounter=encounter)


def on_document_event(*, document: Document, **kwargs) -> None:
    if document.encounter_id:
        encounter_evaluate_deficiencies(encounter=Encounter(pk=document.encounter_id))


# Waiving ---------------------------------------------------------------------------------


def deficiency_waive(*, deficiency: Deficiency, user, reason: str) -> Deficiency:
    """The HIM manager waives an open deficiency, saying why; written to the trail."""
    if not user.has_perm("records.waive_deficiency") or not policy.can(user, "view", deficiency):
        # Outside any transaction of ours, so the denial row is kept.
        trail.record(
            trail.Action.DENIED,
            obj=deficiency,
            outcome=trail.Outcome.DENIED,
            reason="waive refused: role lacks records.waive_deficiency",
        )
        raise PermissionDenied("Only an HIM manager may waive a deficiency.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this deficiency is waived."})
    with transaction.atomic():
        deficiency = Deficiency.objects.select_for_update().get(pk=deficiency.pk)
        if deficiency.status != Status.OPEN:
            raise ValidationError(
                "Only an open deficiency can be waived; "
                f"this one is {deficiency.get_status_display().lower()}."
            )
        deficiency.status = Status.WAIVED
        deficiency.waived_by = user
        deficiency.waive_reason = reason
        deficiency.completed_at = timezone.now()
        deficiency.save(update_fields=["status", "waived_by", "waive_reason", "completed_at"])
        trail.record(trail.Action.UPDATE, obj=deficiency, reason=f"waived: {reason}")
    return deficiency


def deficiency_flag_incomplete(
    *, document: Document, user, note: str, due_days: int = INCOMPLETE_DUE_DAYS
) -> Deficiency:
    """A technician's finding: this document is incomplete (a missing element,
    an unsigned correction...). Assigned to its author, else the attending."""
    if not user.has_perm("records.add_deficiency") or not policy.can(user, "view", document):
        trail.record(
            trail.Action.DENIED,
            obj=document,
            outcome=trail.Outcome.DENIED,
            reason="flag incomplete refused: role lacks records.add_deficiency",
        )
        raise PermissionDenied("Your role cannot record deficiencies.")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say what is incomplete, so the provider can fix it."})
    if document.encounter_id is None:
        raise ValidationError(
            "This document is not filed to an encounter; file it to the visit first."
        )
    if not 1 <= int(due_days) <= 90:
        raise ValidationError({"due_days": "Give between 1 and 90 days to complete it."})
    if document.status == Document.Status.ENTERED_IN_ERROR:
        raise ValidationError("This document was entered in error; nothing to complete.")
    with transaction.atomic():
        encounter = document.encounter
        deficiency = Deficiency.objects.create(
            encounter=encounter,
            document=document,
            kind=Kind.INCOMPLETE,
            doc_type=document.doc_type,
            provider=document.author or encounter.attending,
            due_at=timezone.now() + dt.timedelta(days=int(due_days)),
            note=note,
        )
        trail.record(trail.Action.CREATE, obj=deficiency, reason=f"incomplete: {note}")
    return deficiency


def deficiency_complete(*, deficiency: Deficiency, user) -> Deficiency:
    """Close an "incomplete" finding once the document was fixed (rules close the others)."""
    if not user.has_perm("records.change_deficiency") or not policy.can(user, "view", deficiency):
        raise PermissionDenied("Your role cannot close deficiencies.")
    with transaction.atomic():
        deficiency = Deficiency.objects.select_for_update().get(pk=deficiency.pk)
        if deficiency.kind != Kind.INCOMPLETE:
            raise ValidationError(
                "Missing documents and signatures close themselves when the document is "
                "filed or signed; only an incomplete finding is closed by hand."
            )
        if deficiency.status != Status.OPEN:
            raise ValidationError("This deficiency is not open.")
        deficiency.status = Status.COMPLETED
        deficiency.completed_at = timezone.now()
        deficiency.save(update_fields=["status", "completed_at"])
        trail.record(trail.Action.UPDATE, obj=deficiency, reason="incomplete finding closed")
    return deficiency


def deficiency_reply(*, deficiency: Deficiency, user, text: str) -> DeficiencyReply:
    """A physician answers a deficiency (or a technician answers back)."""
    if not policy.can(user, "view", deficiency):
        raise PermissionDenied("No such deficiency, or it is outside your access.")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write your reply."})
    if len(text) > 4000:
        raise ValidationError({"text": "Keep the reply under 4,000 characters."})
    with transaction.atomic():
        reply = DeficiencyReply.objects.create(deficiency=deficiency, author=user, text=text)
        trail.record(
            trail.Action.UPDATE, obj=deficiency, reason="reply", detail={"reply": reply.pk}
        )
    return reply


# Delinquency -----------------------------------------------------------------------------


def delinquency_threshold() -> float:
    return float(getattr(settings, "DELINQUENCY_THRESHOLD", DELINQUENCY_THRESHOLD))


def last_full_months(today: dt.date, count: int = 3) -> tuple[dt.date, dt.date]:
    """[start, end) of the ``count`` whole calendar months before ``today``'s month."""
    end = today.replace(day=1)
    start = end
    for _ in range(count):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return start, end


@dataclass
class Delinquency:
    facility: Facility
    delinquent_records: int
    open_deficiencies: int
    average_monthly_discharges: float
    rate: float | None  # percent; None when there were no discharges to measure against
    threshold: float

    @property
    def status(self) -> str:
        if self.rate is None:
            return "ok" if not self.delinquent_records else "warning"
        return "alert" if self.rate > self.threshold else "ok"

    def as_dict(self) -> dict:
        return {
            "facility": self.facility.code,
            "facility_name": self.facility.name,
            "delinquent_records": self.delinquent_records,
            "open_deficiencies": self.open_deficiencies,
            "average_monthly_discharges": round(self.average_monthly_discharges, 2),
            "rate": None if self.rate is None else round(self.rate, 1),
            "threshold": self.threshold,
            "status": self.status,
        }


def delinquency_for_facilities(facilities: Iterable[Facility], *, now=None) -> list[Delinquency]:
    """Delinquency rate per facility: records (encounters) with an open deficiency
    past due, over the average monthly discharges of the last 3 full months.

    Three aggregate queries in all, whatever the number of facilities.
    """
    now = now or timezone.now()
    facilities = list(facilities)
    ids = [f.pk for f in facilities]
    start, end = last_full_months(timezone.localdate(now), 3)
    tz = timezone.get_current_timezone()
    start_at = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    end_at = dt.datetime.combine(end, dt.time.min, tzinfo=tz)
    discharges = dict(
        Encounter.objects.filter(
            facility_id__in=ids,
            discharge_at__gte=start_at,
            discharge_at__lt=end_at,
        )
        .exclude(status=Encounter.Status.CANCELLED)
        .values_list("facility_id")
        .annotate(n=Count("pk"))
        .values_list("facility_id", "n")
    )
    delinquent = dict(
        Deficiency.objects.filter(encounter__facility_id__in=ids)
        .delinquent(now)
        .values_list("encounter__facility_id")
        .annotate(n=Count("encounter_id", distinct=True))
        .values_list("encounter__facility_id", "n")
    )
    open_counts = dict(
        Deficiency.objects.filter(encounter__facility_id__in=ids, status=Status.OPEN)
        .values_list("encounter__facility_id")
        .annotate(n=Count("pk"))
        .values_list("encounter__facility_id", "n")
    )
    threshold = delinquency_threshold()
    result = []
    for f in facilities:
        average = discharges.get(f.pk, 0) / 3
        records = delinquent.get(f.pk, 0)
        rate = (100.0 * records / average) if average else None
        result.append(Delinquency(f, records, open_counts.get(f.pk, 0), average, rate, threshold))
    return result


def delinquency_for_user(user, *, now=None) -> list[Delinquency]:
    """The figures for the facilities ``user`` reaches (counts only: no PHI)."""
    if not user.has_perm("records.view_delinquency") or policy.needs_second_factor(user):
        return []
    facilities = Facility.objects.filter(pk__in=policy.facility_ids(user)).order_by("code")
    return delinquency_for_facilities(facilities, now=now)


def delinquency_tile(user) -> dict:
    """The home page tile: the worst facility's rate among the user's."""
    from django.urls import reverse

    rows = delinquency_for_user(user)
    if not rows:
        return {"value": "—", "detail": "no facility", "status": "ok"}
    measured = [r for r in rows if r.rate is not None]
    worst = max(measured, key=lambda r: r.rate) if measured else rows[0]
    value = f"{worst.rate:.0f}%" if worst.rate is not None else "—"
    detail = (
        f"{worst.facility.code}: {worst.delinquent_records} delinquent records, "
        f"threshold {worst.threshold:.0f}%"
    )
    status = "alert" if any(r.status == "alert" for r in rows) else worst.status
    return {
        "value": value,
        "detail": detail,
        "status": status,
        "url": reverse("records:delinquency", args=[worst.facility.code]),
    }
