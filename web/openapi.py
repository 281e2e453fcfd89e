"""The hand-written OpenAPI 3.0 description of the JSON API (served at /api/openapi.json).

tests/test_api.py validates real responses of every endpoint against these schemas
(``additionalProperties: false`` everywhere), so a field added or renamed in ``search``
fails the tests until it is described here.
"""

from __future__ import annotations

import copy

from search.autocomplete import MAX_COMPLETIONS, MAX_QUERY_COMPLETIONS
from search.request import DEFAULT_PAGE_SIZE, MATCH_MODES, MAX_PAGE, MAX_PAGE_SIZE, SORTS, TIERS


def _string(description: str = "", **extra) -> dict:
    """Return a string schema."""
    return {"type": "string", **({"description": description} if description else {}), **extra}


def _nullable_string(description: str, **extra) -> dict:
    """Return a string schema that may be null."""
    return {**_string(description, **extra), "nullable": True}


def _object(properties: dict, description: str) -> dict:
    """Return a described, closed object schema whose properties are all required."""
    return {"type": "object", "description": description, "required": list(properties),
            "additionalProperties": False, "properties": properties}


def _ref(name: str) -> dict:
    """Return a reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    """Return a JSON response object."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict, description: str, **extra) -> dict:
    """Return a query-string parameter."""
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description, **extra}


def _match_parameter(description: str) -> dict:
    """Return the match parameter (a tier, or 'auto')."""
    return _query("match", _string(enum=list(MATCH_MODES), default="auto"), description)


_ERRORS = {
    "400": _json(_ref("Error"), "A parameter is invalid (code `bad_parameter`, `param` names it)."),
    "500": _json(_ref("Error"), "Unexpected server error (no details are given)."),
    "503": _json(_ref("Error"), "There is no index yet (code `index_missing`): run `vnsearch reindex`; or the "
                                "index is damaged (code `index_damaged`, `problems` names the files): run "
                                "`vnsearch check`, then `vnsearch reindex --full`; or no node of the search "
                                "cluster answers (code `backend_unavailable`)."),
}

# What a hit and a whole article both say of the article.
_ARTICLE_FIELDS = {
    "title": _string("Title as plain text."),
    "title_derived": {"type": "boolean", "description": "True when the title was taken from the body."},
    "url": _nullable_string("Where the article was published (not necessarily http)."),
    "published": _nullable_string("Publication time, ISO 8601 with UTC offset.", format="date-time"),
    "category": _nullable_string("The article's section, by its Vietnamese name where search/data/categories.txt "
                                 "lists the value its source gave (else that value)."),
    "source": _nullable_string("The site or portal the article comes from (a host name for news)."),
    "portal": _nullable_string("Portal name, for portal pages."),
}

_HIT = _object({
    "id": _string("Article id (any characters; quote it in URLs)."),
    **_ARTICLE_FIELDS,
    "title_html": _string("Title, HTML-escaped, query words in <mark> (the only tag)."),
    "snippet": _string("Up to three fragments around the best matches, HTML-escaped, words in <mark>."),
    "score": {"type": "number", "description": "Relevance score (0 without a query)."},
}, "One article of the page.")

_FACET_ITEM = _object({
    "value": _string("The parameter value that selects this entry ('none': undated / unlabelled)."),
    "label": _string("What to show (Vietnamese)."),
    "count": {"type": "integer", "minimum": 0, "description": "How many results hold this value."},
    "selected": {"type": "boolean", "description": "True when a filter keeps this value."},
}, "One value of a facet.")

_FACET_LIST = {"type": "array", "items": _ref("FacetItem")}

