import csv
import json

from django.contrib import admin
from django.http import HttpResponse

from assessment.cells import sanitize_cell
from assessment.models import AuditEvent, Category, Choice, Question, Questionnaire


class ReadOnlyWhenLockedMixin:
    """Published versions with answers are immutable: admin shows them read-only."""

    def _questionnaire(self, obj):
        return obj if isinstance(obj, Questionnaire) else getattr(obj, "questionnaire", None)

    def has_change_permission(self, request, obj=None):
        questionnaire = self._questionnaire(obj) if obj is not None else None
        if questionnaire is not None and questionnaire.is_locked():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        questionnaire = self._questionnaire(obj) if obj is not None else None
        if questionnaire is not None and questionnaire.is_locked():
            return False
        return super().has_delete_permission(request, obj)


class CategoryInline(admin.TabularInline):
    model = Category
    fields = ["order", "key", "name", "kind", "weight"]
    extra = 0
    show_change_link = True


@admin.register(Questionnaire)
class QuestionnaireAdmin(ReadOnlyWhenLockedMixin, admin.ModelAdmin):
    list_display = ["title", "slug", "version", "is_published", "created_at"]
    list_filter = ["slug", "is_published"]
    search_fields = ["title", "slug"]
    readonly_fields = ["content_hash", "created_at"]
    inlines = [CategoryInline]


class QuestionInline(admin.StackedInline):
    model = Question
    fields = ["order", "key", "kind", "metric", "text", "help_text", "weight", "required"]
    extra = 0
    show_change_link = True


@admin.register(Category)
class CategoryAdmin(ReadOnlyWhenLockedMixin, admin.ModelAdmin):
    list_display = ["name", "key", "kind", "questionnaire", "order", "weight"]
    list_filter = ["questionnaire", "kind"]
    list_select_related = ["questionnaire"]
    inlines = [QuestionInline]


class ChoiceInline(admin.TabularInline):
    model = Choice
    fields = ["order", "label", "description", "score", "abstain"]
    extra = 0


@admin.register(Question)
class QuestionAdmin(ReadOnlyWhenLockedMixin, admin.ModelAdmin):
    list_display = ["key", "kind", "category", "questionnaire", "required"]
    list_filter = ["questionnaire", "kind", "category__key"]
    list_select_related = ["questionnaire", "category"]
    search_fields = ["key", "text"]
    inlines = [ChoiceInline]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log can be browsed and exported, never edited."""

    list_display = ["created_at", "actor_username", "action", "target"]
    list_filter = ["action", "created_at"]
    search_fields = ["actor_username", "target"]
    readonly_fields = ["created_at", "actor", "actor_username", "action", "target", "details"]
    actions = ["export_csv"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Export selected events as CSV")
    def export_csv(self, request, queryset):
        return audit_csv_response(queryset)


def audit_csv_response(queryset) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="shipshape-audit-log.csv"'
    writer = csv.writer(response)
    writer.writerow(["created_at", "actor", "action", "target", "details"])
    for event in queryset.order_by("created_at", "id"):
        writer.writerow(
            [
                event.created_at.isoformat(),
                sanitize_cell(event.actor_username),
                event.action,
                sanitize_cell(event.target),
                sanitize_cell(json.dumps(event.details, ensure_ascii=False, sort_keys=True)),
            ]
        )
    return response
