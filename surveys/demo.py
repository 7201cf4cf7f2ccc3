"""The demo organisation behind `make run` (management command `seed_demo`)."""

from django.contrib.auth.models import Group, User
from django.db import transaction

from surveys.access import FACILITATORS_GROUP, MANAGERS_GROUP
from surveys.models import Membership, Team

DEMO_PASSWORD = "demo"
DEMO_LOGINS = (
    ("member", "team member of Payments"),
    ("lead", "lead of Payments"),
    ("manager", "manager: organisation dashboards"),
    ("facilitator", "facilitator: runs rounds, exports results"),
    ("admin", "staff admin: Django admin"),
)
# (name, group, team size including the named demo users)
DEMO_TEAMS = (
    ("Payments", "Commerce", 7),
    ("Checkout", "Commerce", 6),
    ("Platform", "Core", 8),
    ("Identity", "Core", 5),
    ("Mobile", "Product", 6),
    ("Data", "Product", 7),
)


def _user(username: str, *, first_name: str = "", **flags) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first_name, "email": f"{username}@example.com", **flags},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def seed_demo_people() -> dict[str, Team]:
    """Users, teams and memberships; safe to run again."""
    teams = {}
    for name, group, size in DEMO_TEAMS:
        team, _ = Team.objects.get_or_create(
            slug=name.lower(), defaults={"name": name, "group": group}
        )
        teams[name] = team
        for number in range(1, size + 1):
            user = _user(f"{team.slug}-{number}", first_name=f"{name} {number}")
            Membership.objects.get_or_create(user=user, team=team)

    payments = teams["Payments"]
    member = _user("member", first_name="Morgan")
    lead = _user("lead", first_name="Lee")
    Membership.objects.get_or_create(user=member, team=payments)
    Membership.objects.update_or_create(
        user=lead, team=payments, defaults={"role": Membership.Role.LEAD}
    )
    for name, team in teams.items():
        if name != "Payments":
            first = User.objects.get(username=f"{team.slug}-1")
            Membership.objects.filter(user=first, team=team).update(role=Membership.Role.LEAD)

    _user("manager", first_name="Maya").groups.add(Group.objects.get(name=MANAGERS_GROUP))
    _user("facilitator", first_name="Fran").groups.add(Group.objects.get(name=FACILITATORS_GROUP))
    _user("admin", first_name="Ada", is_staff=True, is_superuser=True)
    return teams


def seed_demo() -> str:
    teams = seed_demo_people()
    return f"Demo organisation ready: {len(teams)} teams."
