"""May this request be honoured? The verdict, computed from what is on file, never ticked.

``verdict(request)`` answers for the whole request: the right of access
(164.524) and treatment (164.506) need identity verification instead of an
authorization; a disclosure 164.512 permits needs its basis on file; anything
else needs an authorization holding every element of 164.508(c), unexpired,
unrevoked, signed by someone who could sign it, and covering what is asked.
Psychotherapy notes need their own authorization (164.508(a)(2)) and
substance-use records a 42 CFR Part 2 consent (2.31); other sensitive
categories must be named.

``document_reason(request, document)`` says why one document must stay out of
the packet; ``Coverage(request)`` says it for many, reading the request once (the
DOCUMENT_COVERAGE hook asks it for all of a packet's documents). The writes (file,
revoke, identity, basis) are here too, so a view or the API only calls them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from him import trail
from records import files
from records.models import Document, Sensitivity
from release_of_info.models import (
    Authorization,
    DisclosureBasis,
    RequestDocument,
    Requester,
    ROIRequest,
)

Kind = Authorization.Kind
Purpose = ROIRequest.Purpose

# Categories an authorization must name (psychotherapy and Part 2 have their own forms).
NAMED_CATEGORIES = (
    Sensitivity.HIV,
    Sensitivity.GENETIC,
    Sensitivity.BEHAVIORAL,
    Sensitivity.REPRODUCTIVE,
)

PSYCHOTHERAPY_SEPARATE = (
    "Psychotherapy notes are asked: they need an authorization of their own, "
    "not combined with any other (45 CFR 164.508(a)(2), (b)(3)(ii))."
)
PART2_NEEDED = (
    "Substance use disorder records (42 CFR Part 2) are asked: they need a Part 2 "
    "consent holding the elements of 42 CFR 2.31."
)


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reasons: list[str] = field(default_factory=list)
    basis: str = ""


def _d(value: dt.date | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _type_label(code: str) -> str:
    try:
        return Document.Type(code).label
    except ValueError:
        return code


def _labels(mask: int, among: Iterable[Sensitivity] = tuple(Sensitivity)) -> list[str]:
    return [c.label for c in among if mask & c.value]


# What the request reaches --------------------------------------------------------------


def documents_in_scope(request: ROIRequest) -> list[Document]:
    """The documents this request would send: those picked (included) when any were
    picked, else the patient's documents matching what the request asks."""
    picked = list(
        RequestDocument.objects.filter(request=request, included=True).select_related("document")
    )
    if picked:
        return [p.document for p in picked]
    qs = Document.objects.filter(patient_id=request.patient_id).exclude(
        status=Document.Status.ENTERED_IN_ERROR
    )
    if request.document_types:
        qs = qs.filter(doc_type__in=request.document_types)
    if request.date_from:
        qs = qs.filter(service_date__gte=request.date_from)
    if request.date_to:
        qs = qs.filter(service_date__lte=request.date_to)
    encounter_ids = list(request.encounters.values_list("pk", flat=True))
    if encounter_ids:
        qs = qs.filter(encounter_id__in=encounter_ids)
    return list(qs)


def _needed_categories(request: ROIRequest) -> int:
    """Sensitive categories among the documents picked for release.

    Only picked documents count: while a request is open-ended ("all records"),
    a psychotherapy note or an unnamed category in the chart does not block the
    rest; ``document_reason`` leaves such documents out instead. Once the
    specialist picks one, it is asked, and the verdict wants it authorized.
    """
    mask = 0
    picked = RequestDocument.objects.filter(request=request, included=True)
    for sensitivity in picked.values_list("document__sensitivity", flat=True):
        mask |= sensitivity
    return mask


def needs_no_authorization(request: ROIRequest) -> str:
    """'access' (164.524), 'treatment' (164.506), or '' when an authorization or basis is needed."""
    if request.is_right_of_access:
        return "access"
    if request.purpose == Purpose.TREATMENT:
        return "treatment"
    return ""


# One authorization's own problems ------------------------------------------------------


