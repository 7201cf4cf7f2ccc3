"""Surveys' background tasks, run by the task worker (`manage.py db_worker`)."""

import logging

from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.tasks import task
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

logger = logging.getLogger(__name__)


@task
def send_set_password_email(user_id: int, base_url: str) -> bool:
    """The set-password email of a member import. False if the account is gone.

    The link is made when the email is sent, so it is valid from then on; an
    account that has set a password meanwhile gets no email (its token changed).
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.has_usable_password() or not user.email:
        return False
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    send_mail(
        subject="Your Shipshape account",
        message=(
            f"Hello {user.first_name or user.username},\n\n"
            "You have been added to Shipshape, where your team reflects on its DevOps "
            "practices each quarter. Choose a password to log in:\n\n"
            f"{base_url.rstrip('/')}{path}\n\n"
            f"Your username is {user.username}.\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )
    return True
