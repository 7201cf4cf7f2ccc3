from django.contrib import admin

from actions.models import Action, ActionStatusChange


class StatusChangeInline(admin.TabularInline):
    model = ActionStatusChange
    extra = 0
    readonly_fields = ("changed_by", "changed_at", "from_status", "to_status")
    can_delete = False


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ("title", "team", "raised_in", "status", "done_in")
    list_filter = ("status",)
    search_fields = ("title", "team__name")
    raw_id_fields = ("owner", "created_by")
    inlines = [StatusChangeInline]
