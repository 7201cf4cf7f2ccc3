import textwrap

import pytest
from django.core.management import CommandError, call_command

from assessment.loader import QuestionnaireFileError, parse_questionnaire, read_questionnaire_file
from assessment.models import Category, Choice, Question, Questionnaire
from assessment.services import QuestionnaireLockedError, questionnaire_load
from tests.factories import DEFAULT_QUESTIONNAIRE, FIXTURES

pytestmark = pytest.mark.django_db

VALID = textwrap.dedent(
    """\
    slug: tiny
    version: 1
    title: Tiny
    categories:
      - key: ir
        name: Incident response
        questions:
          - key: ir-reviews
            kind: scale
            text: How do you learn from incidents?
            levels: [a, b, c, d, e]
          - key: ir-reflection
            kind: text
            text: What did you learn?
    """
)


def errors_for(text: str) -> list[str]:
    with pytest.raises(QuestionnaireFileError) as excinfo:
        parse_questionnaire(text)
    return excinfo.value.errors


def test_default_questionnaire_loads_with_every_category_and_kind():
    call_command("load_questionnaire", str(DEFAULT_QUESTIONNAIRE))

    questionnaire = Questionnaire.objects.get(slug="devops-maturity", version=1)
    assert questionnaire.is_published
    keys = list(questionnaire.categories.values_list("key", flat=True))
    assert keys == [
        "continuous-improvement",
        "ci-cd",
        "incident-response",
        "observability",
        "silos",
        "delivery",
    ]
    scale = questionnaire.questions.filter(kind="scale")
    assert scale.count() >= 30
    kinds = set(questionnaire.questions.values_list("kind", flat=True))
    assert kinds == {"scale", "choice", "percent", "text"}
    metrics = set(questionnaire.questions.exclude(metric="").values_list("metric", flat=True))
    assert metrics == {
        "deployment_frequency",
        "lead_time",
        "recovery_time",
        "change_failure_rate",
        "rework_rate",
    }


def test_every_practice_category_ends_with_an_optional_reflection_prompt():
    call_command("load_questionnaire", str(DEFAULT_QUESTIONNAIRE))
    for category in Category.objects.filter(kind="practice"):
        last = category.questions.order_by("order").last()
        assert last.kind == "text", category.key
        assert not last.required


def test_scale_questions_have_five_described_levels_plus_two_unscored_choices():
    call_command("load_questionnaire", str(DEFAULT_QUESTIONNAIRE))
    question = Question.objects.filter(kind="scale").first()
    choices = list(question.choices.order_by("order"))
    assert [c.score for c in choices] == [0, 1, 2, 3, 4, None, None]
    assert [c.label for c in choices[:5]] == [
        "Initial",
        "Developing",
        "Defined",
        "Managed",
        "Optimizing",
    ]
    assert all(c.description for c in choices[:5])
    assert [c.abstain for c in choices[5:]] == ["dont_know", "not_applicable"]


def test_loading_the_same_file_twice_changes_nothing(capsys):
    call_command("load_questionnaire", str(FIXTURES / "mini.yaml"))
    first_ids = list(Question.objects.values_list("id", flat=True))
    call_command("load_questionnaire", str(FIXTURES / "mini.yaml"))

    assert "unchanged" in capsys.readouterr().out
    assert Questionnaire.objects.count() == 1
    assert list(Question.objects.values_list("id", flat=True)) == first_ids


def test_changed_content_replaces_an_unanswered_version():
    questionnaire_load(spec=parse_questionnaire(VALID))
    changed = VALID.replace("How do you learn from incidents?", "What happens after incidents?")

    result = questionnaire_load(spec=parse_questionnaire(changed))

    assert result.action == "updated"
    assert Question.objects.get(key="ir-reviews").text == "What happens after incidents?"
    assert Questionnaire.objects.count() == 1


def test_published_version_with_answers_cannot_be_changed_in_place(answered_questionnaire):
    changed = answered_questionnaire["yaml"].replace("How do you learn from incidents?", "Reworded")

    with pytest.raises(QuestionnaireLockedError, match="version 2"):
        questionnaire_load(spec=parse_questionnaire(changed))

    assert Question.objects.get(key="ir-reviews").text == "How do you learn from incidents?"


