"""Spellings one edit away from a word: what a typo is corrected to, and what tells a typo from words run
together (``search.understand``, ``search.suggest``)."""

from __future__ import annotations

import string
import unicodedata

from search.text import TONE_MARKS, VOWELS

ALPHABET = string.ascii_lowercase + string.digits
# Letters a word typed with accents is edited with: every vowel with its tone marks, and đ.
VIETNAMESE_ALPHABET = ALPHABET + "đ" + "".join(
    unicodedata.normalize("NFC", vowel + tone) for vowel in VOWELS for tone in TONE_MARKS
) + "ăâêôơư"


def edits(word: str, alphabet: str = ALPHABET) -> set[str]:
    """Return every string one deletion, swap, replacement or insertion away from word."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    swaps = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in alphabet]
    inserts = [a + c + b for a, b in splits for c in alphabet]
    return set(deletes + swaps + replaces + inserts) - {word}
