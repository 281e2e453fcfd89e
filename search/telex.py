"""Vietnamese syllables typed in Telex or VNI without an input method, and the syllable check.

People without a Vietnamese keyboard layout type the keys an input method would have turned
into letters: ``Vieetj`` (Telex) or ``Vie6t5`` (VNI) for ``Việt``.  ``decode`` reads such a
word back when, and only when, the word itself is not a Vietnamese syllable and what it
decodes to is one, so real unaccented syllables (``ban``, ``tri``) and foreign words
(``smartphone``, ``iphone``, ``arsenal``) are left alone.

The keys are applied by bogo (the input-method engine of ibus-bogo); the syllable check is
ours: an onset (``ngh``, ``tr``, ``qu``, ...), a rhyme from the closed list of Vietnamese
rhymes, the spelling rules of ``k``/``gh``/``ngh``, and the tone rule of stop finals (a syllable
ending in ``p``, ``t``, ``c`` or ``ch`` takes only the sắc or nặng tone).  A word whose keys
would set the tone twice (``mars`` -> r then s) is not read as Telex: nobody types that.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import bogo

from search.text import TONE_MARKS, fold

ONSETS = (
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "th", "tr", "qu",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
)
# Every rhyme of Vietnamese orthography, without tone; the medial o/u is part of the rhyme.
# Left out: "oong" and "ooc" of a few loanwords (xoong, boong), which are Telex for ông and ốc
# ("Coong" -> "Công"); the index keeps those words when its articles use them.
RHYMES = frozenset((
    "a", "ac", "ach", "ai", "am", "an", "ang", "anh", "ao", "ap", "at", "au", "ay",
    "ăc", "ăm", "ăn", "ăng", "ăp", "ăt",
    "âc", "âm", "ân", "âng", "âp", "ât", "âu", "ây",
    "e", "ec", "em", "en", "eng", "eo", "ep", "et",
    "ê", "êch", "êm", "ên", "ênh", "êp", "êt", "êu",
    "i", "ia", "ich", "im", "in", "inh", "ip", "it", "iu",
    "iêc", "iêm", "iên", "iêng", "iêp", "iêt", "iêu",
    "o", "oc", "oi", "om", "on", "ong", "op", "ot",
    "oa", "oac", "oach", "oai", "oam", "oan", "oang", "oanh", "oao", "oap", "oat", "oay", "oăc", "oăm", "oăn",
    "oăng", "oăp", "oăt", "oe", "oem", "oen", "oeo", "oet",
    "ô", "ôc", "ôi", "ôm", "ôn", "ông", "ôp", "ôt",
    "ơ", "ơi", "ơm", "ơn", "ơp", "ơt",
    "u", "uc", "ui", "um", "un", "ung", "up", "ut", "ua",
    "uân", "uâng", "uât", "uây", "uê", "uêch", "uên", "uênh", "uơ", "uy", "uya", "uych", "uyên", "uyêt",
    "uynh", "uyp", "uyt", "uyu",
    "uôc", "uôi", "uôm", "uôn", "uông", "uôp", "uôt",
    "ư", "ưa", "ưc", "ưi", "ưm", "ưn", "ưng", "ưt", "ưu",
    "ươc", "ươi", "ươm", "ươn", "ương", "ươp", "ươt", "ươu",
    "y", "yêm", "yên", "yêng", "yêt", "yêu",
))
STOP_FINALS = ("p", "t", "c", "ch")
# Tones a syllable with a stop final may carry: sắc, nặng (or none, as typed unaccented).
STOP_TONES = ("", "\u0301", "\u0323")
FRONT_VOWELS = "ieêy"
TELEX_TONE_KEYS = "sfrxj"
CONSONANTS = "bcdfghjklmnpqrstvwxz"
VNI_TONE_KEYS = "12345"
_VNI_RE = re.compile(r"^[^\W\d_]+[0-9][^\W_]*$")
_TELEX_RULES = bogo.get_telex_definition(w_shorthand=False, brackets_shorthand=False)
_VNI_RULES = bogo.get_vni_definition()


def split_tone(word: str) -> tuple[str, str]:
    """Return (word lower-cased without its tone mark, the tone mark or '') of an NFC word."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [c for c in decomposed if c in TONE_MARKS]
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    return bare, "".join(tones)


