"""Hints: visible by time, revealed early by click (recorded once), in order."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from labeling.hints import reveal_hint, visible_hints
from labeling.models import Hint, HintReveal
from tests.labeling.factories import make_challenge

pytestmark = pytest.mark.django_db

NOW = timezone.now()
PAST = NOW - datetime.timedelta(hours=1)
FUTURE = NOW + datetime.timedelta(days=1)


@pytest.fixture
def challenge(people):
    return make_challenge(people.course)


def hints(challenge, *specs):
    return [
        Hint.objects.create(challenge=challenge, order=i, text=f"Hint text {i}", **spec)
        for i, spec in enumerate(specs, start=1)
    ]


class TestVisibility:
    def test_a_hint_shows_from_its_time(self, people, challenge):
        hints(challenge, {"reveal_at": PAST}, {"reveal_at": FUTURE})
        views = visible_hints(challenge, people.member)
        assert [(v.visible, v.how) for v in views] == [(True, "time"), (False, "")]

    def test_a_hint_without_a_time_shows_from_the_start_unless_it_is_click_only(self, people, challenge):
        hints(challenge, {}, {"reveal_on_click": True})
        views = visible_hints(challenge, people.member)
        assert [(v.visible, v.can_reveal) for v in views] == [(True, False), (False, True)]

    def test_every_hint_shows_once_the_challenge_closes(self, people, challenge):
        hints(challenge, {"reveal_at": FUTURE}, {"reveal_on_click": True})
        challenge.closes_at = NOW - datetime.timedelta(minutes=1)
        challenge.save(update_fields=["closes_at"])
        assert all(v.visible for v in visible_hints(challenge, people.member))

    def test_staff_see_every_hint(self, people, challenge):
        hints(challenge, {"reveal_at": FUTURE}, {"reveal_on_click": True})
        assert all(v.visible for v in visible_hints(challenge, people.ta, is_staff=True))

    def test_a_click_reveals_it_to_that_student_only_and_is_recorded(self, people, challenge):
        (hint,) = hints(challenge, {"reveal_at": FUTURE, "reveal_on_click": True})
        reveal = reveal_hint(hint, people.member)
        assert reveal.user == people.member and reveal.revealed_at
        mine = visible_hints(challenge, people.member)[0]
        assert (mine.visible, mine.how, mine.revealed_at) == (True, "click", reveal.revealed_at)
        assert not visible_hints(challenge, people.teammate)[0].visible

    def test_a_second_click_changes_nothing(self, people, challenge):
        (hint,) = hints(challenge, {"reveal_on_click": True})
        first = reveal_hint(hint, people.member)
        assert reveal_hint(hint, people.member).pk == first.pk
        assert HintReveal.objects.count() == 1

    def test_hints_are_revealed_in_order(self, people, challenge):
        first, second = hints(challenge, {"reveal_on_click": True}, {"reveal_on_click": True})
        views = visible_hints(challenge, people.member)
        assert [v.can_reveal for v in views] == [True, False]
        with pytest.raises(ValidationError, match="Reveal hint 1 first"):
            reveal_hint(second, people.member)
        reveal_hint(first, people.member)
        assert visible_hints(challenge, people.member)[1].can_reveal
        reveal_hint(second, people.member)

    def test_a_hint_not_open_to_clicks_is_refused_with_its_time(self, people, challenge):
        (hint,) = hints(challenge, {"reveal_at": datetime.datetime(2099, 1, 1, 12, 0, tzinfo=datetime.UTC)})
        with pytest.raises(ValidationError, match=r"cannot be revealed early\. It will be shown on 2099-01-01 13:00"):
            reveal_hint(hint, people.member)
        assert not HintReveal.objects.exists()

    def test_revealing_a_hint_already_shown_by_time_records_nothing(self, people, challenge):
        (hint,) = hints(challenge, {"reveal_at": PAST, "reveal_on_click": True})
        assert reveal_hint(hint, people.member) is None
        assert not HintReveal.objects.exists()


class TestHintPages:
    def test_the_challenge_page_shows_visible_hints_and_reveal_buttons(self, people, client_for, challenge):
        shown, clickable, timed = hints(
            challenge, {"reveal_at": PAST}, {"reveal_on_click": True}, {"reveal_at": FUTURE}
        )
        body = client_for(people.member).get(reverse("labeling:challenge", args=["dl-fall", "adjectives"])).content
        body = body.decode()
        assert "Hint text 1" in body and "Hint text 2" not in body and "Hint text 3" not in body
        assert reverse("labeling:hint_reveal", args=["dl-fall", "adjectives", clickable.pk]) in body
        assert reverse("labeling:hint_reveal", args=["dl-fall", "adjectives", timed.pk]) not in body

    def test_a_student_reveals_a_hint_from_the_page(self, people, client_for, challenge):
        (hint,) = hints(challenge, {"reveal_on_click": True})
        client = client_for(people.member)
        response = client.post(reverse("labeling:hint_reveal", args=["dl-fall", "adjectives", hint.pk]), follow=True)
        body = response.content.decode()
        assert "Hint text 1" in body and "You revealed this hint on" in body
        assert HintReveal.objects.filter(user=people.member, hint=hint).exists()

    def test_a_refused_reveal_says_why(self, people, client_for, challenge):
        (hint,) = hints(challenge, {"reveal_at": FUTURE})
        response = client_for(people.member).post(
            reverse("labeling:hint_reveal", args=["dl-fall", "adjectives", hint.pk]), follow=True
        )
        assert "This hint cannot be revealed early." in response.content.decode()

    def test_staff_see_how_many_revealed_each_hint(self, people, client_for, challenge):
        (hint,) = hints(challenge, {"reveal_on_click": True})
        reveal_hint(hint, people.member)
        reveal_hint(hint, people.outsider)
        body = client_for(people.ta).get(reverse("labeling:hints_edit", args=["dl-fall", "adjectives"])).content
        assert "revealed early by 2 students" in body.decode()
