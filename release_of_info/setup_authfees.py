"""Wiring of the authfees part (navigation, hooks, panels, roles, demo seed),
called from the AppConfig.ready()."""


def ready() -> None:
    from him import demo, navigation, roles
    from records import access
    from release_of_info import hooks, panels
    from release_of_info.authfees_demo import seed_authfees
    from release_of_info.authfees_panels import authorization_panel_context, fees_panel_context
    from release_of_info.models import Authorization, DisclosureBasis, Invoice
    from release_of_info.roles_authfees import PERMISSIONS

    roles.register(PERMISSIONS)
    access.register_patient_models(Authorization, DisclosureBasis, Invoice)

    hooks.register(hooks.RELEASE_CHECKS, _release_checks)
    hooks.register(hooks.DOCUMENT_COVERAGE, _document_coverage)
    hooks.register(hooks.INVOICE, _invoice)

    panels.register(
        panels.Panel(
            key="authorization",
            title="Authorization",
            template="release_of_info/authfees/_authorization_panel.html",
            permission="release_of_info.view_authorization",
            context=authorization_panel_context,
            order=20,
        )
    )
    panels.register(
        panels.Panel(
            key="fees",
            title="Fees",
            template="release_of_info/authfees/_fees_panel.html",
            permission="release_of_info.view_invoice",
            context=fees_panel_context,
            order=70,
        )
    )
    navigation.register(
        navigation.NavItem(
            label="ROI fees",
            url_name="release_of_info:fee-list",
            permission="release_of_info.view_feeschedule",
            description="Fee policy for patients' copies and fee schedules per requester type.",
            order=62,
        )
    )
    demo.register_seed(seed_authfees)


# Hook handlers: module-level functions, so registering twice stays a no-op.


def _release_checks(request):
    from release_of_info.services.authorization import release_problems

    return release_problems(request)


def _document_coverage(request, documents):
    from release_of_info.services.authorization import documents_reasons

    return documents_reasons(request, documents)


def _invoice(request, pages):
    from release_of_info.services.authfees_fees import invoice_hook

    return invoice_hook(request, pages)