def _rhyme_ok(onset: str, rhyme: str) -> bool:
    """Tell whether a rhyme may follow an onset (spelling rules of k/gh/ngh, qu and gi)."""
    if onset == "qu":
        return bool(rhyme) and ("u" + rhyme in RHYMES or "o" + rhyme in RHYMES) and rhyme[0] not in "uo"
    if onset == "gi":
        return rhyme == "" or (rhyme in RHYMES and rhyme[0] != "i") or "i" + rhyme in RHYMES
    if rhyme not in RHYMES:
        return False
    front = rhyme[0] in FRONT_VOWELS
    if onset in ("k", "gh", "ngh"):
        return front
    if onset in ("c", "g", "ng"):
        return not front or (onset == "g" and rhyme[0] == "i")
    if rhyme[0] == "y" and len(rhyme) > 1:
        return onset == ""  # yên, yêu: only without an onset (after an onset it is iên, iêu)
    return True


@lru_cache(maxsize=100_000)
def is_syllable(word: str) -> bool:
    """Tell whether word (any case, with or without accents) is a Vietnamese syllable."""
    bare, tone = split_tone(word)
    if len(tone) > 1 or not bare.isalpha():
        return False
    for onset in ONSETS:
        if bare.startswith(onset) and _rhyme_ok(onset, bare[len(onset) :]):
            # A stop final (p, t, c, ch) takes only the sắc or nặng tone.
            return not (tone and bare.endswith(STOP_FINALS) and tone not in STOP_TONES)
    return False


# Onsets and rhymes without their diacritics (đ -> d, ươ -> uo), for syllables typed unaccented.
_FOLDED_ONSETS = tuple(dict.fromkeys(fold(onset) for onset in ONSETS))
_FOLDED_RHYMES = frozenset(fold(rhyme) for rhyme in RHYMES)


@lru_cache(maxsize=100_000)
def is_folded_syllable(word: str) -> bool:
    """Tell whether word, with or without its accents, may be one Vietnamese syllable ("nhue": nhuệ)."""
    if is_syllable(word):
        return True
    bare = fold(word)
    return any(bare.startswith(onset) and bare[len(onset) :] in _FOLDED_RHYMES for onset in _FOLDED_ONSETS)


def _consumed_tone_keys(word: str, decoded: str, keys: str) -> int:
    """Return how many tone keys of word the decoding consumed (more than one: a re-toned word)."""
    typed = sum(word.lower().count(k) for k in keys)
    kept = sum(decoded.lower().count(k) for k in keys)
    return typed - kept


@lru_cache(maxsize=100_000)
def decode(word: str, capitals: bool = False) -> str | None:
    """Return the syllable a word typed in Telex or VNI stands for, or None when it is not one.

    ``Vieetj`` -> ``Việt``, ``ddeesn`` -> ``đến``, ``no65i`` -> ``nội``; ``ban``, ``iphone``,
    ``smartphone``, ``mars`` -> None.  Capitals are kept as typed.  A word all in capitals is an
    acronym (``VAR``, ``IMF``), not typing, unless capitals says the whole query is typed in them
    (caps lock on: ``HAF NOOIJ`` -> ``HÀ NỘI``).
    """
    if len(word) < 2 or is_syllable(word) or not word.isascii() or (word.isupper() and not capitals):
        return None
    if _VNI_RE.match(word):
        rules, keys = _VNI_RULES, VNI_TONE_KEYS
    elif word.isalpha():
        rules, keys = _TELEX_RULES, TELEX_TONE_KEYS
    else:
        return None
    try:
        decoded = unicodedata.normalize("NFC", bogo.process_sequence(word, rules=rules))
    except (KeyError, IndexError, ValueError):
        return None  # bogo trips on some key sequences (a "w" under VNI): not a typed syllable
    if decoded == word or decoded.isascii() or not is_syllable(decoded):
        return None
    if _consumed_tone_keys(word, decoded, keys) > 1 or not _keys_in_place(word, decoded, keys):
        return None
    return decoded


def _keys_in_place(word: str, decoded: str, keys: str) -> bool:
    """Tell whether Telex keys stand where typists put them: a doubled vowel side by side (``aa``,
    not ``Data``), and no vowel after the tone key (``sofa``, ``Hari`` are not ``sòa``, ``hải``)."""
    lower = word.lower()
    if keys == VNI_TONE_KEYS:
        return True  # VNI digits follow the vowel they mark, anywhere in the word
    for letter, doubled in (("â", "aa"), ("ê", "ee"), ("ô", "oo")):
        if letter in split_tone(decoded)[0] and doubled not in lower:
            return False
    # A key letter of the onset is a letter ("tr" of "treen", "trên"), not a tone key.
    onset = max(1, len(lower) - len(lower.lstrip(CONSONANTS)))
    tone_at = max((i for i, ch in enumerate(lower) if ch in keys and i >= onset), default=-1)
    return tone_at < 0 or not any(ch in "aeiouy" for ch in lower[tone_at + 1 :])