def missing_elements(auth: Authorization) -> list[str]:
    """Each element 164.508(c) (and 2.31 for a Part 2 consent) requires that the form lacks."""
    missing = []
    if not auth.file:
        missing.append("No signed form is uploaded: upload the scanned authorization.")
    if not auth.description.strip():
        missing.append("Missing element: a description of the information to be disclosed.")
    if not auth.disclosing_party.strip():
        missing.append("Missing element: who may make the disclosure.")
    if not auth.recipient_name.strip() and auth.recipient_id is None:
        missing.append("Missing element: the recipient(s) of the disclosure.")
    if not auth.purpose and not auth.purpose_detail.strip():
        missing.append(
            "Missing element: the purpose of the disclosure "
            "(or “at the request of the individual”)."
        )
    if not auth.expires_on and not auth.expiration_event.strip():
        missing.append("Missing element: an expiration date or expiration event.")
    if not auth.signed_by_name.strip():
        missing.append("Missing element: the signature.")
    if not auth.signed_on:
        missing.append("Missing element: the date of the signature.")
    if auth.signed_by_representative and not auth.representative_authority.strip():
        missing.append(
            "Missing element: signed by a representative, but their authority to act "
            "for the patient is not described."
        )
    if not auth.states_right_to_revoke:
        missing.append(
            "Missing statement: the right to revoke the authorization in writing, and how."
        )
    if not auth.states_conditioning:
        missing.append(
            "Missing statement: whether treatment, payment, enrollment or eligibility "
            "is conditioned on signing."
        )
    if not auth.states_redisclosure:
        missing.append(
            "Missing statement: that information disclosed may be redisclosed by the "
            "recipient and no longer be protected."
        )
    if auth.kind == Kind.PART2:
        if not (auth.part2_program.strip() or auth.disclosing_party.strip()):
            missing.append("Missing Part 2 element: the Part 2 program permitted to disclose.")
        if not auth.part2_description.strip():
            missing.append(
                "Missing Part 2 element: an explicit description of the substance use "
                "disorder information to be disclosed (42 CFR 2.31(a)(2))."
            )
    return missing


def timing_problems(auth: Authorization, on: dt.date) -> list[str]:
    """Expired, revoked, signed in the future, before the patient's birth or after death."""
    problems = []
    patient = auth.request.patient
    if auth.expires_on and auth.expires_on < on:
        problems.append(f"Expired on {_d(auth.expires_on)}.")
    if auth.expiration_event and auth.expiration_event_on and auth.expiration_event_on <= on:
        problems.append(
            f"Expired: its expiration event (“{auth.expiration_event}”) occurred on "
            f"{_d(auth.expiration_event_on)}."
        )
    if auth.revoked_on and auth.revoked_on <= on:
        problems.append(f"Revoked on {_d(auth.revoked_on)}.")
    if auth.signed_on:
        if auth.signed_on > on:
            problems.append(f"Dated {_d(auth.signed_on)}, a date still to come.")
        if patient.birth_date and auth.signed_on < patient.birth_date:
            problems.append(
                f"Signed on {_d(auth.signed_on)}, before the patient's birth "
                f"({_d(patient.birth_date)})."
            )
        if (
            patient.deceased_date
            and auth.signed_on > patient.deceased_date
            and not auth.signed_by_representative
        ):
            problems.append(
                f"Signed on {_d(auth.signed_on)}, after the patient's death "
                f"({_d(patient.deceased_date)}); only a personal representative "
                "(e.g. the executor) can sign now."
            )
        if auth.expires_on and auth.expires_on < auth.signed_on:
            problems.append("Its expiration date is before the date it was signed.")
    return problems


def _norm(text: str) -> str:
    return " ".join("".join(c.lower() if c.isalnum() else " " for c in text or "").split())


def recipient_matches(auth: Authorization, requester: Requester) -> bool:
    if auth.recipient_id is not None:
        return auth.recipient_id == requester.pk
    named = _norm(auth.recipient_name)
    if not named:
        return False
    for candidate in (requester.name, requester.organization):
        key = _norm(candidate)
        if key and (key in named or named in key):
            return True
    return False


