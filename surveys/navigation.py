"""What the menu shows a user: links to their teams' results and to their role's pages.

Every page draws the menu, and working it out takes three queries (the user's
teams, their own permissions, their groups' permissions) for something that
changes a few times a quarter. So it is kept in the Django cache per user,
together with a shared token; any change to memberships, teams, users, groups
or permissions replaces the token (at once and again on commit), which makes
every cached menu stale. With Redis that reaches every process at once; with
the local-memory cache and several workers, other workers notice within
TIMEOUT.

The menu is not access control: every view checks rights itself, so a menu
that lags shows at worst a link that answers 404, never data.
"""

import uuid
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from surveys.access import is_facilitator, is_manager
from surveys.models import Membership, Team

TIMEOUT = 5 * 60
TOKEN_KEY = "navigation-token"


class NavTeam(NamedTuple):
    name: str
    slug: str


@dataclass(frozen=True)
class Navigation:
    teams: tuple[NavTeam, ...]  # by name
    is_manager: bool
    is_facilitator: bool


NOBODY = Navigation(teams=(), is_manager=False, is_facilitator=False)


def _user_key(user_id: int) -> str:
    return f"navigation:{user_id}"


def _compute(user: User) -> Navigation:
    return Navigation(
        teams=tuple(
            NavTeam(*row) for row in user.teams.order_by("name").values_list("name", "slug")
        ),
        is_manager=is_manager(user),
        is_facilitator=is_facilitator(user),
    )


def user_navigation(user: User | AnonymousUser) -> Navigation:
    """The user's menu: one cache read when it is cached, three queries when not."""
    if not user.is_authenticated:
        return NOBODY
    key = _user_key(user.pk)
    found = cache.get_many([TOKEN_KEY, key])
    token = found.get(TOKEN_KEY)
    if token is None:
        # add(): two processes that miss at once agree on one token.
        cache.add(TOKEN_KEY, uuid.uuid4().hex, TIMEOUT)
        token = cache.get(TOKEN_KEY)
    cached = found.get(key)
    if cached is not None and cached[0] == token:
        return cached[1]
    navigation = _compute(user)
    if token is not None:
        cache.set(key, (token, navigation), TIMEOUT)
    return navigation


def navigation_changed(user_id: int | None = None) -> None:
    """Make one user's cached menu stale, or everyone's: now, and again once the
    transaction commits (a request that read the old rows in between may have
    cached them)."""
    key = TOKEN_KEY if user_id is None else _user_key(user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def _on_membership_change(sender, instance: Membership, **kwargs) -> None:
    navigation_changed(instance.user_id)


def _on_user_saved(sender, instance: User, created: bool, update_fields=None, **kwargs):
    # Only these change what the user may see; a login saves last_login only.
    relevant = {"is_active", "is_superuser"}
    if created or (update_fields is not None and not relevant & set(update_fields)):
        return
    navigation_changed(instance.pk)


def _on_team_saved(sender, instance: Team, created: bool, **kwargs) -> None:
    # A new team is in nobody's menu until it has members; a renamed one is.
    if not created:
        navigation_changed()


def _on_change(sender, **kwargs) -> None:
    # A group or its permissions changed: rare, so everyone's menu.
    if kwargs.get("action", "post_").startswith("post_"):
        navigation_changed()


def connect_receivers() -> None:
    """Called once from SurveysConfig.ready()."""
    uid = "surveys.navigation"
    post_save.connect(_on_membership_change, sender=Membership, dispatch_uid=f"{uid}:m-save")
    post_delete.connect(_on_membership_change, sender=Membership, dispatch_uid=f"{uid}:m-del")
    post_save.connect(_on_user_saved, sender=User, dispatch_uid=f"{uid}:u-save")
    post_save.connect(_on_team_saved, sender=Team, dispatch_uid=f"{uid}:t-save")
    post_save.connect(_on_change, sender=Group, dispatch_uid=f"{uid}:g-save")
    post_delete.connect(_on_change, sender=Group, dispatch_uid=f"{uid}:g-del")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(_on_change, sender=through, dispatch_uid=f"{uid}:{through.__name__}")
