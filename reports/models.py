"""Materialised scores: one team's numbers for one round, ready to read.

The rows are derived data. ``reports.services`` rewrites a team's rows from its
submitted answers whenever those answers change, and ``recompute_scores`` can
rebuild them from scratch at any time; nothing else writes here.

**Values are stored in full, never withheld.** The privacy threshold k (the
round's ``min_respondents``) is applied when reading, in ``reports.selectors``:
a team's own members may see their team's numbers even with fewer than k
respondents, while everyone else must not, and k can change after a round.
So every read for an audience that is not the team itself must go through the
selectors, never straight to these tables (admin is for staff only).

Deltas between rounds are not stored either: which round counts as "previous"
and whether two rounds are comparable are questions for the reader.
"""

from django.db import models
from django.db.models import Q

from surveys.models import SurveyRound, Team


class TeamCategoryScore(models.Model):
    """A team's score in one practice category of one round.

    ``mean`` is the team's category score: the mean of the respondents'
    category scores. ``respondents`` is n, the people with at least one scored
    answer in the category. A category nobody scored has n = 0 and null values.
    """

    round = models.ForeignKey(
        SurveyRound, on_delete=models.CASCADE, related_name="team_category_scores"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="category_scores")
    category_key = models.CharField(max_length=64)
    category_name = models.CharField(max_length=120)
    # Copied so readers can rebuild the overall score from the categories they
    # are allowed to show (see selectors), and sort like the questionnaire.
    weight = models.FloatField()
    order = models.PositiveSmallIntegerField(default=0)
    respondents = models.PositiveIntegerField("respondents (n)", default=0)
    mean = models.FloatField(null=True, blank=True)
    sd = models.FloatField("standard deviation", null=True, blank=True)
    minimum = models.FloatField(null=True, blank=True)
    maximum = models.FloatField(null=True, blank=True)
    median = models.FloatField(null=True, blank=True)
    q1 = models.FloatField("first quartile", null=True, blank=True)
    q3 = models.FloatField("third quartile", null=True, blank=True)
    agreement = models.FloatField(null=True, blank=True)
    level = models.CharField(max_length=16, blank=True, help_text="Empty when there is no score.")

    class Meta:
        ordering = ["round", "team", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "team", "category_key"], name="team_category_score_unique"
            ),
            models.CheckConstraint(
                condition=Q(mean__isnull=True) | Q(mean__gte=0, mean__lte=4),
                name="team_category_score_mean_in_range",
            ),
            models.CheckConstraint(
                condition=Q(agreement__isnull=True) | Q(agreement__gte=0, agreement__lte=1),
                name="team_category_score_agreement_share",
            ),
        ]
        indexes = [
            # The unique constraint serves "this round" and "this team in this
            # round"; these serve a team's history and one category across teams.
            models.Index(fields=["team", "round"], name="team_category_score_history"),
            models.Index(fields=["round", "category_key"], name="team_category_score_by_key"),
        ]

    def __str__(self) -> str:
        return f"{self.team} / {self.category_key} in {self.round}"


class TeamQuestionScore(models.Model):
    """A team's answers to one scale question of one round.

    ``answered`` counts scored answers (n of the spread); ``abstained`` counts
    "Don't know" and "Not applicable", which never score but are reported as
    ``dont_know_rate`` = abstained / (answered + abstained).
    """

    round = models.ForeignKey(
        SurveyRound, on_delete=models.CASCADE, related_name="team_question_scores"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="question_scores")
    question_key = models.CharField(max_length=64)
    category_key = models.CharField(max_length=64)
    order = models.PositiveSmallIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    abstained = models.PositiveIntegerField(default=0)
    dont_know_rate = models.FloatField(null=True, blank=True)
    mean = models.FloatField(null=True, blank=True)
    sd = models.FloatField("standard deviation", null=True, blank=True)
    minimum = models.FloatField(null=True, blank=True)
    maximum = models.FloatField(null=True, blank=True)
    median = models.FloatField(null=True, blank=True)
    q1 = models.FloatField("first quartile", null=True, blank=True)
    q3 = models.FloatField("third quartile", null=True, blank=True)
    agreement = models.FloatField(null=True, blank=True)
    discuss = models.BooleanField(default=False)

    class Meta:
        ordering = ["round", "team", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "team", "question_key"], name="team_question_score_unique"
            ),
            models.CheckConstraint(
                condition=Q(mean__isnull=True) | Q(mean__gte=0, mean__lte=4),
                name="team_question_score_mean_in_range",
            ),
            models.CheckConstraint(
                condition=Q(dont_know_rate__isnull=True)
                | Q(dont_know_rate__gte=0, dont_know_rate__lte=1),
                name="team_question_score_dont_know_share",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "round"], name="team_question_score_history"),
            models.Index(fields=["round", "question_key"], name="team_question_score_by_key"),
        ]

    def __str__(self) -> str:
        return f"{self.team} / {self.question_key} in {self.round}"


