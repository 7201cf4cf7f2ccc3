"""The API's field names: one serializer per shape, and the schema is built from them.

Output serializers only shape what selectors and the privacy policy already
decided; input serializers only check types. The business rules (and their
messages) stay in the pages' forms and in surveys.services.
"""

from rest_framework import serializers

from assessment.models import Category, Choice, Question, Questionnaire
from surveys.models import Membership
from surveys.services import CSV_MAX_BYTES

MAX_ID = 2**63 - 1


# --- questionnaires ------------------------------------------------------------------


class ChoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Choice
        fields = ["label", "description", "score", "abstain", "order"]


class QuestionSerializer(serializers.ModelSerializer):
    choices = ChoiceSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = ["key", "text", "help_text", "kind", "metric", "required", "order", "choices"]


class CategorySerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Category
        fields = ["key", "name", "description", "kind", "order", "questions"]


class QuestionnaireSerializer(serializers.ModelSerializer):
    class Meta:
        model = Questionnaire
        fields = ["id", "slug", "version", "title", "description", "is_published", "created_at"]


class QuestionnaireDetailSerializer(QuestionnaireSerializer):
    categories = CategorySerializer(many=True, read_only=True)

    class Meta(QuestionnaireSerializer.Meta):
        fields = [*QuestionnaireSerializer.Meta.fields, "categories"]


# --- rounds and teams --------------------------------------------------------------------


class QuestionnaireRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    version = serializers.IntegerField()


class RoundSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    questionnaire = QuestionnaireRefSerializer()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["upcoming", "open", "closed"])
    k = serializers.IntegerField(help_text="The minimum group size: smaller groups are withheld.")
    teams = serializers.ListField(
        child=serializers.CharField(), help_text="Slugs of the round's teams you may see."
    )


class TeamSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    group = serializers.CharField()
    member_count = serializers.IntegerField()
    lead_count = serializers.IntegerField()


class MembershipSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()
    role = serializers.ChoiceField(choices=Membership.Role.values)


class ParticipationSerializer(serializers.Serializer):
    round = serializers.CharField()
    team = serializers.CharField()
    team_name = serializers.CharField()
    group = serializers.CharField()
    invited = serializers.IntegerField(
        help_text="Members at the round's close once it has closed; today's members before."
    )
    submitted = serializers.IntegerField()
    drafts = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True)
    not_submitted = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="Names of who has not submitted: for the team's leads, while the round is open.",
    )


# --- results -------------------------------------------------------------------------------


def _number(**kwargs):
    return serializers.FloatField(allow_null=True, **kwargs)


class TeamRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    group = serializers.CharField()


class OverallSerializer(serializers.Serializer):
    score = _number()
    level = serializers.CharField(allow_null=True)
    partial = serializers.BooleanField()
    delta = _number()
    withheld = serializers.BooleanField()


class CategoryResultSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    n = serializers.IntegerField(allow_null=True)
    withheld = serializers.BooleanField()
    score = _number()
    level = serializers.CharField(allow_null=True)
    sd = _number()
    median = _number()
    q1 = _number()
    q3 = _number()
    agreement = _number()
    previous_score = _number()
    delta = _number()
    meaningful = serializers.BooleanField()


class QuestionResultSerializer(serializers.Serializer):
    key = serializers.CharField()
    category_key = serializers.CharField()
    n = serializers.IntegerField(allow_null=True)
    abstained = serializers.IntegerField(allow_null=True)
    withheld = serializers.BooleanField()
    score = _number()
    level = serializers.CharField(allow_null=True)
    sd = _number()
    agreement = _number()
    discuss = serializers.BooleanField(allow_null=True)
    dont_know_rate = _number()
    previous_score = _number()
    delta = _number()
    meaningful = serializers.BooleanField()


class DoraMetricSerializer(serializers.Serializer):
    metric = serializers.CharField()
    name = serializers.CharField()
    n = serializers.IntegerField(allow_null=True)
    withheld = serializers.BooleanField()
    median = _number()
    score = _number()


class DoraSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    cluster = serializers.CharField(allow_null=True)
    throughput = _number()
    stability = _number()
    metrics = DoraMetricSerializer(many=True)


class TeamParticipationSerializer(serializers.Serializer):
    invited = serializers.IntegerField()
    submitted = serializers.IntegerField()
    drafts = serializers.IntegerField()
    response_rate = _number()


class FlagsSerializer(serializers.Serializer):
    withheld = serializers.BooleanField()
    overall_partial = serializers.BooleanField()
    discuss = serializers.ListField(child=serializers.CharField())
    systemic = serializers.ListField(child=serializers.CharField())
    dont_know_hotspots = serializers.ListField(child=serializers.CharField())


