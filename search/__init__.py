"""vnsearch's core library: text analysis, articles, the index and search (no web code)."""
