"""One email per delivery, plain text and HTML, with unsubscribe links and headers.

An email names its recipient, their own teams and the round; never answers,
scores or who else has (not) answered.
"""

import email.policy
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notice
from notifications.selectors import personal_content
from notifications.tokens import make_token


@dataclass(frozen=True)
class EmailKind:
    template: str  # notifications/email/<template>.txt and .html
    subject: str  # formatted with round=<the round's name>
    category: str  # the preference its own unsubscribe link turns off


EMAIL_KINDS = {
    Notice.Kind.ROUND_OPENED: EmailKind("round_opened", "{round} is open", "announcements"),
    Notice.Kind.REMINDER: EmailKind("reminder", "Reminder: {round} closes soon", "reminders"),
    Notice.Kind.MANUAL_REMINDER: EmailKind("reminder", "Reminder: {round} is open", "reminders"),
    Notice.Kind.RESULTS_READY: EmailKind(
        "results_ready", "Results of {round} are ready", "announcements"
    ),
}


class NotificationEmail(EmailMultiAlternatives):
    """Header lines up to RFC 5322's 998 characters.

    At the default 78, Python folds a long unsubscribe URL into RFC 2047
    encoded words, and mail clients do not read List-Unsubscribe that way.
    """

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=998))


def absolute(path: str) -> str:
    return settings.SHIPSHAPE_BASE_URL.rstrip("/") + path


def unsubscribe_url(user_id: int, category: str) -> str:
    return absolute(
        reverse("notifications:unsubscribe", kwargs={"token": make_token(user_id, category)})
    )


def build_email(notice: Notice, user: User) -> EmailMultiAlternatives | None:
    """The message for this person, or None when there is nothing left to tell them."""
    kind = EMAIL_KINDS[notice.kind]
    content = personal_content(notice, user)
    if not content.teams and not content.released:
        return None
    survey_round = notice.round
    own_unsubscribe = unsubscribe_url(user.pk, kind.category)
    context = {
        "name": user.first_name or user.username,
        "round_name": survey_round.name,
        "closes_at": timezone.localtime(survey_round.closes_at),
        "answer_links": [
            (team.name, absolute(reverse("surveys:start", args=[survey_round.slug, team.slug])))
            for team in content.teams
        ],
        "result_links": [
            (team.name, absolute(reverse("reports:team_dashboard", args=[team.slug])))
            for team in content.released
        ],
        "my_surveys": absolute(reverse("surveys:my_surveys")),
        "profile": absolute(reverse("profile")),
        # Every email can stop reminders; round notices stop the notices too.
        "unsubscribe_reminders": unsubscribe_url(user.pk, "reminders"),
        "unsubscribe_announcements": (
            own_unsubscribe if kind.category == "announcements" else None
        ),
    }
    message = NotificationEmail(
        subject=kind.subject.format(round=survey_round.name),
        body=render_to_string(f"notifications/email/{kind.template}.txt", context),
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{own_unsubscribe}>",
            # RFC 8058: mail clients may POST to the link to unsubscribe in one click.
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(
        render_to_string(f"notifications/email/{kind.template}.html", context), "text/html"
    )
    return message
