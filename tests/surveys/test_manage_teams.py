import re
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from surveys.models import Membership, Team
from tests.factories import MembershipFactory, TeamFactory, UserFactory, make_facilitator
from tests.tasks import queued_task_paths, run_queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def fclient(client):
    client.force_login(make_facilitator("fran"))
    return client


def _counts() -> tuple[int, int, int]:
    return User.objects.count(), Team.objects.count(), Membership.objects.count()


def _csv(text: str | bytes, name: str = "members.csv") -> SimpleUploadedFile:
    content = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, content, content_type="text/csv")


# --- team list and create ---------------------------------------------------------


def test_team_list_shows_teams_alphabetically_with_group_and_counts(fclient):
    payments = TeamFactory(name="Payments", group="Commerce")
    checkout = TeamFactory(name="Checkout", group="")
    MembershipFactory(team=payments, role=Membership.Role.LEAD)
    MembershipFactory(team=payments)
    MembershipFactory(team=payments)
    MembershipFactory(team=checkout)

    response = fclient.get(reverse("surveys:team_list"))

    html = response.content.decode()
    assert [t.name for t in response.context["teams"]] == ["Checkout", "Payments"]
    assert html.index("Checkout") < html.index("Payments")
    row = re.search(r"<tr>\s*<td><a[^>]*>Payments</a>.*?</tr>", html, re.S).group(0)
    assert "Commerce" in row
    assert re.findall(r'<td class="text-end">(\d+)</td>', row) == ["3", "1"]
    assert reverse("surveys:members_import") in html
    assert reverse("surveys:team_detail", args=[payments.slug]) in html


