"""Build the demo corpus shipped in vnsearch/demo/ from ../shared/data (run by developers).

Takes every Underthesea News Corpus (CP_Vietnamese-UNC, GPL-3.0) article that has a headline
and a date, and the Kiên Giang portal article.  The UNC topic labels are replaced by the
names of the Dân trí sections they stand for (``search.categories``, as the indexer reads them),
so the demo's file reads as it is indexed; nothing else is changed.
"""

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DEMO = ROOT / "vnsearch" / "demo"
sys.path.insert(0, str(ROOT))
from search.categories import category_name  # noqa: E402  (the repository's root, put on the path above)


def main() -> None:
    """Write vnsearch/demo/articles.jsonl and copy the portal article."""
    articles = []
    with open(SHARED / "news" / "articles.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["origin"].startswith("undertheseanlp/") and record["title"] and record["published"]:
                articles.append({
                    "id": record["id"],
                    "title": record["title"],
                    "category": category_name(record["category"]),
                    "published": record["published"],
                    "url": record["source_url"],
                    "source": record["publisher"],
                    "body": record["body"],
                })
    (DEMO / "portal").mkdir(parents=True, exist_ok=True)
    with open(DEMO / "articles.jsonl", "w", encoding="utf-8") as out:
        for article in articles:
            out.write(json.dumps(article, ensure_ascii=False) + "\n")
    for path in (SHARED / "portal").glob("*.txt"):
        shutil.copyfile(path, DEMO / "portal" / path.name)
    print(f"{len(articles)} articles written to {DEMO / 'articles.jsonl'}", file=sys.stderr)


if __name__ == "__main__":
    main()
