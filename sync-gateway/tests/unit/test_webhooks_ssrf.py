"""Where webhooks may go, over every spelling of an address a fuzzer (or an attacker) would try: the URL is read by
the parser that sends it, and only public addresses (or loopback, when allowed) in one plain spelling get through."""
import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.delivery import new_client, send
from sync_gateway.webhooks.ssrf import (
    IPV4_SPECIAL,
    Destinations,
    UnsafeDestination,
    check_address,
    parse,
    resolve,
)

PUBLIC, LOOPBACK, BOTH = Destinations.PUBLIC, Destinations.LOOPBACK, Destinations.PUBLIC_AND_LOOPBACK
V4_NON_PUBLIC = [net for net, _ in IPV4_SPECIAL] + [ipaddress.ip_network("127.0.0.0/8")]
V6_NON_PUBLIC = [ipaddress.ip_network(n) for n in (
    "::1/128", "::/128", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8", "100::/64", "2001:db8::/32", "2001::/23",
    "3fff::/20", "5f00::/16")]


def addresses_in(nets: list) -> st.SearchStrategy:  # type: ignore[type-arg]
    return st.sampled_from(nets).flatmap(lambda n: st.integers(int(n.network_address), int(n.broadcast_address))
                                         .map(lambda i: ipaddress.ip_address(i) if n.version == 4 else ipaddress.IPv6Address(i)))


non_public_v4 = addresses_in(V4_NON_PUBLIC)
any_v4 = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)
# Drawn from 1.0.0.0-223.255.255.255 (unicast outside 0/8), so the filter drops a few percent: over all of the space,
# Hypothesis's lean to small numbers (0.0.0.x) made it drop most early draws and fail its filter_too_much check.
public_v4 = st.integers(0x01000000, 0xDFFFFFFF).map(ipaddress.IPv4Address).filter(
    lambda ip: not any(ip in n for n in V4_NON_PUBLIC) and ip.is_global)


def _part(value: int, base: str) -> str:
    return {"dec": str(value), "oct": "0" + format(value, "o"), "hex": hex(value), "HEX": "0X" + format(value, "X")}[base]


@st.composite
def other_spellings(draw: st.DrawFn, ip: ipaddress.IPv4Address, wide_dots: bool = True) -> str:
    """The address written any way a resolver or a URL parser might read as it, but four plain decimals (IDNA's
    dot look-alikes are read as dots by the sender, so they name the same address: `wide_dots`)."""
    n = int(ip)
    octets = list(ip.packed)
    shape = draw(st.sampled_from(["parts", "a.b.c", "a.b", "a", "mapped", "mapped-hex", "compatible", "nat64",
                                  "nat64-local", "6to4", "teredo", "padded", "trailing-dot", "percent",
                                  *(["wide-dots"] if wide_dots else [])]))
    if shape == "parts":
        bases = draw(st.lists(st.sampled_from(["dec", "oct", "hex", "HEX"]), min_size=4, max_size=4)
                     .filter(lambda b: b != ["dec"] * 4))
        return ".".join(_part(o, b) for o, b in zip(octets, bases, strict=True))
    if shape in ("a.b.c", "a.b", "a"):
        base = draw(st.sampled_from(["dec", "oct", "hex"]))
        head = {"a.b.c": octets[:2], "a.b": octets[:1], "a": []}[shape]
        tail = n & {"a.b.c": 0xFFFF, "a.b": 0xFFFFFF, "a": 0xFFFFFFFF}[shape]
        return ".".join([*(str(o) for o in head), _part(tail, base)])
    hi, lo = format(n >> 16, "x"), format(n & 0xFFFF, "x")
    v6 = {"mapped": f"::ffff:{ip}", "mapped-hex": f"::ffff:{hi}:{lo}", "compatible": f"::{ip}", "nat64": f"64:ff9b::{ip}",
          "nat64-local": f"64:ff9b:1::{hi}:{lo}", "6to4": f"2002:{hi}:{lo}::1",
          "teredo": f"2001:0:4136:e378:8000:63bf:{format((n ^ 0xFFFFFFFF) >> 16, 'x')}:{format((n ^ 0xFFFFFFFF) & 0xFFFF, 'x')}"}
    if shape in v6:
        text = v6[shape]
        return "[" + (text.upper() if draw(st.booleans()) else text) + "]"
    if shape == "padded":
        padded = draw(st.integers(0, 3))
        return ".".join(("0" + str(o)) if i == padded else str(o) for i, o in enumerate(octets))
    if shape == "trailing-dot":
        return f"{_part(n, 'dec')}."
    if shape == "percent":
        return "".join(f"%{ord(c):02x}" if c.isdigit() and draw(st.booleans()) else c for c in str(ip)) + "%2e"
    return str(ip).replace(".", draw(st.sampled_from(["\u3002", "\uff0e", "\uff61"])))


