"""Check the abbreviation dictionary against the corpus: every form occurs, every expansion is plausible.

Usage: python bench/check_abbreviations.py [--data ../shared/data] [--synonyms FILE] [--all]

Reads search/data/abbreviations.txt and loanwords.txt (plus an operator's --synonyms file) and the news corpus
(news/articles.jsonl and the portal article, titles and bodies) and, for every entry, counts:

* **articles** holding each form, matched as query understanding matches it: whole words in
  a row, any case, a word written with accents only with those accents (either tone
  placement), one written without in any accented form; dots, hyphens and slashes separate
  words (``TP.HCM`` = ``TP HCM``);
* for each long form (a form with a lower-case word) beside the abbreviation (the entry's
  first form): whether the abbreviation **spells** the long form (each of its letters starts,
  or continues, a syllable of the long form in order: ``UBND`` = Ủy Ban Nhân Dân, ``ThS`` =
  THạc Sĩ, ``TP.HCM`` = Thành Phố Hồ Chí Minh; ``và``/``&`` may be skipped), how many articles
  hold **both**, and how many **define** one by the other in the text (``Ủy ban nhân dân
  (UBND)``, ``UBND (Ủy ban nhân dân)``).

An expansion is *plausible* when the abbreviation spells it, or the corpus defines one by the
other, or at least --together articles hold both, or a ``# source: ...`` comment line right above
the entry names the public source it was checked against (an English abbreviation the Vietnamese
press writes out in Vietnamese: ``EPL`` = Ngoại hạng Anh).  Printed: the entries with a form no
article holds (which need a public source instead) and the implausible pairs, then a summary;
--all prints every entry.  Exit status 1 when some pair is implausible, else 0.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import DEFAULT_DATA, NEWS, PORTAL, data_path, read_jsonl

from search import abbreviations
from search.parse import Syllable, syllables_of
from search.text import SYLLABLE_RE, fold, nfc, normalize_term

# Articles holding both forms that make a pair plausible without spelling or definition.
TOGETHER = 3
# Words a spelled-out abbreviation may skip ("KH&CN" = khoa học và công nghệ).
SKIPPED = {"va"}


@dataclass
class Text:
    """One article's words: normalised (case, tone placement) and folded, with each folded word's positions."""

    raw: str
    exact: list[str]
    folded: list[str]
    positions: dict[str, list[int]]

    @classmethod
    def of(cls, raw: str) -> Text:
        """Return the words of a text."""
        exact = [normalize_term(w) for w in SYLLABLE_RE.findall(nfc(raw))]
        folded = [fold(w) for w in exact]
        positions: dict[str, list[int]] = defaultdict(list)
        for at, word in enumerate(folded):
            positions[word].append(at)
        return cls(raw, exact, folded, positions)

    def holds(self, form: list[Syllable]) -> bool:
        """Tell whether the words of a form stand in a row here, accents as written."""
        for start in self.positions.get(form[0].folded, ()):
            if all(start + i < len(self.folded) and _same(s, self.exact[start + i], self.folded[start + i])
                   for i, s in enumerate(form)):
                return True
        return False


def _same(syllable: Syllable, exact: str, folded: str) -> bool:
    """Tell whether a text word is a form's syllable: exactly when written with accents, else folded."""
    return exact == syllable.exact if syllable.accented else folded == syllable.folded


def is_long(form: str) -> bool:
    """Tell whether a form is a long form: words written out, two or more, one with two lower-case
    letters ("ủy ban nhân dân", "Hà Nội"; not "ThS", "TP HCM", "Bộ GD-ĐT")."""
    words = SYLLABLE_RE.findall(form)
    return len(words) > 1 and any(sum(c.islower() for c in word) > 1 for word in words)


def spells(abbreviation: str, long_form: str) -> bool:
    """Tell whether the letters of an abbreviation stand for the syllables of a long form, in order.

    Each syllable gives its first letter and maybe more of its letters in order (``ThS`` = THạc
    Sĩ, ``TTg`` = Thủ TướnG); ``W`` stands for ``Ư`` as in Telex (``TW`` = Trung Ương).
    """
    letters = fold("".join(SYLLABLE_RE.findall(abbreviation)).lower())
    words = [fold(w.lower()) for w in SYLLABLE_RE.findall(long_form)]
    return _spells(letters, words) or _spells(letters.replace("w", "u"), words)


def _spells(letters: str, words: list[str]) -> bool:
    """Tell whether letters split into one chunk per word, each starting with the word's first letter
    and a subsequence of the word (SKIPPED words may give none)."""
    if not words:
        return not letters
    first, rest = words[0], words[1:]
    if first in SKIPPED and _spells(letters, rest):
        return True
    return any(letters[0] == first[0] and _subsequence(letters[1:n], first[1:]) and _spells(letters[n:], rest)
               for n in range(1, len(letters) + 1)) if letters else False


def _subsequence(part: str, word: str) -> bool:
    """Tell whether the letters of part appear in word in order."""
    remaining = iter(word)
    return all(letter in remaining for letter in part)


