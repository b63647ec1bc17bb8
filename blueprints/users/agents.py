"""A short, human label for a User-Agent string ("Chrome on Linux"), for the sessions list.

Not a full parser, on purpose: ua-parser (the kept Browserscope port) was tried, and its
first parse compiles its whole regex table, 3 to 4 s per process here (its Rust accelerator
is not installable), too dear for a label on the Account page. This knows the common
browsers' and systems' tokens, in the order that tells them apart (Edge and Opera also say
"Chrome", Chrome also says "Safari", Android also says "Linux"), and falls back to the
agent's first product token, then to "Unknown client".
"""

from __future__ import annotations

import re

# (token in the agent, label): the first match wins, so the more specific come first.
_BROWSERS = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("Opera", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Vivaldi/", "Vivaldi"),
    ("HeadlessChrome/", "Headless Chrome"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-requests/", "Python requests"),
    ("python-httpx/", "Python httpx"),
    ("Wget/", "Wget"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
    ("X11", "Linux"),
)
_PRODUCT = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,30}")


def client_label(user_agent: str) -> str:
    """ "Chrome on Linux", "Firefox on Windows", "curl", or the first product token."""
    agent = user_agent or ""
    browser = next((label for token, label in _BROWSERS if token in agent), None)
    system = next((label for token, label in _SYSTEMS if token in agent), None)
    if browser is None:
        match = _PRODUCT.match(agent.strip())
        browser = match.group(0) if match else None
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown client"