class TeamResultsSerializer(serializers.Serializer):
    """One team in one round: the JSON export's team_rounds entry (docs/export-schema.json)."""

    round = serializers.CharField()
    team = TeamRefSerializer()
    took_part = serializers.BooleanField()
    respondents = serializers.IntegerField(allow_null=True)
    withheld = serializers.BooleanField()
    previous_round = serializers.CharField(allow_null=True)
    overall = OverallSerializer()
    categories = CategoryResultSerializer(many=True)
    questions = QuestionResultSerializer(many=True)
    dora = DoraSerializer()
    participation = TeamParticipationSerializer()
    flags = FlagsSerializer()


class OrgCellSerializer(serializers.Serializer):
    category_key = serializers.CharField()
    score = _number(help_text="The team's category mean; null when withheld or unanswered.")
    withheld = serializers.BooleanField()


class OrgTeamRowSerializer(serializers.Serializer):
    team = serializers.CharField()
    team_name = serializers.CharField()
    cells = OrgCellSerializer(many=True)


class OrgCategorySerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    teams = serializers.IntegerField(help_text="Teams counted: those with at least k responses.")
    median = _number()
    q1 = _number()
    q3 = _number()


class LevelCountSerializer(serializers.Serializer):
    category_key = serializers.CharField()
    level = serializers.CharField()
    teams = serializers.IntegerField()


class OrgResultsSerializer(serializers.Serializer):
    round = serializers.CharField()
    k = serializers.IntegerField()
    group = serializers.CharField()
    categories = OrgCategorySerializer(many=True)
    teams = OrgTeamRowSerializer(many=True, help_text="Alphabetical; teams are never ranked.")
    levels = LevelCountSerializer(many=True)
    systemic_questions = serializers.ListField(child=serializers.CharField())


class ClusterCountSerializer(serializers.Serializer):
    round = serializers.CharField()
    round_name = serializers.CharField()
    cluster = serializers.CharField()
    dora_year = serializers.IntegerField()
    teams = serializers.IntegerField()


# --- writes (types only; the forms and services hold the rules) ---------------------------


class RoundCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    questionnaire = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The id of a published questionnaire."
    )
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    teams = serializers.ListField(
        child=serializers.CharField(max_length=120), help_text="Team slugs.", allow_empty=True
    )
    min_respondents = serializers.IntegerField(min_value=0, max_value=1000)


class RoundExtendSerializer(serializers.Serializer):
    closes_at = serializers.DateTimeField()


class TeamCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    group = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MembershipSetSerializer(serializers.Serializer):
    user = serializers.CharField(max_length=254, help_text="Username or e-mail address.")
    role = serializers.ChoiceField(choices=Membership.Role.values, default="member")


class MembersImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=f"UTF-8 CSV with the columns email,name,team,role; at most {CSV_MAX_BYTES} bytes."
    )


class ImportResultSerializer(serializers.Serializer):
    users_created = serializers.IntegerField()
    teams_created = serializers.IntegerField()
    memberships_created = serializers.IntegerField()
    memberships_updated = serializers.IntegerField()
    invited = serializers.ListField(child=serializers.EmailField())


class ActionChangeSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=["question", "category"])
    key = serializers.CharField(help_text="The question key, or the category key.")
    previous_score = serializers.FloatField(
        allow_null=True, help_text="In the round the action was raised in; null when withheld."
    )
    score = serializers.FloatField(allow_null=True, help_text="In the round compared with.")
    delta = serializers.FloatField(allow_null=True)
    meaningful = serializers.BooleanField(help_text="The change is beyond the noise.")
    withheld = serializers.BooleanField(help_text="Either round has fewer than k answers.")


class ActionOutcomeSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=[
            "improved",
            "declined",
            "mixed",
            "within the noise",
            "withheld",
            "not measured yet",
            "not shown",
        ]
    )
    measured_in = serializers.CharField(allow_null=True, help_text="The round compared with.")
    changes = ActionChangeSerializer(many=True)


class ActionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    section = serializers.ChoiceField(
        choices=["open", "done"],
        help_text="Open (planned or in progress, carried over) or done since the team's "
        "previous round.",
    )
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=["planned", "in_progress", "done", "dropped"])
    category_key = serializers.CharField()
    question_keys = serializers.ListField(child=serializers.CharField())
    raised_in = serializers.CharField(help_text="The round the action was raised in.")
    target_round = serializers.CharField(allow_null=True)
    done_in = serializers.CharField(allow_null=True)
    visible_to_managers = serializers.BooleanField()
    outcome = ActionOutcomeSerializer()
