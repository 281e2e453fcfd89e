"""The abbreviation dictionary: Vietnamese abbreviations and their long forms, read once.

The shipped file ``search/data/abbreviations.txt`` holds one entry per line, its forms
separated by ``|`` (``UBND | ủy ban nhân dân``); an operator's file of the same format
(``--synonyms FILE`` / ``VNSEARCH_SYNONYMS``) adds entries.  Forms are keyed by their folded
syllables (``TP.HCM``, ``TP HCM`` and ``tp hcm`` are one key), so a query may type any of them,
with or without accents.  A bad line is reported with its line number and skipped.

``search/data/loanwords.txt``, in the same format, holds loanwords and their Vietnamese spellings
(``vắc xin | vaccine``): its entries are read in short queries only (``Entry.short_only``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from search.parse import syllables_of

log = logging.getLogger("vnsearch.abbreviations")
SEPARATOR = "|"
MAX_FORM_SYLLABLES = 6
LOANWORDS = "loanwords.txt"


@dataclass(frozen=True)
class Entry:
    """One dictionary entry: its forms as written, the first being the abbreviation; shortened names
    those derived from others (``shortened_forms``), the last ones."""

    forms: tuple[str, ...]
    shortened: tuple[str, ...] = ()
    # A loanword's spellings: one topic in a short query; a question keeps the spelling it typed.
    short_only: bool = False


@dataclass
class Abbreviations:
    """Every entry, found by the folded syllables of any of its forms."""

    entries: list[Entry] = field(default_factory=list)
    by_key: dict[tuple[str, ...], list[Entry]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # The keys' first syllables, every shorter run of them (("uy", "ban") of ("uy", "ban", "nhan", "dan")).
    starts: set[tuple[str, ...]] = field(default_factory=set)

    def add(self, entry: Entry) -> None:
        """Add an entry under the key of each of its forms."""
        self.entries.append(entry)
        for form in entry.forms:
            key = form_key(form)
            self.by_key.setdefault(key, []).append(entry)
            self.starts.update(key[:size] for size in range(1, len(key)))

    def add_shortened_forms(self) -> None:
        """Give every entry its long forms with another entry's long form inside them written as that
        entry's abbreviation (``shortened_forms``), keeping the entries' order."""
        entries, taken = self.entries, set(self.by_key)  # every form's key, parsed when it was added
        # The long forms of two words or more, keyed once (a key is a parse), by their first word.
        starting: dict[str, list[tuple[Entry, str, tuple[str, ...]]]] = defaultdict(list)
        for entry in entries:
            for key in (form_key(form) for form in entry.forms[1:]):
                if len(key) >= 2:
                    starting[key[0]].append((entry, entry.forms[0], key))
        self.entries, self.by_key, self.starts = [], {}, set()
        for entry in entries:
            shortened = tuple(shortened_forms(entry, starting, taken))
            self.add(Entry(entry.forms + shortened, shortened, entry.short_only))

    def extends(self, key: tuple[str, ...]) -> bool:
        """Tell whether a longer key begins with key (a query's words read on may still spell a form)."""
        return key in self.starts

    def lookup(self, key: tuple[str, ...], short: bool = True) -> list[Entry]:
        """Return the entries that have a form with these folded syllables (for a query longer than a short
        one, short False: without the loanwords' entries)."""
        return [entry for entry in self.by_key.get(key, []) if short or not entry.short_only]

    def alternatives(self, key: tuple[str, ...], short: bool = True) -> list[str]:
        """Return every other form of the entries holding key (``lookup``'s), in dictionary order, once each."""
        forms = [form for entry in self.lookup(key, short) for form in entry.forms if form_key(form) != key]
        unique: dict[tuple[str, ...], str] = {}
        for form in forms:
            unique.setdefault(form_key(form), form)
        return list(unique.values())


def form_key(form: str) -> tuple[str, ...]:
    """Return the folded syllables of a form: its key in the dictionary."""
    return tuple(s.folded for s in syllables_of(form))


def shortened_forms(entry: Entry, starting: dict[str, list[tuple[Entry, str, tuple[str, ...]]]],
                    taken: set[tuple[str, ...]]) -> list[str]:
    """Return an entry's forms with one other entry's long form inside them written as that entry's
    abbreviation: "TP Hồ Chí Minh" for "Thành phố Hồ Chí Minh" (TP: thành phố), "ĐH Quốc gia Hà Nội"
    for "Đại học Quốc gia Hà Nội".  The press and readers shorten part of a long name so.  starting:
    (entry, its abbreviation, the key of one of its long forms of two words or more), by the key's
    first word.  A form whose key taken already holds (another entry's, or this one's) is left out,
    and its key is added to taken."""
    shortened = []
    for form in entry.forms:
        syllables = syllables_of(form)
        words, key = [word.raw for word in syllables], tuple(word.folded for word in syllables)
        for start, first in enumerate(key):
            for other, abbreviation, inner in starting.get(first, ()):
                end = start + len(inner)
                if other is entry or len(inner) >= len(key) or key[start:end] != inner:
                    continue
                written = " ".join([*words[:start], abbreviation, *words[end:]])
                if (written_key := form_key(written)) not in taken:
                    taken.add(written_key)
                    shortened.append(written)
    return shortened


def parse_line(line: str) -> Entry | str | None:
    """Return the entry of one line, None for a blank or comment line, or what is wrong with it."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    forms = tuple(" ".join(part.split()) for part in text.split(SEPARATOR))
    if len(forms) < 2 or not all(forms):
        return "expected two or more forms separated by '|'"
    for form in forms:
        size = len(form_key(form))
        if not size or size > MAX_FORM_SYLLABLES:
            return f"form {form!r} must have 1 to {MAX_FORM_SYLLABLES} words"
    return Entry(forms)


def read_into(dictionary: Abbreviations, lines, source: str, short_only: bool = False) -> None:
    """Add the entries of lines to dictionary (read in short queries only, with short_only); report and
    skip the bad ones."""
    for number, line in enumerate(lines, start=1):
        parsed = parse_line(line)
        if isinstance(parsed, Entry):
            dictionary.add(Entry(parsed.forms, short_only=short_only))
        elif parsed is not None:
            problem = f"{source}, line {number}: {parsed}; line skipped"
            dictionary.problems.append(problem)
            log.warning(problem)


def shipped_lines(name: str = "abbreviations.txt") -> list[str]:
    """Return the lines of a shipped dictionary (``abbreviations.txt``, ``loanwords.txt``)."""
    text = resources.files("search").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return text.splitlines()


@cache
def load(extra: str | None = None) -> Abbreviations:
    """Return the shipped dictionary plus an operator's file (read once per process and path).

    Raises OSError or UnicodeDecodeError when the operator's file cannot be read.
    """
    dictionary = Abbreviations()
    read_into(dictionary, shipped_lines(), "abbreviations.txt")
    read_into(dictionary, shipped_lines(LOANWORDS), LOANWORDS, short_only=True)
    if extra:
        path = Path(extra)
        read_into(dictionary, path.read_text(encoding="utf-8-sig").splitlines(), str(path))
    dictionary.add_shortened_forms()
    return dictionary
