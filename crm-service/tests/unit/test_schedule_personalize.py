"""Tokens, A/B variants, tracking tokens and auto-reply detection (pure functions)."""
from collections import Counter
from uuid import uuid4

from crm.sending.content import compose
from crm.sending.inbound import is_auto_reply
from crm.sequences.personalize import choose_variant, malformed, render, tokens


def test_tokens_are_filled_and_spacing_inside_braces_is_allowed():
    assert render("Hi {{first_name}}, {{ job_title }} at {{company}}", {"first_name": "Ada", "job_title": "SRE",
                                                                        "company": "Acme"}) == ("Hi Ada, SRE at Acme", [])


def test_a_missing_or_empty_token_blocks_and_names_every_missing_token():
    assert render("Hi {{first_name}} at {{company}} {{team}}", {"first_name": "Ada", "company": ""}) == ("", ["company", "team"])


def test_a_value_carrying_a_token_never_goes_out_literally():
    text, missing = render("Hi {{first_name}}", {"first_name": "{{evil}}"})
    assert text == "" and missing


def test_malformed_braces_are_detected():
    assert malformed("Hi {{first name}}") and malformed("Hi {{first_name}") and not malformed("Hi {{first_name}}")
    assert tokens("{{a}} {{b}} {{a}}") == ["a", "b"]


def test_variant_choice_is_stable_per_enrollment_and_follows_weights():
    e = uuid4()
    assert len({choose_variant(e, 0, [1, 1]) for _ in range(20)}) == 1
    spread = Counter(choose_variant(uuid4(), 0, [3, 1]) for _ in range(4000))
    assert 0.70 < spread[0] / 4000 < 0.80


def click(index: int) -> str:
    return f"https://crm.example/t/c/{index}"


def test_a_text_body_tracks_only_the_authors_links_and_escapes_tokens_in_the_html_part():
    name = '<a href="https://evil.example/p">Ann</a>'
    c = compose(subject="Hi {{first_name}}", body="Hi {{first_name}}, see https://jobs.example/1.\nBye",
                body_html=None, variables={"first_name": name}, click=click)
    assert c.links == ["https://jobs.example/1"]
    assert c.text == f"Hi {name}, see https://crm.example/t/c/0.\nBye"
    assert c.html == ('Hi &lt;a href=&quot;https://evil.example/p&quot;&gt;Ann&lt;/a&gt;, see '
                      '<a href="https://crm.example/t/c/0">https://jobs.example/1</a>.<br>\nBye')
    assert c.subject == f"Hi {name}"


def test_an_html_body_tracks_its_hrefs_and_percent_encodes_tokens_inside_them():
    c = compose(subject="x", body="Apply: https://jobs.example/1", variables={"team": "a b&c", "n": "<i>"},
                body_html='<p>{{n}} <a href="https://jobs.example/{{team}}?x=1&amp;y=2">go</a> <a href="mailto:a@b">m</a></p>',
                click=click)
    assert c.links == ["https://jobs.example/1", "https://jobs.example/a%20b%26c?x=1&y=2"]
    assert c.html == '<p>&lt;i&gt; <a href="https://crm.example/t/c/1">go</a> <a href="mailto:a@b">m</a></p>'
    assert c.text == "Apply: https://crm.example/t/c/0"


def test_a_subject_never_carries_a_line_break():
    assert compose(subject="Hi {{n}}", body="b", body_html=None, variables={"n": "A\r\nBcc: x@y"}, click=click).subject \
        == "Hi A Bcc: x@y"


def test_auto_replies_are_recognised_and_human_replies_are_not():
    assert is_auto_reply({"Auto-Submitted": "auto-replied"}, "Re: hello")
    assert is_auto_reply({}, "Out of Office: back Monday") and is_auto_reply({}, "Automatic reply: Re: hi")
    assert is_auto_reply({"X-Autoreply": "yes"}, None) and is_auto_reply({"Precedence": "auto_reply"}, "Re: x")
    assert not is_auto_reply({"Auto-Submitted": "no"}, "Re: hello") and not is_auto_reply({}, "Re: out of office plans?")
