"""The option cards of choice and checklist questions, rendered in Python without a template."""

import re

from django import forms

from assessment.kinds import ChecklistSelect, LevelRadioSelect


def radio(value, **attrs):
    widget = LevelRadioSelect(
        choices=[("1", "Initial"), ("2", 'Ships "daily" <b>'), ("9", "Don't know")],
        descriptions={"1": "Manual steps & hope", "2": "Tests <gate> merges"},
        abstaining={"9"},
    )
    return widget.render("q-cicd", value, attrs={"id": "id_q-cicd", **attrs})


def test_every_text_is_escaped():
    html = radio(None)
    assert "<b>" not in html and "<gate>" not in html
    assert "Ships &quot;daily&quot; &lt;b&gt;" in html
    assert "Tests &lt;gate&gt; merges" in html and "Manual steps &amp; hope" in html
    assert "Don&#x27;t know" in html


def test_the_chosen_level_alone_is_checked():
    html = radio("2")
    checked = re.findall(r'<input [^>]*value="(\d)"[^>]* checked>', html)
    assert checked == ["2"]
    assert " checked" not in radio(None)


def test_each_input_has_its_own_id_and_a_label_for_it():
    html = radio(None)
    ids = re.findall(r'<input [^>]*id="([^"]+)"', html)
    assert ids == ["id_q-cicd_0", "id_q-cicd_1", "id_q-cicd_2"]
    assert re.findall(r'<label for="([^"]+)"', html) == ids
    assert 'name="q-cicd"' in html and html.count('type="radio"') == 3
    assert '<div class="level-options" id="id_q-cicd">' in html


def test_abstentions_come_after_the_levels_and_apart_from_them():
    levels, abstains = radio(None).split('<div class="level-abstains">')
    assert "Initial" in levels and "Don&#x27;t know" not in levels
    assert "Or, if you cannot say:" in abstains and "Don&#x27;t know" in abstains
    assert "level-description" not in abstains


def test_levels_without_descriptors_are_marked_plain():
    widget = LevelRadioSelect(choices=[("1", "Yes"), ("2", "No")])
    html = widget.render("q-x", "1", attrs={"id": "id_q-x"})
    assert '<div class="level-options level-options-plain" id="id_q-x">' in html
    assert "level-abstains" not in html


def test_a_checklist_keeps_every_ticked_practice():
    widget = ChecklistSelect(choices=[("1", "Logs"), ("2", "Traces"), ("3", "None of these")])
    html = widget.render("q-obs", ["1", "2"], attrs={"id": "id_q-obs"})
    assert html.count('type="checkbox"') == 3
    assert re.findall(r'value="(\d)"[^>]* checked>', html) == ["1", "2"]


def test_a_bound_form_shows_what_was_posted():
    class Form(forms.Form):
        level = forms.ChoiceField(
            choices=[("1", "Initial"), ("2", "Developing")], widget=LevelRadioSelect
        )

    html = str(Form({"level": "2"})["level"])
    assert re.findall(r'value="(\d)"[^>]* checked>', html) == ["2"]
    assert 'id="id_level_1"' in html


def test_the_same_widget_checks_what_each_render_is_given():
    """The markup around the options is kept per widget; the checked option is not."""
    widget = LevelRadioSelect(choices=[("1", "Initial"), ("2", "Managed")])
    first = widget.render("q-a", "1", attrs={"id": "id_q-a"})
    second = widget.render("q-a", "2", attrs={"id": "id_q-a"})
    other_name = widget.render("q-b", "2", attrs={"id": "id_q-b"})
    assert re.findall(r'value="(\d)"[^>]* checked>', first) == ["1"]
    assert re.findall(r'value="(\d)"[^>]* checked>', second) == ["2"]
    assert 'name="q-b"' in other_name and 'id="id_q-b_1"' in other_name
    assert 'name="q-a"' not in other_name


def test_new_options_are_rendered_afresh():
    field = forms.ChoiceField(choices=[("1", "Initial")], widget=LevelRadioSelect())
    assert "Initial" in field.widget.render("q", None, attrs={"id": "id_q"})
    field.choices = [("1", "Optimizing")]
    html = field.widget.render("q", None, attrs={"id": "id_q"})
    assert "Optimizing" in html and "Initial" not in html
