"""The Flask application factory: one engine per process, one blueprint, safe errors.

``create_app`` opens nothing on disk: the ``SearchEngine`` it stores in
``app.extensions["vnsearch"]`` opens the index on the first request, so a gunicorn worker
(forked from the master) never shares file handles with another process, and a server
started before the first reindex simply answers 503 until the index exists.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, abort, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from search.engine import open_engine
from search.integrity import IndexDamaged
from search.request import QueryError
from search.settings import setting_value
from search.sphinxql import BackendError
from search.store import IndexMissing
from web import views
from web.formatting import register_filters
from web.links import ArticleIdConverter

log = logging.getLogger("vnsearch.web")

# Scripts and styles only from this app: no inline code, no CDN, no frames, no plugins.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Queries are in our URLs: never send them to the sites that articles link to.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
# Vietnamese titles of the error pages, by HTTP status.
ERROR_TITLES = {
    400: "Yêu cầu không hợp lệ",
    404: "Không tìm thấy trang",
    405: "Phương thức không được hỗ trợ",
    414: "Địa chỉ quá dài",
    431: "Yêu cầu quá lớn",
    500: "Đã xảy ra lỗi",
    503: "Chỉ mục chưa sẵn sàng",
}
ERROR_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
               414: "uri_too_long", 431: "headers_too_large", 500: "internal_error", 503: "index_missing"}
# Vietnamese explanations of the error pages, by HTTP status.
ERROR_PAGE_MESSAGES = {
    404: "Trang bạn tìm không tồn tại.",
    405: "Phương thức này không được hỗ trợ.",
    413: "Nội dung gửi lên quá lớn.",
    414: "Địa chỉ của yêu cầu quá dài. Hãy rút ngắn từ khóa (tối đa 256 ký tự) hoặc bớt bộ lọc.",
    416: "Phần dữ liệu được yêu cầu nằm ngoài tệp.",
    431: "Phần đầu của yêu cầu quá lớn. Hãy xóa cookie của trang này rồi thử lại.",
}
# The page's message for an HTTP error without one of its own (its English name stays in the JSON).
ERROR_PAGE_FALLBACK = "Máy chủ không thể đáp ứng yêu cầu này."
# The WSGI environ key by which web.server asks the app for its answer to a request that
# gunicorn found too large to parse (clients cannot set environ keys, only headers).
TOO_LARGE_ENVIRON_KEY = "vnsearch.too_large"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the vnsearch web app (config keys INDEX_DIR, BACKEND, REFRESH_SECONDS, SYNONYMS, ...)."""
    app = Flask(__name__)
    app.config.update(
        INDEX_DIR=setting_value("index"),
        BACKEND=setting_value("backend"),
        REFRESH_SECONDS=setting_value("refresh_seconds"),
        SYNONYMS=setting_value("synonyms"),
        POSTINGS_CACHE_MB=setting_value("postings_cache_mb"),
        # Never show the interactive debugger, whatever FLASK_DEBUG says.
        DEBUG=False,
        PROPAGATE_EXCEPTIONS=False,
        MAX_CONTENT_LENGTH=64 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.config.update(config or {})
    app.debug = False
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["vnsearch"] = open_engine(app.config["INDEX_DIR"], app.config["BACKEND"],
                                             refresh_seconds=app.config["REFRESH_SECONDS"],
                                             synonyms=app.config["SYNONYMS"],
                                             postings_cache_mb=app.config["POSTINGS_CACHE_MB"])
    app.url_map.converters["article_id"] = ArticleIdConverter
    app.register_blueprint(views.blueprint)
    register_filters(app)
    register_error_handlers(app)
    app.before_request(refuse_too_large)
    app.after_request(add_security_headers)
    return app


def refuse_too_large() -> None:
    """Answer with the error gunicorn reported for a request too large to parse, if any."""
    status = request.environ.get(TOO_LARGE_ENVIRON_KEY)
    if status:
        abort(status)


def add_security_headers(response):
    """Add the security headers to every response."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def wants_json() -> bool:
    """Tell whether the failing request was for the JSON API (or the health check, or a feed)."""
    path = request.path
    return path.startswith("/api/") or path in ("/api", "/healthz", "/feed")


def error_response(status: int, code: str, message: str, page_message: str | None = None,
                   page_title: str | None = None, **extra):
    """Return an error as JSON for the API, as a Vietnamese HTML page otherwise."""
    if wants_json():
        return jsonify({"error": {"code": code, "message": message, **extra}}), status
    page = render_template(
        "error.html", status=status, title=page_title or ERROR_TITLES.get(status, "Đã xảy ra lỗi"),
        message=page_message or message, q=request.args.get("q", "")[:200],
    )
    return page, status


def bad_parameter(error: QueryError):
    """Answer a bad query parameter with 400 (JSON for the API, a page otherwise)."""
    page_message = f"Tham số “{error.param}” không hợp lệ. Vui lòng kiểm tra lại bộ lọc hoặc trang."
    return error_response(400, "bad_parameter", error.message, param=error.param, page_message=page_message)


def index_missing(error: IndexMissing):
    """Answer with 503 while no index exists yet."""
    page_message = "Chưa có chỉ mục tìm kiếm. Hãy chạy “vnsearch reindex” rồi tải lại trang."
    return error_response(503, "index_missing", str(error), page_message=page_message)


def backend_unavailable(error: BackendError):
    """Answer with 503 while the search backend does not respond (logged)."""
    log.warning("search backend unavailable: %s", error)
    page_message = "Máy chủ tìm kiếm tạm thời không phản hồi. Vui lòng thử lại sau ít phút."
    return error_response(503, "backend_unavailable", str(error), page_message=page_message,
                          page_title="Dịch vụ tìm kiếm tạm thời gián đoạn")


def index_damaged(error: IndexDamaged):
    """Answer with 503 and the damaged files named (logged for the operator)."""
    # The operator reads the files named here (and in the log); the page stays general.
    log.error("%s", error)
    page_message = ("Chỉ mục tìm kiếm bị hỏng nên tạm thời không thể tìm kiếm. "
                    "Quản trị viên cần chạy “vnsearch check” và “vnsearch reindex --full”.")
    return error_response(503, "index_damaged", str(error), page_message=page_message,
                          page_title="Chỉ mục bị hỏng", problems=[p.to_dict() for p in error.problems])


def http_error(error: HTTPException):
    """Answer an HTTP error with its status, its code and an Allow header where it has one."""
    status = error.code or 500
    code = ERROR_CODES.get(status, "http_error")
    page_message = getattr(error, "page_message", None) or ERROR_PAGE_MESSAGES.get(status, ERROR_PAGE_FALLBACK)
    body, status = error_response(status, code, error.description or error.name, page_message=page_message,
                                  page_title=getattr(error, "page_title", None))
    response = current_app.make_response((body, status))
    if "Allow" in (headers := dict(error.get_headers())):
        response.headers["Allow"] = headers["Allow"]
    return response


def unexpected(error: Exception):
    """Answer any other error with 500, never its details (logged with the stack trace)."""
    # Log the details for the operator; the client only learns that something failed.
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "Internal server error",
                          page_message="Máy chủ gặp lỗi khi xử lý yêu cầu. Vui lòng thử lại sau.")


def register_error_handlers(app: Flask) -> None:
    """Turn every error into a JSON or HTML answer that never shows a stack trace."""
    # Registered by calls, not decorators: mutmut mutates only undecorated functions.
    app.register_error_handler(QueryError, bad_parameter)
    app.register_error_handler(IndexMissing, index_missing)
    app.register_error_handler(BackendError, backend_unavailable)
    app.register_error_handler(IndexDamaged, index_damaged)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected)