def coverage_problems(auth: Authorization, request: ROIRequest) -> list[str]:
    """What the request asks that the authorization does not cover (recipient, purpose,
    types, dates, encounters). An open-ended request is trimmed document by document
    instead (``document_reason``)."""
    problems = []
    requester = request.requester
    if not recipient_matches(auth, requester):
        named = auth.recipient.name if auth.recipient_id else auth.recipient_name
        problems.append(
            f"The recipient it names ({named or 'none'}) is not the requester ({requester.name})."
        )
    if auth.purpose and auth.purpose not in (Purpose.PERSONAL, request.purpose):
        problems.append(
            f"It is for {auth.get_purpose_display().lower()}; the request is for "
            f"{request.get_purpose_display().lower()}."
        )
    if auth.document_types and request.document_types:
        outside = [t for t in request.document_types if t not in auth.document_types]
        if outside:
            problems.append(
                "It does not cover these document types asked for: "
                + ", ".join(_type_label(t) for t in outside)
                + "."
            )
    if auth.date_from and request.date_from and request.date_from < auth.date_from:
        problems.append(
            f"The request asks records from {_d(request.date_from)}; the authorization "
            f"covers only from {_d(auth.date_from)}."
        )
    if auth.date_to and request.date_to and request.date_to > auth.date_to:
        problems.append(
            f"The request asks records up to {_d(request.date_to)}; the authorization "
            f"covers only up to {_d(auth.date_to)}."
        )
    auth_encounters = {e.pk: e for e in auth.encounters.all()}
    if auth_encounters:
        outside = [e for e in request.encounters.all() if e.pk not in auth_encounters]
        if outside:
            problems.append(
                "It does not cover these encounters asked for: "
                + ", ".join(e.number for e in outside)
                + "."
            )
    if auth.kind == Kind.PSYCHOTHERAPY:
        others = auth.categories & ~Sensitivity.PSYCHOTHERAPY.value
        if others or auth.document_types:
            problems.append(
                "A psychotherapy notes authorization cannot be combined with other "
                "information; file a separate authorization for the rest (164.508(b)(3)(ii))."
            )
    elif auth.categories & Sensitivity.PSYCHOTHERAPY:
        problems.append(
            "It names psychotherapy notes together with other information: psychotherapy "
            "notes need an authorization of their own (164.508(b)(3)(ii))."
        )
    return problems


def problems_of(auth: Authorization, request: ROIRequest, on: dt.date) -> list[str]:
    return [
        *missing_elements(auth),
        *timing_problems(auth, on),
        *coverage_problems(auth, request),
    ]


def is_usable(auth: Authorization, request: ROIRequest, on: dt.date) -> bool:
    return not problems_of(auth, request, on)


# The verdict ---------------------------------------------------------------------------


def _authorizations(request: ROIRequest) -> list[Authorization]:
    return list(
        Authorization.objects.filter(request=request)
        .select_related("request__patient", "request__requester", "recipient")
        .prefetch_related("encounters")
        .order_by("-signed_on", "-created_at")
    )


def _usable(auths, kinds, request, on) -> Authorization | None:
    for auth in auths:
        if auth.kind in kinds and is_usable(auth, request, on):
            return auth
    return None


def _prefixed(auth: Authorization, problems: list[str]) -> list[str]:
    signed = f" signed {_d(auth.signed_on)}" if auth.signed_on else ""
    name = f"{auth.get_kind_display().split(' (')[0]}{signed}"
    return [f"{name}: {p}" for p in problems]


def _basis_of(request: ROIRequest) -> DisclosureBasis | None:
    try:
        return request.disclosure_basis
    except DisclosureBasis.DoesNotExist:
        return None


def _identity(request: ROIRequest) -> tuple[bool, str]:
    if request.identity_verified_at is None:
        return False, ""
    who = request.identity_verified_by
    name = (who.get_full_name() or who.get_username()) if who else "staff"
    method = f" ({request.identity_method})" if request.identity_method else ""
    return True, f"identity verified by {name} on {_d(request.identity_verified_at.date())}{method}"


