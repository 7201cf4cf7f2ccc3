"""Facilitators manage questionnaire versions in the app: upload a draft, preview, diff, publish."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessment.models import AuditEvent, Questionnaire
from assessment.services import UPLOAD_MAX_BYTES
from tests.factories import SurveyRoundFactory, TeamFactory, load_questionnaire, make_facilitator

pytestmark = pytest.mark.django_db

QUESTIONNAIRES = Path(__file__).resolve().parents[2] / "fixtures" / "questionnaires"
V1, V2 = QUESTIONNAIRES / "devops-maturity-v1.yaml", QUESTIONNAIRES / "devops-maturity-v2.yaml"
UPLOAD = reverse("surveys:questionnaire_upload")


@pytest.fixture
def facilitator_client(client):
    client.force_login(make_facilitator())
    return client


@pytest.fixture
def v1_in_use():
    v1 = load_questionnaire(V1)
    SurveyRoundFactory(name="2026 Q3", questionnaire=v1, teams=[TeamFactory()])
    return v1


def upload(client, content: bytes, name: str = "questionnaire.yaml"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, content)})


def versions() -> list[tuple[str, int, bool]]:
    return sorted(Questionnaire.objects.values_list("slug", "version", "is_published"))


def test_a_broken_file_is_refused_with_every_problem_and_its_line(facilitator_client, v1_in_use):
    broken = V2.read_bytes().replace(b"replaces: cicd-progressive-rollout", b"replaces: nowhere", 1)
    broken = broken.replace(b"kind: checklist", b"kind: tickbox", 1)

    page = upload(facilitator_client, broken).content.decode()

    assert "Nothing was saved" in page
    assert (
        "must be one of scale, choice, percent, text, checklist, found &#x27;tickbox&#x27;" in page
    )
    assert page.count("line ") >= 1
    assert versions() == [("devops-maturity", 1, True)]


def test_the_rules_across_versions_are_checked_on_upload_too(facilitator_client, v1_in_use):
    broken = V2.read_bytes().replace(b"replaces: cicd-progressive-rollout", b"replaces: nowhere", 1)

    page = upload(facilitator_client, broken).content.decode()

    assert "no earlier version of devops-maturity has a question &#x27;nowhere&#x27;" in page
    assert versions() == [("devops-maturity", 1, True)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"x" * (UPLOAD_MAX_BYTES + 1), "at most 256 kB"),
        (b"slug: \xff\xfe", "not UTF-8 text"),
        (b"a: &x [1, 2]\nb: *x\n", "aliases (*name) are not allowed here"),
        (b"- just\n- a list\n", "must be a mapping of fields"),
    ],
    ids=["too-large", "not-utf8", "yaml-alias", "not-a-mapping"],
)
def test_files_that_are_not_questionnaires_get_a_clear_message(
    facilitator_client, v1_in_use, content, message
):
    response = upload(facilitator_client, content)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert versions() == [("devops-maturity", 1, True)]


def test_a_published_version_cannot_be_uploaded_again_with_other_content(
    facilitator_client, v1_in_use
):
    changed = V1.read_bytes().replace(b"How consistent", b"How uniform", 1)

    page = upload(facilitator_client, changed).content.decode()

    assert "is already published and cannot change. Upload your changes as version 2." in page
    assert (
        Questionnaire.objects.get(version=1).questions.filter(text__contains="uniform").count() == 0
    )


def test_upload_preview_diff_and_publish(facilitator_client, v1_in_use):
    response = upload(facilitator_client, V2.read_bytes(), "devops-maturity-v2.yaml")

    detail = reverse("surveys:questionnaire_detail", args=["devops-maturity", 2])
    assert response.status_code == 302 and response.url == detail
    # Whatever the file says, an upload is a draft: not offered to rounds yet.
    assert versions() == [("devops-maturity", 1, True), ("devops-maturity", 2, False)]
    form = facilitator_client.get(reverse("surveys:round_create")).content.decode()
    assert "DevOps maturity self-assessment (v2)" not in form

    page = facilitator_client.get(detail).content.decode()
    assert "Changes since version 1" in page
    for label, text in (
        ("Reworded", "Could the people in your team keep up your on-call arrangement"),
        ("Replaces an earlier question", "When a release goes wrong, how quickly"),
        ("New question", "Which of these signals does your team collect"),
        ("Retired", "Who takes part in reviewing your team&#x27;s incidents?"),
    ):
        assert label in page and text in page
    assert "Was: How sustainable is your team&#x27;s on-call arrangement?" in page
    # The preview is the answering page's own markup, a section at a time: level
    # cards, and the checklist in the observability section.
    assert 'class="level-options' in page and "Section 1 of 6" in page
    observability = facilitator_client.get(detail, {"section": "4"}).content.decode()
    assert "Section 4 of 6" in observability
    assert 'name="q-obs-telemetry-in-place"' in observability
    assert 'type="checkbox"' in observability
    for nonsense in ("0", "99", "abc", "-1"):
        assert (
            "Section 1 of 6"
            in facilitator_client.get(detail, {"section": nonsense}).content.decode()
        )

    response = facilitator_client.post(
        reverse("surveys:questionnaire_publish", args=["devops-maturity", 2])
    )
    assert response.status_code == 302
    assert versions() == [("devops-maturity", 1, True), ("devops-maturity", 2, True)]
    assert list(
        AuditEvent.objects.filter(action__startswith="questionnaire.")
        .order_by("pk")
        .values_list("action", "target")
    ) == [
        ("questionnaire.uploaded", "devops-maturity v2"),
        ("questionnaire.published", "devops-maturity v2"),
    ]

    form = facilitator_client.get(reverse("surveys:round_create")).content.decode()
    # Newest first, chosen by default, and what changed since the last round's version.
    assert form.index("(v2)") < form.index("(v1)")
    assert "New since 2026 Q3" in form
    assert "2026 Q3 used version 1. Version 2 changes 6 questions" in form


def test_the_list_shows_status_and_the_rounds_using_each_version(facilitator_client, v1_in_use):
    upload(facilitator_client, V2.read_bytes())

    page = facilitator_client.get(reverse("surveys:questionnaire_list")).content.decode()

    v2_row, v1_row = page.split("<tr>")[2:4]
    assert "v2" in v2_row and "Draft" in v2_row and "None yet" in v2_row
    assert "v1" in v1_row and "Published" in v1_row and "2026 Q3" in v1_row
