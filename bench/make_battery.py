"""Build bench/queries/battery.jsonl: reader queries over ../shared/data with judged answers.

Usage: python bench/make_battery.py [--data ../shared/data] [--out bench/queries/battery.jsonl]

Each line is ``{"query", "category", "relevant": [article ids], "source": what it was made from}``.
Relevance is judged from the articles' text, never from vnsearch's output:

* Most queries are 2-5 consecutive words of a real title, typed the way a reader would
  (with accents, without, in Telex or VNI without an input method, with one slip of the finger,
  with a name run together, an abbreviation for its long form or the other way round, a
  number written another way); the answers are the articles whose title holds those words
  in a row (``TitleIndex.containing`` of the original words, or of any equivalent form).
* ``HANDWRITTEN`` queries name their answers by a pattern over title and body, checked by
  reading the matching articles (see the comment next to each).

Categories: ``telex`` (Telex/VNI typing and typos), ``runtogether``, ``abbreviation``,
``number``, ``amount`` (handwritten: amounts in shorthand), ``accented``, ``unaccented``.  The output is
deterministic (seeded).

It also writes bench/queries/recency.jsonl (category ``recency``, run with ``bench_battery.py
--battery bench/queries/recency.jsonl``): a subject of the news (``RECENCY_SUBJECTS``, two title
words that recur over several days) followed by "hôm nay", as written and without accents.  Its
answers are the newest of the articles a reader asking for today's news of that subject wants:
those whose title holds the subject's words in a row and whose title or body says "hôm nay",
published on the last day (Vietnam time) any of them was.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import (
    DEFAULT_DATA,
    NEWS,
    PORTAL,
    SEED,
    TitleIndex,
    data_path,
    read_jsonl,
    record_day,
    title_words,
    unaccented,
)

OUT = Path(__file__).resolve().parent / "queries" / "battery.jsonl"
RECENCY_OUT = OUT.parent / "recency.jsonl"
# Subjects of the news corpus's titles held, with "hôm nay" in the text, by articles of at least
# three days (bigrams of titles; noun phrases picked by hand from the 340 that recur, the answers
# left to the rule in ``recency_queries``).
RECENCY_SUBJECTS = (
    "việt nam", "đội tuyển", "cầu thủ", "bóng đá", "hà nội", "nam định", "thái lan", "giá vàng",
    "ngân hàng", "asean cup", "chung kết", "bình dương", "cổ phiếu", "vàng miếng", "trung quốc",
    "thế giới", "quang hải", "hải phòng", "công phượng", "nhập tịch", "tp hcm", "sài gòn",
    "miền bắc", "bóng chuyền", "trọng tài", "hlv troussier", "kỷ lục", "hà tĩnh",
)
_TODAY_RE = re.compile(r"hôm nay", re.IGNORECASE)
TONE_KEYS_TELEX = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
TONE_KEYS_VNI = {"\u0301": "1", "\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5"}
# Vowel-quality marks: (base letter, mark) -> Telex keys / VNI digit.
TELEX_LETTERS = {"â": "aa", "ê": "ee", "ô": "oo", "ă": "aw", "ơ": "ow", "ư": "uw", "đ": "dd"}
VNI_LETTERS = {"â": "a6", "ê": "e6", "ô": "o6", "ă": "a8", "ơ": "o7", "ư": "u7", "đ": "d9"}
_TONES = "\u0300\u0301\u0303\u0309\u0323"
# Abbreviation <-> long form pairs used to write abbreviation queries (each form occurs in titles).
ABBREVIATIONS = [
    ("HLV", "huấn luyện viên"), ("CLB", "câu lạc bộ"), ("TP HCM", "Thành phố Hồ Chí Minh"),
    ("TPHCM", "TP.HCM"), ("CSGT", "cảnh sát giao thông"), ("ĐH", "đại học"), ("THPT", "trung học phổ thông"),
    ("HĐND", "hội đồng nhân dân"), ("UBND", "ủy ban nhân dân"), ("BHYT", "bảo hiểm y tế"),
    ("BHXH", "bảo hiểm xã hội"), ("ĐBQH", "đại biểu Quốc hội"), ("VFF", "Liên đoàn Bóng đá Việt Nam"),
    ("NHNN", "Ngân hàng Nhà nước"), ("THCS", "trung học cơ sở"), ("TAND", "tòa án nhân dân"),
]


def strip_tone(syllable: str) -> tuple[str, str]:
    """Return (syllable without its tone mark, the tone mark or '')."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tone = "".join(c for c in decomposed if c in _TONES)
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return bare, tone[:1]


