"""Pages of the requests part (work list, intake, request page, requesters, settings,
dashboard), included into the release_of_info namespace."""

from django.urls import path

from release_of_info import requests_views as views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("requests/", views.ROIRequestListView.as_view(), name="roirequest-list"),
    path("requests/add/", views.ROIRequestCreateView.as_view(), name="roirequest-create"),
    path(
        "requests/<uuid:public_id>/",
        views.ROIRequestDetailView.as_view(),
        name="roirequest-detail",
    ),
    path(
        "requests/<uuid:public_id>/edit/",
        views.ROIRequestUpdateView.as_view(),
        name="roirequest-update",
    ),
    path(
        "requests/<uuid:public_id>/do/<str:step>/",
        views.ROIRequestActionView.as_view(),
        name="roirequest-action",
    ),
    path(
        "letters/<uuid:public_id>.pdf",
        views.RequestLetterView.as_view(),
        name="requestletter-download",
    ),
    path("requesters/", views.RequesterListView.as_view(), name="requester-list"),
    path("requesters/add/", views.RequesterCreateView.as_view(), name="requester-create"),
    path(
        "requesters/<uuid:public_id>/",
        views.RequesterDetailView.as_view(),
        name="requester-detail",
    ),
    path(
        "requesters/<uuid:public_id>/edit/",
        views.RequesterUpdateView.as_view(),
        name="requester-update",
    ),
    path("settings/", views.SettingsView.as_view(), name="settings"),
]
