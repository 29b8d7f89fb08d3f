"""What each app shows on a course's home page.

Each entry is a function `(access) -> dict | None`; the dict names a `template` and its
context. Apps keep their own summaries; the course home page only lays them out.
"""

from django.utils.module_loading import import_string

HOME_CARDS = [
    "teams.summary.home_card",
    "proposals.summary.home_card",
    "labeling.summary.home_card",
    "grading.summary.home_card",
]


def home_cards(access) -> list[dict]:
    cards = []
    for path in HOME_CARDS:
        card = import_string(path)(access)
        if card:
            cards.append(card)
    return cards