def typed_without_ime(word: str, letters: dict[str, str], tones: dict[str, str], rng: random.Random) -> str:
    """Return a word as typed in Telex or VNI without an input method (tone key last, or mid-word)."""
    bare, tone = strip_tone(word)
    out = []
    for ch in bare:
        lower = ch.lower()
        keys = letters.get(lower, ch)
        out.append(keys if ch == lower else keys[:1].upper() + keys[1:])
    text = "".join(out)
    if tone:
        key = tones[tone]
        if rng.random() < 0.25 and re.search(r"[aeiouy][^aeiouy]+$", text, re.I):
            # Some people press the tone key right after the vowels, before the final consonants.
            match = re.search(r"[aeiouy][^aeiouy]+$", text, re.I)
            text = text[: match.start() + 1] + key + text[match.start() + 1 :]
        else:
            text += key
    return text


def telex(text: str, rng: random.Random) -> str:
    """Return text typed in Telex without an input method."""
    return re.sub(r"[^\W\d_]+", lambda m: typed_without_ime(m.group(), TELEX_LETTERS, TONE_KEYS_TELEX, rng), text)


def vni(text: str, rng: random.Random) -> str:
    """Return text typed in VNI without an input method."""
    return re.sub(r"[^\W\d_]+", lambda m: typed_without_ime(m.group(), VNI_LETTERS, TONE_KEYS_VNI, rng), text)


KEYBOARD_NEIGHBOURS = dict(zip("qwertyuiopasdfghjklzxcvbnm", [
    "wa", "qes", "wrd", "etf", "ryg", "tuh", "yij", "uok", "ipl", "ol", "qsz", "adwx", "sfec", "dgrv",
    "fhtb", "gjyn", "hkum", "jli", "kop", "xas", "zcsd", "xvdf", "cbfg", "vngh", "bmhj", "nj"]))


def typo(text: str, rng: random.Random) -> str | None:
    """Return unaccented text with one slip of the finger in its longest word (None if too short)."""
    words = unaccented(text).split()
    index = max(range(len(words)), key=lambda i: (len(words[i]), -i))
    word = words[index]
    if len(word) < 4 or not word.isalpha():
        return None
    at = rng.randint(1, len(word) - 2)
    kind = rng.choice(["swap", "drop", "neighbour", "double"])
    if kind == "swap":
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    elif kind == "drop":
        word = word[:at] + word[at + 1 :]
    elif kind == "neighbour":
        word = word[:at] + rng.choice(KEYBOARD_NEIGHBOURS.get(word[at], word[at])) + word[at + 1 :]
    else:
        word = word[:at] + word[at] + word[at:]
    words[index] = word
    return " ".join(words)


def fragments(titles: list[str], rng: random.Random, size=(3, 5)) -> list[str]:
    """Return one fragment of size words from each title that has enough words."""
    out = []
    for title in titles:
        words = title_words(title)
        if len(words) < size[0]:
            continue
        length = rng.randint(size[0], min(size[1], len(words)))
        start = rng.randint(0, len(words) - length)
        out.append(" ".join(words[start : start + length]))
    return out


def plain(titles, index, rng, count, category, transform) -> list[dict]:
    """Return count queries made from title fragments by transform (None skips one)."""
    queries = []
    for fragment in fragments(titles, rng):
        if len(queries) >= count:
            break
        query = transform(fragment)
        relevant = index.containing(fragment)
        if query and relevant and len(relevant) <= 20:
            queries.append({"query": query, "category": category, "relevant": sorted(relevant), "source": fragment})
    return queries


_NAME_RE = re.compile(r"\b([A-ZĐÂĂÊÔƠƯ][^\W\d_]*(?: [A-ZĐÂĂÊÔƠƯ][^\W\d_]*){1,2})\b")
MAX_JOINED = 14


def run_together(titles, index, rng, count) -> list[dict]:
    """Return queries where a name of two or three syllables in a title fragment is typed as one word."""
    queries = []
    for fragment in fragments(titles, rng, (2, 4)):
        if len(queries) >= count:
            break
        names = [m for m in _NAME_RE.finditer(fragment) if m.start() > 0]  # a name, not a title's first word
        if not names:
            continue
        name = names[0]
        joined = unaccented(name.group()).replace(" ", "")
        query = unaccented(fragment[: name.start()]) + joined + unaccented(fragment[name.end() :])
        relevant = index.containing(fragment)
        if relevant and len(relevant) <= 20 and 5 <= len(joined) <= MAX_JOINED:
            queries.append({"query": query, "category": "runtogether", "relevant": sorted(relevant),
                            "source": fragment})
    return queries


