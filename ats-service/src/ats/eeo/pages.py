"""The voluntary self-identification page: every question a radio group whose first choice is "I do not wish to
answer" (checked until the candidate picks another), in plain words, with the promise that nothing depends on it."""
from __future__ import annotations

from string import Template

from ats.eeo.models import DECLINED
from ats.public.pages import choices, error_summary, esc

DECLINE = (DECLINED, "I do not wish to answer")
QUESTIONS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("gender", "Gender", [("female", "Female"), ("male", "Male")]),
    ("race_ethnicity", "Race or ethnicity", [
        ("hispanic_or_latino", "Hispanic or Latino"), ("white", "White (not Hispanic or Latino)"),
        ("black_or_african_american", "Black or African American (not Hispanic or Latino)"),
        ("native_hawaiian_or_other_pacific_islander", "Native Hawaiian or Other Pacific Islander (not Hispanic or Latino)"),
        ("asian", "Asian (not Hispanic or Latino)"),
        ("american_indian_or_alaska_native", "American Indian or Alaska Native (not Hispanic or Latino)"),
        ("two_or_more_races", "Two or more races (not Hispanic or Latino)")]),
    ("veteran_status", "Veteran status", [
        ("protected_veteran", "I identify as one or more of the classifications of protected veteran"),
        ("not_a_protected_veteran", "I am not a protected veteran")]),
    ("disability_status", "Disability status", [
        ("yes", "Yes, I have a disability (or previously had one)"),
        ("no", "No, I do not have a disability and have not had one")]),
]

FORM = Template("""<h1>Voluntary self-identification</h1>
<p>Thank you for your application. We invite every applicant to answer these questions so that we can check that
our hiring treats everyone fairly.</p>
<p><strong>Answering is entirely voluntary.</strong> Whatever you choose, including not answering, has no effect on
your application: your answers are stored apart from it, are never shown to anyone who decides on it, and are used
only in anonymous totals.</p>
$summary
<form method="post" action="$action">
<input type="hidden" name="csrf_token" value="$csrf">
$questions
<button type="submit">Send my answers</button>
</form>
<p><a href="/careers">Skip this step</a> (your application stays exactly as it is).</p>""")
DONE = Template("""<h1>Thank you</h1>
<p role="status">$message Your application is unchanged.</p>
<p><a href="/careers">See all open positions</a></p>""")


def form(action: str, csrf: str, values: dict[str, str], errors: dict[str, str]) -> str:
    """The questions, each with the candidate's choice (or "I do not wish to answer") selected."""
    questions = "\n".join(choices(name, legend, [DECLINE, *options], values.get(name) or DECLINED, errors.get(name))
                          for name, legend, options in QUESTIONS)
    return FORM.substitute(summary=error_summary(errors), action=esc(action), csrf=esc(csrf), questions=questions)


def done(message: str) -> str:
    return DONE.substitute(message=esc(message))
