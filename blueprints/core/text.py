"""Text that may reach the database, a log or a process: what every input string must not hold.

PostgreSQL refuses NUL in text (a 500 if it gets that far), SQLite truncates at it in places,
and `exec` and `open` refuse it (`ValueError: embedded null byte`); an unpaired UTF-16
surrogate (`"\\ud800"` in JSON) cannot be encoded as UTF-8 at all. The schemas' string fields,
the forms and the domains that take free text ask `text_problem()` once, here (and
`core.inputs.refuse_unsafe_url_text` asks it of every URL).
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def camel(name: str) -> str:
    """`snake_case` as the API names it: `camelCase`."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text (None when it can)."""
    if "\x00" in value:
        return "must not contain a NUL character (\\u0000)"
    if _SURROGATE.search(value):
        return "must not contain an unpaired UTF-16 surrogate"
    return None
