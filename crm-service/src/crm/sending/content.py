"""What a sequence email says, built deliberately part by part.

The author writes `body` as **plain text** and, optionally, `body_html` as HTML. Personal data (token values)
is escaped for the part it lands in: verbatim in the text part, HTML-escaped in the HTML part, percent-encoded
inside an `href`. Only links the author wrote are tracked: http(s) URLs in the literal text of `body`, and
`href="http(s)://…"` attributes of `body_html`; each becomes an entry of the message's `links` (its index is what a
click token names), so a URL that arrives in a token value is never a tracked link nor a redirect target.
Without `body_html` the HTML part is the text part, escaped, with its links as anchors and line breaks kept."""
from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from crm.sequences.personalize import fill, segments

URL = re.compile(r"https?://[^\s<>\"'){}]+")
HREF = re.compile(r"""\bhref=(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
TRAILING = ".,;:!?"  # sentence punctuation after a URL is not part of it


@dataclass
class Links:
    """The author's links of one message, in order of first appearance; `add` gives a URL's index."""

    urls: list[str] = field(default_factory=list)

    def add(self, url: str) -> int:
        if url not in self.urls:
            self.urls.append(url)
        return self.urls.index(url)


@dataclass(frozen=True)
class MailContent:
    subject: str
    text: str
    html: str
    links: list[str]


def _urls(literal: str) -> list[tuple[int, int, str]]:
    """(start, end, url) of the http(s) URLs in a piece of literal text, trailing punctuation left out."""
    found = []
    for m in URL.finditer(literal):
        url = m.group(0).rstrip(TRAILING)
        found.append((m.start(), m.start() + len(url), url))
    return found


def _from_text(template: str, variables: dict[str, Any], links: Links,
               click: Callable[[int], str]) -> tuple[str, str]:
    """The text part and the HTML part of a plain-text template."""
    text, markup = [], []
    for token, literal in segments(template):
        if token is not None:
            value = str(variables[token])
            text.append(value)
            markup.append(html.escape(value))
            continue
        last = 0
        for start, end, url in _urls(literal):
            tracked = click(links.add(url))
            text += [literal[last:start], tracked]
            markup += [html.escape(literal[last:start]), f'<a href="{html.escape(tracked)}">{html.escape(url)}</a>']
            last = end
        text.append(literal[last:])
        markup.append(html.escape(literal[last:]))
    return "".join(text), "".join(markup).replace("\n", "<br>\n")


def _from_html(template: str, variables: dict[str, Any], links: Links, click: Callable[[int], str]) -> str:
    """The HTML part of an HTML template: tokens escaped, the author's http(s) hrefs tracked."""
    out, last = [], 0
    for m in HREF.finditer(template):
        out.append(fill(template[last:m.start()], variables, html.escape))
        quote_char, value = m.group(1), m.group(2)
        url = html.unescape(fill(value, variables, lambda v: quote(v, safe="")))
        target = click(links.add(url)) if url.lower().startswith(("http://", "https://")) else url
        out.append(f"href={quote_char}{html.escape(target)}{quote_char}")
        last = m.end()
    out.append(fill(template[last:], variables, html.escape))
    return "".join(out)


def compose(*, subject: str | None, body: str, body_html: str | None, variables: dict[str, Any],
            click: Callable[[int], str]) -> MailContent:
    """The subject, text part, HTML part and recorded links of one email (tokens already checked present)."""
    links = Links()
    text, generated = _from_text(body, variables, links, click)
    markup = _from_html(body_html, variables, links, click) if body_html else generated
    # A header cannot carry line breaks: a name with a newline must not add headers or fail the send.
    line = " ".join(fill(subject or "", variables).split())
    return MailContent(subject=line, text=text, html=markup, links=links.urls)
