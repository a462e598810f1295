"""Pages of the search part: code search, code detail, tabular browser."""

from django.urls import path

from coding import search_views as views

urlpatterns = [
    path("codes/", views.CodeSearchPageView.as_view(), name="code-search"),
    path("codes/<str:system>/<str:code>/", views.CodeDetailPageView.as_view(), name="code-detail"),
    path("tabular/", views.CodeBrowserView.as_view(), name="code-browser"),
    path("tabular/<str:system>/", views.CodeBrowserView.as_view(), name="code-browser-system"),
    path(
        "tabular/<str:system>/<str:code>/",
        views.CodeBrowserView.as_view(),
        name="code-browser-node",
    ),
]
