"""Sign-in: hashed credentials, lockout, session rotation and timeouts, the second
factor for privileged roles, and the headers PHI pages carry."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import assign_perm
from rest_framework.authtoken.models import Token

from him import roles
from him.middleware import SessionTimeoutMiddleware
from him.models import AccessEvent, Facility, User

pytestmark = pytest.mark.django_db

PASSWORD = "Corr3ct-horse-battery"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
LOGIN_URL = "/accounts/login/"
PRIVILEGED = [roles.HIM_MANAGER, roles.PRIVACY_OFFICER, roles.SYSTEM_ADMINISTRATOR]


# Helpers -----------------------------------------------------------------------------


@pytest.fixture
def facility():
    return Facility.objects.create(code="MAIN", name="Main Hospital")


def make_user(username: str, *role_names: str, facility: Facility | None = None) -> User:
    user = User.objects.create_user(username, password=PASSWORD)
    for name in role_names:
        user.groups.add(Group.objects.get(name=name))
    if facility is not None:
        assign_perm("him.access_facility", user, facility)
    return user


def confirmed_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    device.refresh_from_db()
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + offset_steps,
    )
    return f"{value:0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    near = {code_for(device, d) for d in range(-3, 4)}
    return next(f"{n:06d}" for n in range(1, 1_000_000) if f"{n:06d}" not in near)


def sign_in(client, user: User) -> None:
    client.force_login(user, backend=MODEL_BACKEND)


def verify_otp(client, device: TOTPDevice) -> None:
    """Mark the client's session as verified with ``device``, as django-otp's login does."""
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def post_login(client, username: str, password: str, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)


def events(action: str, **filters):
    return AccessEvent.objects.filter(action=action, **filters).order_by("seq")


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


# Credentials ---------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2():
    user = make_user("alice", roles.HIM_TECHNICIAN)
    assert user.password.startswith("argon2")
    assert PASSWORD not in user.password
    assert user.check_password(PASSWORD)


def test_password_validators_reject_short_and_common_passwords():
    with pytest.raises(ValidationError) as short:
        validate_password("Ab1-xyz")
    assert any("too short" in m for m in short.value.messages)

    with pytest.raises(ValidationError) as common:
        validate_password("password")
    assert any("too common" in m for m in common.value.messages)

    with pytest.raises(ValidationError) as numeric:
        validate_password("902183746519")
    assert any("entirely numeric" in m for m in numeric.value.messages)

    user = User(username="quentin.marsh", first_name="Quentin", last_name="Marsh")
    with pytest.raises(ValidationError) as similar:
        validate_password("quentin.marsh1", user=user)
    assert any("too similar" in m for m in similar.value.messages)

    validate_password("plum-orbit-canvas-41")  # a passphrase passes


def test_login_page_is_reachable_anonymously(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert b"Sign in" in response.content
    assert b'name="password"' in response.content


def test_anonymous_home_redirects_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_successful_login_writes_a_login_row_and_rotates_the_session(client):
    user = make_user("alice", roles.HIM_TECHNICIAN)
    # An anonymous session exists before sign-in (e.g. a fixation attempt).
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    before = client.cookies["sessionid"].value

    response = post_login(client, "alice", PASSWORD, HTTP_USER_AGENT="pytest-browser")
    assert response.status_code == 302
    assert response["Location"] == reverse("him:home")
    after = client.cookies["sessionid"].value
    assert after and after != before
    assert signed_in_user_id(client) == str(user.pk)

    login = events("login").get()
    assert (login.user_id, login.username, login.outcome) == (user.pk, "alice", "success")
    assert login.role == roles.HIM_TECHNICIAN
    assert login.user_agent == "pytest-browser"
    assert login.request_id == response["X-Request-ID"]
    assert not events("login_failed").exists()


def test_failed_login_writes_a_failed_row(client):
    make_user("alice", roles.HIM_TECHNICIAN)
    response = post_login(client, "alice", "not-the-password")
    assert response.status_code == 200
    assert b"didn&#x27;t match" in response.content or b"didn't match" in response.content
    failed = events("login_failed").get()
    assert (failed.username, failed.outcome) == ("alice", "failure")
    assert failed.user_id is None
    assert failed.request_id == response["X-Request-ID"]
    assert signed_in_user_id(client) is None


def test_lockout_after_five_failures_refuses_the_right_password(client):
    user = make_user("alice", roles.HIM_TECHNICIAN)
    for _ in range(5):
        post_login(client, "alice", "wrong-password-guess")

    assert events("login_failed", username="alice").count() == 5
    lockout = events("lockout").get()
    assert (lockout.username, lockout.outcome) == ("alice", "denied")

    response = post_login(client, "alice", PASSWORD)
    assert response.status_code in (403, 429)
    assert b"locked" in response.content
    assert signed_in_user_id(client) is None
    assert not events("login").exists()
    assert events("login_failed", username="alice").count() == 6

    # Locked per username: another user at the same workstation still signs in.
    make_user("bob", roles.CODER)
    assert post_login(client, "bob", PASSWORD).status_code == 302
    client.logout()

    # After the 15-minute cool-off the right password works again.
    from axes.models import AccessAttempt

    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)
    AccessAttempt.objects.filter(username="alice").update(attempt_time=long_ago)
    response = post_login(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user.pk)


def test_lockout_lasts_fifteen_minutes(client):
    make_user("alice", roles.HIM_TECHNICIAN)
    for _ in range(5):
        post_login(client, "alice", "wrong-password-guess")
    from axes.models import AccessAttempt

    almost = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14)
    AccessAttempt.objects.filter(username="alice").update(attempt_time=almost)
    assert post_login(client, "alice", PASSWORD).status_code in (403, 429)
    assert signed_in_user_id(client) is None


def test_logout_is_a_post_and_writes_a_logout_row(client):
    user = make_user("alice", roles.HIM_TECHNICIAN)
    sign_in(client, user)
    assert client.get("/accounts/logout/").status_code == 405  # a link cannot sign you out

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert signed_in_user_id(client) is None
    logout = events("logout").get()
    assert (logout.user_id, logout.reason) == (user.pk, "signed out")


# Session timeouts ----------------------------------------------------------------------


def _age_session(client, *, auth_ago: float, seen_ago: float) -> None:
    now = time.time()
    session = client.session
    session[SessionTimeoutMiddleware.AUTH_AT] = now - auth_ago
    session[SessionTimeoutMiddleware.SEEN_AT] = now - seen_ago
    session.save()


def test_idle_timeout_signs_out_after_fifteen_minutes(client):
    user = make_user("alice", roles.HIM_TECHNICIAN)
    sign_in(client, user)
    assert client.get("/").status_code == 200

    _age_session(client, auth_ago=16 * 60, seen_ago=15 * 60 + 5)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert signed_in_user_id(client) is None
    logout = events("logout").get()
    assert (logout.user_id, logout.reason) == (user.pk, "idle timeout")
    assert logout.request_id == response["X-Request-ID"]

    # Signed out for good: the next request is anonymous too.
    assert client.get("/").status_code == 302


def test_activity_within_the_idle_window_keeps_the_session(client):
    user = make_user("alice", roles.HIM_TECHNICIAN)
    sign_in(client, user)
    _age_session(client, auth_ago=14 * 60, seen_ago=14 * 60)
    assert client.get("/").status_code == 200
    # ... and the request counted as activity: the idle clock restarted.
    assert time.time() - client.session[SessionTimeoutMiddleware.SEEN_AT] < 60
    assert not events("logout").exists()


def test_absolute_session_age_of_twelve_hours(client):
    user = make_user("alice", roles.HIM_TECHNICIAN)
    sign_in(client, user)
    # Busy all day (seen a moment ago), but signed in 12 hours and a minute ago.
    _age_session(client, auth_ago=12 * 3600 + 60, seen_ago=10)
    response = client.get("/records/patients/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    logout = events("logout").get()
    assert (logout.user_id, logout.reason) == (user.pk, "session age limit")


def test_login_stamps_the_session_clock(client):
    make_user("alice", roles.HIM_TECHNICIAN)
    before = time.time()
    post_login(client, "alice", PASSWORD)
    session = client.session
    assert session[SessionTimeoutMiddleware.AUTH_AT] >= before - 1
    assert session[SessionTimeoutMiddleware.SEEN_AT] >= before - 1


# Second factor ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", PRIVILEGED)
@pytest.mark.parametrize("path", ["/records/patients/", "/trail/", "/"])
def test_privileged_role_without_second_factor_is_sent_to_enrol(client, facility, role, path):
    user = make_user("priv", role, facility=facility)
    sign_in(client, user)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("him:otp-enrol"))


@pytest.mark.parametrize("role", PRIVILEGED)
def test_privileged_role_with_a_device_is_sent_to_verify(client, facility, role):
    user = make_user("priv", role, facility=facility)
    confirmed_device(user)
    sign_in(client, user)
    response = client.get("/records/patients/?family_name=Doe")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("him:otp-verify") + "?next=")
    assert "records%2Fpatients" in response["Location"]


def test_password_login_of_privileged_role_lands_on_second_factor(client, facility):
    user = make_user("priv", roles.PRIVACY_OFFICER, facility=facility)
    confirmed_device(user)
    response = post_login(client, "priv", PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("him:otp-verify"))
    assert events("login", user_id=user.pk).exists()


@pytest.mark.parametrize("role", PRIVILEGED)
def test_privileged_api_call_without_second_factor_is_403_json(client, facility, role):
    user = make_user("priv", role, facility=facility)
    sign_in(client, user)
    response = client.get("/api/v1/records/patients/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == 403
    assert "second factor" in error["message"]


def test_privileged_api_token_is_refused_with_json(client, facility):
    user = make_user("priv", roles.HIM_MANAGER, facility=facility)
    confirmed_device(user)  # a device does not help a token: there is no verified session
    token = Token.objects.create(user=user)
    response = client.get("/api/v1/records/patients/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 403
    assert "second factor" in response.json()["error"]["message"]
    response = client.get("/api/v1/trail/events/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 403


def test_enrolment_shows_a_qr_code_and_a_right_code_confirms_it(client, facility):
    user = make_user("priv", roles.PRIVACY_OFFICER, facility=facility)
    sign_in(client, user)

    response = client.get(reverse("him:otp-enrol") + "?next=/trail/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body
    assert "http://" not in body.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org/", ""
    )
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    secret = re.search(r'<code class="secret">([A-Z2-7=]+)</code>', body).group(1)
    from base64 import b32decode

    assert b32decode(secret) == device.bin_key

    # Refreshing the page keeps the same pending device (the QR code stays valid).
    client.get(reverse("him:otp-enrol"))
    assert TOTPDevice.objects.filter(user=user).count() == 1

    response = client.post(reverse("him:otp-enrol"), {"token": code_for(device), "next": "/trail/"})
    assert response.status_code == 302
    assert response["Location"] == "/trail/"
    device.refresh_from_db()
    assert device.confirmed
    enrolled = events("second_factor", user_id=user.pk).get()
    assert enrolled.reason == "authenticator enrolled"

    assert client.get("/trail/").status_code == 200
    assert client.get("/records/patients/").status_code == 200
    assert client.get("/api/v1/records/patients/").status_code == 200


def test_enrolment_with_a_wrong_code_explains(client):
    user = make_user("priv", roles.HIM_MANAGER)
    sign_in(client, user)
    client.get(reverse("him:otp-enrol"))
    device = TOTPDevice.objects.get(user=user)

    response = client.post(reverse("him:otp-enrol"), {"token": wrong_code_for(device)})
    assert response.status_code == 200
    assert b"did not match" in response.content
    assert b"<svg" in response.content  # the QR code is still there to try again
    device.refresh_from_db()
    assert not device.confirmed

    response = client.post(reverse("him:otp-enrol"), {"token": "12ab"})
    assert b"Enter the 6-digit code" in response.content
    assert client.get("/records/patients/").status_code == 302


def test_verify_with_the_right_code_opens_phi_pages(client, facility):
    user = make_user("priv", roles.HIM_MANAGER, facility=facility)
    device = confirmed_device(user)
    sign_in(client, user)
    response = client.get(reverse("him:otp-verify") + "?next=/records/patients/")
    assert response.status_code == 200
    assert b"authenticator code" in response.content

    response = client.post(
        reverse("him:otp-verify"), {"token": code_for(device), "next": "/records/patients/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/records/patients/"
    assert client.get("/records/patients/").status_code == 200
    verified = events("second_factor", user_id=user.pk).get()
    assert (verified.reason, verified.outcome) == ("verified", "success")


def test_verify_with_a_wrong_code_explains_and_is_trailed(client, facility):
    user = make_user("priv", roles.SYSTEM_ADMINISTRATOR, facility=facility)
    device = confirmed_device(user)
    sign_in(client, user)
    response = client.post(reverse("him:otp-verify"), {"token": wrong_code_for(device)})
    assert response.status_code == 200
    assert b"did not match" in response.content
    failed = events("second_factor", user_id=user.pk).get()
    assert failed.outcome == "failure"
    assert client.get("/records/patients/").status_code == 302


def test_verify_refuses_an_offsite_next(client):
    user = make_user("priv", roles.HIM_MANAGER)
    device = confirmed_device(user)
    sign_in(client, user)
    response = client.post(
        reverse("him:otp-verify"), {"token": code_for(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("him:home")


@pytest.mark.parametrize("role", [roles.HIM_TECHNICIAN, roles.CODER, roles.ROI_SPECIALIST])
def test_other_roles_are_not_asked_for_a_second_factor(client, facility, role):
    make_user("plain", role, facility=facility)
    response = post_login(client, "plain", PASSWORD)
    assert response["Location"] == reverse("him:home")
    assert client.get("/records/patients/").status_code == 200
    assert client.get("/api/v1/records/patients/").status_code == 200


# Headers ---------------------------------------------------------------------------------


def _csp_sources(header: str) -> list[str]:
    sources = []
    for directive in filter(None, (d.strip() for d in header.split(";"))):
        sources.extend(directive.split()[1:])
    return sources


@pytest.mark.parametrize(
    "path", ["/records/patients/", "/api/v1/records/patients/", "/", LOGIN_URL]
)
def test_responses_are_not_cached_and_csp_allows_only_self(client, facility, path):
    user = make_user("alice", roles.HIM_TECHNICIAN, facility=facility)
    if path != LOGIN_URL:
        sign_in(client, user)
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    for source in _csp_sources(csp):
        assert source in ("'self'", "'none'", "data:"), f"CSP allows {source}"
    assert "http:" not in csp and "https:" not in csp and "*" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_patient_detail_is_not_cached(client, facility):
    from records.models import Patient

    user = make_user("alice", roles.HIM_TECHNICIAN, facility=facility)
    patient = Patient.objects.create(
        facility=facility,
        mrn="1",
        family_name="Doe",
        given_name="J",
        birth_date=dt.date(1990, 1, 1),
    )
    sign_in(client, user)
    response = client.get(f"/records/patients/{patient.enterprise_id}/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_session_cookie_is_http_only(client):
    make_user("alice", roles.HIM_TECHNICIAN)
    post_login(client, "alice", PASSWORD)
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
