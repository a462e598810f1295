"""Physician queries: compliance checks, draft/send/cancel/answer, the chart
copy of the answer, the finalize check and the metrics.

A query is compliant (AHIMA/ACDIS query practice) when it cites the clinical
indicators from the chart, does not lead (no payment, DRG, weight or "to
increase" language), offers "Other (please specify)" and "Clinically
undetermined" when it is multiple choice, and is yes/no only in the situations
the guidelines allow.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from coding.models import EncounterCoding, PhysicianQuery, QueryTemplate
from coding.models.queue import OTHER, REQUIRED_OPTIONS, UNDETERMINED
from him import policy, trail
from records.models import Document, Provider

Status = PhysicianQuery.Status
Kind = PhysicianQuery.Kind
Situation = PhysicianQuery.Situation

YES, NO = "Yes", "No"
YES_NO_OPTIONS = [YES, NO, UNDETERMINED]

# (pattern, why it is refused). Case-insensitive unless the pattern says otherwise.
LEADING_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"reimburs\w*", re.I), "mentions reimbursement"),
    (re.compile(r"\b(payment|payer|paid|pays?)\b", re.I), "mentions payment"),
    (re.compile(r"\b(ms-?)?drgs?\b", re.I), "mentions the DRG"),
    (re.compile(r"\b(relative|drg|case)\s+weight\b", re.I), "mentions the DRG weight"),
    (re.compile(r"\bcase[- ]mix\b|\bCMI\b", re.I), "mentions the case mix"),
    (re.compile(r"\b(financial|revenue|dollars?|money|profit)\b|\$", re.I), "mentions money"),
    (re.compile(r"\bto\s+increase\b|\bincrease\s+the\b", re.I), 'asks "to increase" something'),
    (re.compile(r"\bhigher[- ]paying\b|\bmaximi[sz]e\b", re.I), "aims at a better result"),
    (re.compile(r"\b(quality|hospital)\s+(score|rating|profile)\b", re.I), "mentions scores"),
    (re.compile(r"\bM?CCs?\b"), "mentions CC/MCC status"),
]


# Clinical text may say "titrated to increase urine output": only the wording the
# coder writes to the provider (question, options) is held to these.
_QUESTION_ONLY = {'asks "to increase" something', "aims at a better result"}


def leading_phrases(text: str, *, clinical: bool = False) -> list[str]:
    """What in ``text`` makes a query leading: ["“DRG” (mentions the DRG)", ...]."""
    found = []
    for pattern, why in LEADING_PATTERNS:
        if clinical and why in _QUESTION_ONLY:
            continue
        match = pattern.search(text or "")
        if match:
            found.append(f"“{match.group(0)}” ({why})")
    return found


def check_content(
    *,
    kind: str,
    question: str,
    clinical_indicators: str,
    options: list[str],
    yes_no_situation: str,
) -> dict[str, list[str]]:
    """Field -> problems with a query's wording; empty when compliant."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if kind not in Kind.values:
        add("kind", f"Choose one of: {', '.join(Kind.values)}.")
        return errors
    if not (question or "").strip():
        add("question", "Write the question to the provider.")
    if not (clinical_indicators or "").strip():
        add(
            "clinical_indicators",
            "Cite the clinical indicators from the chart (results, findings, treatment, "
            "with where they are documented): a query without them is leading.",
        )
    for name, text in (
        ("question", question),
        ("clinical_indicators", clinical_indicators),
        ("options", " | ".join(options or [])),
    ):
        found = leading_phrases(text, clinical=name == "clinical_indicators")
        if found:
            add(
                name,
                "This wording is leading and is not allowed in a query: "
                + "; ".join(found)
                + ". Ask about the clinical picture only.",
            )
    options = [o.strip() for o in options or [] if o and o.strip()]
    if len({o.lower() for o in options}) != len(options):
        add("options", "Each option may appear only once.")
    if kind == Kind.MULTIPLE_CHOICE:
        missing = [o for o in REQUIRED_OPTIONS if o not in options]
        if missing:
            add(
                "options",
                "A multiple-choice query must offer "
                + " and ".join(f"“{o}”" for o in missing)
                + ".",
            )
        clinical = [o for o in options if o not in REQUIRED_OPTIONS]
        if len(clinical) < 2:
            add(
                "options",
                "Offer at least two clinically reasonable options: a single diagnosis to "
                "accept or reject is leading.",
            )
    elif kind == Kind.YES_NO:
        if yes_no_situation not in Situation.values or not yes_no_situation:
            add(
                "yes_no_situation",
                "A yes/no query is allowed only to determine present-on-admission status, "
                "substantiate a diagnosis already in the record, establish cause and effect "
                "or resolve conflicting documentation: say which, or use multiple choice.",
            )
        if options and options != YES_NO_OPTIONS:
            add("options", f"A yes/no query offers exactly: {', '.join(YES_NO_OPTIONS)}.")
    elif kind == Kind.OPEN_ENDED and options:
        add("options", "An open-ended query offers no options; the provider writes the answer.")
    return errors


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _check_provider(provider: Provider | None, coding: EncounterCoding) -> None:
    """The provider must be able to see and answer the query in HIM."""
    if provider is None:
        raise ValidationError({"provider": "Choose the provider to ask."})
    if not provider.active:
        raise ValidationError(
            {"provider": f"{provider} is no longer active; ask another provider."}
        )
    user = provider.user
    if user is None or not user.is_active:
        raise ValidationError(
            {
                "provider": f"{provider} has no user account in HIM, so they could not see or "
                "answer the query. Ask the system administrator to link the provider to a "
                "user, or ask another provider."
            }
        )
    policy.forget(user)
    if not user.has_perm("coding.answer_physicianquery"):
        raise ValidationError(
            {
                "provider": f"{provider}'s account ({user.username}) may not answer queries "
                "(it needs the Physician role). Ask the system administrator, or ask another "
                "provider."
            }
        )
    facility = coding.encounter.facility
    if facility.pk not in policy.facility_ids(user):
        raise ValidationError(
            {
                "provider": f"{provider} has no access to {facility.code} records in HIM, so "
                "they could not see this query. Ask the system administrator to grant the "
                "facility, or ask another provider."
            }
        )


