"""Chart completion screens (included from records/urls.py, in the records namespace)."""

from django.urls import path

from records.views import deficiencies as views

urlpatterns = [
    path("chart-completion/", views.ChartCompletionView.as_view(), name="chart-completion"),
    path("deficiencies/", views.DeficiencyListView.as_view(), name="deficiency-list"),
    path(
        "deficiencies/<uuid:public_id>/",
        views.DeficiencyDetailView.as_view(),
        name="deficiency-detail",
    ),
    path(
        "deficiencies/<uuid:public_id>/waive/",
        views.DeficiencyWaiveView.as_view(),
        name="deficiency-waive",
    ),
    path(
        "deficiencies/<uuid:public_id>/reply/",
        views.DeficiencyReplyView.as_view(),
        name="deficiency-reply",
    ),
    path(
        "deficiencies/<uuid:public_id>/complete/",
        views.DeficiencyCompleteView.as_view(),
        name="deficiency-complete",
    ),
    path(
        "documents/<uuid:public_id>/flag-incomplete/",
        views.DocumentFlagIncompleteView.as_view(),
        name="document-flag-incomplete",
    ),
    path("delinquency/<str:code>/", views.DelinquencyView.as_view(), name="delinquency"),
    path(
        "deficiency-letters/",
        views.DeficiencyLetterListView.as_view(),
        name="deficiencyletter-list",
    ),
    path(
        "deficiency-letters/<uuid:public_id>/",
        views.DeficiencyLetterDownloadView.as_view(),
        name="deficiencyletter-download",
    ),
]