def url(host: str, draw_port: int | None = None) -> str:
    return f"http://{host}{'' if draw_port is None else f':{draw_port}'}/hook"


@settings(max_examples=400, deadline=None)  # a shared machine: no per-example deadline
@given(ip=non_public_v4, data=st.data(), port=st.none() | st.integers(1, 65535))
def test_no_spelling_of_a_non_public_ipv4_address_is_accepted(ip: ipaddress.IPv4Address, data: st.DataObject,
                                                               port: int | None) -> None:
    spelling = data.draw(st.just(str(ip)) | other_spellings(ip))
    with pytest.raises(UnsafeDestination):
        parse(url(spelling, port), PUBLIC)


@settings(max_examples=300, deadline=None)  # a shared machine: no per-example deadline
@given(ip=public_v4, data=st.data())
def test_a_public_ipv4_address_passes_only_as_four_decimal_numbers(ip: ipaddress.IPv4Address, data: st.DataObject) -> None:
    assert parse(url(str(ip)), PUBLIC).host == str(ip)
    spelling = data.draw(other_spellings(ip, wide_dots=False))
    with pytest.raises(UnsafeDestination):
        parse(url(spelling), PUBLIC)


@settings(max_examples=300, deadline=None)  # a shared machine: no per-example deadline
@given(ip=addresses_in(V6_NON_PUBLIC), upper=st.booleans(), exploded=st.booleans())
def test_no_spelling_of_a_non_public_ipv6_address_is_accepted(ip: ipaddress.IPv6Address, upper: bool, exploded: bool) -> None:
    text = ip.exploded if exploded else ip.compressed
    with pytest.raises(UnsafeDestination):
        parse(url(f"[{text.upper() if upper else text}]"), PUBLIC)


@settings(max_examples=300, deadline=None)  # a shared machine: no per-example deadline
@given(ip=any_v4 | addresses_in([ipaddress.ip_network("2000::/3")]), name=st.from_regex(r"\A[a-z]{1,10}\.(com|org|io)\Z"))
def test_loopback_only_refuses_every_destination_but_this_machine(ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
                                                                  name: str) -> None:
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    if ip.version == 4 and ip in ipaddress.ip_network("127.0.0.0/8"):
        assert parse(url(host), LOOPBACK)
    else:
        with pytest.raises(UnsafeDestination, match="only loopback"):
            parse(url(host), LOOPBACK)
    with pytest.raises(UnsafeDestination, match="only loopback"):
        parse(f"https://{name}/hook", LOOPBACK)


@settings(max_examples=500, deadline=None)  # a shared machine: no per-example deadline
@given(text=st.text(max_size=80) | st.builds(lambda s, h, rest: f"{s}://{h}{rest}", st.sampled_from(["http", "https", "ftp", "HTTP"]),
                                              st.text(max_size=40), st.text(max_size=20)))
def test_any_text_is_either_refused_or_a_url_httpx_sends_to_an_allowed_host(text: str) -> None:
    for destinations in (PUBLIC, LOOPBACK, BOTH):
        try:
            target = parse(text, destinations)
        except UnsafeDestination:
            continue
        assert httpx.URL(text) == target and target.scheme in ("http", "https") and 0 < (target.port or 80) < 65536
        host = target.raw_host.decode("ascii")
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            continue
        check_address(literal, destinations)  # never raises for what parse let through


