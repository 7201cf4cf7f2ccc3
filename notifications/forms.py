from django import forms
from django.core.validators import URLValidator

from notifications.models import Preference
from notifications.webhooks import WebhookError, check_destination


class ReminderOffsetsForm(forms.Form):
    offsets = forms.CharField(
        label="Reminders before closing",
        required=False,
        max_length=60,
        help_text="Days (7d) or hours (12h) before the round closes, separated by commas. "
        "Empty: no scheduled reminders.",
    )


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = Preference
        fields = ["reminders", "announcements"]


class TeamWebhookForm(forms.Form):
    url = forms.CharField(
        label="Chat webhook URL",
        required=False,
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="An incoming webhook of Slack, Teams or Mattermost. Empty: no chat notices.",
        widget=forms.URLInput(attrs={"placeholder": "https://chat.example.com/hooks/..."}),
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        if url:
            try:
                check_destination(url)
            except WebhookError as error:
                # Only an internal destination is refused here; a host that does
                # not resolve yet (set up ahead of the chat server) is accepted.
                if "internal address" in str(error):
                    raise forms.ValidationError(str(error)) from None
        return url
