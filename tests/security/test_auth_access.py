"""Who may open the login, password-reset and admin pages: each role x each URL.

The login and reset pages are for everybody; Django admin, where roles, groups
and the audit log are managed, only for staff, and its audit log and user pages
only for staff with the permission (superusers here).
"""

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory, make_facilitator, make_manager

pytestmark = pytest.mark.django_db

ROLES = {
    "anonymous": lambda: None,
    "member": lambda: MembershipFactory(user=UserFactory(username="alice")).user,
    "manager": lambda: make_manager("maggie"),
    "facilitator": lambda: make_facilitator("fran"),
    "staff": lambda: UserFactory(username="stan", is_staff=True),
    "superuser": lambda: UserFactory(username="root", is_staff=True, is_superuser=True),
}
URLS = {
    "login": "/accounts/login/",
    "reset": "/accounts/password_reset/",
    "admin login": "/admin/login/",
    "admin": "/admin/",
    "audit log": "/admin/assessment/auditevent/",
    "users": "/admin/auth/user/",
}
# What a page that lets you in shows.
CONTENT = {
    "login": "Forgotten your password?",
    "reset": "Forgotten your password?",
    "admin login": 'action="/admin/login/',
    "admin": "Site administration",
    "audit log": "Select audit event to view",
    "users": "Select user to change",
}
NOT_STAFF = ("anonymous", "member", "manager", "facilitator")

MATRIX = [(role, "login", 200) for role in ROLES]
MATRIX += [(role, "reset", 200) for role in ROLES]
MATRIX += [(role, "admin login", 200) for role in NOT_STAFF]
MATRIX += [("staff", "admin login", 302), ("superuser", "admin login", 302)]
for page in ("admin", "audit log", "users"):
    MATRIX += [(role, page, 302) for role in NOT_STAFF]
    MATRIX += [("superuser", page, 200)]
MATRIX += [("staff", "admin", 200), ("staff", "audit log", 403), ("staff", "users", 403)]


@pytest.mark.parametrize(("role", "page", "expected"), MATRIX)
def test_login_reset_and_admin_access_matrix(client, role, page, expected):
    user = ROLES[role]()
    if user is not None:
        client.force_login(user)
    url = URLS[page]

    response = client.get(url)

    assert response.status_code == expected
    if expected == 200:
        assert CONTENT[page] in response.text
    elif expected == 302 and page == "admin login":
        assert response["Location"] == reverse("admin:index")
    elif expected == 302:
        assert response["Location"] == f"/admin/login/?next={url}"
    else:
        assert CONTENT[page] not in response.text


def test_the_login_pages_use_the_throttled_forms(client):
    from assessment.throttle import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm

    assert isinstance(client.get(URLS["login"]).context["form"], ThrottledAuthenticationForm)
    assert isinstance(
        client.get(URLS["admin login"]).context["form"], ThrottledAdminAuthenticationForm
    )
