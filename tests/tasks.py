"""Running queued background tasks inside a test, as the worker would.

The tests use the real task backend (django-tasks-db): enqueueing writes a
row in the test's transaction. ``run_queued_tasks()`` runs every task that is
ready (run_after passed, as time_machine sees it) with db_worker's own code,
in this process, until none is left, and raises if a task failed.
"""

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def run_queued_tasks(limit: int = 1000) -> int:
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        result = DBTaskResult.objects.ready().get_locked()
        if result is None:
            return ran
        result.claim(worker.worker_id)
        worker.run_task(result)
        result.refresh_from_db()
        if result.status == "FAILED":
            raise AssertionError(f"task {result.task_path} failed:\n{result.traceback}")
        ran += 1
    raise AssertionError(f"more than {limit} tasks: a task keeps enqueueing another")


def queued_task_paths() -> list[str]:
    """The task paths waiting (ready or deferred), oldest first."""
    return list(
        DBTaskResult.objects.filter(status="READY")
        .order_by("enqueued_at")
        .values_list("task_path", flat=True)
    )
