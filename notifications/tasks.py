"""The notification tasks the worker runs (`manage.py db_worker`); thin wrappers."""

from django.tasks import task

from notifications import services


@task
def fire_notice(notice_id: int) -> int:
    return services.notice_fire(notice_id=notice_id)


@task
def send_delivery(delivery_id: int) -> str:
    return services.delivery_send(delivery_id=delivery_id)
