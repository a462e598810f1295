# Patients are kept through the records screens (policy + trail), not the admin.
from django.contrib import admin

from records.models import IdentifierSystem


@admin.register(IdentifierSystem)
class IdentifierSystemAdmin(admin.ModelAdmin):
    """Identifier namespaces (facility MRNs, payers, external systems): not PHI."""

    list_display = ["code", "name", "kind", "facility", "active"]
    list_filter = ["kind", "active", "facility"]
    search_fields = ["code", "name"]