def test_creating_a_team_saves_it_and_opens_its_page(fclient):
    response = fclient.post(
        reverse("surveys:team_list"), {"name": "  Search  ", "group": "Product"}, follow=True
    )

    team = Team.objects.get(name="Search")
    assert team.group == "Product"
    assert team.slug == "search"
    assert response.redirect_chain == [(reverse("surveys:team_detail", args=["search"]), 302)]
    assert "Created the team Search." in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "payments", "group": ""}, "A team with this name exists already."),
        ({"name": "", "group": "Core"}, "This field is required."),
    ],
    ids=["same-name-other-case", "no-name"],
)
def test_invalid_team_shows_a_form_error_and_creates_nothing(fclient, data, message):
    TeamFactory(name="Payments")

    response = fclient.post(reverse("surveys:team_list"), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(Team.objects.values_list("name", flat=True)) == ["Payments"]


# --- team detail and memberships --------------------------------------------------


@pytest.fixture
def payments():
    team = TeamFactory(name="Payments")
    MembershipFactory(
        team=team,
        user=UserFactory(username="lena", first_name="Lena", last_name="Lind"),
        role=Membership.Role.LEAD,
    )
    MembershipFactory(team=team, user=UserFactory(username="bob", first_name="Bob"))
    return team


def test_team_detail_lists_members_with_name_email_and_role(fclient, payments):
    TeamFactory(name="Checkout")
    MembershipFactory(team=Team.objects.get(name="Checkout"), user=UserFactory(username="zed"))

    response = fclient.get(reverse("surveys:team_detail", args=[payments.slug]))

    html = response.content.decode()
    assert [m.user.username for m in response.context["memberships"]] == ["lena", "bob"]
    assert "Lena Lind" in html and "lena@example.com" in html and "bob@example.com" in html
    lena = User.objects.get(username="lena")
    action = reverse("surveys:membership_update", args=[payments.slug, lena.pk])
    form = re.search(rf'action="{action}".*?</form>', html, re.S).group(0)
    assert '<option value="lead" selected>' in form
    assert 'name="action" value="remove"' in form
    assert "zed" not in html


def test_adding_a_member_by_email(fclient, payments):
    carol = UserFactory(username="carol", email="Carol.C@example.com", first_name="Carol")

    response = fclient.post(
        reverse("surveys:team_detail", args=[payments.slug]),
        {"user": "carol.c@EXAMPLE.com", "role": "member"},
        follow=True,
    )

    assert Membership.objects.get(team=payments, user=carol).role == Membership.Role.MEMBER
    assert "Carol is a member of Payments." in response.content.decode()
    assert "Carol.C@example.com" in response.content.decode()


def test_adding_a_member_by_username_as_lead(fclient, payments):
    dave = UserFactory(username="dave")

    fclient.post(
        reverse("surveys:team_detail", args=[payments.slug]), {"user": "dave", "role": "lead"}
    )

    assert Membership.objects.get(team=payments, user=dave).role == Membership.Role.LEAD


def test_adding_an_unknown_user_is_a_form_error(fclient, payments):
    before = _counts()

    response = fclient.post(
        reverse("surveys:team_detail", args=[payments.slug]),
        {"user": "nobody@example.com", "role": "member"},
    )

    assert response.status_code == 200
    assert "No user has this username or email." in response.content.decode()
    assert response.context["form"].errors["user"]
    assert _counts() == before


def test_changing_a_members_role(fclient, payments):
    bob = User.objects.get(username="bob")

    response = fclient.post(
        reverse("surveys:membership_update", args=[payments.slug, bob.pk]),
        {"action": "role", "role": "lead"},
        follow=True,
    )

    assert Membership.objects.get(team=payments, user=bob).role == Membership.Role.LEAD
    assert response.redirect_chain == [(reverse("surveys:team_detail", args=[payments.slug]), 302)]
    assert "Bob is now a lead of Payments." in response.content.decode()


def test_removing_a_member_keeps_the_account(fclient, payments):
    bob = User.objects.get(username="bob")

    response = fclient.post(
        reverse("surveys:membership_update", args=[payments.slug, bob.pk]),
        {"action": "remove"},
        follow=True,
    )

    assert not Membership.objects.filter(team=payments, user=bob).exists()
    assert User.objects.filter(pk=bob.pk).exists()
    html = response.content.decode()
    assert "Removed Bob from Payments." in html
    assert "bob@example.com" not in html


@pytest.mark.parametrize(
    "data", [{"action": "role", "role": "owner"}, {"action": "promote"}, {"action": "role"}]
)
def test_invalid_membership_change_is_refused_with_a_message(fclient, payments, data):
    bob = User.objects.get(username="bob")

    response = fclient.post(
        reverse("surveys:membership_update", args=[payments.slug, bob.pk]), data, follow=True
    )

    assert Membership.objects.get(team=payments, user=bob).role == Membership.Role.MEMBER
    assert "Choose a role, or remove the member." in response.content.decode()


def test_changing_someone_who_is_not_in_the_team_is_not_found(fclient, payments):
    outsider = UserFactory(username="outsider")

    response = fclient.post(
        reverse("surveys:membership_update", args=[payments.slug, outsider.pk]),
        {"action": "role", "role": "lead"},
    )

    assert response.status_code == 404
    assert not Membership.objects.filter(user=outsider).exists()


# --- CSV import ----------------------------------------------------------------------

VALID_CSV = """email,name,team,role
ana.silva@example.com,Ana Silva,Payments,lead
ben.okafor@example.com,Ben Okafor,Payments,member
ben.okafor@example.com,Ben Okafor,Search,
bob@example.com,Bob Existing,Search,lead
"""


def test_import_page_explains_the_columns_with_an_example(fclient):
    response = fclient.get(reverse("surveys:members_import"))

    html = response.content.decode()
    assert "email, name, team, role" in html
    assert "email,name,team,role\nana.silva@example.com,Ana Silva,Payments,lead" in html
    assert 'enctype="multipart/form-data"' in html


def test_importing_a_valid_file_creates_users_teams_memberships_and_invites(fclient, payments):
    response = fclient.post(
        reverse("surveys:members_import"), {"file": _csv(VALID_CSV)}, follow=True
    )
    # The set-password emails are queued with the import and sent by the worker.
    assert queued_task_paths() == ["surveys.tasks.send_set_password_email"] * 2
    assert mail.outbox == []
    assert run_queued_tasks() == 2

    assert response.redirect_chain == [(reverse("surveys:team_list"), 302)]
    assert (
        "Import done: 2 user(s) created and sent a set-password email, 1 team(s) created, "
        "4 membership(s) added, 0 updated." in response.content.decode()
    )
    ana = User.objects.get(email="ana.silva@example.com")
    ben = User.objects.get(email="ben.okafor@example.com")
    assert (ana.first_name, ana.last_name) == ("Ana", "Silva")
    assert not ana.has_usable_password() and not ben.has_usable_password()
    search = Team.objects.get(name="Search")
    assert set(Membership.objects.filter(team=payments).values_list("user__username", "role")) == {
        ("lena", "lead"),
        ("bob", "member"),
        (ana.username, "lead"),
        (ben.username, "member"),
    }
    assert set(Membership.objects.filter(team=search).values_list("user__username", "role")) == {
        (ben.username, "member"),
        ("bob", "lead"),
    }
    assert sorted(message.to for message in mail.outbox) == [
        ["ana.silva@example.com"],
        ["ben.okafor@example.com"],
    ]
    assert "http://testserver/accounts/reset/" in mail.outbox[0].body


def test_reimporting_the_same_file_changes_nothing(
    fclient, payments, django_capture_on_commit_callbacks
):
    fclient.post(reverse("surveys:members_import"), {"file": _csv(VALID_CSV)})
    run_queued_tasks()
    before = _counts()
    roles = set(Membership.objects.values_list("user_id", "team_id", "role"))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = fclient.post(
            reverse("surveys:members_import"), {"file": _csv(VALID_CSV)}, follow=True
        )

    assert _counts() == before
    assert set(Membership.objects.values_list("user_id", "team_id", "role")) == roles
    assert run_queued_tasks() == 0
    assert mail.outbox == []
    assert "0 user(s) created" in response.content.decode()
    assert "0 membership(s) added, 0 updated." in response.content.decode()


def test_importing_a_changed_role_updates_the_membership(fclient, payments):
    csv = "email,name,team,role\nbob@example.com,Bob,Payments,lead\n"

    response = fclient.post(reverse("surveys:members_import"), {"file": _csv(csv)}, follow=True)

    assert Membership.objects.get(team=payments, user__username="bob").role == "lead"
    assert "0 membership(s) added, 1 updated." in response.content.decode()


@pytest.mark.parametrize(
    ("content", "errors"),
    [
        (
            "email,name,team,role\n"
            "ok@example.com,Okay Person,Payments,member\n"
            "not-an-email,Bad Email,Payments,member\n"
            "fine@example.com,Bad Role,Payments,boss\n",
            [
                "line 3: 'not-an-email' is not a valid email address.",
                "line 4: role must be 'member' or 'lead', not 'boss'.",
            ],
        ),
        (
            "mail,name,team,role\nok@example.com,Okay Person,Payments,member\n",
            ["line 1: the header must name the columns email, name, team, role"],
        ),
        (
            "email,name,team,role\nj\xfcrgen@example.com,J\xfcrgen,Payments,member\n".encode(
                "latin-1"
            ),
            ["The file is not UTF-8 text."],
        ),
    ],
    ids=["bad-email-line-3-and-bad-role-line-4", "wrong-header", "not-utf-8"],
)
def test_invalid_file_lists_every_error_by_line_and_imports_nothing(
    fclient, payments, content, errors, django_capture_on_commit_callbacks
):
    before = _counts()

    with django_capture_on_commit_callbacks(execute=True):
        response = fclient.post(reverse("surveys:members_import"), {"file": _csv(content)})

    page = unescape(response.content.decode())
    assert response.status_code == 200
    assert "Nothing was imported." in page
    for error in errors:
        assert f"<li>{error}" in page
    assert len(response.context["import_errors"]) == len(errors)
    assert _counts() == before
    assert queued_task_paths() == []
    assert mail.outbox == []


def test_files_over_one_megabyte_are_refused_by_the_form(fclient):
    before = _counts()
    content = "email,name,team,role\n" + "x@example.com,X,Team,member\n" * 40_000

    response = fclient.post(reverse("surveys:members_import"), {"file": _csv(content)})

    assert response.context["form"].errors["file"] == ["The file is larger than 1 MB; split it."]
    assert _counts() == before


def test_import_without_a_file_is_a_form_error(fclient):
    response = fclient.post(reverse("surveys:members_import"), {})

    assert response.context["form"].errors["file"] == ["This field is required."]


def test_a_set_password_email_is_not_sent_to_whoever_set_a_password_meanwhile(fclient, payments):
    fclient.post(reverse("surveys:members_import"), {"file": _csv(VALID_CSV)})
    ana = User.objects.get(email="ana.silva@example.com")
    ana.set_password("chosen-by-ana-41")
    ana.save()

    run_queued_tasks()

    assert [message.to for message in mail.outbox] == [["ben.okafor@example.com"]]
