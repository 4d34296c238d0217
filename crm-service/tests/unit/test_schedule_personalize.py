"""Tokens, A/B variants, tracking tokens and auto-reply detection (pure functions)."""
from collections import Counter
from uuid import uuid4

from crm.sending.inbound import is_auto_reply
from crm.sending.tracking import Tracker, sign, verify
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


def test_tracking_tokens_verify_and_reject_forgery():
    token = sign("k", {"m": "1", "u": "https://x.example"})
    assert verify("k", token) == {"m": "1", "u": "https://x.example"}
    assert verify("other", token) is None and verify("k", token[:-2] + "xx") is None and verify("k", "garbage") is None


def test_links_are_rewritten_and_the_pixel_appended():
    t = Tracker("https://crm.example/", "k", "m1", "p1")
    html = t.html('See <a href="https://jobs.example/1?a=b">the job</a>')
    assert "https://jobs.example" not in html.split("<img")[0] and "https://crm.example/t/c/" in html
    assert t.pixel().startswith("https://crm.example/t/o/") and t.pixel().endswith(".gif") and t.pixel() in html
    click = t.rewrite_text("Apply: https://jobs.example/1 now").split()[1]
    assert verify("k", click.rsplit("/", 1)[1]) == {"k": "c", "m": "m1", "u": "https://jobs.example/1"}


def test_auto_replies_are_recognised_and_human_replies_are_not():
    assert is_auto_reply({"Auto-Submitted": "auto-replied"}, "Re: hello")
    assert is_auto_reply({}, "Out of Office: back Monday") and is_auto_reply({}, "Automatic reply: Re: hi")
    assert is_auto_reply({"X-Autoreply": "yes"}, None) and is_auto_reply({"Precedence": "auto_reply"}, "Re: x")
    assert not is_auto_reply({"Auto-Submitted": "no"}, "Re: hello") and not is_auto_reply({}, "Re: out of office plans?")
