"""What a chat message's text is made of: cleaning, grapheme clusters, links, folded letters.

Grapheme clusters are counted with the rules that matter in chat (UAX #29, simplified):
combining marks, variation selectors, emoji modifiers and zero-width-joiner sequences stay with
the character before them, and regional indicators pair into flags. So "👨‍👩‍👧" and "🇫🇷" count
as one, "é" written as e + U+0301 too.
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional overrides/isolates make text display differently from what it says; zero-width
# spaces split words so that blocked words slip through. Control characters (category Cc: the
# C0 and C1 ranges) go too, except those that are whitespace (tabs, newlines), which the
# whitespace rule turns into one space.
_CONTROLS = [*range(0x20), *range(0x7F, 0xA0)]
_REMOVED = dict.fromkeys(
    [
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        0x200B,
        0x200E,
        0x200F,
        0x2060,
        0xFEFF,
        *(code for code in _CONTROLS if not chr(code).isspace()),
    ],
    None,
)
_ZWJ = "\u200d"
_WHITESPACE = re.compile(r"\s+")
_LINK = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|gg|tv|co|me|ly|app|dev|xyz|info|biz|"
    r"ru|cn|de|uk|fr|live|link|click|shop|site|online|top)\b",
    re.IGNORECASE,
)


def clean(text: str) -> str:
    """One line, trimmed: runs of whitespace (newlines too) become one space, control and
    direction-changing characters go."""
    return _WHITESPACE.sub(" ", text.translate(_REMOVED)).strip()


def _extends(ch: str) -> bool:
    """A character that belongs to the cluster before it."""
    code = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # tag characters (subdivision flags)
        or ch == _ZWJ
    )


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def graphemes(text: str) -> int:
    """How many user-perceived characters ``text`` has."""
    if text.isascii():  # no marks, joiners or flags: one character each (most chat lines)
        return len(text)
    count = 0
    previous = ""
    pending_flag = False
    for ch in text:
        if count and (_extends(ch) or previous == _ZWJ):
            pass
        elif _regional(ch) and pending_flag:
            pending_flag = False
        else:
            count += 1
            pending_flag = _regional(ch)
        previous = ch
    return count


def has_link(text: str) -> bool:
    return _LINK.search(text) is not None


# Letters that look like Latin ones (Cyrillic, Greek), folded so "ѕрам" matches "spam".
_LOOKALIKES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j",
        "ԁ": "d", "ӏ": "l", "ո": "n", "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k",
        "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ß": "ss",
    }
)  # fmt: skip


def fold(ch: str) -> str:
    """One character as blocked-word matching sees it: compatibility forms unified (full-width,
    ligatures), accents dropped, lower case, look-alike letters made Latin."""
    decomposed = unicodedata.normalize("NFKD", ch)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.casefold().translate(_LOOKALIKES)