def _check_coding(coding: EncounterCoding) -> None:
    if coding.is_final:
        raise ValidationError(
            "This chart's codes are final: reopen the coding before querying the provider."
        )


def _normal_options(kind: str, options: list[str] | None, template: QueryTemplate | None):
    if kind == Kind.OPEN_ENDED:
        return []
    if kind == Kind.YES_NO:
        return list(options) if options else list(YES_NO_OPTIONS)
    if options is None and template is not None:
        return template.full_options()
    return [o.strip() for o in options or [] if o and o.strip()]


@transaction.atomic
def query_create(
    *,
    coding: EncounterCoding,
    provider: Provider,
    user,
    clinical_indicators: str,
    template: QueryTemplate | None = None,
    kind: str = "",
    question: str = "",
    options: list[str] | None = None,
    yes_no_situation: str = "",
) -> PhysicianQuery:
    """A draft query. Fields left empty come from the template."""
    _check_coding(coding)
    _check_provider(provider, coding)
    if template is not None:
        kind = kind or template.kind
        question = question or template.question
        yes_no_situation = yes_no_situation or template.yes_no_situation
    options = _normal_options(kind, options, template)
    _raise(
        check_content(
            kind=kind,
            question=question,
            clinical_indicators=clinical_indicators,
            options=options,
            yes_no_situation=yes_no_situation if kind == Kind.YES_NO else "",
        )
    )
    query = PhysicianQuery.objects.create(
        coding=coding,
        provider=provider,
        template=template,
        kind=kind,
        question=question.strip(),
        clinical_indicators=clinical_indicators.strip(),
        options=options,
        yes_no_situation=yes_no_situation if kind == Kind.YES_NO else "",
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return query


EDITABLE = ("provider", "question", "clinical_indicators", "options", "yes_no_situation")


@transaction.atomic
def query_update(*, query: PhysicianQuery, user, **changes) -> PhysicianQuery:
    """Change a draft (a sent query is the provider's; cancel and write a new one)."""
    query = PhysicianQuery.objects.select_for_update().get(pk=query.pk)
    if query.status != Status.DRAFT:
        raise ValidationError(
            f"Only a draft can be changed; this query is {query.get_status_display().lower()}."
        )
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"These cannot be changed: {', '.join(sorted(unknown))}.")
    if "provider" in changes:
        _check_provider(changes["provider"], query.coding)
    for name, value in changes.items():
        setattr(query, name, value)
    if "options" in changes:
        query.options = _normal_options(query.kind, changes["options"], None)
    _raise(
        check_content(
            kind=query.kind,
            question=query.question,
            clinical_indicators=query.clinical_indicators,
            options=query.options,
            yes_no_situation=query.yes_no_situation,
        )
    )
    query.save()
    return query


