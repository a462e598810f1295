"""What the request page's authorization and fees panels show (release_of_info.panels)."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from records.models import Document
from records.models.documents import sensitivity_labels
from release_of_info.models import Authorization, DisclosureBasis, Invoice, ROIRequest
from release_of_info.services import authfees_fees as fees
from release_of_info.services import authorization as auth_service


def request_page_url(roi: ROIRequest) -> str:
    """The request page (r-requests), or this part's own authorization page without it."""
    try:
        return reverse("release_of_info:roirequest-detail", kwargs={"public_id": roi.public_id})
    except NoReverseMatch:
        return reverse("release_of_info:request-authorization", args=[roi.public_id])


def checklist(auth: Authorization) -> list[dict]:
    """Each element of 164.508(c) (and 2.31) with what the form says and whether it is there."""
    rows = [
        ("Signed form uploaded", auth.file_name or "", bool(auth.file)),
        ("Information to be disclosed", auth.description, bool(auth.description.strip())),
        ("Who may disclose", auth.disclosing_party, bool(auth.disclosing_party.strip())),
        (
            "Recipient(s)",
            auth.recipient.name if auth.recipient_id else auth.recipient_name,
            bool(auth.recipient_name.strip() or auth.recipient_id),
        ),
        (
            "Purpose",
            " — ".join(p for p in (auth.get_purpose_display(), auth.purpose_detail) if p),
            bool(auth.purpose or auth.purpose_detail.strip()),
        ),
        (
            "Expiration date or event",
            auth.expires_on.isoformat() if auth.expires_on else auth.expiration_event,
            bool(auth.expires_on or auth.expiration_event.strip()),
        ),
        ("Signature", auth.signed_by_name, bool(auth.signed_by_name.strip())),
        ("Date signed", auth.signed_on.isoformat() if auth.signed_on else "", bool(auth.signed_on)),
    ]
    if auth.signed_by_representative:
        rows.append(
            (
                "Representative's authority",
                auth.representative_authority,
                bool(auth.representative_authority.strip()),
            )
        )
    rows += [
        ("Statement: right to revoke", "", auth.states_right_to_revoke),
        ("Statement: conditioning on signing", "", auth.states_conditioning),
        ("Statement: redisclosure", "", auth.states_redisclosure),
    ]
    if auth.kind == Authorization.Kind.PART2:
        rows += [
            (
                "Part 2 program",
                auth.part2_program or auth.disclosing_party,
                bool(auth.part2_program.strip() or auth.disclosing_party.strip()),
            ),
            (
                "Substance use information, described",
                auth.part2_description,
                bool(auth.part2_description.strip()),
            ),
        ]
    return [{"label": label, "value": value, "ok": ok} for label, value, ok in rows]


def coverage_summary(auth: Authorization) -> list[str]:
    lines = []
    if auth.document_types:
        lines.append(
            "Types: "
            + ", ".join(
                Document.Type(t).label for t in auth.document_types if t in Document.Type.values
            )
        )
    else:
        lines.append("Types: all")
    if auth.date_from or auth.date_to:
        lines.append(f"Dates: {auth.date_from or 'any'} to {auth.date_to or 'any'}")
    encounters = [e.number for e in auth.encounters.all()]
    if encounters:
        lines.append("Encounters: " + ", ".join(encounters))
    named = sensitivity_labels(auth.categories)
    if named:
        lines.append("Sensitive categories named: " + ", ".join(named))
    return lines


def authorization_panel_context(*, request, roi: ROIRequest) -> dict:
    today = timezone.localdate()
    result = auth_service.verdict(roi, on=today)
    user = request.user
    rows = []
    for auth in roi.authorizations.select_related("recipient").prefetch_related("encounters"):
        rows.append(
            {
                "object": auth,
                "checklist": checklist(auth),
                "coverage": coverage_summary(auth),
                "problems": auth_service.problems_of(auth, roi, today),
                "file_url": reverse("release_of_info:authorization-file", args=[auth.public_id])
                if auth.file
                else "",
                "edit_url": reverse("release_of_info:authorization-update", args=[auth.public_id]),
                "upload_url": reverse(
                    "release_of_info:authorization-upload", args=[auth.public_id]
                ),
                "revoke_url": reverse(
                    "release_of_info:authorization-revoke", args=[auth.public_id]
                ),
            }
        )
    try:
        basis = roi.disclosure_basis
    except DisclosureBasis.DoesNotExist:
        basis = None
    exempt = auth_service.needs_no_authorization(roi)
    return {
        "roi": roi,
        "verdict": result,
        "authorizations": rows,
        "basis": basis,
        "exempt": exempt,
        "identity_verified": roi.identity_verified_at is not None,
        "can_change": user.has_perm("release_of_info.change_authorization"),
        "can_add": user.has_perm("release_of_info.add_authorization"),
        "can_basis": user.has_perm("release_of_info.add_disclosurebasis"),
        "can_verify": user.has_perm("release_of_info.change_roirequest"),
        "add_url": reverse("release_of_info:authorization-create", args=[roi.public_id]),
        "basis_url": reverse("release_of_info:disclosure-basis", args=[roi.public_id]),
        "identity_url": reverse("release_of_info:request-identity", args=[roi.public_id]),
        "today": today,
    }


def fees_panel_context(*, request, roi: ROIRequest) -> dict:
    estimate = fees.estimate(roi)
    invoice = Invoice.objects.filter(request=roi).first()
    user = request.user
    return {
        "estimate": estimate,
        "invoice": invoice,
        "invoice_lines": fees.invoice_lines(invoice) if invoice else [],
        "can_settle": user.has_perm("release_of_info.change_invoice")
        and invoice is not None
        and invoice.status == Invoice.Status.UNPAID,
        "paid_url": reverse("release_of_info:invoice-paid", args=[invoice.public_id])
        if invoice
        else "",
        "waive_url": reverse("release_of_info:invoice-waive", args=[invoice.public_id])
        if invoice
        else "",
    }
