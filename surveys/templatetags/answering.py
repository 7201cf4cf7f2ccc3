"""The question card of the answering page, rendered once per question, number and answer.

A card's HTML depends only on the question, its number on the page and the
answer shown in it (and on errors, which are never kept). The questions come
from the structure memo (``assessment.structure``): the same instances for
every request of a process while the questionnaire is unchanged, and new ones
when it changes. So the rendered cards are kept in memory against those
instances (a weak reference: they go with them), and a page of eleven
questions renders its cards once and then serves them. Free text is not kept:
its answers are the respondent's own words and as many as there are
respondents.
"""

from weakref import WeakKeyDictionary

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from assessment.kinds import KINDS, NO_SCORE

register = template.Library()

# Question -> {(number, answer): card HTML}; at most this many answers per question.
_cards: WeakKeyDictionary = WeakKeyDictionary()
ANSWERS_PER_QUESTION = 256


def _frozen(value):
    if isinstance(value, list | tuple):
        return tuple(str(item) for item in value)
    return None if value is None else str(value)


@register.simple_tag
def question_card(question, field, number: int) -> str:
    context = {"question": question, "field": field, "number": number}
    if field.errors or KINDS[question.kind].scoring == NO_SCORE:
        return render_to_string("surveys/_question.html", context)
    cards = _cards.setdefault(question, {})
    key = (number, _frozen(field.value()))
    html = cards.get(key)
    if html is None:
        html = render_to_string("surveys/_question.html", context)
        if len(cards) < ANSWERS_PER_QUESTION:
            cards[key] = html
    return mark_safe(html)  # rendered by the template above, autoescaped
