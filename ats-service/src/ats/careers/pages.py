"""The careers site's HTML: templates filled with escaped values only (`esc`), every input with its label and
its error next to it (`aria-describedby`, `aria-invalid`)."""
from __future__ import annotations

from string import Template
from typing import Any

from ats.careers.jsonld import script
from ats.careers.models import JobPosting
from ats.jobs.models import Job
from ats.public.pages import choices, error_summary, esc

CONSENT_TEXT_VERSION = "talent-pool-2026-12"
CONSENT_TEXT = ("Keep me in your talent pool: you may store my name and email address and contact me about other "
                "jobs that match my profile. I can withdraw this at any time with the link in every email.")

BOARD = Template("""<h1>Open positions</h1>
<form method="get" action="/careers" aria-label="Filter jobs">
<label for="department">Department</label>
<select id="department" name="department">$departments</select>
<label for="location">Location</label>
<select id="location" name="location">$locations</select>
<button type="submit">Show jobs</button>
</form>
<p role="status">$count</p>
<ul class="jobs">$jobs</ul>""")
BOARD_ITEM = Template("""<li><a href="/careers/jobs/$id">$title</a><br><span class="hint">$meta</span></li>""")
JOB = Template("""<h1>$title</h1>
<p class="hint">$meta</p>
$salary
<section aria-labelledby="about"><h2 id="about">About the role</h2>
$description
</section>
<p><a href="/careers/jobs/$id/apply">Apply for $title</a></p>""")
APPLY = Template("""<h1>Apply for $title</h1>
$summary
<form method="post" action="/careers/jobs/$id/apply" enctype="multipart/form-data" novalidate>
<input type="hidden" name="csrf_token" value="$csrf">
$fields
<div class="trap" aria-hidden="true"><label for="website">Leave this field empty</label>
<input type="text" id="website" name="website" tabindex="-1" autocomplete="off"></div>
<fieldset><legend>Talent pool (optional)</legend>
<input type="checkbox" id="talent_pool" name="talent_pool" value="yes"$pool_checked aria-describedby="talent_pool-version">
<label for="talent_pool">$consent_text</label>
<p class="hint" id="talent_pool-version">Consent text version $consent_version.</p>
<input type="hidden" name="consent_version" value="$consent_version">
</fieldset>
<button type="submit">Send application</button>
</form>""")
FIELD = Template("""<label for="$name">$label$optional</label>
<input type="$type" id="$name" name="$name" value="$value"$extra$required$aria>
$hint$error""")
THANKS = Template("""<h1>Thank you, $first_name!</h1>
<p role="status">We have received your application for $title. A confirmation is on its way to $email.</p>
$talent_pool$self_identification<p><a href="/careers">See all open positions</a></p>""")
SELF_IDENTIFICATION = Template("""<section aria-labelledby="eeo-offer"><h2 id="eeo-offer">Optional: equal-opportunity questions</h2>
<p>You may answer a few voluntary questions about gender, ethnicity, veteran and disability status. Answering, or
not, has no effect on your application: the answers are kept apart from it and never shown to anyone deciding on
it.</p>
<p><a href="$link">Answer the voluntary questions</a></p>
</section>
""")
ALREADY = Template("""<h1>You have already applied</h1>
<p role="status">We already have your application for $title, and it is being looked at. There is no need to
apply again; we will be in touch.</p>
<p><a href="/careers">See all open positions</a></p>""")


TALENT_POOL = ("<p>You asked to join our talent pool: we will send you a separate email with a link to confirm it. "
               "Until you confirm, we keep you only for this application.</p>\n")


def thanks(first_name: str, title: str, email: str, self_identification_link: str | None, *,
           talent_pool: bool = False) -> str:
    """The confirmation, offering the voluntary EEO step when there is a real application to attach it to, and
    saying that the talent pool waits for the applicant's confirmation mail (double opt-in) when they asked for it."""
    offer = SELF_IDENTIFICATION.substitute(link=esc(self_identification_link)) if self_identification_link else ""
    return THANKS.substitute(first_name=esc(first_name), title=esc(title), email=esc(email), self_identification=offer,
                             talent_pool=TALENT_POOL if talent_pool else "")


def _options(values: list[str], chosen: str | None, everyone: str) -> str:
    return f'<option value="">{esc(everyone)}</option>' + "".join(
        f'<option value="{esc(v)}"{" selected" if v == chosen else ""}>{esc(v)}</option>' for v in values)


