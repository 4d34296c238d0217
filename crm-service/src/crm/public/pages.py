"""The HTML of the public pages: `string.Template`s, every value escaped by `esc` before substitution."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from string import Template
from typing import Any

CONSENT_TEXT_VERSION = "talent-community-2026-01"
CONSENT_TEXT = ("I agree that the recruiting team may store my name, email address and the interests and skills I "
                "give, and email me about jobs and events that match them. I can unsubscribe or withdraw this "
                "consent at any time with the link in every email.")


def esc(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


LAYOUT = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b;line-height:1.5}
h1{font-size:1.6rem}label{display:block;font-weight:600;margin-top:1rem}
input[type=text],input[type=email]{width:100%;padding:.5rem;font-size:1rem;border:1px solid #767676;border-radius:4px;
box-sizing:border-box}
.consent{margin-top:1.25rem;padding:.75rem;border:1px solid #c8c8c8;border-radius:4px;background:#f7f7f7}
.consent label{display:inline;font-weight:400}
.error{color:#b00020;font-weight:600;margin:.25rem 0 0}
.hint{color:#555;font-size:.9rem;margin:.25rem 0 0}
button{margin-top:1.25rem;padding:.6rem 1.2rem;font-size:1rem;border:0;border-radius:4px;background:#0b5cad;color:#fff;
cursor:pointer}
button.secondary{background:#5a5a5a}
button:focus,input:focus{outline:3px solid #ffbf47;outline-offset:2px}
.alert{padding:.75rem;border-left:4px solid #b00020;background:#fdecee}
</style></head>
<body><main id="main">
$body
</main></body></html>""")

SIGNUP = Template("""<h1>Join our talent community</h1>
<p>Tell us what you are interested in and we will let you know about matching jobs and events.</p>
$summary
<form method="post" action="/public/talent-community" novalidate>
<input type="hidden" name="csrf_token" value="$csrf">
$first_name
$last_name
$email
$interests
$skills
<div class="consent">
<input type="checkbox" id="consent" name="consent" value="yes"$consent_checked$consent_describedby required>
<label for="consent">$consent_text</label>
<p class="hint" id="consent-version">Consent text version $consent_version.</p>
<input type="hidden" name="consent_version" value="$consent_version">
$consent_error
</div>
<button type="submit">Join the talent community</button>
</form>""")

FIELD = Template("""<label for="$name">$label$optional</label>
<input type="$type" id="$name" name="$name" value="$value" autocomplete="$autocomplete"$required$invalid>
$hint$error""")

THANKS = Template("""<h1>Thank you, $first_name!</h1>
<p role="status">Please confirm your email address: we have sent a link to your inbox. You join our talent
community, and we email you about matching opportunities, only once you confirm with that link
(consent text version $consent_version).</p>
<p>No email? Check your spam folder, or sign up again later. You can unsubscribe at any time with the link in
every email.</p>""")

CONFIRM = Template("""<h1>$title</h1>
<p>Please confirm that the recruiting team may $asks, as you agreed
(text version $text_version):</p>
<blockquote>$consent_text</blockquote>
<form method="post" action="$action">
<input type="hidden" name="csrf_token" value="$csrf">
<button type="submit">$button</button>
</form>""")

CONFIRMED = Template("""<h1>$title</h1>
<p role="status">Thank you. Your consent is recorded (text version $text_version) until $expires; you can
$withdraw at any time with the link in every email.</p>""")

TALENT_POOL_TEXT = ("Keep me in your talent pool: you may keep my name, email address and profile and consider me "
                    "for other jobs that match it, and contact me about them. I can withdraw this at any time.")


@dataclass(frozen=True)
class Confirmation:
    """What a double opt-in confirms, in the words of its mail and pages."""

    asks: str  # "the recruiting team may ..."
    consent_text: str
    subject: str
    title: str
    button: str
    done: str
    withdraw: str


CONFIRMATIONS = {
    "marketing": Confirmation(
        asks="email you about jobs and events", consent_text=CONSENT_TEXT, subject="Please confirm your subscription",
        title="Confirm your subscription", button="Confirm my subscription", done="Subscription confirmed",
        withdraw="unsubscribe or withdraw it"),
    "talent_pool": Confirmation(
        asks="keep your profile and consider you for other jobs", consent_text=TALENT_POOL_TEXT,
        subject="Please confirm: keep your profile in our talent pool", title="Confirm your place in our talent pool",
        button="Keep my profile in the talent pool", done="Talent pool confirmed", withdraw="withdraw it"),
}


def confirmation_of(purpose: str | None) -> Confirmation:
    """The wording of a double opt-in for `purpose` (marketing's for one without its own)."""
    return CONFIRMATIONS.get(str(purpose or "marketing"), CONFIRMATIONS["marketing"])


