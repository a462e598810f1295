"""The whole release, across the parts and with every real rule on: an authorization
(or a 164.512 basis) is checked, the packet built and checked by a second person,
the records released, and the accounting of disclosures written only when the
rule says so."""

from __future__ import annotations

import pytest
import r_authfees_support as a
import r_packet_support as p
from django.core.exceptions import ValidationError

from him import roles
from him.testing.factories import UserFactory
from release_of_info.models import Disclosure, Packet, ROIRequest
from release_of_info.services import packet as packets
from release_of_info.services import release
from release_of_info.services.authorization import disclosure_basis_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager")]


@pytest.fixture
def staff(facility):
    return (
        UserFactory(roles=[roles.ROI_SPECIALIST], facilities=[facility]),
        UserFactory(roles=[roles.ROI_SPECIALIST], facilities=[facility]),
    )


def through_qa(request, staff, capture):
    builder, checker = staff
    with capture(execute=True):
        packet = packets.packet_request_build(roi=request, user=builder)
    packet.refresh_from_db()
    assert packet.status == Packet.Status.READY, packet.error
    packets.packet_approve(packet=packet, user=checker)
    request.refresh_from_db()
    return release.roi_release(roi=request, user=checker, method="secure_link")


def in_process(facility, **kwargs):
    request = a.make_request(facility, status=ROIRequest.Status.IN_PROCESS, **kwargs)
    p.choose(request, p.pdf_document(request, [["Discharge summary text"]]))
    return request


def test_without_an_authorization_nothing_is_built(facility, staff):
    request = in_process(facility)
    with pytest.raises(ValidationError, match="No authorization on file"):
        packets.packet_request_build(roi=request, user=staff[0])


def test_a_release_under_a_valid_authorization_is_not_in_the_accounting(
    facility, staff, django_capture_on_commit_callbacks
):
    request = in_process(facility)
    a.complete_authorization(request)
    through_qa(request, staff, django_capture_on_commit_callbacks)
    request.refresh_from_db()
    assert request.status == ROIRequest.Status.RELEASED
    assert not Disclosure.objects.exists()


def test_a_release_on_a_court_order_is_in_the_accounting(
    facility, staff, django_capture_on_commit_callbacks
):
    request = in_process(facility, requester=a.make_requester("court", name="Circuit Court"))
    disclosure_basis_record(
        request=request,
        user=staff[0],
        basis="court_order",
        reference="Case 26-CV-0042",
        uploaded=a.pdf_upload("order.pdf"),
    )
    through_qa(request, staff, django_capture_on_commit_callbacks)
    entry = Disclosure.objects.get(request=request)
    assert entry.basis == Disclosure.Basis.JUDICIAL
    assert entry.recipient_name == "Circuit Court"


def test_an_authorization_revoked_after_the_check_stops_the_release(
    facility, staff, django_capture_on_commit_callbacks
):
    import datetime as dt

    request = in_process(facility)
    auth = a.complete_authorization(request)
    builder, checker = staff
    with django_capture_on_commit_callbacks(execute=True):
        packet = packets.packet_request_build(roi=request, user=builder)
    packet.refresh_from_db()
    packets.packet_approve(packet=packet, user=checker)
    auth.revoked_on = dt.date.today()
    auth.save()
    request.refresh_from_db()
    with pytest.raises(ValidationError, match="(?i)revoked"):
        release.roi_release(roi=request, user=checker, method="secure_link")
    request.refresh_from_db()
    assert request.status == ROIRequest.Status.QUALITY_CHECK