def _refresh_pending(coding: EncounterCoding) -> None:
    """Query outstanding while any query is sent and unanswered; cleared after."""
    outstanding = PhysicianQuery.objects.filter(coding=coding, status=Status.SENT).exists()
    coding = EncounterCoding.objects.select_for_update().get(pk=coding.pk)
    if outstanding and coding.pending_reason != EncounterCoding.Pending.QUERY:
        new = EncounterCoding.Pending.QUERY
    elif not outstanding and coding.pending_reason == EncounterCoding.Pending.QUERY:
        new = EncounterCoding.Pending.NONE
    else:
        return
    previous = coding.pending_reason
    coding.pending_reason = new
    coding._change_reason = "query outstanding" if new else "no query outstanding"
    coding.save(update_fields=["pending_reason", "updated_at"])
    trail.record(
        trail.Action.UPDATE,
        obj=coding,
        reason="pending reason",
        detail={"from": previous, "to": new},
    )


@transaction.atomic
def query_send(*, query: PhysicianQuery, user) -> PhysicianQuery:
    """Send a draft to the provider's queue; the chart waits for the answer."""
    query = PhysicianQuery.objects.select_for_update().get(pk=query.pk)
    if query.status != Status.DRAFT:
        raise ValidationError(
            f"Only a draft can be sent; this query is {query.get_status_display().lower()}."
        )
    coding = query.coding
    _check_coding(coding)
    _check_provider(query.provider, coding)
    _raise(
        check_content(
            kind=query.kind,
            question=query.question,
            clinical_indicators=query.clinical_indicators,
            options=query.options,
            yes_no_situation=query.yes_no_situation,
        )
    )
    query.status = Status.SENT
    query.sent_at = timezone.now()
    query.sent_by = user if getattr(user, "is_authenticated", False) else None
    query.drg_at_send = coding.working_drg
    query.weight_at_send = coding.working_weight
    query.save()
    trail.record(trail.Action.UPDATE, obj=query, reason="sent to provider")
    _refresh_pending(coding)
    return query


