"""`{% url %}` is courseproj.lib.cachedurl's (a template builtin): the same answers as Django's
tag, remembered per process, and never an answer of another URL configuration or prefix."""

from __future__ import annotations

import pytest
from django.template import Context, Engine, Template
from django.test import override_settings
from django.urls import NoReverseMatch, path, reverse, set_script_prefix

from courseproj.lib.cachedurl import CachedURLNode


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_the_projects_engine_uses_the_cached_tag():
    template = Engine.get_default().from_string("{% url 'home' %}")
    assert isinstance(template.nodelist[0], CachedURLNode)


def test_it_gives_what_reverse_gives():
    assert render("{% url 'home' %}") == reverse("home")
    assert render("{% url 'teams:detail' slug 7 %}", slug="ml-1") == reverse("teams:detail", args=["ml-1", 7])
    assert render("{% url 'teams:detail' course_slug=slug team_id=pk %}", slug="ml-1", pk=7) == reverse(
        "teams:detail", kwargs={"course_slug": "ml-1", "team_id": 7}
    )
    for slug in ("a", "b", "a"):  # each answer its own, the remembered ones too
        assert render("{% url 'teams:index' slug %}", slug=slug) == reverse("teams:index", args=[slug])


def test_as_var_swallows_no_reverse_match_and_the_plain_tag_raises_it():
    assert render("{% url 'no-such-view' as link %}[{{ link }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-view' %}")


def test_the_script_prefix_is_part_of_the_answer():
    plain = render("{% url 'home' %}")
    set_script_prefix("/sub/")
    try:
        assert render("{% url 'home' %}") == "/sub" + plain
    finally:
        set_script_prefix("/")
    assert render("{% url 'home' %}") == plain


urlpatterns = [path("elsewhere/", lambda request: None, name="home")]


def test_another_url_configuration_is_not_answered_from_the_old_one():
    before = render("{% url 'home' %}")
    with override_settings(ROOT_URLCONF=__name__):
        assert render("{% url 'home' %}") == "/elsewhere/"
    assert render("{% url 'home' %}") == before