def test_command_reports_a_locked_version_as_an_error_and_writes_nothing(
    answered_questionnaire, tmp_path
):
    path = tmp_path / "changed.yaml"
    path.write_text(answered_questionnaire["yaml"].replace("Tiny", "Tiny renamed"))
    with pytest.raises(CommandError, match="cannot be changed in place"):
        call_command("load_questionnaire", str(path))
    assert Questionnaire.objects.get().title == "Tiny"


@pytest.fixture
def answered_questionnaire():
    from tests.factories import MembershipFactory, SurveyRoundFactory

    questionnaire = questionnaire_load(spec=parse_questionnaire(VALID)).questionnaire
    membership = MembershipFactory()
    survey_round = SurveyRoundFactory(questionnaire=questionnaire, teams=[membership.team])
    response = survey_round.responses.create(team=membership.team, respondent=membership.user)
    question = Question.objects.get(key="ir-reviews")
    response.answers.create(question=question, choice=question.choices.get(score=2))
    return {"questionnaire": questionnaire, "yaml": VALID}


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("slug: tiny\nversion: [1\n", "line 3: not valid YAML"),
        ("- just\n- a list\n", "(top level): must be a mapping"),
        (VALID.replace("version: 1", "version: zero"), "line 2: version: must be a whole number"),
        (VALID.replace("title: Tiny\n", ""), "title: is required"),
        (VALID.replace("key: ir\n", "key: Incident Response\n"), "not a valid key"),
        (
            VALID.replace("kind: text", "kind: essay"),
            "line 13: categories[0].questions[1].kind: must be one of",
        ),
        (
            VALID.replace("levels: [a, b, c, d, e]", "levels: [a, b, c, d]"),
            "line 11: categories[0].questions[0].levels: needs exactly 5 descriptors",
        ),
        (
            VALID.replace("key: ir-reflection", "key: ir-reviews"),
            "line 12: categories[0].questions[1].key: 'ir-reviews' is already used by the "
            "question on line 8",
        ),
        (VALID.replace("title: Tiny", "title: Tiny\ntitel: typo"), "line 4: titel: unknown field"),
        (VALID.replace("title: Tiny", "title: Tiny\ntitle: again"), "line 4: not valid YAML"),
        (
            VALID.replace("kind: scale", "kind: scale\n        weight: -1"),
            "weight: must be greater than 0",
        ),
        (
            VALID.replace("kind: text", "kind: text\n        metric: lead_time"),
            "DORA metrics belong in a delivery category",
        ),
        (
            VALID.replace(
                "    questions:\n      - key: ir-reviews", "    questions: []\n    x:"
            ).split("    x:")[0],
            "questions: must not be empty",
        ),
        (VALID.replace("levels: [a, b, c, d, e]", "choices: [a]"), "only choice questions"),
    ],
)
def test_malformed_file_is_rejected_naming_line_and_field(broken, expected):
    errors = errors_for(broken)
    assert any(expected in error for error in errors), errors


def test_malformed_file_writes_nothing(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(VALID.replace("levels: [a, b, c, d, e]", "levels: [a]"))

    with pytest.raises(CommandError, match="Nothing was loaded"):
        call_command("load_questionnaire", str(path))

    assert not Questionnaire.objects.exists()
    assert not Choice.objects.exists()


def test_all_problems_are_reported_at_once():
    broken = VALID.replace("title: Tiny\n", "").replace("kind: text", "kind: essay")
    assert len(errors_for(broken)) == 2


def test_choice_metrics_need_the_six_dora_buckets():
    text = textwrap.dedent(
        """\
        slug: d
        version: 1
        title: D
        categories:
          - key: delivery
            name: Delivery
            kind: delivery
            questions:
              - key: dora-df
                kind: choice
                metric: deployment_frequency
                text: How often?
                choices:
                  - {label: rarely, score: 1}
                  - {label: often, score: 2}
        """
    )
    assert any("six DORA buckets" in e for e in errors_for(text))


def test_missing_and_non_utf8_files_get_a_clear_error(tmp_path):
    with pytest.raises(QuestionnaireFileError, match="file not found"):
        read_questionnaire_file(tmp_path / "nope.yaml")
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: caf\xe9".encode("latin-1"))
    with pytest.raises(QuestionnaireFileError, match="not UTF-8"):
        read_questionnaire_file(path)