class TeamRoundSummary(models.Model):
    """A team's headline numbers for one round: maturity and DORA delivery.

    ``respondents`` counts submitted responses. ``overall`` is the weighted
    mean of the practice-category means that exist (null if none). DORA fields
    hold the median answer per metric (buckets 1-6, or percentages), its 0-10
    score and how many answered it; ``cluster`` is the nearest published
    cluster of ``dora_year``, empty unless all four key metrics have a median.
    """

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="team_summaries")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="round_summaries")
    respondents = models.PositiveIntegerField(default=0, help_text="Submitted responses.")
    overall = models.FloatField("overall maturity", null=True, blank=True)
    level = models.CharField(max_length=16, blank=True)

    dora_year = models.PositiveSmallIntegerField("DORA cluster year")
    deployment_frequency = models.PositiveSmallIntegerField(null=True, blank=True)
    lead_time = models.PositiveSmallIntegerField(null=True, blank=True)
    recovery_time = models.PositiveSmallIntegerField(null=True, blank=True)
    change_failure_rate = models.FloatField(null=True, blank=True)
    rework_rate = models.FloatField(null=True, blank=True)

    deployment_frequency_score = models.FloatField(null=True, blank=True)
    lead_time_score = models.FloatField(null=True, blank=True)
    recovery_time_score = models.FloatField(null=True, blank=True)
    change_failure_rate_score = models.FloatField(null=True, blank=True)
    rework_rate_score = models.FloatField(null=True, blank=True)

    deployment_frequency_respondents = models.PositiveIntegerField(default=0)
    lead_time_respondents = models.PositiveIntegerField(default=0)
    recovery_time_respondents = models.PositiveIntegerField(default=0)
    change_failure_rate_respondents = models.PositiveIntegerField(default=0)
    rework_rate_respondents = models.PositiveIntegerField(default=0)

    throughput = models.FloatField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    cluster = models.CharField(max_length=32, blank=True, help_text="Empty when not classified.")

    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["round", "team"]
        verbose_name_plural = "team round summaries"
        constraints = [
            models.UniqueConstraint(fields=["round", "team"], name="team_round_summary_unique"),
            models.CheckConstraint(
                condition=Q(overall__isnull=True) | Q(overall__gte=0, overall__lte=4),
                name="team_round_summary_overall_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "round"], name="team_round_summary_history"),
            # How many summaries a round has and the newest: read from the index
            # alone, to check that a stored organisation figure still holds
            # (RoundAggregate).
            models.Index(fields=["round", "computed_at"], name="team_round_summary_stamp"),
        ]

    def __str__(self) -> str:
        return f"{self.team} in {self.round}"


class RoundAggregate(models.Model):
    """An organisation figure of one released round, kept once computed.

    The organisation page reads, for every round of its trend, figures over
    every team: category quartiles, DORA cluster counts, systemic questions. At
    1,000 teams that is tens of thousands of score rows on every uncached view,
    for numbers that stop changing when the round closes. ``reports.stored``
    keeps each figure here the first time a selector computes it, per round,
    figure (``kind``) and team group filter (``group``; empty for every team).

    Derived data, like the score tables, and already under the privacy policy:
    the selector computed ``value`` with the round's k (``k``). A row counts
    only while it still matches the round: the same k, the same team summaries
    (``summaries``: how many, ``summaries_at``: when the newest was computed)
    and the same number of teams taking part (``teams``). A submitted answer
    changed, a team's scores recomputed or removed, a team added to or taken
    from the round, or k changed, and the row is computed again on the next
    read; nothing has to remember to delete it.
    """

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="aggregates")
    kind = models.CharField(max_length=32)
    group = models.CharField(max_length=120, blank=True)
    k = models.PositiveSmallIntegerField()
    summaries = models.PositiveIntegerField()
    summaries_at = models.DateTimeField(null=True, blank=True)
    teams = models.PositiveIntegerField(help_text="The round's teams when computed.")
    value = models.JSONField()
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["round", "kind", "group"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "kind", "group"], name="round_aggregate_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.round}" + (f" ({self.group})" if self.group else "")