_SEARCH_RESULT = _object({
    "query": _string("The query as understood (cleaned, possibly truncated)."),
    "total": {"type": "integer", "minimum": 0, "description": "How many articles the query found (all pages)."},
    "page": {"type": "integer", "minimum": 1, "description": "This page's number."},
    "size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "description": "Hits per page."},
    "pages": {"type": "integer", "minimum": 1, "description": "How many pages the results fill (at least 1)."},
    "sort": _string("The order of the hits.", enum=list(SORTS)),
    "matching": _string("'all': every word matched; 'most': a long query (a question) whose articles "
                        "hold at least a fifth of its words, ranked by score; 'any': too few articles held "
                        "the words, so any one of them matched.", enum=["all", "most", "any"]),
    "match": _string("The tier asked for (the match parameter).", enum=list(MATCH_MODES)),
    "tier": _string("The tier the result set was answered from: 'together' (every word within 2n syllables "
                    "of the title or body), 'all' (every word anywhere) or 'most' (half of the words).",
                    enum=list(TIERS)),
    "accents": _string("'exact': syllables typed with diacritics matched only those diacritics; 'folded': no "
                       "article held them, so every spelling matched.", enum=["exact", "folded"]),
    "wider": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
              "description": "For each tier wider than the one answered from, how many more articles "
                             "(within the same filters) it would add."},
    "took_ms": {"type": "number", "minimum": 0, "description": "Milliseconds the search took."},
    "suggestion": _nullable_string("A better spelled query (\"did you mean\"), or null."),
    "corrected": {**_object({
        "typed": _string("The query as typed (it found no article holding all its words)."),
        "searched": _string("Its \"did you mean\" query, whose results these are."),
    }, "Set when the results are those of the \"did you mean\" query (see the correct parameter)."), "nullable": True},
    "notices": {"type": "array", "items": _string(), "description": "Messages for the reader (Vietnamese)."},
    "limited": {"type": "array",
                "items": _string(enum=["terms", "common_words", "typo_correction", "readings", "suggestion",
                                       "ranked_articles"]),
                "description": "The per-query work bounds the query reached (each also gives a notice)."},
    "hits": {"type": "array", "items": _ref("Hit"), "description": "This page's articles, in order."},
    "facets": _object({name: {**_FACET_LIST, "description": f"The results' counts by {name}."}
                       for name in ("year", "month", "category", "source")},
                      "Counts over all results, each facet ignoring its own filter."),
    "filters": _object({
        "from": _nullable_string("The first day kept (the from parameter).", format="date"),
        "to": _nullable_string("The last day kept (the to parameter).", format="date"),
        "year": _nullable_string("The year kept ('none': undated articles)."),
        "month": _nullable_string("The month kept, YYYY-MM."),
        "category": {"type": "array", "items": _string(), "description": "The categories kept (any of them)."},
        "source": {"type": "array", "items": _string(), "description": "The sources kept (any of them)."},
    }, "The active filters."),
    "partial": {"type": "boolean", "description": "True when part of the index (a node of a search cluster) "
                "did not answer: hits and counts cover only the parts that did."},
}, "A page of results, with the whole result set's total and facets.")

_ARTICLE = _object({
    "id": _string("Article id."),
    **_ARTICLE_FIELDS,
    "title_html": _string("Title, HTML-escaped, the words of q in <mark>."),
    "body": _string("The whole text."),
    "body_html": _string("The whole text, HTML-escaped, the words of q in <mark>."),
}, "A whole article.")

_SUGGESTIONS = _object({
    "query": _string("What was typed, cleaned."),
    "suggestions": {
        "type": "array",
        "maxItems": MAX_COMPLETIONS,
        "items": _object({
            "text": _string("An article title completing what was typed."),
            "html": _string("The title HTML-escaped, typed words in <mark>."),
            "id": _string("The article's id."),
            "derived": {"type": "boolean", "description": "The title was derived from the article's first sentence."},
            "url": _string("The article page's address."),
        }, "A title completing what was typed."),
        "description": "Titles completing what was typed, best first.",
    },
    "completions": {
        "type": "array",
        "maxItems": MAX_QUERY_COMPLETIONS,
        "items": _object({
            "text": _string("A frequent phrase of the titles completing what was typed: a query to run."),
            "html": _string("The phrase HTML-escaped."),
            "count": {"type": "integer", "minimum": 1, "description": "How many titles hold it."},
        }, "A query completing what was typed."),
        "description": "Frequent phrases of the titles completing what was typed, most frequent first.",
    },
}, "Autocomplete's answer.")

_HEALTH = _object({
    "status": _string("'degraded' (with status 503) while a node of a search cluster is down.",
                      enum=["ok", "degraded"]),
    "documents": {"type": "integer", "minimum": 0, "description": "How many articles are served."},
    "last_reindex": _nullable_string("When the last reindex committed (ISO 8601).", format="date-time"),
    "generation": _string("The index generation (or search cluster) being served."),
}, "The index being served.")
_HEALTH["properties"]["nodes"] = {
    "type": "array", "description": "With a search cluster: each node's address, shard and state.",
    "items": {"type": "object", "description": "A node of the cluster.", "required": ["node", "shard", "state"],
              "additionalProperties": False, "properties": {
                  "node": _string("The node's address."),
                  "shard": _string("The shard it holds."),
                  "state": _string("Whether it answered.", enum=["up", "down"]),
                  "documents": {"type": "integer", "minimum": 0, "description": "How many articles its shard holds."},
                  "error": _string("Why it did not answer (a down node only)."),
              }},
}

_ERROR = _object({
    "error": {
        "type": "object",
        "description": "What went wrong.",
        "required": ["code", "message"],
        "additionalProperties": False,
        "properties": {
            "code": _string("What kind of error, for programs.", enum=[
                "bad_parameter", "not_found", "method_not_allowed", "index_missing", "index_damaged", "internal_error",
                "bad_request", "too_large", "uri_too_long", "headers_too_large", "http_error", "backend_unavailable"]),
            "message": _string("What went wrong (English)."),
            "param": _string("The parameter at fault (bad_parameter only)."),
            "problems": {
                "type": "array",
                "description": "Each damaged file of the index and what is wrong (index_damaged only).",
                "items": _object({
                    "file": _string("The file (or generation folder) at fault, by name."),
                    "kind": _string("Which check failed (missing, unreadable, size, header, checksum, decode, "
                                    "statistics, source)."),
                    "problem": _string("What is wrong with it."),
                }, "A damaged file."),
            },
        },
    },
}, "An error (the body of every 4xx and 5xx answer).")

