"""Read-only admin for the materialised scores.

The rows are derived from answers (reports.services), so admin shows them and
never edits them: a fix belongs in the answers, then ``recompute_scores``. These
pages show unwithheld values, which is why they are for staff only.
"""

from django.contrib import admin

from reports.models import TeamCategoryScore, TeamQuestionScore, TeamRoundSummary


class ReadOnlyAdmin(admin.ModelAdmin):
    list_filter = ["round", "team"]
    list_select_related = ["round", "team"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TeamRoundSummary)
class TeamRoundSummaryAdmin(ReadOnlyAdmin):
    list_display = [
        "round",
        "team",
        "respondents",
        "overall",
        "level",
        "throughput",
        "stability",
        "cluster",
        "dora_year",
        "computed_at",
    ]


@admin.register(TeamCategoryScore)
class TeamCategoryScoreAdmin(ReadOnlyAdmin):
    list_display = ["round", "team", "category_key", "respondents", "mean", "sd", "level"]
    search_fields = ["category_key", "category_name"]


@admin.register(TeamQuestionScore)
class TeamQuestionScoreAdmin(ReadOnlyAdmin):
    list_display = [
        "round",
        "team",
        "question_key",
        "answered",
        "abstained",
        "mean",
        "agreement",
        "discuss",
    ]
    list_filter = ["round", "team", "discuss"]
    search_fields = ["question_key", "category_key"]