def abbreviation_queries(titles, index, rng, count) -> list[dict]:
    """Return queries with an abbreviation of a title written as its long form, or the other way round."""
    queries, seen = [], set()
    rng.shuffle(titles)
    for title in titles:
        if len(queries) >= count:
            break
        for short, long in ABBREVIATIONS:
            for have, want in ((short, long), (long, short)):
                match = re.search(r"(?<!\w)" + re.escape(have) + r"(?!\w)", title, re.IGNORECASE)
                if not match or ((have, want) in seen and rng.random() < 0.6):
                    continue
                words_before = title[: match.start()].split()[-1:]
                words_after = title[match.end() :].split()[:2]
                fragment = " ".join([*words_before, match.group(), *words_after])
                fragment = " ".join(title_words(fragment))
                query = " ".join([*words_before, want, *words_after])
                query = " ".join(title_words(query))
                relevant = index.containing(fragment) | index.containing(query)
                if len(relevant) > 20 or len(title_words(fragment)) < 2:
                    continue
                if rng.random() < 0.4:
                    query = unaccented(query)
                seen.add((have, want))
                queries.append({"query": query, "category": "abbreviation", "relevant": sorted(relevant),
                                "source": fragment})
                break
            else:
                continue
            break
    return queries


_THOUSANDS_RE = re.compile(r"\b\d{1,3}(?:\.\d{3})+\b")
_DATE_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\b")


def number_queries(titles, index, rng, count) -> list[dict]:
    """Return queries with a number of a title written another way (no thousands dots, padded dates)."""
    queries = []
    rng.shuffle(titles)
    for title in titles:
        if len(queries) >= count:
            break
        match = _THOUSANDS_RE.search(title) or _DATE_RE.search(title)
        if not match:
            continue
        words = title.split()
        position = len(title[: match.start()].split())
        fragment = " ".join(title_words(" ".join(words[max(0, position - 1) : position + 2])))
        if match.re is _THOUSANDS_RE:
            rewritten = match.group().replace(".", "")
        else:
            day, month, year = match.groups()
            rewritten = f"{int(day):02d}/{int(month):02d}" + (f"/{year}" if year else "")
            if rewritten == match.group():
                rewritten = f"{int(day)}/{int(month)}" + (f"/{year}" if year else "")
        query = fragment.replace(match.group(), rewritten)
        if query == fragment:
            continue
        relevant = index.containing(fragment)
        if relevant and len(relevant) <= 20:
            queries.append({"query": query if rng.random() < 0.6 else unaccented(query), "category": "number",
                            "relevant": sorted(relevant), "source": fragment})
    return queries