def verdict(request: ROIRequest, on: dt.date | None = None) -> Verdict:
    """May ``request`` be honoured on ``on`` (today by default)? Every reason if not."""
    on = on or timezone.localdate()
    needed = _needed_categories(request)
    auths = _authorizations(request)
    reasons: list[str] = []
    exempt = needs_no_authorization(request)
    basis_row = _basis_of(request)

    psychotherapy_auth = None
    if needed & Sensitivity.PSYCHOTHERAPY:
        psychotherapy_auth = _usable(auths, {Kind.PSYCHOTHERAPY}, request, on)

    if exempt:
        verified, identity = _identity(request)
        if not verified:
            reasons.append(
                "Identity not verified: record how the requester's identity was checked "
                "before releasing (no authorization is needed otherwise)."
            )
        if needed & Sensitivity.PSYCHOTHERAPY and psychotherapy_auth is None:
            reasons.append(
                "Psychotherapy notes are asked: they are outside the right of access and "
                "disclosures for treatment, and need the patient's psychotherapy notes "
                "authorization (45 CFR 164.508(a)(2), 164.524(a)(1)(i))."
            )
        if (
            exempt == "treatment"
            and needed & Sensitivity.PART2
            and _usable(auths, {Kind.PART2}, request, on) is None
        ):
            reasons.append(PART2_NEEDED)
        label = (
            "right of access (45 CFR 164.524)"
            if exempt == "access"
            else "disclosure for treatment (45 CFR 164.506)"
        )
        if reasons:
            return Verdict(False, reasons, f"no authorization needed: {label}")
        return Verdict(True, [], f"no authorization needed: {label}; {identity}")

    if basis_row is not None:
        if basis_row.basis in DisclosureBasis.NEEDS_DOCUMENT and not basis_row.file:
            reasons.append(
                f"{basis_row.get_basis_display()}: upload the copy of the order, subpoena, "
                "process or waiver it rests on."
            )
        if basis_row.basis == DisclosureBasis.Basis.SUBPOENA and not basis_row.note.strip():
            reasons.append(
                "Subpoena: record the satisfactory assurances received "
                "(notice to the patient or a qualified protective order, 164.512(e)(1)(ii))."
            )
        if (
            needed & Sensitivity.PART2
            and basis_row.basis != DisclosureBasis.Basis.COURT_ORDER
            and _usable(auths, {Kind.PART2}, request, on) is None
        ):
            reasons.append(
                "Substance use disorder records (42 CFR Part 2) are asked: 164.512 does "
                "not reach them; they need a Part 2 consent or a court order under "
                "42 CFR Part 2 subpart E."
            )
        if needed & Sensitivity.PSYCHOTHERAPY and psychotherapy_auth is None:
            reasons.append(PSYCHOTHERAPY_SEPARATE)
        ref = f" ({basis_row.reference})" if basis_row.reference else ""
        label = f"no authorization needed: {basis_row.get_basis_display()}{ref}"
        return Verdict(not reasons, reasons, label)

    # An authorization is needed.
    general_needed = bool(needed & ~Sensitivity.PSYCHOTHERAPY.value) or not needed
    main_kinds = {Kind.PART2} if needed & Sensitivity.PART2 else {Kind.STANDARD, Kind.PART2}
    if not auths:
        return Verdict(
            False,
            [
                "No authorization on file: this disclosure needs the patient's signed "
                "authorization (45 CFR 164.508), or record the 164.512 basis that permits it."
            ],
            "",
        )
    basis_parts = []
    if general_needed:
        main = _usable(auths, main_kinds, request, on)
        if main is None:
            if needed & Sensitivity.PART2 and not any(a.kind == Kind.PART2 for a in auths):
                reasons.append(PART2_NEEDED)
            candidates = [a for a in auths if a.kind in main_kinds] or [
                a for a in auths if a.kind != Kind.PSYCHOTHERAPY
            ]
            if candidates:
                reasons.extend(_prefixed(candidates[0], problems_of(candidates[0], request, on)))
            elif not (needed & Sensitivity.PART2):
                reasons.append(
                    "Only a psychotherapy notes authorization is on file; the other "
                    "records asked need an authorization of their own."
                )
        else:
            unnamed = needed & ~main.categories
            missing = _labels(unnamed, NAMED_CATEGORIES)
            if missing:
                reasons.append(
                    "The authorization does not name "
                    + ", ".join(missing)
                    + " information, which the records asked contain; it must name each "
                    "sensitive category it allows."
                )
            basis_parts.append(_describe(main))
    if needed & Sensitivity.PSYCHOTHERAPY:
        if psychotherapy_auth is None:
            reasons.append(PSYCHOTHERAPY_SEPARATE)
            own = [a for a in auths if a.kind == Kind.PSYCHOTHERAPY]
            if own:
                reasons.extend(_prefixed(own[0], problems_of(own[0], request, on)))
        else:
            basis_parts.append(_describe(psychotherapy_auth))
    if reasons:
        return Verdict(False, list(dict.fromkeys(reasons)), "")
    return Verdict(True, [], "; ".join(basis_parts))


