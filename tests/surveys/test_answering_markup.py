"""The answering page's markup: accessible names and descriptions, abstentions apart, one loop."""

import re

import pytest
from django.test import Client

from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(member_client, survey):
    member_client.post(survey.url("start"))
    return member_client


def ids_in(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', html))


def test_every_description_and_label_points_at_something_on_the_page(started, survey):
    bad = {"page": "3", survey.field("dora-change-failure-rate"): "150", "action": "save"}
    html = started.post(survey.url("page", 3), bad).content.decode()

    ids = ids_in(html)
    described = {i for ref in re.findall(r'aria-describedby="([^"]+)"', html) for i in ref.split()}
    assert described and described <= ids, described - ids
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    radios = set(re.findall(r'<input type="radio"[^>]* id="([^"]+)"', html))
    assert radios and radios <= labelled, radios - labelled
    # The error is announced and tied to its field.
    field_id = "id_" + survey.field("dora-change-failure-rate")
    assert f'<div id="{field_id}_error" class="question-error" role="alert">' in html
    assert re.search(rf'aria-describedby="[^"]*{field_id}_error[^"]*"[^>]*id="{field_id}"', html)


def test_dont_know_and_not_applicable_are_listed_apart_from_the_levels(started, survey):
    html = started.get(survey.url("page", 1)).content.decode()
    group = html.split(f'id="id_{survey.field("cicd-tests")}"', 1)[1].split("</fieldset>", 1)[0]
    levels, abstains = group.split('<div class="level-abstains">')
    assert re.findall(r'class="level-name">([^<]+)<', levels) == [
        "Initial",
        "Developing",
        "Defined",
        "Managed",
        "Optimizing",
    ]
    assert re.findall(r'class="level-name">([^<]+)<', abstains) == [
        "Don&#x27;t know",
        "Not applicable",
    ]
    assert "Tests gate every merge and stay fast." in levels


def test_questions_render_without_a_template_per_option_per_question_or_per_input(started, survey):
    response = started.get(survey.url("page", 3))  # three choice questions, two percent ones
    names = [t.name for t in response.templates]
    assert names == ["surveys/page.html", "base.html"]
    html = response.content.decode()
    assert html.count('type="radio"') >= 3 * 5
    assert html.count('<div class="input-group percent-input"><input type="number"') == 2


def test_one_members_errors_and_posted_values_never_reach_anothers_page(started, survey):
    """Questions and their fields are shared per process; what a form holds is not."""
    bob = MembershipFactory(team=survey.team, user=UserFactory(username="bob")).user
    bad = {"page": "3", survey.field("dora-change-failure-rate"): "150", "action": "save"}
    alice_page = started.post(survey.url("page", 3), bad).content.decode()
    assert 'class="question-error"' in alice_page and 'value="150"' in alice_page

    other = Client()
    other.force_login(bob)
    other.post(survey.url("start"))
    bob_page = other.get(survey.url("page", 3)).content.decode()
    assert 'class="question-error"' not in bob_page
    assert 'value="150"' not in bob_page and "aria-invalid" not in bob_page
    # Alice's page again, after Bob's: her draft, not her rejected post.
    again = started.get(survey.url("page", 3)).content.decode()
    assert 'value="150"' not in again and 'class="question-error"' not in again
