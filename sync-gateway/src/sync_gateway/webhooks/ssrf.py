"""Where a webhook may go. The URL is read by the parser that sends it (httpx), so what is checked is what is sent;
its host must be a public address (or loopback, when the setting allows it), at creation and again at send time
for every address the name resolves to.

Refused: private, shared (CGNAT), loopback, link-local (cloud metadata), multicast, reserved, documentation and
"this network" ranges; IPv6 forms that carry an IPv4 address we would not vet (IPv4-mapped and -compatible,
NAT64, 6to4, Teredo); IPv4 in any spelling but four decimal numbers (`0177.0.0.1`, `127.1`, `0x7f000001`,
`2130706433`), zone ids, credentials in the URL, internal name suffixes."""
from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from enum import StrEnum

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Destinations(StrEnum):
    """Which destinations a gateway may send to (`GATEWAY_WEBHOOKS_DESTINATIONS`)."""

    PUBLIC = "public"
    PUBLIC_AND_LOOPBACK = "public_and_loopback"
    LOOPBACK = "loopback"

    @property
    def loopback(self) -> bool:
        return self is not Destinations.PUBLIC

    @property
    def public(self) -> bool:
        return self is not Destinations.LOOPBACK


class UnsafeDestination(ValueError):
    """The URL or an address its host resolves to may not receive webhooks."""


def _nets(*specs: tuple[str, str]) -> list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]]:
    return [(ipaddress.ip_network(net), label) for net, label in specs]


# IANA's IPv4 special-purpose registry, by what a reader would call it.
IPV4_SPECIAL = _nets(
    ("0.0.0.0/8", "a 'this network' address"), ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a shared (CGNAT) address"), ("169.254.0.0/16", "a link-local (cloud metadata) address"),
    ("172.16.0.0/12", "a private address"), ("192.0.0.0/24", "an IETF protocol address"),
    ("192.0.2.0/24", "a documentation address"), ("192.88.99.0/24", "a 6to4 relay address"),
    ("192.168.0.0/16", "a private address"), ("198.18.0.0/15", "a benchmarking address"),
    ("198.51.100.0/24", "a documentation address"), ("203.0.113.0/24", "a documentation address"),
    ("224.0.0.0/4", "a multicast address"), ("240.0.0.0/4", "a reserved address"),
)
# IPv6 forms that translate to an IPv4 address somewhere on the way: refused whatever they carry.
IPV6_EMBEDDING = _nets(
    ("::/128", "the unspecified address"), ("::ffff:0:0/96", "an IPv4-mapped address"), ("::/96", "an IPv4-compatible address"),
    ("64:ff9b::/96", "a NAT64 address"), ("64:ff9b:1::/48", "a NAT64 address"), ("2002::/16", "a 6to4 address"),
    ("2001::/32", "a Teredo address"), ("::ffff:0:0:0/96", "an IPv4-translated address"),
)
IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
IPV6_SPECIAL = _nets(
    ("2001::/23", "an IETF protocol address"), ("2001:db8::/32", "a documentation address"),
    ("3fff::/20", "a documentation address"),
)
INTERNAL_SUFFIXES = (".internal", ".local", ".localdomain", ".home.arpa", ".lan", ".intranet", ".corp")
INTERNAL_NAMES = {"metadata", "instance-data", "localhost.localdomain"}
LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
HOSTNAME = re.compile(rf"^{LABEL}(\.{LABEL})*$")
NUMERIC_LABEL = re.compile(r"^([0-9]+|0x[0-9a-f]*)$")


def is_loopback(ip: IPAddress) -> bool:
    """127.0.0.0/8 and ::1 only (a mapped or translated loopback is refused like any embedded IPv4)."""
    return ip in ipaddress.ip_network("127.0.0.0/8") if ip.version == 4 else ip == ipaddress.IPv6Address("::1")


