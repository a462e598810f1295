def documents_panel_context(*, request, roi):
    return {}


def packet_panel_context(*, request, roi):
    return {}
