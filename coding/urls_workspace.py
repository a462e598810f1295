"""Pages of the workspace part."""

from django.urls import path

from coding import workspace_views as views

urlpatterns: list = [
    path("workspace/<uuid:public_id>/", views.WorkspaceView.as_view(), name="workspace"),
    path(
        "workspace/<uuid:public_id>/finalize/",
        views.FinalizeView.as_view(),
        name="workspace-finalize",
    ),
    path("workspace/<uuid:public_id>/reopen/", views.ReopenView.as_view(), name="workspace-reopen"),
    path(
        "workspace/<uuid:public_id>/history/",
        views.HistoryView.as_view(),
        name="workspace-history",
    ),
    path(
        "encounters/<uuid:public_id>/code/",
        views.EncounterCodingView.as_view(),
        name="encounter-coding",
    ),
]