def not_public(ip: IPAddress) -> str | None:
    """Why the address is not a public internet address, or None when it is."""
    if ip.version == 4:
        for net, label in IPV4_SPECIAL:
            if ip in net:
                return label
    else:
        for net, label in IPV6_EMBEDDING:
            if ip in net:
                return label
        if ip not in IPV6_GLOBAL_UNICAST:
            return "not a global unicast address"
        for net, label in IPV6_SPECIAL:
            if ip in net:
                return label
    if is_loopback(ip):
        return "a loopback address"
    return None if ip.is_global else "not a public address"


def check_address(ip: IPAddress, destinations: Destinations) -> None:
    """Refuse an address the setting does not allow."""
    if is_loopback(ip):
        if not destinations.loopback:
            raise UnsafeDestination(f"{ip} is a loopback address")
        return
    if not destinations.public:
        raise UnsafeDestination(f"{ip} is not a loopback address, and only loopback destinations are allowed here")
    reason = not_public(ip)
    if reason:
        raise UnsafeDestination(f"{ip} is {reason}")


def _host(target: httpx.URL) -> str:
    """The host as it goes on the wire: ASCII (IDNA-encoded), IPv6 without brackets."""
    return target.raw_host.decode("ascii")


def _literal(host: str) -> IPAddress | None:
    """The address a host names literally (httpx has already refused malformed dotted quads), or None for a name."""
    if ":" in host:
        if "%" in host:
            raise UnsafeDestination("IPv6 zone ids are not allowed")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise UnsafeDestination(f"{host!r} is not a valid IPv6 address") from None
    try:
        return ipaddress.IPv4Address(host)
    except ValueError:
        return None


def _check_name(host: str, destinations: Destinations) -> None:
    name = host.lower().removesuffix(".")
    if len(name) > 253 or not HOSTNAME.match(name):
        raise UnsafeDestination(f"{host!r} is not a valid host name")
    if NUMERIC_LABEL.match(name.rsplit(".", 1)[-1]):
        # a name ending in a number is an IPv4 address to every resolver (`127.1`, `0x7f.1`, `2130706433`)
        raise UnsafeDestination(f"{host!r} looks like an IPv4 address: write it as four decimal numbers")
    if name == "localhost" or name.endswith(".localhost"):
        if not destinations.loopback:
            raise UnsafeDestination(f"{host} is a loopback host")
        return
    if not destinations.public:
        raise UnsafeDestination(f"{host} is not a loopback host, and only loopback destinations are allowed here")
    if name in INTERNAL_NAMES or name.endswith(INTERNAL_SUFFIXES) or "." not in name:
        raise UnsafeDestination(f"{host} is an internal host name")


def parse(url: str, destinations: Destinations) -> httpx.URL:
    """The URL as the sender reads it, or UnsafeDestination: http(s), a host the setting allows, no credentials."""
    try:
        target = httpx.URL(url)
        port = target.port
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise UnsafeDestination(f"not a URL that can be sent to: {exc}") from None
    if target.scheme not in ("http", "https"):
        raise UnsafeDestination("the URL must be http or https")
    if target.userinfo:
        raise UnsafeDestination("the URL may not carry credentials")
    if port is not None and not 0 < port < 65536:
        raise UnsafeDestination(f"port {port} is out of range")
    host = _host(target)
    if not host:
        raise UnsafeDestination("the URL has no host")
    literal = _literal(host)
    if literal is not None:
        check_address(literal, destinations)
    else:
        _check_name(host, destinations)
    return target


async def resolve(target: httpx.URL, destinations: Destinations) -> list[str]:
    """At send time: every address the host resolves to must be allowed. Returns them, IPv4 first."""
    host = _host(target)
    literal = _literal(host)
    if literal is not None:
        check_address(literal, destinations)
        return [str(literal)]
    _check_name(host, destinations)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, target.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeDestination(f"cannot resolve {host}: {exc}") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
    if not addresses:
        raise UnsafeDestination(f"{host} resolves to no address")
    for ip in addresses:
        check_address(ip, destinations)
    return [str(ip) for ip in sorted(addresses, key=lambda ip: ip.version)]
