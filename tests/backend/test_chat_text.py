"""What the chat makes of a message's text before any rule looks at it (no server needed)."""

from __future__ import annotations

import pytest

from backend.services.chat.text import clean, graphemes
from backend.services.chat.words import stored_words


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("  hello  ", "hello"),
        ("two\nlines\r\nand\ttabs", "two lines and tabs"),
        ("bell\x07 and nul\x00 and del\x7f go", "bell and nul and del go"),
        (
            "c1 controls\x90\x9f go, next line\x85stays a space",
            "c1 controls go, next line stays a space",
        ),
        ("\u202eevil\u202c zero\u200bwidth \ufeffmark", "evil zerowidth mark"),
        ("émoji 👍 stay", "émoji 👍 stay"),
    ],
)
def test_clean_keeps_one_trimmed_line_without_controls(raw: str, cleaned: str) -> None:
    assert clean(raw) == cleaned


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("plain ascii, 26 characters", 26),
        ("", 0),
        ("e\u0301", 1),  # e + combining acute
        ("🇫🇷🇵🇹", 2),  # two flags
        ("👨‍👩‍👧", 1),  # a family (zero-width joiners)
        ("👍🏽!", 2),  # a skin tone stays with its emoji
    ],
)
def test_graphemes_count_what_people_see(text: str, count: int) -> None:
    assert graphemes(text) == count


def test_a_stored_list_is_compiled_once_and_a_changed_one_anew() -> None:
    first = stored_words('["spam*"]')
    assert stored_words('["spam*"]') is first
    assert first.check("SPAMMER here") is not None
    changed = stored_words('["spam*", "scam"]')
    assert changed is not first and changed.check("a scam") is not None
