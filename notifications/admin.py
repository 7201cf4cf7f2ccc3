from django.contrib import admin

from notifications.models import Delivery, Notice, Preference, TeamWebhook


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["round", "kind", "offset", "due_at", "state", "fired_at"]
    list_filter = ["kind", "state"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    # No user column: a reminder's recipients are who had not answered.
    list_display = ["notice", "channel", "status", "attempts", "next_try_at", "sent_at"]
    list_filter = ["channel", "status"]
    exclude = ["user"]
    readonly_fields = [f.name for f in Delivery._meta.fields if f.name != "user"]


admin.site.register(Preference)
admin.site.register(TeamWebhook)