@transaction.atomic
def query_cancel(*, query: PhysicianQuery, user, reason: str) -> PhysicianQuery:
    query = PhysicianQuery.objects.select_for_update().get(pk=query.pk)
    if query.status not in (Status.DRAFT, Status.SENT):
        raise ValidationError(
            f"This query is {query.get_status_display().lower()}; it cannot be cancelled."
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the query is cancelled."})
    query.status = Status.CANCELLED
    query.cancelled_at = timezone.now()
    query.cancel_reason = reason.strip()
    query.save()
    trail.record(trail.Action.UPDATE, obj=query, reason=f"cancelled: {reason.strip()}"[:500])
    _refresh_pending(query.coding)
    return query


def answer_refusal(query: PhysicianQuery, user) -> str:
    """Why ``user`` may not answer ``query`` ("" when they may)."""
    if not user.has_perm("coding.answer_physicianquery"):
        return "Your role does not allow answering queries."
    if query.provider.user_id != user.pk:
        return "Only the provider this query is addressed to can answer it."
    return ""


def _agreement(query: PhysicianQuery, option: str) -> bool | None:
    if query.kind == Kind.OPEN_ENDED:
        return None
    if query.kind == Kind.YES_NO:
        return option == YES
    return option not in REQUIRED_OPTIONS


def answer_text_for_chart(query: PhysicianQuery) -> str:
    """The query and its answer as filed in the chart (no DRG, no weight)."""
    lines = [
        f"Physician query ({query.get_kind_display()})",
        f"Asked by: {_name(query.sent_by or query.created_by)} on "
        f"{timezone.localtime(query.sent_at):%Y-%m-%d %H:%M}"
        if query.sent_at
        else "",
        f"Addressed to: {query.provider}",
        "",
        "Clinical indicators:",
        query.clinical_indicators,
        "",
        "Question:",
        query.question,
    ]
    if query.options:
        lines += ["", "Options offered:", *[f"- {o}" for o in query.options]]
    lines += ["", f"Answer ({timezone.localtime(query.answered_at):%Y-%m-%d %H:%M}):"]
    if query.answer_option:
        lines.append(query.answer_option)
    if query.answer_text:
        lines.append(query.answer_text)
    return "\n".join(line for line in lines if line is not None)


def _name(user) -> str:
    if user is None:
        return "(unknown)"
    return user.get_full_name() or user.get_username()


def query_answer(
    *, query: PhysicianQuery, user, option: str = "", text: str = ""
) -> PhysicianQuery:
    """The addressed provider answers; the answer is filed in the chart as a signed
    document, and the chart stops waiting when no other query is out."""
    refusal = answer_refusal(query, user)
    if refusal:
        # Outside the answer's transaction, so the denial stays in the trail.
        trail.record(trail.Action.DENIED, obj=query, outcome=trail.Outcome.DENIED, reason=refusal)
        raise PermissionDenied(refusal)
    return _file_answer(query=query, user=user, option=option, text=text)


@transaction.atomic
def _file_answer(*, query: PhysicianQuery, user, option: str, text: str) -> PhysicianQuery:
    from records.services.documents import document_create, document_sign

    query = PhysicianQuery.objects.select_for_update().select_related("provider").get(pk=query.pk)
    if answer_refusal(query, user):  # the provider changed meanwhile
        raise PermissionDenied("Only the provider this query is addressed to can answer it.")
    if query.status != Status.SENT:
        raise ValidationError(
            f"This query is {query.get_status_display().lower()}; there is nothing to answer."
        )
    option = (option or "").strip()
    text = (text or "").strip()
    if query.kind == Kind.OPEN_ENDED:
        option = ""
        if not text:
            raise ValidationError({"text": "Write your answer."})
    else:
        if option not in query.options:
            raise ValidationError({"option": "Choose one of the options offered."})
        if option == OTHER and not text:
            raise ValidationError({"text": "You chose “Other”: please specify."})
    query.status = Status.ANSWERED
    query.answered_at = timezone.now()
    query.answered_by = user
    query.answer_option = option
    query.answer_text = text
    query.agreement = _agreement(query, option)
    encounter = query.coding.encounter
    title = query.template.title if query.template_id else "Physician query"
    document = document_create(
        patient=encounter.patient,
        encounter=encounter,
        doc_type=Document.Type.CORRESPONDENCE,
        service_date=timezone.localdate(),
        author=query.provider,
        title=f"Query response: {title}"[:200],
        text=answer_text_for_chart(query),
        user=user,
    )
    document_sign(document=document, provider=query.provider, user=user)
    document.refresh_from_db()
    trail.record(trail.Action.CREATE, obj=document, reason="physician query answer filed")
    query.answer_document = document
    query.save()
    trail.record(trail.Action.UPDATE, obj=query, reason="answered")
    _refresh_pending(query.coding)
    return query


# Hooks ------------------------------------------------------------------------------------


def finalize_check(coding: EncounterCoding, **kwargs) -> list[str]:
    """FINALIZE_CHECKS: no finalizing while a query waits for its answer."""
    waiting = list(
        PhysicianQuery.objects.filter(coding=coding, status=Status.SENT).select_related("provider")
    )
    return [
        f"A physician query to {q.provider} sent on "
        f"{timezone.localtime(q.sent_at):%Y-%m-%d} is still unanswered: wait for the answer "
        "or cancel the query before finalizing."
        for q in waiting
    ]


def on_finalized(coding: EncounterCoding, user=None, **kwargs) -> None:
    """FINALIZED: the DRG after the answer, for the DRG-impact metric."""
    PhysicianQuery.objects.filter(coding=coding, status=Status.ANSWERED).update(
        drg_after=coding.final_drg or coding.working_drg,
        weight_after=coding.final_weight
        if coding.final_weight is not None
        else coding.working_weight,
        final_recorded_at=timezone.now(),
    )


# Metrics ----------------------------------------------------------------------------------


@dataclass
class ProviderMetrics:
    provider: str
    sent: int = 0
    answered: int = 0
    outstanding: int = 0
    cancelled: int = 0
    hours: list[float] = field(default_factory=list)
    agreed: int = 0
    agreement_counted: int = 0
    finalized: int = 0
    drg_changed: int = 0
    weight_delta: Decimal = Decimal(0)

    @property
    def median_hours(self) -> float | None:
        return round(statistics.median(self.hours), 1) if self.hours else None

    @property
    def average_hours(self) -> float | None:
        return round(statistics.fmean(self.hours), 1) if self.hours else None

    @property
    def agreement_rate(self) -> float | None:
        if not self.agreement_counted:
            return None
        return round(100 * self.agreed / self.agreement_counted, 1)

    @property
    def average_weight_delta(self) -> Decimal | None:
        if not self.finalized:
            return None
        return (self.weight_delta / self.finalized).quantize(Decimal("0.0001"))

    def as_dict(self) -> dict:
        return {
            "provider": self.provider,
            "sent": self.sent,
            "answered": self.answered,
            "outstanding": self.outstanding,
            "cancelled": self.cancelled,
            "median_response_hours": self.median_hours,
            "average_response_hours": self.average_hours,
            "agreement_rate": self.agreement_rate,
            "finalized_after_answer": self.finalized,
            "drg_changed": self.drg_changed,
            "average_weight_change": (
                str(self.average_weight_delta) if self.average_weight_delta is not None else None
            ),
        }


def query_metrics(user, start: dt.date, end: dt.date) -> list[ProviderMetrics]:
    """Per provider (and a last "All providers" row), for queries sent start..end."""
    zone = timezone.get_current_timezone()
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min), zone)
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), zone)
    queries = (
        PhysicianQuery.objects.visible_to(user, "view")
        .filter(sent_at__gte=since, sent_at__lt=until)
        .select_related("provider")
        .order_by("provider__family_name", "provider__given_name", "pk")
    )
    by_provider: dict[int, ProviderMetrics] = {}
    total = ProviderMetrics(provider="All providers")
    for q in queries.iterator(chunk_size=2000):
        row = by_provider.setdefault(q.provider_id, ProviderMetrics(provider=str(q.provider)))
        for m in (row, total):
            m.sent += 1
            if q.status == Status.SENT:
                m.outstanding += 1
            elif q.status == Status.CANCELLED:
                m.cancelled += 1
            elif q.status == Status.ANSWERED:
                m.answered += 1
                if q.response_hours is not None:
                    m.hours.append(q.response_hours)
                if q.agreement is not None:
                    m.agreement_counted += 1
                    m.agreed += int(q.agreement)
                if q.final_recorded_at is not None:
                    m.finalized += 1
                    if q.drg_after and q.drg_after != q.drg_at_send:
                        m.drg_changed += 1
                    if q.weight_after is not None and q.weight_at_send is not None:
                        m.weight_delta += q.weight_after - q.weight_at_send
    rows = list(by_provider.values())
    return [*rows, total] if rows else []
