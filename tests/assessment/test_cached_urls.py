"""{% url %} keeps what it reverses per process (assessment.templatetags.cached_urls)."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from assessment.templatetags.cached_urls import cached_reverse


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


@pytest.fixture(autouse=True)
def empty_cache():
    cached_reverse.cache_clear()
    yield
    cached_reverse.cache_clear()


def test_the_tag_gives_what_reverse_gives():
    assert render("{% url 'home' %}") == reverse("home")
    assert render("{% url 'surveys:page' 'q4' team 2 %}", team="atlas") == reverse(
        "surveys:page", args=["q4", "atlas", 2]
    )
    assert render("{% url 'reports:team_dashboard' team_slug=team %}", team="atlas") == reverse(
        "reports:team_dashboard", kwargs={"team_slug": "atlas"}
    )
    assert cached_reverse.cache_info().currsize == 3


def test_a_url_is_reversed_once_and_then_read():
    for _ in range(3):
        render("{% url 'surveys:page' 'q4' 'atlas' 2 %}")
    info = cached_reverse.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_the_script_prefix_is_part_of_the_key():
    plain = render("{% url 'home' %}")
    set_script_prefix("/shipshape/")
    try:
        assert render("{% url 'home' %}") == "/shipshape" + plain
    finally:
        clear_script_prefix()
    assert render("{% url 'home' %}") == plain


def test_as_var_and_errors_behave_as_the_stock_tag():
    assert render("{% url 'no-such-view' as link %}[{{ link }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-view' %}")
    with pytest.raises(TemplateSyntaxError):
        Template("{% url %}")


def test_objects_other_than_strings_and_numbers_are_reversed_every_time():
    class Slug:
        def __str__(self):
            return "atlas"

    assert render("{% url 'reports:team_dashboard' team %}", team=Slug()) == reverse(
        "reports:team_dashboard", args=["atlas"]
    )
    assert cached_reverse.cache_info().currsize == 0


def test_a_request_url_namespace_is_part_of_the_key(rf: RequestFactory):
    request = rf.get("/")
    request.current_app = "admin"
    html = Template("{% url 'admin:index' %}").render(Context({"request": request}))
    assert html == reverse("admin:index", current_app="admin")


@override_settings(ROOT_URLCONF="tests.assessment.urls_other")
def test_another_url_configuration_gets_its_own_urls():
    assert render("{% url 'home' %}") == "/elsewhere/"