_SEARCH_PARAMETERS = [
    _query("q", _string(), "The query, with or without diacritics. Supports \"phrases\", -exclusions, "
                           "title:word, category:… and source:…. Empty: list articles newest first."),
    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, "Page of hits."),
    _query("size", {"type": "integer", "minimum": 1, "default": DEFAULT_PAGE_SIZE},
           f"Hits per page; larger values are capped at {MAX_PAGE_SIZE}."),
    _query("sort", _string(enum=list(SORTS), default="relevance"), "Order of hits."),
    _match_parameter("The tier to answer from: 'auto' (the tightest that finds something), 'together', "
                     "'all' or 'most'."),
    _query("correct", _string(enum=["1", "0"], default="1"),
           "'1': when the query finds no article holding all its words and its \"did you mean\" query does, "
           "answer with that query's results (see `corrected`); '0': answer the query as typed."),
    _query("from", _string(format="date"), "Only articles published on or after this day (YYYY-MM-DD)."),
    _query("to", _string(format="date"), "Only articles published on or before this day (YYYY-MM-DD)."),
    _query("year", _string(pattern=r"^(\d{4}|none)$"), "Only articles of this year ('none': undated)."),
    _query("month", _string(pattern=r"^\d{4}-(0?[1-9]|1[0-2])$"),
           "Only articles of this month, YYYY-MM (a month number 1-12 is also accepted with year)."),
    _query("category", {"type": "array", "items": _string()}, "Only these categories (repeatable; any of them).",
           style="form", explode=True),
    _query("source", {"type": "array", "items": _string()}, "Only these sources (repeatable; any of them).",
           style="form", explode=True),
]

_DOCUMENT = {
    "openapi": "3.0.3",
    "info": {
        "title": "vnsearch",
        "version": "1",
        "description": "Full-text search over Vietnamese articles, with or without diacritics. "
                       "Every error has the shape {\"error\": {\"code\", \"message\"}}.",
    },
    "servers": [{"url": "/"}],
    "paths": {
        "/api/search": {
            "get": {
                "operationId": "search",
                "summary": "Search articles: ranked hits with snippets, facets and a suggestion.",
                "parameters": _SEARCH_PARAMETERS,
                "responses": {"200": _json(_ref("SearchResult"), "The page of results."), **_ERRORS},
            }
        },
        "/api/articles/{id}": {
            "get": {
                "operationId": "article",
                "summary": "Return a whole article.",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": _string(),
                     "description": "The article id, percent-encoded ('/' may stay as it is)."},
                    _query("q", _string(), "Mark the words of this query in the title and body."),
                    _match_parameter("Mark them as this tier matched them ('auto': together where they "
                                     "stand together, else anywhere)."),
                ],
                "responses": {
                    "200": _json(_ref("Article"), "The article."),
                    "400": _ERRORS["400"],
                    "404": _json(_ref("Error"), "No article has this id (code `not_found`)."),
                    "500": _ERRORS["500"],
                    "503": _ERRORS["503"],
                },
            }
        },
        "/api/suggest": {
            "get": {
                "operationId": "suggest",
                "summary": "Autocomplete: titles completing what has been typed.",
                "parameters": [_query("q", _string(), "What has been typed so far (the last word may be partial).")],
                "responses": {"200": _json(_ref("Suggestions"), "The completions, best first."),
                              "500": _ERRORS["500"], "503": _ERRORS["503"]},
            }
        },
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "Health check: documents in the index and the last reindex time.",
                "responses": {"200": _json(_ref("Health"), "The index is being served."),
                              "500": _ERRORS["500"],
                              "503": _json({"oneOf": [_ref("Error"), _ref("Health")]},
                                           "No index yet (an Error), or a node of a search cluster is down "
                                           "(Health, status 'degraded'; searches still answer, partially).")},
            }
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This description.",
                "responses": {"200": _json({"type": "object", "required": ["openapi", "info", "paths"]},
                                           "The OpenAPI 3.0 document.")},
            }
        },
    },
    "components": {
        "schemas": {
            "SearchResult": _SEARCH_RESULT,
            "Hit": _HIT,
            "FacetItem": _FACET_ITEM,
            "Article": _ARTICLE,
            "Suggestions": _SUGGESTIONS,
            "Health": _HEALTH,
            "Error": _ERROR,
        }
    },
}


def openapi_document() -> dict:
    """Return a copy of the OpenAPI document (callers may change theirs)."""
    return copy.deepcopy(_DOCUMENT)
