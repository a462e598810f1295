"""Pages of the queue part."""

from django.urls import path

from coding import queue_views as views

urlpatterns = [
    path("queue/", views.QueueView.as_view(), name="queue"),
    path("queue/assign/", views.QueueAssignView.as_view(), name="queue-assign"),
    path("queue/next/", views.NextChartView.as_view(), name="queue-next"),
    path("queue/<uuid:public_id>/open/", views.QueueOpenView.as_view(), name="queue-open"),
    path("queue/<uuid:public_id>/pending/", views.QueuePendingView.as_view(), name="queue-pending"),
    path("productivity/", views.ProductivityView.as_view(), name="productivity"),
    path("queries/", views.QueryListView.as_view(), name="query-list"),
    path("queries/mine/", views.QueryInboxView.as_view(), name="query-inbox"),
    path("queries/metrics/", views.QueryMetricsView.as_view(), name="query-metrics"),
    path(
        "codings/<uuid:public_id>/queries/new/",
        views.QueryCreateView.as_view(),
        name="query-create",
    ),
    path("queries/<uuid:public_id>/", views.QueryDetailView.as_view(), name="query-detail"),
    path("queries/<uuid:public_id>/send/", views.QuerySendView.as_view(), name="query-send"),
    path("queries/<uuid:public_id>/cancel/", views.QueryCancelView.as_view(), name="query-cancel"),
    path("queries/<uuid:public_id>/answer/", views.QueryAnswerView.as_view(), name="query-answer"),
]
