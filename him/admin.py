"""The system administrator's users-and-roles screen (Django admin).

The admin site asks for a verified second factor (django-otp's OTPAdminSite).
Every grant or removal of a role, facility or permission made here is written
to the trail by the receivers in ``him.signals``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Permission
from django_otp.admin import OTPAdminSite

from him.models import Facility, FacilityUserObjectPermission, User

admin.site.__class__ = OTPAdminSite
admin.site.site_header = "HIM administration"
admin.site.site_title = "HIM administration"
admin.site.index_title = "Users, roles and facilities"


class FacilityGrantForm(forms.ModelForm):
    class Meta:
        model = FacilityUserObjectPermission
        fields = ["content_object"]
        labels = {"content_object": "Facility"}

    def save(self, commit=True):
        self.instance.permission = Permission.objects.get(
            content_type__app_label="him", codename="access_facility"
        )
        return super().save(commit=commit)


class FacilityGrantInline(admin.TabularInline):
    model = FacilityUserObjectPermission
    form = FacilityGrantForm
    extra = 0
    verbose_name = "facility access"
    verbose_name_plural = "facilities this user can reach"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(permission__codename="access_facility")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [FacilityGrantInline]
    list_display = ["username", "first_name", "last_name", "roles", "is_active", "last_login"]
    list_filter = ["groups", "is_active"]
    filter_horizontal = ["groups"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email")}),
        ("Roles", {"fields": ("is_active", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description="Roles")
    def roles(self, obj: User) -> str:
        return obj.role_label


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "active"]
    search_fields = ["code", "name"]
