"""The demo organisation of `make run`, plus a little state, and every page type each role sees.

Shared by the layout checks (tests/e2e/test_layout.py) and `make screens`
(tests/e2e/test_screens.py). The demo (`seed_demo`) gives eight closed rounds and
an open one in which `member` has a draft in Payments and `lead` has not started.
On top of it, so that every page type exists for someone:

- `member` is also in Checkout and has submitted there (the "done" page);
- `lead` is also in Checkout with a draft that answers every question on the
  first page only.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from api.tokens import api_token_create, api_token_revoke
from assessment.loader import read_questionnaire_file
from assessment.models import Question
from notifications.tokens import make_token
from surveys.models import Membership, SurveyRound, Team
from surveys.services import AnswerValue, response_save_draft, response_start, response_submit
from tests.factories import DEMO_QUESTIONNAIRES, load_questionnaire

PASSWORD = "demo"
WIDTHS = {"phone": (390, 844), "laptop": (1280, 900)}
ANSWER_PAGES = len(read_questionnaire_file(DEMO_QUESTIONNAIRES[-1]).categories)
ANSWERING = [f"answer-{n}" for n in range(1, ANSWER_PAGES + 1)]

# The tallest each page type may be, per width. An answering page of the old
# widget (each choice squeezed to one character wide) was 57,000-75,000 px.
# A page of nine questions is about 4,000 px on a laptop and 7,300 on a phone.
MAX_HEIGHT = {
    "login": {"phone": 1500, "laptop": 1500},
    "home": {"phone": 1500, "laptop": 1500},
    "my-surveys": {"phone": 2000, "laptop": 1500},
    "start": {"phone": 2000, "laptop": 1500},
    **{name: {"phone": 9_000, "laptop": 5_000} for name in ANSWERING},
    "review": {"phone": 4000, "laptop": 2500},
    "done": {"phone": 1500, "laptop": 1500},
    # With the improvement actions section and main's questionnaire changes: 11,242 / 7,536 px.
    "team-dashboard": {"phone": 12_000, "laptop": 8_000},
    "actions": {"phone": 6_000, "laptop": 3_500},
    "action-form": {"phone": 4_000, "laptop": 2_500},
    "org-dashboard": {"phone": 9_000, "laptop": 6_000},
    "export": {"phone": 2500, "laptop": 1500},
    "round-list": {"phone": 2500, "laptop": 1500},
    "round-detail": {"phone": 3000, "laptop": 2000},
    "round-form": {"phone": 2500, "laptop": 2000},
    "team-list": {"phone": 2500, "laptop": 1500},
    "team-detail": {"phone": 3000, "laptop": 2000},
    "members-import": {"phone": 2500, "laptop": 1500},
    "questionnaire-list": {"phone": 2500, "laptop": 1500},
    # The changes since the version before, and one section's preview.
    "questionnaire-detail": {"phone": 12_000, "laptop": 7_000},
    "questionnaire-upload": {"phone": 2500, "laptop": 1500},
    "admin": {"phone": 3000, "laptop": 2000},
    "profile": {"phone": 2500, "laptop": 1500},
    "unsubscribe": {"phone": 1500, "laptop": 1500},
}

# The page types each role reaches in the demo, in menu order.
ROLE_PAGES = {
    "anonymous": ["home", "login", "unsubscribe"],
    "member": [
        "my-surveys",
        *ANSWERING,
        "review",
        "done",
        "team-dashboard",
        "actions",
        "profile",
    ],
    "lead": [
        "my-surveys",
        "start",
        *ANSWERING,
        "review",
        "team-dashboard",
        "actions",
        "action-form",
        "profile",
    ],
    "manager": ["my-surveys", "team-dashboard", "actions", "org-dashboard", "export", "profile"],
    "facilitator": [
        "my-surveys",
        "team-dashboard",
        "actions",
        "action-form",
        "org-dashboard",
        "round-list",
        "round-detail",
        "round-form",
        "team-list",
        "team-detail",
        "members-import",
        "questionnaire-list",
        "questionnaire-detail",
        "questionnaire-upload",
        "export",
        "profile",
    ],
    "admin": ["my-surveys", "admin", "profile"],
}
# The roles of the browser checks; `make screens` shoots admin too.
CHECKED_ROLES = ["anonymous", "member", "lead", "manager", "facilitator"]


@dataclass
class DemoSite:
    url: str
    paths: dict[str, dict[str, str]] = field(default_factory=dict)

    def page_url(self, role: str, page_type: str) -> str:
        return self.url + self.paths[role][page_type]


def _complete_answers(questions: list[Question]) -> dict[Question, AnswerValue]:
    answers = {}
    for question in questions:
        if question.kind == Question.Kind.CHECKLIST:
            practices = [c for c in question.choices.all() if not c.is_abstain][:2]
            answers[question] = AnswerValue(number=len(practices), ticked=tuple(practices))
        elif question.has_choices:
            scored = [c for c in question.choices.all() if not c.is_abstain]
            answers[question] = AnswerValue(choice=scored[len(scored) // 2])
        elif question.kind == Question.Kind.PERCENT:
            answers[question] = AnswerValue(number=15)
        else:
            answers[question] = AnswerValue(text="Smaller pull requests helped us most.")
    return answers


def seed_demo_site() -> dict[str, dict[str, str]]:
    """Seed the demo and the extra state above; return each role's path per page type."""
    for path in DEMO_QUESTIONNAIRES:
        load_questionnaire(path)
    # The tests hash passwords with MD5 (tests/conftest.py); the demo's shared
    # hash must be one they can check.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        call_command("seed_demo", "--force", verbosity=0)
    current = SurveyRound.objects.open().get()
    past = SurveyRound.objects.closed().order_by("-closes_at").first()
    payments, checkout = Team.objects.get(slug="payments"), Team.objects.get(slug="checkout")
    member, lead = User.objects.get(username="member"), User.objects.get(username="lead")
    questions = list(
        Question.objects.filter(questionnaire=current.questionnaire)
        .select_related("category")
        .prefetch_related("choices")
        .order_by("category__order", "order")
    )
    for user in (member, lead):
        Membership.objects.get_or_create(user=user, team=checkout)
    submitted = response_start(survey_round=current, team=checkout, user=member)
    response_submit(response=submitted, answers=_complete_answers(questions))
    first_page = [q for q in questions if q.category_id == questions[0].category_id]
    draft = response_start(survey_round=current, team=checkout, user=lead)
    response_save_draft(response=draft, answers=_complete_answers(first_page), page=1)
    # The profile page lists API tokens: give each role one, and the member a
    # revoked one too, so the table has rows of every kind.
    for user in User.objects.filter(username__in=["member", "lead", "manager", "facilitator"]):
        api_token_create(user=user, name="Quarterly BI export", scope="read", days=90)
    old, _ = api_token_create(user=member, name="Old notebook", scope="write", days=30)
    api_token_revoke(token=old, actor=member)

    def survey(name: str, team: Team, *args) -> str:
        return reverse(f"surveys:{name}", args=[current.slug, team.slug, *args])

    def answering(team: Team) -> dict[str, str]:
        return {f"answer-{n}": survey("page", team, n) for n in range(1, ANSWER_PAGES + 1)}

    team_dashboard = reverse("reports:team_dashboard", args=[payments.slug])
    common = {
        "home": reverse("home"),
        "login": reverse("login"),
        "my-surveys": reverse("surveys:my_surveys"),
        "team-dashboard": team_dashboard,
        "actions": reverse("actions:list", args=[payments.slug]),
        # "Plan an action" from a question row of the latest released round.
        "action-form": reverse("actions:create", args=[payments.slug])
        + f"?round={past.slug}&question=cicd-automated-tests&aim=2",
        "org-dashboard": reverse("reports:org_dashboard"),
        "export": reverse("reports:export_round", args=[past.slug]),
        "round-list": reverse("surveys:round_list"),
        "round-detail": reverse("surveys:round_detail", args=[current.slug]),
        "round-form": reverse("surveys:round_create"),
        "team-list": reverse("surveys:team_list"),
        "team-detail": reverse("surveys:team_detail", args=[payments.slug]),
        "members-import": reverse("surveys:members_import"),
        "questionnaire-list": reverse("surveys:questionnaire_list"),
        "questionnaire-detail": reverse(
            "surveys:questionnaire_detail",
            args=[current.questionnaire.slug, current.questionnaire.version],
        ),
        "questionnaire-upload": reverse("surveys:questionnaire_upload"),
        "admin": reverse("admin:index"),
        "profile": reverse("profile"),
        # The page an email's "stop reminder emails" link opens, without logging in.
        "unsubscribe": reverse(
            "notifications:unsubscribe", args=[make_token(member.pk, "reminders")]
        ),
    }
    per_role = {
        "member": {
            **answering(payments),
            "review": survey("review", payments),
            "done": survey("done", checkout),
        },
        "lead": {
            "start": survey("start", payments),
            **answering(checkout),
            "review": survey("review", checkout),
        },
    }
    return {
        role: {name: per_role.get(role, {}).get(name) or common[name] for name in pages}
        for role, pages in ROLE_PAGES.items()
    }


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"could not log in as {username}"


def wait_until_drawn(page) -> None:
    """Every plotly chart on the page has been drawn (dashboards)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')]"
        ".every(e => e.getAttribute('data-rendered') === 'true')",
        timeout=15_000,
    )
