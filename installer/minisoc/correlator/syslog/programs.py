"""Dedicated parsers for the programs a site's servers log most: sshd, sudo, postfix, nginx/apache access
logs, OpenVPN, WireGuard and iptables/nftables (kernel netfilter lines). Each reads one message into flat ECS
fields (`source.ip`, `source.port`, `destination.ip`, `user.name`, `email.from.address`, `url.full`, ...);
values are as written (the record builder canonicalises addresses). A program none of them knows gets no
fields here: the generic extractor still reads its message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from minisoc.correlator.syslog.text import ACCESS_LINE, ACCESS_PROGRAM

Fields = dict[str, Any]

_ADDR = r"(?P<addr>[0-9A-Fa-f:.]+)"
_SSHD_USER = re.compile(
    r"^(?P<what>Failed|Accepted) (?P<method>\S+) for (?:invalid user )?(?P<user>.*?) from " + _ADDR
    + r" port (?P<port>\d+)")
_SSHD_INVALID = re.compile(r"^Invalid user (?P<user>.*?) from " + _ADDR + r"(?: port (?P<port>\d+))?")
_SSHD_PEER = re.compile(r"(?:from|by|user \S+) " + _ADDR + r" port (?P<port>\d+)")
_SSHD_LOCAL = re.compile(r" on (?P<addr>[0-9A-Fa-f:.]+) port (?P<port>\d+)")
_SSHD_CLOSED_USER = re.compile(r"(?:authenticating|invalid) user (?P<user>\S+) ")
_SUDO = re.compile(r"^\s*(?P<user>\S+) : (?:(?P<why>[^;]*?) ; )?TTY=(?P<tty>[^;]*) ; PWD=(?P<pwd>[^;]*) ; "
                   r"USER=(?P<target>[^;]*) ;(?: [A-Z]+=[^;]* ;)* COMMAND=(?P<command>.*)$")
# `client=host[addr]`, `connect from host[addr]`, `RCPT from host[addr]:` (a reject), `lost connection
# after ... from host[addr]`; never `from=<...>`, the sender
_POSTFIX_CLIENT = re.compile(
    r"(?:client=|\bfrom )(?P<host>[^\[\s,<]+)\[(?P<addr>[^\]]+)\](?::(?P<port>\d+))?")
_POSTFIX_FROM = re.compile(r"\bfrom=<(?P<mail>[^>]*)>")
_POSTFIX_TO = re.compile(r"\b(?:to|orig_to)=<(?P<mail>[^>]*)>")
_POSTFIX_RELAY = re.compile(r"\brelay=(?P<host>[^\[\s,]+)\[(?P<addr>[^\]]+)\](?::(?P<port>\d+))?")
_POSTFIX_SASL = re.compile(r"\bsasl_username=(?P<user>[^,\s]+)")
_OPENVPN = re.compile(r"^(?:(?P<cn>[^/\s]+)/)?(?:\[AF_INET6?\])?"
                      r"(?P<addr>\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+)"
                      r"(?::| port )(?P<port>\d+) ")
_OPENVPN_PEER = re.compile(
    r"\[AF_INET6?\](?P<addr>\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+?)(?::| port )(?P<port>\d+)")
_OPENVPN_CN = re.compile(r"\[(?P<cn>[^\]]+)\] Peer Connection Initiated")
_WIREGUARD = re.compile(r"(?P<iface>wg[\w.-]*): .*?peer (?P<peer>\d+) \((?P<endpoint>[^)]+)\)")
_NETFILTER_PAIR = re.compile(r"\b(?P<key>IN|OUT|SRC|DST|PROTO|SPT|DPT|MAC)=(?P<value>\S*)")
_PORT_TAIL = re.compile(r"^(?P<addr>.+?)(?::(?P<port>\d+))$")


def _set_endpoint(fields: Fields, side: str, address: str | None, port: str | None = None) -> None:
    if address:
        fields[f"{side}.ip"] = address.strip("[]")
    if port and port.isdecimal():
        fields[f"{side}.port"] = int(port)


def sshd(message: str) -> Fields:
    """`Failed password for root from ADDR port P ssh2`, `Accepted publickey for alice from ...`,
    `Invalid user admin from ADDR port P`, `Connection closed by ... ADDR port P [preauth]`, ..."""
    fields: Fields = {}
    match = _SSHD_USER.match(message)
    if match is not None:
        fields["user.name"] = match.group("user")
        fields["event.outcome"] = "success" if match.group("what") == "Accepted" else "failure"
        fields["event.action"] = "ssh_login"
        fields["ssh.method"] = match.group("method")
        _set_endpoint(fields, "source", match.group("addr"), match.group("port"))
        return fields
    match = _SSHD_INVALID.match(message)
    if match is not None:
        fields["user.name"] = match.group("user")
        fields["event.outcome"] = "failure"
        fields["event.action"] = "ssh_invalid_user"
        _set_endpoint(fields, "source", match.group("addr"), match.group("port"))
        return fields
    match = _SSHD_PEER.search(message)
    if match is not None:
        _set_endpoint(fields, "source", match.group("addr"), match.group("port"))
        user = _SSHD_CLOSED_USER.search(message)
        if user is not None:
            fields["user.name"] = user.group("user")
    local = _SSHD_LOCAL.search(message)
    if local is not None:
        _set_endpoint(fields, "destination", local.group("addr"), local.group("port"))
    return fields


def sudo(message: str) -> Fields:
    """`alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/curl http://...`."""
    match = _SUDO.match(message)
    if match is None:
        return {}
    fields: Fields = {"user.name": match.group("user"), "user.target.name": match.group("target"),
                      "process.command_line": match.group("command"), "process.working_directory":
                      match.group("pwd"), "event.action": "sudo"}
    if match.group("why"):  # `3 incorrect password attempts`, `user NOT in sudoers`
        fields["event.outcome"] = "failure"
        fields["event.reason"] = match.group("why").strip()
    return fields


def postfix(message: str) -> Fields:
    """`connect from host[ADDR]`, `QID: client=host[ADDR]`, `QID: from=<a@b>, size=...`,
    `QID: to=<c@d>, relay=host[ADDR]:25, ...`."""
    fields: Fields = {}
    client = _POSTFIX_CLIENT.search(message)
    if client is not None:
        _set_endpoint(fields, "source", client.group("addr"), client.group("port"))
        if client.group("host") != "unknown":
            fields["source.domain"] = client.group("host")
    sender = _POSTFIX_FROM.search(message)
    if sender is not None and sender.group("mail"):
        fields["email.from.address"] = sender.group("mail")
    recipients = [match.group("mail") for match in _POSTFIX_TO.finditer(message) if match.group("mail")]
    if recipients:
        fields["email.to.address"] = recipients
    relay = _POSTFIX_RELAY.search(message)
    if relay is not None:
        _set_endpoint(fields, "destination", relay.group("addr"), relay.group("port"))
        if relay.group("host") not in ("none", "local"):
            fields["destination.domain"] = relay.group("host")
    user = _POSTFIX_SASL.search(message)
    if user is not None:
        fields["user.name"] = user.group("user")
    return fields


def access(message: str) -> Fields:
    """A combined/common access log line (nginx, apache; vhost_combined too): client, request, referrer."""
    match = ACCESS_LINE.match(message)
    if match is None:
        return {}
    fields: Fields = {"source.ip": match.group("client")}
    method, _, rest = match.group("request").partition(" ")
    target = rest.rsplit(" ", 1)[0] if " " in rest else rest
    if method:
        fields["http.request.method"] = method
    vhost = match.group("vhost")
    if target:
        fields["url.original"] = target
        if "://" in target:
            fields["url.full"] = target
        elif target.startswith("/") and vhost:
            host, _, port = vhost.partition(":")
            scheme = "https" if port == "443" else "http"
            shown = host if port in ("", "80", "443") else vhost
            fields["url.full"] = f"{scheme}://{shown}{target}"
    if vhost:
        fields["url.domain"] = vhost.partition(":")[0]
    if match.group("status").isdecimal():
        fields["http.response.status_code"] = int(match.group("status"))
    if match.group("user") != "-":
        fields["user.name"] = match.group("user")
    referrer = match.group("referrer")
    if referrer and referrer != "-":
        fields["http.request.referrer"] = referrer
    agent = match.group("agent")
    if agent and agent != "-":
        fields["user_agent.original"] = agent
    return fields


def openvpn(message: str) -> Fields:
    """`alice/203.0.113.5:51234 MULTI_sva: ...`, `203.0.113.5:51234 TLS: Initial packet from
    [AF_INET]203.0.113.5:51234`, `... [alice] Peer Connection Initiated with [AF_INET]...`."""
    fields: Fields = {}
    match = _OPENVPN.match(message) or _OPENVPN_PEER.search(message)
    if match is not None:
        _set_endpoint(fields, "source", match.group("addr"), match.group("port"))
        common_name = match.groupdict().get("cn")
        if common_name:
            fields["user.name"] = common_name
    initiated = _OPENVPN_CN.search(message)
    if initiated is not None:
        fields["user.name"] = initiated.group("cn")
    return fields


def wireguard(message: str) -> Fields:
    """Kernel lines `wireguard: wg0: Receiving handshake initiation from peer 3 (198.51.100.7:36011)`."""
    match = _WIREGUARD.search(message)
    if match is None:
        return {}
    fields: Fields = {"observer.ingress.interface.name": match.group("iface"),
                      "wireguard.peer": match.group("peer")}
    endpoint = _PORT_TAIL.match(match.group("endpoint"))
    if endpoint is not None:
        _set_endpoint(fields, "source", endpoint.group("addr"), endpoint.group("port"))
    return fields


def netfilter(message: str) -> Fields:
    """iptables/nftables LOG lines:
    `[UFW BLOCK] IN=eth0 OUT= MAC=... SRC=A DST=B ... PROTO=TCP SPT=p DPT=q`."""
    pairs = {match.group("key"): match.group("value") for match in _NETFILTER_PAIR.finditer(message)}
    if "SRC" not in pairs or "DST" not in pairs:
        return {}
    fields: Fields = {}
    _set_endpoint(fields, "source", pairs["SRC"], pairs.get("SPT"))
    _set_endpoint(fields, "destination", pairs["DST"], pairs.get("DPT"))
    if pairs.get("PROTO"):
        fields["network.transport"] = pairs["PROTO"].lower()
    if pairs.get("IN"):
        fields["observer.ingress.interface.name"] = pairs["IN"]
    if pairs.get("OUT"):
        fields["observer.egress.interface.name"] = pairs["OUT"]
    prefix = message.split(" IN=", 1)[0].strip()
    if prefix and "=" not in prefix:
        fields["rule.name"] = prefix.strip("[] ")
    return fields


_BY_PROGRAM: dict[str, Callable[[str], Fields]] = {
    "sshd": sshd, "sshd-session": sshd, "sudo": sudo, "nginx": access, "apache2": access, "httpd": access,
    ACCESS_PROGRAM: access, "openvpn": openvpn, "ovpn-server": openvpn,
}


def program_fields(program: str | None, message: str) -> Fields:
    """The dedicated parser's fields for this program's message (by program name, then by the message's shape
    for kernel and firewall lines); {} when none applies."""
    name = (program or "").lower()
    parser = _BY_PROGRAM.get(name)
    if parser is None:
        if name.startswith("postfix"):  # `postfix/smtpd` (rsyslog may keep the slash)
            parser = postfix
        elif name.startswith("openvpn"):
            parser = openvpn
    if parser is not None:
        return parser(message)
    if "SRC=" in message and "DST=" in message:
        return netfilter(message)
    if "peer " in message and "wg" in message:
        return wireguard(message)
    return {}
