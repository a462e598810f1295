"""The authfees part of the demo data: authorizations (valid and not) for the demo
requests, a fee policy per facility and a few fee schedules. Tolerant: with no
demo requests (the requests part not seeded) it adds only the fee set-up."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from release_of_info.models import Authorization, FeePolicy, FeeSchedule, Requester, ROIRequest

_SCHEDULES = [
    (Requester.Type.ATTORNEY, "25.00", "0.50", "3.00"),
    (Requester.Type.PAYER, "15.00", "0.25", "3.00"),
    (Requester.Type.PROVIDER, "0", "0", "0"),
    (Requester.Type.GOVERNMENT, "0", "0", "0"),
]


def _tiny_pdf() -> bytes:
    import io

    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def seed_authfees(*, facilities, patients_per_facility: int = 0, rng_seed: int = 7) -> None:
    for n, facility in enumerate(facilities):
        FeePolicy.objects.get_or_create(
            facility=facility,
            defaults={
                "access_method": FeePolicy.Method.FLAT if n == 0 else FeePolicy.Method.COST_BASED
            },
        )
        for rtype, base, per_page, postage in _SCHEDULES:
            FeeSchedule.objects.get_or_create(
                facility=facility,
                requester_type=rtype,
                defaults={
                    "base_fee": Decimal(base),
                    "per_page": Decimal(per_page),
                    "postage": Decimal(postage),
                },
            )
    today = timezone.localdate()
    requests = (
        ROIRequest.objects.filter(facility__in=facilities)
        .exclude(requester__type__in=[Requester.Type.PATIENT, Requester.Type.REPRESENTATIVE])
        .exclude(authorizations__isnull=False)
        .select_related("patient", "requester")
        .order_by("pk")[:12]
    )
    pdf = _tiny_pdf()
    for i, roi in enumerate(requests):
        signed = max(roi.received_on - dt.timedelta(days=5), roi.patient.birth_date)
        auth = Authorization(
            request=roi,
            description="Records of the requested dates of service",
            disclosing_party=roi.facility.name,
            recipient=roi.requester,
            recipient_name=roi.requester.name,
            purpose=roi.purpose,
            expires_on=today + dt.timedelta(days=180),
            signed_by_name=f"{roi.patient.given_name} {roi.patient.family_name}",
            signed_on=signed,
            states_right_to_revoke=True,
            states_conditioning=True,
            states_redisclosure=True,
        )
        # Every third one is flawed in a different way, so the demo shows the reasons.
        if i % 3 == 1:
            auth.expires_on = signed + dt.timedelta(days=1)
        elif i % 3 == 2:
            auth.states_redisclosure = False
        auth.file.save(f"authorization-{roi.number}.pdf", ContentFile(pdf), save=False)
        auth.file_name = f"authorization-{roi.number}.pdf"
        auth.content_type = "application/pdf"
        auth.size = len(pdf)
        auth.page_count = 1
        auth.sha256 = hashlib.sha256(pdf).hexdigest()
        auth.save()
