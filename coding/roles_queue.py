"""What each role may do with the work queue and physician queries.

Registered from ``setup_queue.ready()``; ``roles.sync`` grants them after migrate.
"""

from him import roles

_QUERY_VIEW = ["coding.view_physicianquery", "coding.view_querytemplate"]

PERMISSIONS = {
    # Coders write and send queries (and take charts from the queue).
    roles.CODER: [*_QUERY_VIEW, "coding.add_physicianquery", "coding.change_physicianquery"],
    # Physicians see and answer the queries addressed to them.
    roles.PHYSICIAN: [*_QUERY_VIEW, "coding.answer_physicianquery"],
    roles.AUDITOR: _QUERY_VIEW,
    roles.HIM_MANAGER: [
        *_QUERY_VIEW,
        "coding.view_query_metrics",
        "coding.view_coding_productivity",
    ],
    roles.INTEGRATION: _QUERY_VIEW,
}
