"""Accounts, roles and team memberships from an identity provider's claims.

Called by sso.backends.OIDCBackend at every SSO login, inside one transaction:
the e-mail address is checked before any account is looked up, so a refused
login never creates one. Groups change through user.groups (audited by
assessment.signals) and memberships through surveys.services (audited there).
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from sso.failures import SsoFailure
from surveys.access import FACILITATORS_GROUP, MANAGERS_GROUP, role_group
from surveys.models import Membership, Team
from surveys.services import membership_remove, membership_set, username_for

Claims = Mapping[str, Any]


def _is_true(value: Any) -> bool:
    # Some providers send "true" as a string.
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def verified_email(claims: Claims) -> str:
    """The claims' e-mail address, if verified and in an allowed domain; else SsoFailure."""
    email = str(claims.get("email") or "").strip()
    if "@" not in email:
        raise SsoFailure("email_unverified", email="", sub=str(claims.get("sub", "")))
    if settings.SHIPSHAPE_OIDC_REQUIRE_VERIFIED_EMAIL and not _is_true(
        claims.get("email_verified")
    ):
        raise SsoFailure("email_unverified", email=email)
    domain = email.rsplit("@", 1)[1].lower()
    allowed = settings.SHIPSHAPE_OIDC_ALLOWED_DOMAINS
    if allowed and domain not in allowed:
        raise SsoFailure("domain_refused", email=email, domain=domain)
    return email


def claim_values(claims: Claims, name: str) -> set[str]:
    """A claim as a set of strings: a list, or one string (space or comma separated)."""
    value = claims.get(name)
    if value is None:
        return set()
    if isinstance(value, str):
        return {part for part in value.replace(",", " ").split() if part}
    if isinstance(value, Iterable):
        return {str(item) for item in value}
    return {str(value)}


def user_for_claims(claims: Claims) -> tuple[User, bool]:
    """The account with the claims' verified e-mail address, created if there is none."""
    email = verified_email(claims)
    matches = list(User.objects.filter(email__iexact=email)[:2])
    if len(matches) > 1:
        raise SsoFailure("ambiguous_email", email=email)
    if matches:
        user = matches[0]
        if not user.is_active:
            raise SsoFailure("inactive", email=email)
        return user, False
    user = User(
        username=username_for(email),
        email=email,
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150],
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    return user, True


def roles_sync(*, user: User, claims: Claims) -> dict[str, bool] | None:
    """Managers and Facilitators follow the groups claim; None if no claim is configured."""
    claim = settings.SHIPSHAPE_OIDC_GROUPS_CLAIM
    if not claim:
        return None
    values = claim_values(claims, claim)
    wanted = {
        MANAGERS_GROUP: bool(values & set(settings.SHIPSHAPE_OIDC_MANAGER_VALUES)),
        FACILITATORS_GROUP: bool(values & set(settings.SHIPSHAPE_OIDC_FACILITATOR_VALUES)),
    }
    current = set(user.groups.filter(name__in=wanted).values_list("name", flat=True))
    for name, member in wanted.items():
        if member and name not in current:
            user.groups.add(role_group(name))
        elif not member and name in current:
            user.groups.remove(role_group(name))
    return wanted


def memberships_sync(*, user: User, claims: Claims) -> list[str] | None:
    """Team memberships follow the teams claim (team slugs); None if no claim is configured.

    A new membership is a plain member; a lead stays lead while the claim names the team.
    Slugs of teams that do not exist are ignored: teams are made in Shipshape.
    """
    claim = settings.SHIPSHAPE_OIDC_TEAMS_CLAIM
    if not claim:
        return None
    slugs = claim_values(claims, claim)
    wanted = {team.pk: team for team in Team.objects.filter(slug__in=slugs)}
    current = {m.team_id: m for m in Membership.objects.filter(user=user).select_related("team")}
    for team_id, team in wanted.items():
        if team_id not in current:
            membership_set(team=team, user=user, role=Membership.Role.MEMBER)
    for team_id, membership in current.items():
        if team_id not in wanted:
            membership_remove(team=membership.team, user=user)
    return sorted(team.slug for team in wanted.values())


@transaction.atomic
def sso_user_sync(*, claims: Claims) -> tuple[User, dict[str, Any]]:
    """Find or create the account for these claims and bring its roles up to date."""
    user, created = user_for_claims(claims)
    roles = roles_sync(user=user, claims=claims)
    teams = memberships_sync(user=user, claims=claims)
    details: dict[str, Any] = {"created": created}
    if roles is not None:
        details["roles"] = sorted(name for name, member in roles.items() if member)
    if teams is not None:
        details["teams"] = teams
    return user, details