def defines(raw: str, abbreviation: str, long_form: str) -> bool:
    """Tell whether a text defines one form by the other in brackets ("Ủy ban nhân dân (UBND)")."""
    short, long = _pattern(abbreviation), _pattern(long_form)
    return bool(re.search(rf"{long}\s*\(\s*{short}\s*\)|{short}\s*\(\s*{long}\s*\)", raw, re.IGNORECASE))


def _pattern(form: str) -> str:
    """Return a regex of a form's words with any separator between them."""
    return r"[\s.\-/&]*".join(re.escape(w) for w in SYLLABLE_RE.findall(nfc(form)))


def corpus_texts(data: Path) -> list[Text]:
    """Return the words of every article of the news corpus and of the portal article."""
    texts = [Text.of(f"{a.get('title') or ''}\n{a.get('body') or ''}") for a in read_jsonl(data_path(data, NEWS))]
    portal = data_path(data, PORTAL)
    texts += [Text.of(path.read_text(encoding="utf-8-sig")) for path in sorted(portal.glob("*.txt"))]
    return texts


@dataclass
class Pair:
    """What the corpus says about one long form beside its abbreviation."""

    abbreviation: str
    long_form: str
    spelled: bool
    together: int
    defined: int
    sourced: bool = False

    @property
    def plausible(self) -> bool:
        return self.spelled or self.defined > 0 or self.together >= TOGETHER or self.sourced


def sourced_entries(lines: list[str]) -> set[str]:
    """Return the first forms of the entries right below a "# source: ..." comment line."""
    sourced, after_source = set(), False
    for line in (line.strip() for line in lines):
        if line.startswith("#"):
            after_source = line[1:].strip().lower().startswith("source:")
        elif line:
            if after_source:
                sourced.add(line.split("|")[0].strip())
            after_source = False
    return sourced


def check(entry: abbreviations.Entry, texts: list[Text], sourced: bool = False) -> tuple[dict[str, int], list[Pair]]:
    """Return ({form: articles holding it}, the pairs of the abbreviation and each long form); sourced:
    the entry names a public source."""
    holding = {form: {i for i, t in enumerate(texts) if t.holds(syllables_of(form))} for form in entry.forms}
    short = entry.forms[0]
    shorts = [f for f in entry.forms if not is_long(f)] or [short]
    short_docs = set().union(*(holding[f] for f in shorts))
    pairs = []
    # A shortened form ("TP Hồ Chí Minh") is two entries' forms put together: checked with them.
    for long_form in (f for f in entry.forms[1:] if is_long(f) and f not in entry.shortened):
        both = short_docs & holding[long_form]
        defined = sum(any(defines(texts[i].raw, s, long_form) for s in shorts) for i in both)
        pairs.append(Pair(short, long_form, any(spells(s, long_form) for s in shorts), len(both), defined, sourced))
    return {form: len(docs) for form, docs in holding.items()}, pairs


def describe(counts: dict[str, int], pairs: list[Pair]) -> str:
    """Return one line on an entry: its forms' article counts and each pair's evidence."""
    forms = " | ".join(f"{form} ({count})" for form, count in counts.items())
    evidence = "; ".join(
        f"{p.long_form}: {'spelled' if p.spelled else 'not spelled'}, {p.together} together, {p.defined} defined"
        f"{', sourced' if p.sourced else ''}{'' if p.plausible else '  IMPLAUSIBLE'}" for p in pairs)
    return f"{forms}  --  {evidence}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--synonyms", default=None, help="an operator's file of entries, checked too")
    parser.add_argument("--all", action="store_true", help="print every entry")
    args = parser.parse_args()
    dictionary = abbreviations.load(args.synonyms)
    texts = corpus_texts(args.data)
    extra = Path(args.synonyms).read_text(encoding="utf-8").splitlines() if args.synonyms else []
    sourced = (sourced_entries(abbreviations.shipped_lines()) | sourced_entries(abbreviations.shipped_lines(
        abbreviations.LOANWORDS)) | sourced_entries(extra))
    unattested, implausible, spelled, attested_pairs = [], [], 0, 0
    for entry in dictionary.entries:
        counts, pairs = check(entry, texts, entry.forms[0] in sourced)
        line = describe(counts, pairs)
        if args.all:
            print(line)
        if any(not count for count in counts.values()):
            unattested.append(line)
        implausible += [p for p in pairs if not p.plausible]
        spelled += sum(p.spelled for p in pairs)
        attested_pairs += sum(not p.spelled and p.plausible for p in pairs)
    pairs_total = spelled + attested_pairs + len(implausible)
    print(f"\n{len(dictionary.entries)} entries, {len(texts)} articles; {pairs_total} pairs of an abbreviation "
          f"and a long form: {spelled} spelled by the abbreviation, {attested_pairs} attested by the corpus "
          f"(defined in brackets, or {TOGETHER}+ articles holding both) or a public source, "
          f"{len(implausible)} implausible")
    print(f"\nentries with a form no article holds ({len(unattested)}; check them against a public source):")
    for line in unattested:
        print(f"  {line}")
    print(f"\nimplausible pairs ({len(implausible)}):")
    for pair in implausible:
        print(f"  {pair.abbreviation} = {pair.long_form}: not spelled, {pair.together} articles holding both, "
              f"{pair.defined} defining one by the other")
    sys.exit(1 if implausible else 0)


if __name__ == "__main__":
    main()