def _describe(auth: Authorization) -> str:
    ends = (
        f"expires {_d(auth.expires_on)}"
        if auth.expires_on
        else f"until {auth.expiration_event}"
        if auth.expiration_event
        else ""
    )
    who = auth.signed_by_name + (" (representative)" if auth.signed_by_representative else "")
    return f"{auth.get_kind_display()} signed {_d(auth.signed_on)} by {who}" + (
        f", {ends}" if ends else ""
    )


def release_problems(request: ROIRequest) -> list[str]:
    """The RELEASE_CHECKS handler: the verdict's reasons when it is invalid."""
    result = verdict(request)
    return [] if result.valid else list(result.reasons)


# Document by document -------------------------------------------------------------------


def _outside_request(
    request: ROIRequest, document: Document, encounter_ids: set[int]
) -> str | None:
    if request.document_types and document.doc_type not in request.document_types:
        return f"Not asked: the request does not ask for {document.get_doc_type_display()}."
    if request.date_from and document.service_date < request.date_from:
        return f"Not asked: dated {_d(document.service_date)}, before the range asked."
    if request.date_to and document.service_date > request.date_to:
        return f"Not asked: dated {_d(document.service_date)}, after the range asked."
    if encounter_ids and document.encounter_id not in encounter_ids:
        return "Not asked: from an encounter the request does not name."
    return None


def _outside_authorization(auth: Authorization, document: Document) -> str | None:
    if auth.document_types and document.doc_type not in auth.document_types:
        return (
            f"Not covered: the authorization does not include "
            f"{document.get_doc_type_display()} documents."
        )
    if auth.date_from and document.service_date < auth.date_from:
        return (
            f"Not covered: dated {_d(document.service_date)}, before the authorization's "
            f"range (from {_d(auth.date_from)})."
        )
    if auth.date_to and document.service_date > auth.date_to:
        return (
            f"Not covered: dated {_d(document.service_date)}, after the authorization's "
            f"range (up to {_d(auth.date_to)})."
        )
    encounter_ids = {e.pk for e in auth.encounters.all()}
    if encounter_ids and document.encounter_id not in encounter_ids:
        return "Not covered: from an encounter the authorization does not name."
    unnamed = _labels(document.sensitivity & ~auth.categories, NAMED_CATEGORIES)
    if unnamed:
        return (
            "Not covered: contains "
            + ", ".join(unnamed)
            + " information the authorization does not name."
        )
    return None


class Coverage:
    """Why each document must stay out of one request's packet (``reason``), or None.

    What depends on the request alone (the encounters it names, its authorizations
    and which of them are usable on the day, its disclosure basis) is read and
    judged once, not once per document: a packet asks for every chosen document,
    and judging an authorization afresh each time cost milliseconds a document."""

    def __init__(self, request: ROIRequest, on: dt.date | None = None):
        self.request = request
        self.on = on or timezone.localdate()
        self.encounter_ids = set(request.encounters.values_list("pk", flat=True))
        self.auths = _authorizations(request)
        self.basis = _basis_of(request)
        self.exempt = needs_no_authorization(request)
        self._usable: dict[int, bool] = {}

    def usable(self, kinds) -> list[Authorization]:
        """The request's usable authorizations of these kinds, newest signed first."""
        found = []
        for auth in self.auths:
            if auth.kind not in kinds:
                continue
            ok = self._usable.get(auth.pk)
            if ok is None:
                ok = self._usable[auth.pk] = is_usable(auth, self.request, self.on)
            if ok:
                found.append(auth)
        return found

    def reason(self, document) -> str | None:
        """``document`` (a Document or RequestDocument): why it stays out, or None."""
        if isinstance(document, RequestDocument):
            document = document.document
        outside = _outside_request(self.request, document, self.encounter_ids)
        if outside:
            return outside
        is_psychotherapy = bool(document.sensitivity & Sensitivity.PSYCHOTHERAPY)
        is_part2 = bool(document.sensitivity & Sensitivity.PART2)
        if is_psychotherapy:
            notes = self.usable({Kind.PSYCHOTHERAPY})
            if not notes:
                return "Psychotherapy note: needs a valid psychotherapy notes authorization."
            auth = notes[0]
            return (
                _outside_authorization(auth, document) if auth.date_from or auth.date_to else None
            )
        if self.exempt == "access":
            return None
        if is_part2 and not self.usable({Kind.PART2}):
            basis = self.basis
            if not (basis and basis.basis == DisclosureBasis.Basis.COURT_ORDER):
                return "42 CFR Part 2 record: needs a valid Part 2 consent."
        if self.exempt or self.basis is not None:
            return None
        usable = self.usable({Kind.PART2} if is_part2 else {Kind.STANDARD, Kind.PART2})
        if not usable:
            return "No valid authorization covers it."
        reasons = [_outside_authorization(a, document) for a in usable]
        if any(r is None for r in reasons):
            return None
        return reasons[0]