@pytest.mark.parametrize("bad", ["http://0177.0.0.1:8080/", "http://127.1/", "http://0x7f000001/", "http://2130706433/",
                                 "http://0/", "http://0.0.0.0/", "http://100.64.0.1/", "http://224.0.0.1/",
                                 "http://[::ffff:10.0.0.1]/", "http://[2002:a00:1::]/", "http://[64:ff9b::a00:1]/",
                                 "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/", "http://[fe80::1%25eth0]/",
                                 "http://169.254.169.254/latest/meta-data", "http://metadata.google.internal/",
                                 "http://printer.local/", "http://intranet/", "http://x.example:99999/",
                                 "ftp://example.com/", "http://u:p@example.com/", "not a url", "http:///nohost"])
def test_named_ways_to_reach_inside_are_refused(bad: str) -> None:
    with pytest.raises(UnsafeDestination):
        parse(bad, PUBLIC)


def test_loopback_needs_the_setting_and_never_opens_other_internal_ranges() -> None:
    for ok in ("http://127.0.0.1:9999/hook", "http://localhost:9999/hook", "http://[::1]:9/"):
        parse(ok, BOTH)
        parse(ok, LOOPBACK)
        with pytest.raises(UnsafeDestination, match="loopback"):
            parse(ok, PUBLIC)
    for bad in ("http://169.254.169.254/", "http://10.1.2.3/"):
        with pytest.raises(UnsafeDestination):
            parse(bad, BOTH)
    assert parse("https://hooks.example.com/x", PUBLIC).host == "hooks.example.com"
    assert parse("https://bücher.example/x", PUBLIC).raw_host == b"xn--bcher-kva.example"


@pytest.fixture
async def dns(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[dict[str, list[str]]]:
    """A fake resolver for names (an outside party: tests never query real DNS)."""
    answers: dict[str, list[str]] = {}
    loop = asyncio.get_running_loop()

    async def getaddrinfo(host: str, port: int, **_: object) -> list[tuple[object, ...]]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "no such name")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]
    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    yield answers


async def test_a_name_is_refused_at_send_time_when_any_address_it_resolves_to_is_internal(dns: dict[str, list[str]]) -> None:
    dns["hooks.example.com"] = ["93.184.216.34"]
    assert await resolve(parse("https://hooks.example.com/", PUBLIC), PUBLIC) == ["93.184.216.34"]
    dns["hooks.example.com"] = ["93.184.216.34", "10.0.0.5"]  # rebinding, or one bad record among good ones
    with pytest.raises(UnsafeDestination, match="10.0.0.5 is a private address"):
        await resolve(parse("https://hooks.example.com/", PUBLIC), PUBLIC)
    dns["hooks.example.com"] = ["2002:a00:1::1"]
    with pytest.raises(UnsafeDestination, match="6to4"):
        await resolve(parse("https://hooks.example.com/", PUBLIC), PUBLIC)
    with pytest.raises(UnsafeDestination, match="cannot resolve"):
        await resolve(parse("https://gone.example.com/", PUBLIC), PUBLIC)


async def test_localhost_resolves_to_loopback_only_when_allowed() -> None:
    addresses = await resolve(parse("http://localhost:1/", LOOPBACK), LOOPBACK)
    assert addresses and all(ipaddress.ip_address(a).is_loopback for a in addresses)
    with pytest.raises(UnsafeDestination, match="loopback"):
        await resolve(parse("http://localhost:1/", PUBLIC), PUBLIC)


@pytest.mark.parametrize("stored", ["http://0177.0.0.1:8080/", "http://127.1/", "http://x.example:99999/", "::",
                                    "http://[fe80::1%25eth0]/", "https://public.example.com/"])
async def test_a_url_that_cannot_be_sent_is_a_failed_attempt_never_an_exception(stored: str) -> None:
    hooks = WebhookSettings(destinations=LOOPBACK)  # the public one is refused too: tests never call out
    async with new_client(hooks) as client:
        outcome = await send(client, hooks, url=stored, secrets=["whsec_" + "A" * 44], msg_id="m", body="{}")
    assert not outcome.ok and outcome.response_status is None and "destination refused" in (outcome.error or "")
