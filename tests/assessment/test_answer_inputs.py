"""The percent and text inputs are written in Python; their markup is Django's own widgets'."""

import pytest
from django import forms

from assessment.kinds import AnswerTextarea, PercentInput

NUMBER_ATTRS = {"class": "form-control", "min": 0, "max": 100, "step": 1, "inputmode": "numeric"}
VALUES = [None, "", 0, 42, "abc", "<b>\"x'</b> & more", "  spaced  "]
BOUND_ATTRS = [
    {"id": "id_q-rate"},
    {"id": "id_q-rate", "aria-invalid": True, "aria-describedby": "id_q-rate_helptext"},
    {"id": "id_q-rate", "required": True, "disabled": True, "hidden": False},
]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("attrs", BOUND_ATTRS)
def test_percent_input_is_djangos_number_input_in_an_input_group(value, attrs):
    django_input = forms.NumberInput(attrs=NUMBER_ATTRS).render("q-rate", value, attrs=attrs)
    html = PercentInput(attrs=NUMBER_ATTRS).render("q-rate", value, attrs=attrs)
    assert html == (
        f'<div class="input-group percent-input">{django_input}\n'
        '<span class="input-group-text">%</span></div>'
    )


def test_an_optional_percent_says_how_to_abstain():
    html = PercentInput(attrs=NUMBER_ATTRS, optional=True).render("q-rate", None)
    assert html.endswith(
        '</div>\n<p class="question-help mt-1 mb-0">Leave empty if you don\'t know.</p>'
    )
    assert "Leave empty" not in PercentInput(attrs=NUMBER_ATTRS).render("q-rate", None)


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("attrs", BOUND_ATTRS)
def test_text_answer_is_djangos_textarea(value, attrs):
    textarea_attrs = {"class": "form-control", "rows": 4, "maxlength": 4000}
    expected = forms.Textarea(attrs=textarea_attrs).render("q-notes", value, attrs=attrs)
    assert AnswerTextarea(attrs=textarea_attrs).render("q-notes", value, attrs=attrs) == expected
