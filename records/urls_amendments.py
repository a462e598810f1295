"""Amendment screens, included into the records namespace."""

from django.urls import path

from records.views import amendments as views

urlpatterns = [
    path("amendments/", views.AmendmentListView.as_view(), name="amendment-list"),
    path("amendments/add/", views.AmendmentCreateView.as_view(), name="amendment-add"),
    path(
        "amendments/<uuid:public_id>/",
        views.AmendmentDetailView.as_view(),
        name="amendment-detail",
    ),
    path(
        "amendments/<uuid:public_id>/letter/<str:kind>.pdf",
        views.AmendmentLetterView.as_view(),
        name="amendment-letter",
    ),
    path(
        "amendments/<uuid:public_id>/<str:step>/",
        views.AmendmentActionView.as_view(),
        name="amendment-action",
    ),
]
