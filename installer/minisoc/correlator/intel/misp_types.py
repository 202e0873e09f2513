"""Which MISP attribute types (and Zeek Intel types) we can match, and as which kind.

Composite MISP types (`a|b`) name, per part, the kind it is matched as; a `port` part is kept on
the indicator (Indicator.port) instead of being matched on its own.

Types checked against PyMISP's `data/describeTypes.json` (PyMISP 2.5.x): it has `ja3-fingerprint-md5`
but no JA3S or JA4 type; `ja3s-fingerprint-md5` and `ja4-fingerprint` are accepted anyway because
MISP objects and some feeds use them as free-form types.
"""

from __future__ import annotations

from minisoc.correlator import model

PORT = "port"

# MISP type -> one kind per `|`-separated part (None: part ignored; PORT: kept as Indicator.port).
MISP_TYPE_PARTS: dict[str, tuple[str | None, ...]] = {
    "ip-src": (model.KIND_CIDR,),
    "ip-dst": (model.KIND_CIDR,),
    "ip-src|port": (model.KIND_CIDR, PORT),
    "ip-dst|port": (model.KIND_CIDR, PORT),
    "domain": (model.KIND_DOMAIN,),
    "hostname": (model.KIND_HOSTNAME,),
    "domain|ip": (model.KIND_DOMAIN, model.KIND_CIDR),
    "hostname|port": (model.KIND_HOSTNAME, PORT),
    "url": (model.KIND_URL,),
    "uri": (model.KIND_URL,),
    "md5": (model.KIND_MD5,),
    "sha1": (model.KIND_SHA1,),
    "sha256": (model.KIND_SHA256,),
    "filename|md5": (None, model.KIND_MD5),
    "filename|sha1": (None, model.KIND_SHA1),
    "filename|sha256": (None, model.KIND_SHA256),
    "malware-sample": (None, model.KIND_MD5),  # `filename|md5`
    "ja3-fingerprint-md5": (model.KIND_JA3,),
    "ja3s-fingerprint-md5": (model.KIND_JA3S,),
    "ja4-fingerprint": (model.KIND_JA4,),
    "x509-fingerprint-md5": (model.KIND_X509_MD5,),
    "x509-fingerprint-sha1": (model.KIND_X509_SHA1,),
    "x509-fingerprint-sha256": (model.KIND_X509_SHA256,),
    "email": (model.KIND_EMAIL,),
    "email-src": (model.KIND_EMAIL,),
    "email-dst": (model.KIND_EMAIL,),
    "user-agent": (model.KIND_USER_AGENT,),
    "filename": (model.KIND_FILENAME,),
}

# Zeek Intel::* indicator types -> the MISP type they are loaded as.
ZEEK_TO_MISP: dict[str, str] = {
    "Intel::ADDR": "ip-dst",
    "Intel::SUBNET": "ip-dst",
    "Intel::DOMAIN": "domain",
    "Intel::URL": "url",
    "Intel::EMAIL": "email",
    "Intel::FILE_NAME": "filename",
    "Intel::CERT_HASH": "x509-fingerprint-sha1",
    "Intel::SOFTWARE": "user-agent",
    "Intel::JA3": "ja3-fingerprint-md5",
}
FILE_HASH_BY_LENGTH = {32: "md5", 40: "sha1", 64: "sha256"}

# The reverse, for intel.log `seen.indicator_type` and for the Zeek intel export.
KIND_TO_ZEEK: dict[str, str] = {
    model.KIND_IP: "Intel::ADDR",
    model.KIND_CIDR: "Intel::SUBNET",
    model.KIND_DOMAIN: "Intel::DOMAIN",
    model.KIND_HOSTNAME: "Intel::DOMAIN",
    model.KIND_URL: "Intel::URL",
    model.KIND_EMAIL: "Intel::EMAIL",
    model.KIND_FILENAME: "Intel::FILE_NAME",
    model.KIND_MD5: "Intel::FILE_HASH",
    model.KIND_SHA1: "Intel::FILE_HASH",
    model.KIND_SHA256: "Intel::FILE_HASH",
    model.KIND_X509_SHA1: "Intel::CERT_HASH",
    model.KIND_USER_AGENT: "Intel::SOFTWARE",
    model.KIND_JA3: "Intel::JA3",
}


def zeek_type_to_misp(zeek_type: str, value: str) -> str | None:
    """The MISP type for a Zeek intel line, or None when we do not match that type."""
    if zeek_type == "Intel::FILE_HASH":
        return FILE_HASH_BY_LENGTH.get(len(value.strip()))
    return ZEEK_TO_MISP.get(zeek_type)
