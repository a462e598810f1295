"""The Celery app. Tasks carry the request context of whoever started them."""

from __future__ import annotations

import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "him.settings")

CONTEXT_KWARG = "_him_context"


class ContextTask(Task):
    """A task that runs under the request context it was sent from.

    The context travels as a keyword argument (it survives eager mode, retries
    and every broker alike) and is restored around the task body.
    """

    # The context kwarg is not in the task's signature (__call__ pops it), so
    # Celery's argument check at send time would refuse every call.
    typing = False

    def apply_async(self, args=None, kwargs=None, **options):
        from him import context

        kwargs = dict(kwargs or {})
        kwargs.setdefault(CONTEXT_KWARG, context.current().as_dict())
        return super().apply_async(args=args, kwargs=kwargs, **options)

    def __call__(self, *args, **kwargs):
        from dataclasses import replace

        from him import context

        data = kwargs.pop(CONTEXT_KWARG, None)
        ctx = context.RequestContext.from_dict(data)
        ctx = replace(ctx, channel="task")
        with context.use(ctx):
            return super().__call__(*args, **kwargs)


app = Celery("him", task_cls=ContextTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
