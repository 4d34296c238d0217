"""The HTML of the ATS's public pages: `string.Template`s whose every value is escaped by `esc` first."""
from __future__ import annotations

from html import escape
from string import Template
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from ats.public import security

HEADERS = {
    "Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer",  # some URLs carry a token
    "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
    # the job page's JSON-LD is data, not script: no script may run
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
}


def esc(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


LAYOUT = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>$head
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:46rem;margin:0 auto;padding:0 1rem;
color:#1b1b1b;line-height:1.5}
header{padding:1rem 0;border-bottom:1px solid #c8c8c8;margin-bottom:1rem}
a{color:#0b5cad}h1{font-size:1.6rem}label,legend{display:block;font-weight:600;margin-top:1rem}
input[type=text],input[type=email],input[type=tel],input[type=file],select,textarea{width:100%;padding:.5rem;
font-size:1rem;border:1px solid #767676;border-radius:4px;box-sizing:border-box}
fieldset{border:1px solid #c8c8c8;border-radius:4px;margin-top:1rem}fieldset label{display:inline;font-weight:400}
.error{color:#b00020;font-weight:600;margin:.25rem 0 0}.hint{color:#555;font-size:.9rem;margin:.25rem 0 0}
.alert{padding:.75rem;border-left:4px solid #b00020;background:#fdecee}
.trap{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
button{margin-top:1.25rem;padding:.6rem 1.2rem;font-size:1rem;border:0;border-radius:4px;background:#0b5cad;
color:#fff;cursor:pointer}
a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #ffbf47;outline-offset:2px}
ul.jobs{list-style:none;padding:0}ul.jobs li{padding:.75rem 0;border-bottom:1px solid #e2e2e2}
</style></head>
<body><header><a href="/careers">$company careers</a></header><main id="main">
$body
</main></body></html>""")

CHOICES = Template("""<fieldset$aria><legend>$legend</legend>
$options
</fieldset>
$error""")
OPTION = Template("""<div><input type="radio" id="$id" name="$name" value="$value"$checked>
<label for="$id">$text</label></div>""")
ERROR = Template("""<h1>$heading</h1>
<p class="alert" role="alert">$message</p>""")


def page(title: str, body: str, *, company: str, head: str = "") -> str:
    return LAYOUT.substitute(title=esc(title), body=body, company=esc(company), head=head)


def respond(request: Request, title: str, body: str, status: int = 200, *, head: str = "", nonce: str | None = None,
            extra: dict[str, str] | None = None) -> HTMLResponse:
    """An HTML page with the public headers (and the CSRF cookie when the browser had none)."""
    html = page(title, body, company=request.app.state.settings.company_name, head=head)
    resp = HTMLResponse(html, status_code=status, headers={**HEADERS, **(extra or {})})
    if nonce is not None:
        resp.set_cookie(security.CSRF_COOKIE, nonce, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return resp


def error(request: Request, heading: str, message: str, status: int, **kw: Any) -> HTMLResponse:
    return respond(request, heading, ERROR.substitute(heading=esc(heading), message=esc(message)), status, **kw)


def choices(name: str, legend: str, options: list[tuple[str, str]], chosen: str | None, error: str | None) -> str:
    """A radio group (`(value, text)` options) in a fieldset with its legend, its error after it; the fieldset
    carries `id=name` so that the error summary can link to it."""
    radios = "\n".join(OPTION.substitute(id=f"{name}-{i}", name=name, value=esc(value), text=esc(text),
                                         checked=" checked" if value == chosen else "")
                       for i, (value, text) in enumerate(options))
    aria = f' id="{name}"' + (f' aria-invalid="true" aria-describedby="{name}-error"' if error else "")
    return CHOICES.substitute(aria=aria, legend=esc(legend), options=radios,
                              error=f'<p class="error" id="{name}-error">{esc(error)}</p>' if error else "")


def error_summary(errors: dict[str, str]) -> str:
    """The list of problems at the top of a form, each linking to its field."""
    if not errors:
        return ""
    return ('<div class="alert" role="alert"><p>Please correct the highlighted fields:</p><ul>'
            + "".join(f'<li><a href="#{esc(k)}">{esc(v)}</a></li>' for k, v in errors.items()) + "</ul></div>")


async def guard_post(request: Request) -> HTMLResponse | None:
    """The error page for a post that is rate limited (429) or not from our form (403); None when it may go on."""
    wait = await security.rate_limited(request)
    if wait is not None:
        return error(request, "Too many requests", "Please wait a minute and try again.", 429,
                     extra={"Retry-After": str(wait)})
    try:
        form = await request.form(max_files=1, max_fields=60)
    except Exception:  # noqa: BLE001 - a malformed body is the sender's problem, shown as a page
        return error(request, "Invalid form", "Please submit the form from the page.", 400)
    token = form.get("csrf_token")
    if not security.csrf_ok(request, token if isinstance(token, str) else None):
        return error(request, "Form expired", "This form has expired or was not sent from our page. Please go back, "
                     "reload the page and try again.", 403)
    return None
