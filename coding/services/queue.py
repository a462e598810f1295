"""The coder work queue (DNFB: discharged, not final billed), assignment, "next
chart", and coder productivity.

The queue lists encounters, not coding rows: a discharged encounter nobody has
opened yet has no ``EncounterCoding`` and must still show. Its row is made
(``coding_for``) only when someone assigns, claims or opens the chart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from coding.models import EncounterCoding
from coding.services.encounters import coding_for
from him import policy, roles, trail
from him.models import User
from records.models import Deficiency, Encounter

Pending = EncounterCoding.Pending
Status = EncounterCoding.Status

# Age buckets (days since discharge, inclusive) for the filter and the report.
AGE_BUCKETS = {
    "0-3": (0, 3),
    "4-7": (4, 7),
    "8-14": (8, 14),
    "15-30": (15, 30),
    "31+": (31, None),
}
AGE_BUCKET_CHOICES = [(k, f"{k} days") for k in AGE_BUCKETS]
NEXT_CHART_CANDIDATES = 25


def dnfb(user) -> models.QuerySet:
    """Discharged, not cancelled, not final encounters ``user`` may reach, annotated
    with what the queue shows. Read through the access policy (facility grants,
    restricted patients)."""
    open_deficiency = Deficiency.objects.filter(
        encounter=OuterRef("pk"), status=Deficiency.Status.OPEN
    )
    return (
        Encounter.objects.visible_to(user, "view")
        .filter(discharge_at__isnull=False)
        .exclude(status=Encounter.Status.CANCELLED)
        .exclude(coding__status=Status.FINAL)
        .annotate(
            coding_public_id=F("coding__public_id"),
            coding_status=Coalesce(F("coding__status"), Value(Status.NOT_STARTED.value)),
            coder_id=F("coding__assigned_coder_id"),
            coder_username=F("coding__assigned_coder__username"),
            working_drg=F("coding__working_drg"),
            expected_weight=F("coding__working_weight"),
            stored_pending=Coalesce(F("coding__pending_reason"), Value("")),
            deficiency_open=Exists(open_deficiency),
        )
        .annotate(
            pending=Case(
                When(~Q(stored_pending=""), then=F("stored_pending")),
                When(deficiency_open=True, then=Value(Pending.DEFICIENCY.value)),
                default=Value(""),
                output_field=models.CharField(),
            )
        )
        .select_related("patient", "facility")
    )


def days_since(at: dt.datetime | None, today: dt.date | None = None) -> int | None:
    if at is None:
        return None
    today = today or timezone.localdate()
    return (today - timezone.localtime(at).date()).days


def age_bounds(bucket: str, today: dt.date | None = None) -> tuple[dt.datetime | None, dt.datetime]:
    """[start, end) of discharge times whose days-since-discharge fall in ``bucket``."""
    low, high = AGE_BUCKETS[bucket]
    today = today or timezone.localdate()
    zone = timezone.get_current_timezone()

    def midnight(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min), zone)

    end = midnight(today - dt.timedelta(days=low) + dt.timedelta(days=1))
    start = midnight(today - dt.timedelta(days=high)) if high is not None else None
    return start, end


# Assignment ---------------------------------------------------------------------------


def eligible_coders(user) -> models.QuerySet:
    """Active coders sharing at least one facility with ``user`` (the assign choices)."""
    return (
        User.objects.filter(is_active=True, groups__name=roles.CODER)
        .filter(
            Q(facilityuserobjectpermission__content_object__in=policy.facility_ids(user))
            | Q(groups__facilitygroupobjectpermission__content_object__in=policy.facility_ids(user))
        )
        .distinct()
        .order_by("username")
    )


def _may_code(coder: User, encounter: Encounter) -> bool:
    policy.forget(coder)
    return (
        coder.is_active
        and coder.has_perm("coding.change_encountercoding")
        and encounter.facility_id in policy.facility_ids(coder)
    )


@transaction.atomic
def queue_assign(
    *, encounters: Iterable[Encounter], coder: User | None, user
) -> list[EncounterCoding]:
    """Assign (or, with ``coder=None``, unassign) charts; all or nothing.

    The HIM manager needs ``coding.assign_encountercoding``; the coder must be
    able to code at each chart's facility; a final chart is not in the queue.
    """
    if not user.has_perm("coding.assign_encountercoding"):
        raise PermissionDenied("Your role does not allow assigning charts.")
    encounters = list(encounters)
    if not encounters:
        raise ValidationError({"encounters": "Choose at least one chart."})
    problems = []
    for encounter in encounters:
        if coder is not None and not _may_code(coder, encounter):
            problems.append(
                f"{coder.username} cannot code visit {encounter.number}: not a coder "
                f"with access to {encounter.facility.code}."
            )
    if problems:
        raise ValidationError({"coder": problems})
    done = []
    for encounter in encounters:
        coding = coding_for(encounter)
        coding = EncounterCoding.objects.select_for_update().get(pk=coding.pk)
        if coding.is_final:
            raise ValidationError(
                {"encounters": f"Visit {encounter.number} is already final; reopen it first."}
            )
        previous = coding.assigned_coder.username if coding.assigned_coder_id else ""
        coding.assigned_coder = coder
        coding._change_reason = "assigned" if coder else "unassigned"
        coding.save(update_fields=["assigned_coder", "updated_at"])
        trail.record(
            trail.Action.UPDATE,
            obj=coding,
            reason="assigned" if coder else "unassigned",
            detail={"from": previous, "to": coder.username if coder else ""},
        )
        done.append(coding)
    return done


def _claim(coding_id: int, user) -> bool:
    """The conditional UPDATE: takes the chart only if nobody has it, it waits for
    nothing and it is not final. Two coders can never both get 1 row back."""
    return (
        EncounterCoding.objects.filter(pk=coding_id, assigned_coder__isnull=True, pending_reason="")
        .exclude(status=Status.FINAL)
        .update(assigned_coder=user, updated_at=timezone.now())
        == 1
    )


def next_chart_candidates(user) -> list[Encounter]:
    return list(
        dnfb(user)
        .filter(pending="", coding__assigned_coder__isnull=True)
        .order_by("discharge_at", "pk")[:NEXT_CHART_CANDIDATES]
    )


def queue_next_chart(*, user) -> EncounterCoding | None:
    """Claim the oldest unassigned, unpended chart in ``user``'s reach for them.

    Candidates are read without locks; each claim is a conditional UPDATE, so
    a chart another coder took a moment ago is skipped, never shared.
    """
    if not user.has_perm("coding.change_encountercoding"):
        raise PermissionDenied("Only coders take charts from the queue.")
    for encounter in next_chart_candidates(user):
        with transaction.atomic():
            coding = coding_for(encounter)
            if not _claim(coding.pk, user):
                continue
            coding.refresh_from_db()
            coding._change_reason = "claimed with next chart"
            coding.save(update_fields=["assigned_coder", "updated_at"])  # the history row
            trail.record(trail.Action.UPDATE, obj=coding, reason="claimed with next chart")
            return coding
    return None


@transaction.atomic
def coding_set_pending(*, coding: EncounterCoding, reason: str, user) -> EncounterCoding:
    """A coder marks a chart as awaiting documentation (or clears it).

    "Query outstanding" belongs to the queries (set on send, cleared on the
    last answer); it cannot be set or cleared by hand while a query is out.
    """
    from coding.models import PhysicianQuery

    if reason not in (Pending.NONE, Pending.DOCUMENTATION):
        raise ValidationError(
            {"reason": "Choose awaiting documentation, or none: queries set their own reason."}
        )
    coding = EncounterCoding.objects.select_for_update().get(pk=coding.pk)
    if coding.is_final:
        raise ValidationError("This chart is final; reopen it first.")
    if PhysicianQuery.objects.filter(coding=coding, status=PhysicianQuery.Status.SENT).exists():
        raise ValidationError(
            {
                "reason": "A physician query is outstanding: the chart stays pending until it is "
                "answered or cancelled."
            }
        )
    previous = coding.pending_reason
    coding.pending_reason = reason
    coding._change_reason = "pending reason"
    coding.save(update_fields=["pending_reason", "updated_at"])
    trail.record(
        trail.Action.UPDATE,
        obj=coding,
        reason="pending reason",
        detail={"from": previous, "to": reason},
    )
    return coding


# Productivity ---------------------------------------------------------------------------


@dataclass
class ProductivityRow:
    day: dt.date
    coder: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def productivity(
    user, start: dt.date, end: dt.date, *, coder: str = ""
) -> tuple[list[str], list[ProductivityRow]]:
    """Charts finalized per day, per coder, by encounter class, ``start``..``end``
    inclusive (site time zone). Returns (classes shown, rows)."""
    zone = timezone.get_current_timezone()
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min), zone)
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), zone)
    finalized = EncounterCoding.objects.visible_to(user, "view").filter(
        status=Status.FINAL, finalized_at__gte=since, finalized_at__lt=until
    )
    if coder:
        finalized = finalized.filter(finalized_by__username=coder)
    grouped = (
        finalized.annotate(day=TruncDate("finalized_at", tzinfo=zone))
        .values("day", "finalized_by__username", "encounter__encounter_class")
        .annotate(n=Count("pk"))
        .order_by("day", "finalized_by__username")
    )
    rows: dict[tuple, ProductivityRow] = {}
    classes: set[str] = set()
    for g in grouped:
        key = (g["day"], g["finalized_by__username"] or "(unknown)")
        row = rows.setdefault(key, ProductivityRow(day=key[0], coder=key[1], counts={}))
        cls = g["encounter__encounter_class"]
        row.counts[cls] = row.counts.get(cls, 0) + g["n"]
        classes.add(cls)
    ordered = [c for c in Encounter.Class.values if c in classes]
    return ordered, list(rows.values())