def _meta(job: Job, posting: JobPosting | None) -> str:
    where = "Remote" if posting and posting.remote else (posting.locality if posting and posting.locality else job.location)
    return " · ".join(esc(x) for x in (job.department, where, (job.employment_type or "").replace("_", " ")) if x)


def board(jobs: list[tuple[Job, JobPosting | None]], departments: list[str], locations: list[str],
          department: str | None, location: str | None) -> str:
    items = "\n".join(BOARD_ITEM.substitute(id=job.id, title=esc(job.title), meta=_meta(job, p)) for job, p in jobs)
    return BOARD.substitute(departments=_options(departments, department, "All departments"),
                            locations=_options(locations, location, "All locations"), jobs=items,
                            count=esc(f"{len(jobs)} open position{'s' if len(jobs) != 1 else ''}"))


def job_page(job: Job, posting: JobPosting | None, jsonld: dict[str, Any]) -> tuple[str, str]:
    """The body and the head (JSON-LD) of a job's page."""
    salary = ""
    if posting and posting.salary_currency and (posting.salary_min is not None or posting.salary_max is not None):
        figures = " – ".join(f"{v:,.0f}" for v in (posting.salary_min, posting.salary_max) if v is not None)
        salary = f'<p>Salary: {esc(figures)} {esc(posting.salary_currency)} per {esc((posting.salary_unit or "YEAR").lower())}</p>'
    paragraphs = "\n".join(f"<p>{esc(p)}</p>" for p in (job.description or "").split("\n\n") if p.strip())
    return JOB.substitute(title=esc(job.title), meta=_meta(job, posting), salary=salary, id=job.id,
                          description=paragraphs or "<p>Details follow in the interview.</p>"), script(jsonld)


def _field(name: str, label: str, values: dict[str, str], errors: dict[str, str], *, type_: str = "text",
           optional: bool = False, autocomplete: str | None = None, hint: str | None = None, accept: str | None = None) -> str:
    described = " ".join(x for x in (f"{name}-hint" if hint else "", f"{name}-error" if name in errors else "") if x)
    extra = (f' autocomplete="{autocomplete}"' if autocomplete else "") + (f' accept="{esc(accept)}"' if accept else "")
    return FIELD.substitute(
        name=name, label=esc(label), optional=" (optional)" if optional else "", type=type_,
        value="" if type_ == "file" else esc(values.get(name, "")), extra=extra, required="" if optional else " required",
        aria=(' aria-invalid="true"' if name in errors else "") + (f' aria-describedby="{described}"' if described else ""),
        hint=f'<p class="hint" id="{name}-hint">{esc(hint)}</p>' if hint else "",
        error=f'<p class="error" id="{name}-error">{esc(errors[name])}</p>' if name in errors else "")


def _question(q: dict[str, Any], values: dict[str, str], errors: dict[str, str]) -> str:
    name = f"q_{q['id']}"
    optional = not q.get("required")
    if q["kind"] == "text":
        return _field(name, q["label"], values, errors, optional=optional)
    options = [("yes", "Yes"), ("no", "No")] if q["kind"] == "yes_no" else [(c, c) for c in q["choices"]]
    return choices(name, q["label"] + (" (optional)" if optional else ""), options, values.get(name), errors.get(name))


def apply_form(job: Job, posting: JobPosting | None, csrf: str, values: dict[str, str], errors: dict[str, str]) -> str:
    fields = [
        _field("first_name", "First name", values, errors, autocomplete="given-name"),
        _field("last_name", "Last name", values, errors, autocomplete="family-name"),
        _field("email", "Email address", values, errors, type_="email", autocomplete="email"),
        _field("phone", "Phone number", values, errors, type_="tel", optional=True, autocomplete="tel"),
        _field("resume", "Resume", values, errors, type_="file", accept=".pdf,.docx,.txt,application/pdf,text/plain",
               hint="PDF, Word (.docx) or plain text, at most 900 KB."),
        *(_question(q, values, errors) for q in (posting.questions if posting else [])),
    ]
    return APPLY.substitute(title=esc(job.title), id=job.id, summary=error_summary(errors), csrf=esc(csrf),
                            fields="\n".join(fields), pool_checked=" checked" if values.get("talent_pool") else "",
                            consent_text=esc(CONSENT_TEXT), consent_version=esc(CONSENT_TEXT_VERSION))
