"""The answering tests' dataset, `Survey`, and the form data its pages take."""

from django.urls import reverse

from assessment.models import Question
from tests.factories import MembershipFactory, SurveyRoundFactory, TeamFactory, UserFactory


class Survey:
    """An open round of the mini questionnaire for one team, with a member."""

    def __init__(self):
        self.team = TeamFactory(name="Payments", slug="payments")
        self.member = MembershipFactory(team=self.team, user=UserFactory(username="alice")).user
        self.round = SurveyRoundFactory(name="2026 Q4", slug="2026-q4", teams=[self.team])
        self.questions = {
            q.key: q for q in Question.objects.filter(questionnaire=self.round.questionnaire)
        }

    def question(self, key: str) -> Question:
        return self.questions[key]

    def choice(self, key: str, score=None, abstain=""):
        question = self.questions[key]
        if abstain:
            return question.choices.get(abstain=abstain)
        return question.choices.get(score=score)

    def field(self, key: str) -> str:
        return f"q-{key}"

    def url(self, name: str, *args) -> str:
        return reverse(f"surveys:{name}", args=[self.round.slug, self.team.slug, *args])

    def complete_post(self, page: int) -> dict:
        """Valid answers for every question of a page (1: CI/CD, 2: incidents, 3: delivery)."""
        if page == 1:
            return {
                "page": "1",
                self.field("cicd-tests"): str(self.choice("cicd-tests", 3).pk),
                self.field("cicd-rollout"): str(self.choice("cicd-rollout", 2).pk),
                self.field("cicd-reflection"): "Flaky tests slowed us down.",
            }
        if page == 2:
            return {"page": "2", self.field("ir-reviews"): str(self.choice("ir-reviews", 1).pk)}
        return {
            "page": "3",
            self.field("dora-deployment-frequency"): str(
                self.choice("dora-deployment-frequency", 5).pk
            ),
            self.field("dora-lead-time"): str(self.choice("dora-lead-time", 4).pk),
            self.field("dora-recovery-time"): str(self.choice("dora-recovery-time", 5).pk),
            self.field("dora-change-failure-rate"): "12",
        }
