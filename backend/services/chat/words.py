"""Blocked words: whole words, ``*`` for any letters, case/accent/look-alike insensitive.

Matching runs on folded letters (``text.fold``) while remembering which characters of the
original each word came from, so a masked message keeps everything but the matched words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from backend.services.chat.text import fold

MAX_WORDS = 500
MAX_WORD_LENGTH = 50


@dataclass(frozen=True)
class Word:
    start: int  # index in the original text
    end: int
    folded: str


@dataclass(frozen=True)
class Verdict:
    matched: tuple[str, ...]  # the blocked entries that matched
    masked: str  # the text with each matching word replaced by asterisks


def words_of(text: str) -> list[Word]:
    """Runs of letters/digits (after folding), with where they are in ``text``."""
    found: list[Word] = []
    start = -1
    folded: list[str] = []
    for index, ch in enumerate(text):
        letters = fold(ch)
        if letters and all(c.isalnum() for c in letters):
            if start < 0:
                start = index
            folded.append(letters)
        elif not letters and start >= 0:
            continue  # a combining mark written apart (folds to nothing) stays in its word
        elif start >= 0:
            found.append(Word(start, index, "".join(folded)))
            start, folded = -1, []
    if start >= 0:
        found.append(Word(start, len(text), "".join(folded)))
    return found


def normalise_entry(entry: str) -> str:
    """A blocked-word entry as stored: folded letters and ``*``, nothing else."""
    return "".join(c for ch in entry.strip() for c in fold(ch) if c.isalnum() or c == "*")


def _pattern(entry: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in entry.split("*")))


class BlockedWords:
    def __init__(self, entries: list[str]) -> None:
        self.entries = [e for e in (normalise_entry(x) for x in entries) if e.strip("*")]
        self._patterns = [(entry, _pattern(entry)) for entry in self.entries]

    def check(self, text: str) -> Verdict | None:
        """None when nothing matches; else which entries matched and the masked text."""
        if not self._patterns:
            return None
        matched: list[str] = []
        spans: list[Word] = []
        for word in words_of(text):
            for entry, pattern in self._patterns:
                if pattern.fullmatch(word.folded):
                    spans.append(word)
                    if entry not in matched:
                        matched.append(entry)
                    break
        if not spans:
            return None
        masked = list(text)
        for word in spans:
            masked[word.start : word.end] = ["*"] * (word.end - word.start)
        return Verdict(tuple(matched), "".join(masked))


@lru_cache(maxsize=256)
def stored_words(stored: str) -> BlockedWords:
    """A stream's stored list (its JSON text) ready to check. Built once per distinct list, so
    a busy chat does not fold and compile its words again for every line; a changed list is a
    different text, so nothing goes stale."""
    return BlockedWords(json.loads(stored))
