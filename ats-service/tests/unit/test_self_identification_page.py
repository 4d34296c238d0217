"""The voluntary self-identification page offers exactly the EEO categories, each question first with "I do not
wish to answer" (selected unless the candidate chose otherwise), every radio with its label."""
import re

from ats.eeo import pages
from ats.eeo.models import DECLINED, QUESTIONS


def test_the_page_asks_every_eeo_question_with_exactly_its_categories():
    assert [name for name, _, _ in pages.QUESTIONS] == list(QUESTIONS)
    for name, _, options in pages.QUESTIONS:
        assert {DECLINED, *(value for value, _ in options)} == {c.value for c in QUESTIONS[name]}


def test_every_question_starts_with_declining_which_is_selected_until_something_else_is_chosen():
    html = pages.form("/careers/self-identification/t", "csrf", {"gender": "female"}, {})
    for name in QUESTIONS:
        assert f'id="{name}-0" name="{name}" value="{DECLINED}"' in html
        assert f'<label for="{name}-0">I do not wish to answer</label>' in html
    assert 'value="female" checked' in html and f'name="gender" value="{DECLINED}" checked' not in html
    assert f'name="race_ethnicity" value="{DECLINED}" checked' in html
    radios = re.findall(r'<input type="radio" id="([^"]+)"', html)
    assert radios and all(f'<label for="{r}">' in html for r in radios)
