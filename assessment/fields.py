"""Form fields shared by the apps."""

from django import forms
from django.core.exceptions import ValidationError

# The range of a 64-bit signed integer primary key (BigAutoField).
MAX_PK = 2**63 - 1


class ModelMultipleChoiceIdField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField that refuses ids no database column can hold.

    Django checks submitted ids with a pk__in query; SQLite cannot bind an
    integer beyond 64 bits and raises OverflowError, which would be a 500 for a
    forged form. Such ids are refused as invalid choices before any query.
    """

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(str(pk))
            except (TypeError, ValueError):
                continue  # the parent reports it as an invalid value
            if not -MAX_PK - 1 <= number <= MAX_PK:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)