# Queries written by hand; answers are articles whose title or body matches the pattern (the
# matches were read to confirm they answer the query).
HANDWRITTEN = [
    # The examples and similar ones.
    ("chir thij 05 booj chinhs trij", "telex", r"Chỉ thị 05 của Bộ Chính trị"),
    ("Vieetj Nam ddeesn Malaysia", "telex", r"^Đội tuyển Việt Nam đến Malaysia"),
    ("gias xawng daauf tawng", "telex", r"^Giá xăng dầu tăng"),
    ("ha2 no65i ca61m xe xa8ng", "telex", r"Hà Nội sắp cấm xe xăng"),
    ("hanoi cam xe xang", "runtogether", r"Hà Nội sắp cấm xe xăng"),
    ("covid19 tai my", "runtogether", r"^Gần 100.000 ca Covid-19 tại Mỹ"),
    ("kiengiang", "runtogether", r"Kiên Giang"),
    ("parkhangseo", "runtogether", r"Park Hang[- ][Ss]eo"),
    ("iphone17 pro max", "runtogether", r"iPhone 17 Pro Max"),
    # Words of another language run together, whose pieces are in few or no titles.
    ("sarscov2", "runtogether", r"SARS-CoV-2"),
    ("realmadrid", "runtogether", r"Real Madrid"),
    ("championsleague", "runtogether", r"Champions League"),
    ("premierleague", "runtogether", r"Premier League"),
    ("manchesterunited", "runtogether", r"Manchester United"),
    ("euro2024", "runtogether", r"EURO 2024|Euro 2024"),
    # Typed with caps lock on.
    ("COONG PHUWOWNGJ ROWIF TUYEENR VIEETJ NAM", "telex", r"^Công Phượng rời tuyển Việt Nam"),
    ("THUR TUWOWNGS YEEU CAAUF CHAANS CHINHR THIJ TRUWOWNGF VANGF", "telex", r"chấn chỉnh thị trường vàng"),
    ("BA4O TUYE61T CA2N QUE1T MIE62N NAM", "telex", r"^Bão tuyết càn quét miền nam"),
    # i for y as the school's rule writes it (kĩ, lí, Mĩ, tỉ, kỉ), with and without accents.
    ("giải khoa học kĩ thuật quốc tế", "accented", r"^Học sinh Việt Nam giành 6 giải Khoa học kỹ thuật"),
    ("công ty tây ban nha quản lí dự án đường sắt", "accented", r"quản lý dự án đường sắt tốc độ cao"),
    ("ngân hàng có tỉ lệ CASA cao", "accented", r"tỷ lệ CASA cao"),
    ("tình báo Mĩ", "accented", r"^Tình báo Mỹ không bắt kịp"),
    ("viet nam lap ki luc vo dich asean cup", "unaccented", r"^Việt Nam lập nhiều kỷ lục khi vô địch ASEAN Cup"),
    ("bao thai lan chi ra 5 li do", "unaccented", r"^Báo Thái Lan chỉ ra 5 lý do"),
    ("tphcm khong to chuc hdnd", "abbreviation", r"không tổ chức HĐND"),
    # Abbreviations of a team, public services and courts (answers by the body when no title has them).
    ("dtvn thua dam nam dinh", "abbreviation", r"^Đội tuyển Việt Nam thua đậm Nam Định"),
    ("tthc", "abbreviation", r"[Tt]hủ tục hành chính|TTHC"),
    ("cđs", "abbreviation", r"[Cc]huyển đổi số|CĐS"),
    ("tandtc", "abbreviation", r"[Tt][oò][aà] án nhân dân tối cao|TAND tối cao|TANDTC"),
    ("hội đồng nhân dân phường thành phố hồ chí minh", "abbreviation", r"không tổ chức HĐND"),
    ("1000 tỷ", "number", r"1\.000 tỷ"),
    ("nghị định 46", "number", r"Nghị định 46"),
    ("chỉ thị 5 bộ chính trị", "number", r"Chỉ thị 05"),
    ("chỉ thị 05-CT/WT", "number", r"05-CT/WT"),
    ("chi thi 11-CT/TW", "number", r"11-CT/TW"),
    ("86/2015/NĐ-CP", "number", r"86/2015/NĐ-CP"),
    ("nghi dinh 168/2024", "number", r"168/2024/NĐ-CP"),
    ("nđ 100/2019/nđ-cp", "number", r"100/2019/NĐ-CP"),
    ("nghị định 116/2020", "number", r"116/2020/NĐ-CP"),
    ("21/08/2019 chi thi 05", "number", r"Chỉ thị 05"),
    # A document's whole number, which articles cite by its kind and number.
    ("05-CT/TW", "number", r"Chỉ thị 05"),
    ("57-NQ/TW", "number", r"Nghị quyết 57"),
    ("29-NQ/TW", "number", r"Nghị quyết 29|29[/-]NQ-TƯ"),
    # Amounts in shorthand, as readers say them (k: nghìn, tr: triệu); titles write them out.
    ("vé xem đội tuyển việt nam 500k", "amount", r"^Vé xem đội tuyển Việt Nam đắt nhất là 500\.000 đồng"),
    ("ve tran ra mat kim sang sik 600k", "amount", r"^Vé trận ra mắt HLV Kim Sang-sik cao nhất là 600\.000"),
    ("khánh hoà thưởng 50tr một bàn", "amount", r"^Khánh Hoà thưởng 50 triệu đồng một bàn"),
    ("cược bóng đá quốc tế tối đa 10tr", "amount", r"cược bóng đá quốc tế tối đa 10 triệu"),
    ("đồng hồ casio giá 1tr", "amount", r"^Casio hồi sinh .* giá chỉ 1 triệu đồng"),
    ("dam thu trang xach tui 600tr", "amount", r"^Đàm Thu Trang xách túi hơn 600 triệu"),
    ("iphone pro max khung thép dưới 11tr", "amount", r"iPhone Pro Max khung thép dưới 11 triệu"),
    ("một ngày sống ở hà nội với 690k", "amount", r"một ngày sống ở Hà Nội với 690\.000 đồng"),
    ("nguoi nhen du day kiem 800k moi ngay", "amount", r"đu dây trên cao ốc kiếm 800\.000 đồng mỗi ngày"),
    ("cặp đào thất thốn 800 tr", "amount", r"cặp đào Thất Thốn giá 800 triệu"),
    ("phạt 5tr quay csgt", "amount", r"phạt 5 triệu đồng người tự ý quay CSGT"),
    ("ceo yeah1 lương 300tr", "amount", r"^CEO Yeah1 lương gần 300 triệu"),
    ("thịt lợn ngoại 50k/kg", "amount", r"thịt lợn ngoại .* 50\.000 đồng/kg"),
    ("vàng mini giá từ 1tr", "amount", r"vàng mini giá từ 1 triệu đồng"),
    ("cụ đào giá thuê 120tr", "amount", r"^Cụ đào .* giá thuê 120 triệu đồng"),
    ("chồng gửi vợ cũ hơn 200tr", "amount", r"chồng gửi cho vợ cũ hơn 200 triệu"),
]


