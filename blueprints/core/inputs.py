"""What a request may carry: the guards that run before every request, and canonical JSON.

- URL text: `refuse_unsafe_url_text` (a NUL in a path parameter or a query value is a 400).
- Size: `MAX_CONTENT_LENGTH` (a setting, bytes) is Flask's own limit; `refuse_oversized_and_deep_
  bodies` answers 413 before anything reads a body that says it is larger, and Werkzeug stops a
  chunked one at the limit.
- Nesting: Python's JSON decoder recurses once per `[` or `{`, so `[[[[…]]]]` a thousand deep is
  a RecursionError (a 500) in whatever parses it first, and anything that walks the value later
  (marshmallow, jsonify, a JSON column) recurses again. A JSON body nested deeper than
  `MAX_JSON_DEPTH` is a 400 before any view or schema sees it, on every route, the open
  `POST /auth/login` included.
- `canonical_json(body)`: the same JSON value always gives the same bytes (key order and
  whitespace do not matter), for fingerprints such as the Idempotency-Key's.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .text import camel, text_problem

MAX_JSON_DEPTH = 64

# A JSON string literal (escapes included), unrolled so the regex runs in linear time.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class _Malformed(ValueError):
    pass


def json_depth_exceeds(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the JSON text `data` nests arrays/objects deeper than `limit` levels.

    Works on the bytes without decoding them (no recursion, C-speed passes): strings are
    removed, then innermost `[]`/`{}` pairs are peeled one level per pass. Raises `_Malformed`
    when the brackets cannot belong to valid JSON (unbalanced or crossed), which a decoder
    would also refuse, but only after recursing as deep as the opening brackets go.
    """
    brackets = _STRING.sub(b'""', data).translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return False
        peeled = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if peeled == brackets:
            raise _Malformed("unbalanced brackets")
        brackets = peeled
    return bool(brackets)


def refuse_oversized_and_deep_bodies() -> None:
    """Before each request: 413 for a body over MAX_CONTENT_LENGTH, 400 for JSON too deep.

    Raises werkzeug's RequestEntityTooLarge (413; the error handlers give it the envelope)
    or InvalidRequest (400, `details.field: "body"`).
    """
    from flask import request

    environ = request.environ
    if not environ.get("CONTENT_LENGTH") and not environ.get("CONTENT_TYPE"):
        return  # no declared size and not JSON: what follows would find nothing (most GETs)

    from werkzeug.exceptions import RequestEntityTooLarge

    from .errors import InvalidRequest

    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    if not request.is_json:
        return
    data = request.get_data(cache=True)  # 413 here for a chunked body over the limit
    if not data:
        return
    try:
        too_deep = json_depth_exceeds(data)
    except _Malformed as exc:
        raise InvalidRequest(
            "The request body is not valid JSON", field="body", reason="malformed JSON"
        ) from exc
    if too_deep:
        raise InvalidRequest(
            f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels",
            field="body",
            reason=f"nested deeper than {MAX_JSON_DEPTH} levels",
        )


def canonical_json(data: bytes) -> bytes:
    """`data` re-serialized with sorted keys and no whitespace when it is JSON, else as is."""
    if not data:
        return b""
    try:
        value: Any = json.loads(data)
    except (ValueError, RecursionError):
        return data
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def refuse_unsafe_url_text() -> None:
    """Before each request: a path parameter or query value holding NUL (`%00`) is a 400
    naming it, before a lookup sends it to the database (PostgreSQL answers NUL with an
    error: a 500). Bodies are checked by the schemas and forms; decoding the path already
    turns invalid UTF-8 into U+FFFD, so it cannot carry a surrogate; a query string that is
    not UTF-8 is a 400 here (werkzeug's decoding of it raises).

    Raises InvalidRequest (400, `details.field`: the parameter, or `query`)."""
    from flask import request

    if not request.view_args and not request.environ.get("QUERY_STRING"):
        return  # nothing in the URL to check

    from .errors import InvalidRequest

    values = [(camel(k), v) for k, v in (request.view_args or {}).items()]
    try:
        values += list(request.args.items(multi=True))
    except UnicodeDecodeError as exc:  # raw bytes in the query string (werkzeug decodes strictly)
        raise InvalidRequest(
            "The query string is not valid UTF-8", field="query", reason="invalid UTF-8"
        ) from exc
    for name, value in values:
        problem = text_problem(value) if isinstance(value, str) else None
        if problem:
            raise InvalidRequest(f"'{name}' {problem}", field=name, reason=problem)
