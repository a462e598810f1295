# Patients are kept through the records screens (policy + trail), not the admin.

from django.contrib import admin  # noqa: E402

from records.models import DeficiencyRule  # noqa: E402


@admin.register(DeficiencyRule)
class DeficiencyRuleAdmin(admin.ModelAdmin):
    """Chart-completion rules: configuration, not PHI. A rule with a facility
    replaces the general rule of the same kind and document type there."""

    list_display = (
        "name",
        "facility",
        "kind",
        "doc_type",
        "anchor",
        "hours_allowed",
        "encounter_classes",
        "active",
    )
    list_filter = ("active", "kind", "anchor", "facility")
    search_fields = ("name",)


from records.models import IdentifierSystem  # noqa: E402


@admin.register(IdentifierSystem)
class IdentifierSystemAdmin(admin.ModelAdmin):
    """Identifier namespaces (facility MRNs, payers, external systems): not PHI."""

    list_display = ["code", "name", "kind", "facility", "active"]
    list_filter = ["kind", "active", "facility"]
    search_fields = ["code", "name"]
