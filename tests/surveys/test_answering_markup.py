"""The answering page's markup: accessible names and descriptions, abstentions apart, one loop."""

import re

import pytest

from surveys.templatetags.answering import _cards as question_cards

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


def test_choices_render_in_one_template_per_question_not_one_per_option(started, survey):
    question_cards.clear()
    response = started.get(survey.url("page", 3))  # three choice questions, one percent
    names = [t.name for t in response.templates]
    assert names.count("surveys/widgets/level_radio.html") == 3
    assert not [n for n in names if n.endswith("_option.html")], names


def test_a_question_card_is_rendered_once_and_then_served_for_the_same_answer(started, survey):
    question_cards.clear()
    first = started.get(survey.url("page", 1))
    again = started.get(survey.url("page", 1))

    # The second time only the free-text card is rendered, and the page is the same.
    assert [t.name for t in first.templates].count("surveys/widgets/level_radio.html") == 2
    assert "surveys/widgets/level_radio.html" not in [t.name for t in again.templates]
    assert [t.name for t in again.templates].count("surveys/_question.html") == 1
    assert strip_tokens(again.content.decode()) == strip_tokens(first.content.decode())

    # Another answer is another card: the level now chosen is checked.
    tests = survey.question("cicd-tests")
    chosen = next(c for c in tests.choices.all() if c.label == "Managed")
    started.post(
        survey.url("page", 1),
        {"page": "1", survey.field("cicd-tests"): str(chosen.pk), "action": "save"},
    )
    html = started.get(survey.url("page", 1)).content.decode()
    assert re.search(rf'value="{chosen.pk}"[^>]*checked', html)
    assert "surveys/_question.html" in [
        t.name for t in started.get(survey.url("page", 2)).templates
    ]


def test_free_text_and_errors_are_never_kept(started, survey):
    question_cards.clear()
    started.post(
        survey.url("page", 1),
        {"page": "1", survey.field("cicd-reflection"): "Flaky tests.", "action": "save"},
    )
    html = started.get(survey.url("page", 1)).content.decode()
    assert "Flaky tests." in html
    reflection = survey.question("cicd-reflection")
    assert all(q.pk != reflection.pk for q in question_cards)


def strip_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
