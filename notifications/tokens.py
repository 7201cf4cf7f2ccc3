"""Unsubscribe links: a signed (user, category) pair, valid without logging in.

The signature is the credential, so the link works from any mail client and
never expires (RFC 8058 asks that it keep working); it can only ever turn a
kind of email off for the person it was made for.
"""

from django.core import signing

SALT = "notifications.unsubscribe"
CATEGORIES = ("reminders", "announcements")


def make_token(user_id: int, category: str) -> str:
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    return signing.dumps([user_id, category], salt=SALT, compress=False)


def read_token(token: str) -> tuple[int, str] | None:
    """(user id, category), or None when the token was not made by us."""
    try:
        user_id, category = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or category not in CATEGORIES:
        return None
    return user_id, category