MAIL_UNSUBSCRIBE = Template("""<h1>Unsubscribe</h1>
<p>$status</p>
<form method="post" action="$action">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">$button</button>
</form>""")

UNSUBSCRIBE = Template("""<h1>Unsubscribe</h1>
<p>Choose what you no longer want to receive. Each button takes effect at once.</p>
<table><caption class="hint">Your channels</caption>
<thead><tr><th scope="col">Channel</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead><tbody>
$rows
</tbody></table>
<form method="post" action="$action">
<input type="hidden" name="csrf_token" value="$csrf">
<button type="submit" name="channel" value="all" class="secondary">Unsubscribe from everything</button>
</form>""")

UNSUB_ROW = Template("""<tr><td>$label</td><td>$status</td><td>
<form method="post" action="$action"><input type="hidden" name="csrf_token" value="$csrf">
<button type="submit" name="channel" value="$channel" aria-label="Unsubscribe from $label">Unsubscribe from $label</button>
</form></td></tr>""")

UNSUBSCRIBED = Template("""<h1>You have been unsubscribed</h1>
<p role="status">We will no longer contact you by $channels.</p>""")

CONSENT = Template("""<h1>Your consent</h1>
<p>This is what you agreed to (text version $text_version):</p>
<blockquote>$consent_text</blockquote>
<p>Status: <strong>$status</strong>. $expiry</p>
<form method="post" action="$action">
<input type="hidden" name="csrf_token" value="$csrf">
<button type="submit" name="action" value="renew">Renew my consent for $months months</button>
<button type="submit" name="action" value="withdraw" class="secondary">Withdraw my consent</button>
</form>""")

CONSENT_DONE = Template("""<h1>$heading</h1>
<p role="status">$message</p>""")

ERROR = Template("""<h1>$heading</h1>
<p class="alert" role="alert">$message</p>""")


def page(title: str, body: str) -> str:
    return LAYOUT.substitute(title=esc(title), body=body)


def field(name: str, label: str, value: str, error: str | None, *, type_: str = "text", optional: bool = False,
          hint: str | None = None, autocomplete: str = "off") -> str:
    described = " ".join(x for x in (f"{name}-hint" if hint else "", f"{name}-error" if error else "") if x)
    return FIELD.substitute(
        name=name, label=esc(label), optional=" (optional)" if optional else "", type=type_, value=esc(value),
        autocomplete=autocomplete, required="" if optional else " required",
        invalid=(' aria-invalid="true"' if error else "") + (f' aria-describedby="{described}"' if described else ""),
        hint=f'<p class="hint" id="{name}-hint">{esc(hint)}</p>' if hint else "",
        error=f'<p class="error" id="{name}-error">{esc(error)}</p>' if error else "")


def signup(csrf: str, values: dict[str, str], errors: dict[str, str]) -> str:
    summary = ""
    if errors:
        summary = ('<div class="alert" role="alert"><p>Please correct the highlighted fields:</p><ul>'
                   + "".join(f'<li><a href="#{esc(k)}">{esc(v)}</a></li>' for k, v in errors.items()) + "</ul></div>")
    return page("Join our talent community" if not errors else "Error: join our talent community", SIGNUP.substitute(
        summary=summary, csrf=esc(csrf),
        first_name=field("first_name", "First name", values.get("first_name", ""), errors.get("first_name"),
                         autocomplete="given-name"),
        last_name=field("last_name", "Last name", values.get("last_name", ""), errors.get("last_name"),
                        autocomplete="family-name"),
        email=field("email", "Email address", values.get("email", ""), errors.get("email"), type_="email",
                    autocomplete="email"),
        interests=field("interests", "Interests", values.get("interests", ""), errors.get("interests"), optional=True,
                        hint="Separate with commas, e.g. backend, data engineering."),
        skills=field("skills", "Skills", values.get("skills", ""), errors.get("skills"), optional=True,
                     hint="Separate with commas, e.g. python, kubernetes."),
        consent_checked=" checked" if values.get("consent") else "",
        consent_describedby=(' aria-invalid="true" aria-describedby="consent-version consent-error"'
                             if errors.get("consent") else ' aria-describedby="consent-version"'),
        consent_text=esc(CONSENT_TEXT), consent_version=esc(CONSENT_TEXT_VERSION),
        consent_error=f'<p class="error" id="consent-error">{esc(errors["consent"])}</p>' if errors.get("consent") else "",
    ))


def error(status_title: str, message: str) -> str:
    return page(status_title, ERROR.substitute(heading=esc(status_title), message=esc(message)))


def expired(what: str, again: str) -> str:
    """The page of a genuine link whose lifetime has passed (410)."""
    return error("Link expired", f"This {what} has expired. {again}")
