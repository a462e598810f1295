"""Letters of a request: the extension notice (164.524(b)(2)(ii)) and the denial letter
(164.524(d)(2)). Stored as sent (RequestLetter), read back through the policy and the
trail; the text is built here, the PDF by reportlab."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from records.services.amendments import HHS_COMPLAINTS, Letter, privacy_contact, render_letter
from release_of_info.models import ROIRequest
from release_of_info.models.requests import RequestLetter

render = render_letter


def _facility(roi: ROIRequest) -> str:
    return roi.facility.name


def _about(roi: ROIRequest) -> str:
    patient = roi.patient
    return (
        f"On {roi.received_on:%B %d, %Y} we received your request ({roi.number}) for copies of "
        f"the health records of {patient.given_name} {patient.family_name}."
    )


def extension_notice(roi: ROIRequest) -> Letter:
    """The written statement of the delay: its reason and the date we will act by."""
    contact = privacy_contact()
    facility = _facility(roi)
    paragraphs = [
        f"{roi.extension_notice_on or timezone.localdate():%B %d, %Y}",
        f"Dear {roi.requester.name},",
        _about(roi),
        (
            f"We are not able to act on your request by {roi.due_on:%B %d, %Y}. "
            f"The reason for the delay: {roi.extension_reason}"
        ),
        (
            f"We will act on your request no later than {roi.extended_due_on:%B %d, %Y} "
            f"(new due date {roi.extended_due_on:%Y-%m-%d}). The law allows us one extension of "
            "up to 30 days (45 CFR 164.524(b)(2)(iii))."
        ),
        f"Questions: {contact.name}, {contact.title}, {contact.phone}, {contact.address}.",
        f"Sincerely,\nHealth Information Management, {facility}",
    ]
    return Letter(
        title=f"{facility}: notice of delay in answering your request for records",
        paragraphs=paragraphs,
    )


def denial_letter(roi: ROIRequest) -> Letter:
    """Plain-language denial: the basis, the review rights and how to complain."""
    contact = privacy_contact()
    facility = _facility(roi)
    paragraphs = [
        f"{timezone.localdate():%B %d, %Y}",
        f"Dear {roi.requester.name},",
        _about(roi),
        f"We have denied your request. The reason for the denial: {roi.status_reason}",
        (
            "Your right to have this denial reviewed. Where the law allows a review (45 CFR "
            "164.524(a)(3) and (a)(4)), you have the right to have this denial reviewed by a "
            "licensed health care professional, designated by us, who did not take part in the "
            "original decision to deny. To ask for a review, write to "
            f"{contact.name}, {contact.title}, {contact.address} (telephone {contact.phone}). We "
            "will send your request to the reviewing professional promptly, and we will abide by "
            "that professional's decision and tell you of it in writing."
        ),
        (
            f"How to complain. You may complain to us: contact {contact.name}, {contact.title}, "
            f"at {contact.phone} or {contact.address}. You may also complain to the Secretary of "
            "the U.S. Department of Health and Human Services, Office for Civil Rights: "
            f"{HHS_COMPLAINTS}. We will not retaliate against you for filing a complaint."
        ),
        f"Sincerely,\n{contact.title}, {facility}",
    ]
    return Letter(title=f"{facility}: denial of your request for records", paragraphs=paragraphs)


def store(*, roi: ROIRequest, kind: str, content: bytes, dated: dt.date, user) -> RequestLetter:
    """Keep the letter as produced (a new row each time: what was sent is never replaced)."""
    letter = RequestLetter(
        roi=roi,
        kind=kind,
        dated=dated,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    letter.file.save(f"{kind.replace('_', '-')}.pdf", ContentFile(content), save=False)
    letter.save()
    return letter


def produce_denial_letter(*, roi: ROIRequest, user) -> RequestLetter:
    return store(
        roi=roi,
        kind=RequestLetter.Kind.DENIAL,
        content=render(denial_letter(roi)),
        dated=timezone.localdate(),
        user=user,
    )