def handwritten(articles: list[dict]) -> list[dict]:
    """Return the handwritten queries with the articles their pattern matches (title first, else body)."""
    queries = []
    for query, category, pattern in HANDWRITTEN:
        regex = re.compile(pattern)
        relevant = {a["id"] for a in articles if regex.search(a.get("title") or "")}
        if not relevant:
            relevant = {a["id"] for a in articles if regex.search(a.get("body") or "")}
        if not relevant:
            sys.exit(f"handwritten query {query!r}: nothing matches {pattern!r}")
        queries.append({"query": query, "category": category, "relevant": sorted(relevant), "source": pattern})
    return queries


def recency_queries(articles: list[dict], index: TitleIndex) -> list[dict]:
    """Return "<subject> hôm nay" for every recency subject, as written and unaccented, answered by
    the newest day's articles about the subject that say "hôm nay"."""
    by_id = {article["id"]: article for article in articles}
    queries = []
    for subject in RECENCY_SUBJECTS:
        saying_today = [by_id[i] for i in sorted(index.containing(subject))
                        if _TODAY_RE.search(f"{by_id[i].get('title') or ''}\n{by_id[i].get('body') or ''}")]
        days = {article["id"]: record_day(article.get("published")) for article in saying_today}
        if len(set(days.values()) - {0}) < 3:
            sys.exit(f"recency subject {subject!r}: fewer than three days of articles saying 'hôm nay'")
        newest = max(days.values())
        relevant = sorted(i for i, day in days.items() if day == newest)
        for query in (f"{subject} hôm nay", unaccented(f"{subject} hôm nay")):
            queries.append({"query": query, "category": "recency", "relevant": relevant,
                            "source": f"{subject} (newest day {newest})"})
    return queries


def portal_articles(data: Path) -> list[dict]:
    """Return the portal articles with their ids (path relative to portal/) and title lines."""
    articles = []
    for path in sorted(data_path(data, PORTAL).glob("*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        articles.append({"id": path.name, "title": lines[3], "body": "\n".join(lines[4:])})
    return articles


def build(data: Path) -> list[dict]:
    """Return the whole battery."""
    articles = read_jsonl(data_path(data, NEWS)) + portal_articles(data)
    index = TitleIndex(articles)
    titles = sorted({a["title"].strip() for a in articles if (a.get("title") or "").strip()})
    rng = random.Random(SEED)
    shuffled = titles[:]
    rng.shuffle(shuffled)
    parts = iter([shuffled[i::6] for i in range(6)])
    battery = handwritten(articles)
    battery += plain(next(parts), index, rng, 14, "telex", lambda f: telex(f, rng))
    battery += plain(next(parts), index, rng, 14, "telex", lambda f: vni(f, rng))
    battery += plain(next(parts), index, rng, 10, "telex", lambda f: typo(f, rng))
    battery += run_together(next(parts), index, rng, 22)
    battery += abbreviation_queries(titles[:], index, rng, 28)
    battery += number_queries(titles[:], index, rng, 22)
    battery += plain(next(parts), index, rng, 20, "accented", lambda f: f)
    battery += plain(next(parts), index, rng, 20, "unaccented", unaccented)
    unique = {entry["query"].lower(): entry for entry in battery}
    return list(unique.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--recency-out", type=Path, default=RECENCY_OUT)
    args = parser.parse_args()
    write(build(args.data), args.out)
    news = read_jsonl(data_path(args.data, NEWS))
    write(recency_queries(news, TitleIndex(news)), args.recency_out)


def write(battery: list[dict], out: Path) -> None:
    """Write a battery as JSON Lines and say what it holds."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as handle:
        for entry in battery:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    counts = {}
    for entry in battery:
        counts[entry["category"]] = counts.get(entry["category"], 0) + 1
    print(f"{len(battery)} queries -> {out}: {counts}")


if __name__ == "__main__":
    main()