def document_reason(request: ROIRequest, document, on: dt.date | None = None) -> str | None:
    """Why ``document`` (a Document or RequestDocument) must stay out of this request's
    packet, or None. For many documents of one request, use one ``Coverage``."""
    return Coverage(request, on).reason(document)


def documents_reasons(request: ROIRequest, documents) -> list[str | None]:
    """The DOCUMENT_COVERAGE handler: ``document_reason`` of each, judged together."""
    coverage = Coverage(request)
    return [coverage.reason(document) for document in documents]


# Writes ---------------------------------------------------------------------------------


def store_file(obj, uploaded) -> None:
    """Put a checked upload (PDF or image) and its facts on ``obj`` (not saved)."""
    facts = files.inspect_file(uploaded)
    fields = files.version_file_fields(uploaded, facts)
    obj.file = fields["file"]
    obj.file_name = fields["file_name"]
    obj.content_type = fields["content_type"]
    obj.sha256 = fields["sha256"]
    if hasattr(obj, "size"):
        obj.size = fields["size"]
    if hasattr(obj, "page_count"):
        obj.page_count = fields["page_count"]


@transaction.atomic
def authorization_attach_file(*, authorization: Authorization, uploaded, user) -> Authorization:
    """Store the signed form (PDF, TIFF, JPEG or PNG, checked by content)."""
    store_file(authorization, uploaded)  # raises ValidationError before anything is saved
    authorization.save()
    trail.record(trail.Action.UPDATE, obj=authorization, reason="signed form uploaded")
    return authorization


@transaction.atomic
def authorization_revoke(
    *, authorization: Authorization, user, revoked_on: dt.date, note: str = ""
) -> Authorization:
    """Record the patient's written revocation (164.508(b)(5))."""
    if authorization.revoked_on:
        raise ValidationError(f"Already revoked on {_d(authorization.revoked_on)}.")
    if revoked_on > timezone.localdate():
        raise ValidationError("The revocation date cannot be in the future.")
    if authorization.signed_on and revoked_on < authorization.signed_on:
        raise ValidationError("The revocation date is before the authorization was signed.")
    authorization.revoked_on = revoked_on
    authorization.revocation_received_by = user
    authorization.revocation_received_at = timezone.now()
    authorization.revocation_note = (note or "").strip()[:300]
    authorization.save()
    trail.record(trail.Action.UPDATE, obj=authorization, reason="authorization revoked")
    return authorization


@transaction.atomic
def request_identity_verify(*, request: ROIRequest, user, method: str) -> ROIRequest:
    """Record how the requester's identity was verified (right of access, treatment)."""
    method = (method or "").strip()
    if not method:
        raise ValidationError("Say how the identity was verified (e.g. driver's licence seen).")
    request.identity_verified_by = user
    request.identity_verified_at = timezone.now()
    request.identity_method = method[:120]
    request._change_reason = "identity verified"
    request.save(
        update_fields=[
            "identity_verified_by",
            "identity_verified_at",
            "identity_method",
            "updated_at",
        ]
    )
    trail.record(trail.Action.UPDATE, obj=request, reason="identity verified")
    return request


@transaction.atomic
def disclosure_basis_record(
    *,
    request: ROIRequest,
    user,
    basis: str,
    reference: str = "",
    note: str = "",
    uploaded=None,
) -> DisclosureBasis:
    """Record (or replace) the 164.512 basis that permits the disclosure."""
    if basis not in DisclosureBasis.Basis.values:
        raise ValidationError({"basis": f"“{basis}” is not a 164.512 basis."})
    row = _basis_of(request) or DisclosureBasis(request=request)
    created = row.pk is None
    row.basis = basis
    row.reference = (reference or "").strip()[:200]
    row.note = (note or "").strip()
    row.recorded_by = user
    if uploaded is not None:
        store_file(row, uploaded)
    row.save()
    trail.record(trail.Action.CREATE if created else trail.Action.UPDATE, obj=row)
    return row
