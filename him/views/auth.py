from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from him import context, otp, policy, trail
from him.views.base import redirect_to_second_factor


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        if policy.needs_second_factor(self.request.user):
            return redirect_to_second_factor_after_login(self.request, self.get_success_url())
        return response


def redirect_to_second_factor_after_login(request, next_url: str):
    from django.http import HttpResponseRedirect
    from django.utils.http import urlencode

    name = "him:otp-verify" if otp.has_confirmed_device(request.user) else "him:otp-enrol"
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': next_url})}")


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code from your authenticator app",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit() or len(token) != 6:
            raise forms.ValidationError("Enter the 6-digit code your authenticator app shows.")
        return token


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("him:home")


class OTPEnrolView(LoginRequiredMixin, View):
    """Show a QR code for a new authenticator and confirm it with a first code."""

    template_name = "registration/otp_enrol.html"

    def get(self, request):
        if otp.has_confirmed_device(request.user):
            return redirect(f"{reverse('him:otp-verify')}?next={_safe_next(request)}")
        device = otp.pending_device(request.user)
        return self._render(request, device, TokenForm())

    def post(self, request):
        if otp.has_confirmed_device(request.user):
            return redirect("him:otp-verify")
        device = otp.pending_device(request.user)
        form = TokenForm(request.POST)
        if form.is_valid() and device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            context.bind_user(request.user, otp_verified=True)
            trail.record(
                trail.Action.SECOND_FACTOR, user=request.user, reason="authenticator enrolled"
            )
            messages.success(request, "Authenticator enrolled. You are verified for this session.")
            return redirect(_safe_next(request))
        if form.is_valid():
            form.add_error(
                "token", "That code did not match. Check the time on your phone and try again."
            )
        return self._render(request, device, form)

    def _render(self, request, device: TOTPDevice, form):
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "qr_svg": otp.qr_svg(device),
                "secret": otp.secret_base32(device),
                "next": _safe_next(request),
            },
        )


class OTPVerifyView(LoginRequiredMixin, View):
    template_name = "registration/otp_verify.html"

    def get(self, request):
        if not otp.has_confirmed_device(request.user):
            return redirect(f"{reverse('him:otp-enrol')}?next={_safe_next(request)}")
        return render(
            request, self.template_name, {"form": TokenForm(), "next": _safe_next(request)}
        )

    def post(self, request):
        form = TokenForm(request.POST)
        if form.is_valid():
            for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
                if device.verify_token(form.cleaned_data["token"]):
                    otp_login(request, device)
                    context.bind_user(request.user, otp_verified=True)
                    trail.record(trail.Action.SECOND_FACTOR, user=request.user, reason="verified")
                    return redirect(_safe_next(request))
            trail.record(
                trail.Action.SECOND_FACTOR,
                user=request.user,
                outcome=trail.Outcome.FAILURE,
                reason="wrong authenticator code",
            )
            form.add_error("token", "That code did not match. Codes change every 30 seconds.")
        return render(request, self.template_name, {"form": form, "next": _safe_next(request)})


class HomeView(LoginRequiredMixin, View):
    """The landing page: the tiles a role works from."""

    def get(self, request):
        if policy.needs_second_factor(request.user):
            return redirect_to_second_factor(request)
        from him import dashboard

        return render(
            request, "him/home.html", {"dashboard_tiles": dashboard.tiles_for(request.user)}
        )
