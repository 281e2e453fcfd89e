"""The one blueprint: the JSON API and the HTML pages, over the same result dicts.

``/api/search`` returns the dict that ``search.results.search`` builds; ``/`` renders that
very dict (the datasette way), so the page can never show something the API does not.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from werkzeug.exceptions import NotFound

from search.engine import SearchEngine
from search.request import QueryError, SearchRequest
from web import links, timeline
from web.feed import FEED_SIZE, atom_feed
from web.forgiving import PageRequest, page_request
from web.formatting import parse_published
from web.openapi import openapi_document

blueprint = Blueprint("web", __name__)


def engine() -> SearchEngine:
    """Return this process's search engine."""
    return current_app.extensions["vnsearch"]


def query_params() -> dict[str, list[str]]:
    """Return the query string as {name: [values]} (names may repeat)."""
    return {name: request.args.getlist(name) for name in request.args}


def search_request() -> SearchRequest:
    """Return the validated search of this request (QueryError becomes a 400)."""
    return SearchRequest.from_params(query_params())


def run_search(search: SearchRequest) -> dict:
    """Run a search: the one place that builds the result dict for the API and the page."""
    return engine().search(search)


def date_field_values(page: PageRequest) -> dict[str, str]:
    """Return what the date fields show: the date as dd/mm/yyyy, or what was typed when it was wrong."""
    chosen = {"from": page.search.date_from, "to": page.search.date_to}
    return {name: page.typed_dates[name] if name in page.date_errors else (day.strftime("%d/%m/%Y") if day else "")
            for name, day in chosen.items()}


def article_not_found(doc_id: str):
    """Stop the request with a 404 for an unknown article id."""
    error = NotFound(description=f"no article with id {doc_id[:200]!r}")
    error.page_title = "Không tìm thấy bài viết"
    error.page_message = "Không tìm thấy bài viết này. Có thể bài đã bị xóa khỏi chỉ mục."
    raise error


# JSON API -------------------------------------------------------------------------------


def api_search():
    """Search the articles."""
    return jsonify(run_search(search_request()))


def api_article(doc_id: str):
    """Return one whole article, the query's words marked when q is given."""
    match = SearchRequest.from_params({"match": request.args.get("match")}).match
    article = engine().article(doc_id, q=request.args.get("q", ""), match=match)
    if article is None:
        article_not_found(doc_id)
    return jsonify(article)


def api_suggest():
    """Return autocomplete suggestions for what has been typed: titles (with their article's
    address, so choosing one opens it) and query completions."""
    completions = engine().suggest(request.args.get("q", ""))
    for suggestion in completions["suggestions"]:
        suggestion["url"] = url_for("web.article_page", doc_id=suggestion["id"])
    return jsonify(completions)


def api_openapi():
    """Return the OpenAPI description of the API."""
    return jsonify(openapi_document())


def healthz():
    """Return the number of indexed documents and the time of the last reindex."""
    health = engine().health()
    # Not OK (503) while part of the backend is down, so a load balancer or monitor notices.
    response = jsonify(health)
    response.status_code = 200 if health["status"] == "ok" else 503
    response.headers["Cache-Control"] = "no-store"
    return response


# HTML pages -----------------------------------------------------------------------------


def index():
    """Show the search page: results, facets and pagination (all articles without a query).

    Unlike the API, the page never refuses a parameter: it falls back to the default and
    says so (see web.forgiving).
    """
    page = page_request(query_params())
    search = page.search
    result = run_search(search)
    return render_template(
        "search.html",
        result=result,
        search=search,
        page_notices=page.notices,
        date_errors=page.date_errors,
        date_values=date_field_values(page),
        timeline=timeline.bars(search, result["facets"]),
        feed_url=url_for("web.feed", **search.params(page=None)),
        sort_links=links.sort_links(search, has_query=bool(result["query"])),
        pagination=links.pagination(search, result["pages"]),
        chips=links.active_filters(search, result["facets"]),
        clear_url=links.clear_filters_url(search),
        first_url=links.search_url(search, page=None),
        suggestion_url=links.search_url(search, q=result["suggestion"], page=None) if result["suggestion"] else None,
        exact_url=links.search_url(search, correct=False, page=None),
        facet_url=lambda facet, item: links.facet_url(search, facet, item),
        article_url=lambda doc_id: links.article_url(search, doc_id),
        tier_links=links.tier_links(search, result),
        # A new query starts from the default tier.
        form_fields=links.hidden_fields(search, "q", "match", "correct"),
        range_fields=links.hidden_fields(search, "from", "to"),
    )


def feed():
    """Return the search as an Atom feed, newest first (the parameters of /api/search)."""
    params = query_params()
    params.setdefault("size", [str(FEED_SIZE)])
    search = replace(SearchRequest.from_params(params), sort="newest", page=1, suggest=False)
    result = run_search(search)
    last_reindex = parse_published(engine().health()["last_reindex"])
    body = atom_feed(
        result,
        feed_url=url_for("web.feed", _external=True, **search.params()),
        page_url=url_for("web.index", _external=True, **search.params()),
        article_url=lambda doc_id: url_for("web.article_page", doc_id=doc_id, _external=True),
        fallback_updated=last_reindex,
    )
    return Response(body, mimetype="application/atom+xml")


def article_page(doc_id: str):
    """Show one article, the query's words marked, with a link back to the results."""
    try:
        search = search_request()
    except QueryError:
        # A damaged link still shows the article; only the way back loses its filters.
        search = SearchRequest(q=request.args.get("q", ""))
    article = engine().article(doc_id, q=search.q, match=search.match)
    if article is None:
        article_not_found(doc_id)
    back_url = links.search_url(search) if search.params() else None
    return render_template("article.html", article=article, search=search, back_url=back_url,
                           home_url=links.search_url(SearchRequest()), related=engine().related(doc_id),
                           article_url=lambda other_id: links.article_url(search, other_id))


# Routes (registered here, not by decorators: mutmut mutates only undecorated functions) ---------------

blueprint.add_url_rule("/api/search", view_func=api_search, methods=["GET"])
blueprint.add_url_rule("/api/articles/<article_id:doc_id>", view_func=api_article, methods=["GET"], merge_slashes=False)
blueprint.add_url_rule("/api/suggest", view_func=api_suggest, methods=["GET"])
blueprint.add_url_rule("/api/openapi.json", view_func=api_openapi, methods=["GET"])
blueprint.add_url_rule("/healthz", view_func=healthz, methods=["GET"])
blueprint.add_url_rule("/", view_func=index, methods=["GET"])
blueprint.add_url_rule("/feed", view_func=feed, methods=["GET"])
blueprint.add_url_rule("/articles/<article_id:doc_id>", view_func=article_page, methods=["GET"], merge_slashes=False)
