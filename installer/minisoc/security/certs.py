"""The site PKI: a site CA and one certificate per service, made with `cryptography`, kept across renders.

Layout of `SITE_DIR/pki/` (directory 0700):

- `ca.crt` (0644) and `ca.key` (0600): the site CA. Its key never leaves this directory (never mount it).
- `<name>.crt` (0644) and `<name>.key` (0600, PKCS#8 PEM, what OpenSearch needs) for each `ServiceCert`.
- `pki.json`: the manifest (what was asked), so `minisoc certs renew` can re-issue without the profile.

Exports others rely on:

- `ensure_site_pki(pki_dir, *, services, validity_days, now, ...) -> PkiResult`: create what is missing, keep
  what exists and is still good (same subject, SANs and usages, signed by the current CA, key matching, not
  within the renewal window), re-issue the rest. A second call with the same arguments changes no file.
- `renew(pki_dir, *, now, include_ca=False, validity_days=None) -> PkiResult`: re-issue every leaf (new keys,
  same subjects, so `admin_dn`/`nodes_dn` stay valid); with `include_ca`, the CA too.
- `describe_site_pki(pki_dir, *, now) -> PkiResult`: read-only view for `minisoc certs show`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from minisoc.errors import UsageError
from minisoc.security.cert_specs import (
    CA_NAME,
    KEY_TYPES,
    MANIFEST_NAME,
    KeyType,
    PkiManifest,
    ServiceCert,
    default_service_certs,
)
from minisoc.security.files import (
    ensure_private_dir,
    hand_over,
    write_if_changed,
    write_private,
    write_public,
)
from minisoc.site.layout import PKI_DIR_NAME

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
__all__ = ["CertInfo", "PkiResult", "ServiceCert", "check_site_ca", "default_service_certs",
           "describe_site_pki", "ensure_site_pki", "renew", "site_pki_dir"]

CLOCK_SKEW = timedelta(minutes=5)  # not_before is back-dated: a container with a slow clock still accepts it


@dataclass(frozen=True)
class CertInfo:
    """One certificate on disk, as reported by `minisoc certs show` (no key material)."""

    name: str
    cert_path: Path
    key_path: Path
    subject_dn: str  # RFC 4514, as OpenSearch compares it (`plugins.security.authcz.admin_dn`, `nodes_dn`)
    not_before: datetime
    not_after: datetime
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    sha256_fingerprint: str

    def days_left(self, now: datetime) -> int:
        return (self.not_after - now).days


@dataclass(frozen=True)
class PkiResult:
    """The state of the site PKI after `ensure_site_pki`/`renew`: `issued` names what was (re)created now."""

    pki_dir: Path
    ca: CertInfo
    certs: Mapping[str, CertInfo]
    issued: tuple[str, ...]
    kept: tuple[str, ...]
    reasons: Mapping[str, str]  # name -> why it was (re)issued

    def dn(self, name: str) -> str:
        """The subject DN of certificate `name` (e.g. the admin DN for `plugins.security.authcz.admin_dn`)."""
        return self.certs[name].subject_dn


def site_pki_dir(site_dir: Path) -> Path:
    """Where a site keeps its PKI."""
    return site_dir / PKI_DIR_NAME


def ensure_site_pki(pki_dir: Path, *, services: Sequence[ServiceCert], validity_days: int, now: datetime,
                    organization: str = "minisoc", ca_validity_days: int | None = None,
                    key_type: KeyType = "ec-p256") -> PkiResult:
    """Create the site CA and service certificates that are missing or no longer right; keep the others.

    `now` must be timezone-aware (pass `datetime.now(UTC)`; tests pass a fixed instant). Leaf certificates
    are valid `validity_days` (capped at the CA's end); the CA `ca_validity_days` (default: 10 years, or
    the leaf validity if longer). A certificate is re-issued when missing, unreadable, not matching its key,
    not signed by the current CA, different from its `ServiceCert`, or within its renewal window
    (a quarter of its validity, at most 30 days). The CA is created when there is none and otherwise kept:
    one that exists but is unusable raises UsageError (`check_site_ca`); only `renew(include_ca=True)`
    replaces it.
    """
    manifest = _manifest(services, validity_days, organization, ca_validity_days, key_type)
    return _apply(pki_dir, manifest, now, force_leaves=False, force_ca=False)


def renew(pki_dir: Path, *, now: datetime, include_ca: bool = False, validity_days: int | None = None,
          services: Sequence[ServiceCert] | None = None) -> PkiResult:
    """Re-issue every leaf certificate with a new key (and the CA with `include_ca`), same subjects.

    Without `services`/`validity_days`, uses what the last `ensure_site_pki` recorded in `pki.json`.
    Services must be restarted (or OpenSearch told to reload its certificates) to use the new ones.
    """
    recorded = PkiManifest.read(pki_dir / MANIFEST_NAME)
    manifest = _manifest(recorded.services if services is None else services,
                         recorded.validity_days if validity_days is None else validity_days,
                         recorded.organization, recorded.ca_validity_days, recorded.key_type)
    return _apply(pki_dir, manifest, now, force_leaves=True, force_ca=include_ca)


def describe_site_pki(pki_dir: Path) -> PkiResult:
    """Read the site PKI without changing anything (for `minisoc certs show`)."""
    manifest = PkiManifest.read(pki_dir / MANIFEST_NAME)
    try:
        ca = _info(CA_NAME, pki_dir, _load_cert(pki_dir / "ca.crt"))
        certs = {spec.name: _info(spec.name, pki_dir, _load_cert(pki_dir / f"{spec.name}.crt"))
                 for spec in manifest.services}
    except (OSError, ValueError) as error:
        raise UsageError(f"{pki_dir}: a certificate is missing or unreadable ({type(error).__name__})",
                         hint="run `minisoc render SITE_DIR` to re-create it") from None
    return PkiResult(pki_dir, ca, certs, (), (CA_NAME, *certs), {})


def _manifest(services: Sequence[ServiceCert], validity_days: int, organization: str,
              ca_validity_days: int | None, key_type: KeyType) -> PkiManifest:
    if not 1 <= validity_days <= 3650:
        raise UsageError(f"certificate validity {validity_days} days is out of range",
                         hint="use 1 to 3650 days (tls.validity_days in the profile)")
    if key_type not in KEY_TYPES:
        raise UsageError(f"unknown key type {key_type!r}", hint="use one of " + ", ".join(KEY_TYPES))
    names = [spec.name for spec in services]
    if len(set(names)) != len(names):
        raise UsageError("two certificates share a name", hint="give every ServiceCert its own name")
    ca_days = ca_validity_days if ca_validity_days is not None else max(3650, validity_days)
    return PkiManifest(organization, validity_days, ca_days, key_type, tuple(services))


def _apply(pki_dir: Path, manifest: PkiManifest, now: datetime, *, force_leaves: bool,
           force_ca: bool) -> PkiResult:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    ensure_private_dir(pki_dir)
    reasons: dict[str, str] = {}
    ca_subject = _ca_subject(manifest.organization)
    ca_pair = None if force_ca else _existing_ca(pki_dir, manifest.organization, now)
    if ca_pair is None:
        reasons[CA_NAME] = "renewal requested" if force_ca else "created"
        ca_pair = _issue_ca(pki_dir, ca_subject, now, manifest)
    ca_cert, ca_key = ca_pair
    certs: dict[str, CertInfo] = {}
    for spec in manifest.services:
        cert_path, key_path = pki_dir / f"{spec.name}.crt", pki_dir / f"{spec.name}.key"
        wanted = _name(spec.common_name, spec.organizational_unit, manifest.organization)
        problem = "renewal requested" if force_leaves else _leaf_problem(
            cert_path, key_path, spec, wanted, ca_cert, now, manifest.validity_days)
        if problem:
            reasons[spec.name] = problem
            _issue_leaf(cert_path, key_path, spec, wanted, ca_cert, ca_key, now, manifest)
        hand_over(key_path, spec.owner_uid)
        certs[spec.name] = _info(spec.name, pki_dir, _load_cert(cert_path))
    write_if_changed(pki_dir / MANIFEST_NAME, manifest.to_json(), mode=0o644)
    all_names = (CA_NAME, *certs)
    issued = tuple(n for n in all_names if n in reasons)
    kept = tuple(n for n in all_names if n not in reasons)
    return PkiResult(pki_dir, _info(CA_NAME, pki_dir, ca_cert), certs, issued, kept, reasons)


def _name(common_name: str, unit: str, organization: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _renewal_window(validity_days: int) -> timedelta:
    return timedelta(days=max(1, min(30, validity_days // 4)))


def _new_key(key_type: KeyType) -> PrivateKey:
    if key_type == "rsa-3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _load_key(path: Path) -> PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("unsupported key type")
    return key


def _same_public_key(cert: x509.Certificate, key: PrivateKey) -> bool:
    der = serialization.Encoding.DER
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return cert.public_key().public_bytes(der, spki) == key.public_key().public_bytes(der, spki)


def _ca_subject(organization: str) -> x509.Name:
    return _name(f"{organization} site CA", "ca", organization)


def check_site_ca(pki_dir: Path, *, now: datetime, organization: str = "minisoc") -> None:
    """Raise a UsageError when `pki_dir` holds a site CA that cannot be used as it is.

    No CA at all (neither `ca.crt` nor `ca.key`) is fine: the first render creates one. Anything else that is
    not a valid, current CA with its key (one file missing, unreadable, not a CA, another subject, a key that
    does not match, expired) is an error: a CA is never replaced silently, because every client trusts it
    and every certificate hangs on it; only `minisoc certs renew --ca` replaces it.
    """
    problem = _ca_problem(pki_dir, _ca_subject(organization), now)
    if problem:
        raise UsageError(
            f"{pki_dir / 'ca.crt'}: {problem}",
            "restore pki/ca.crt and pki/ca.key from a backup, or make a new site CA with "
            "`minisoc certs renew SITE_DIR --ca` (then every service must restart and every client trust "
            "the new pki/ca.crt)",
        )


def _ca_problem(pki_dir: Path, subject: x509.Name, now: datetime) -> str | None:
    cert_path, key_path = pki_dir / "ca.crt", pki_dir / "ca.key"
    if not cert_path.exists() and not key_path.exists():
        return None
    for path in (cert_path, key_path):
        if not path.exists():
            return f"the site CA is incomplete: {path.name} is missing"
    try:
        cert = _load_cert(cert_path)
    except (OSError, ValueError):
        return "the site CA certificate is unreadable (not a PEM certificate)"
    try:
        key = _load_key(key_path)
    except (OSError, ValueError, TypeError):
        return "the site CA key (ca.key) is unreadable (not an unencrypted PEM key)"
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value \
        if _has(cert, x509.BasicConstraints) else None
    if constraints is None or not constraints.ca:
        return "not a CA certificate"
    if cert.subject != subject:
        return f"not this site's CA (subject {cert.subject.rfc4514_string()})"
    if not _same_public_key(cert, key):
        return "ca.key does not belong to ca.crt"
    if not cert.not_valid_before_utc <= now < cert.not_valid_after_utc:
        return f"the site CA is not valid now (valid {cert.not_valid_before_utc:%Y-%m-%d} to " \
               f"{cert.not_valid_after_utc:%Y-%m-%d})"
    return None


def _existing_ca(pki_dir: Path, organization: str,
                 now: datetime) -> tuple[x509.Certificate, PrivateKey] | None:
    """The site CA to keep, None when there is none yet; raises when it exists but is not usable."""
    if not (pki_dir / "ca.crt").exists() and not (pki_dir / "ca.key").exists():
        return None
    check_site_ca(pki_dir, now=now, organization=organization)
    return _load_cert(pki_dir / "ca.crt"), _load_key(pki_dir / "ca.key")


def _has(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> bool:
    try:
        cert.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return False
    return True


def _issue_ca(pki_dir: Path, subject: x509.Name, now: datetime,
              manifest: PkiManifest) -> tuple[x509.Certificate, PrivateKey]:
    key = _new_key(manifest.key_type)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW).not_valid_after(now + timedelta(days=manifest.ca_validity_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_private(pki_dir / "ca.key", _key_pem(key))
    write_public(pki_dir / "ca.crt", cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _usages(spec: ServiceCert) -> list[x509.ObjectIdentifier]:
    usages = [ExtendedKeyUsageOID.SERVER_AUTH] if spec.server else []
    return usages + ([ExtendedKeyUsageOID.CLIENT_AUTH] if spec.client else [])


def _alt_names(spec: ServiceCert) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in spec.dns_names]
    return names + [x509.IPAddress(ip_address(text)) for text in spec.ip_addresses]


def _leaf_problem(cert_path: Path, key_path: Path, spec: ServiceCert, subject: x509.Name,
                  ca_cert: x509.Certificate, now: datetime, validity_days: int) -> str | None:
    try:
        cert, key = _load_cert(cert_path), _load_key(key_path)
    except FileNotFoundError:
        return "created"
    except (OSError, ValueError):
        return "unreadable"
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (InvalidSignature, ValueError, TypeError):
        return "not signed by the current site CA"
    if not _same_public_key(cert, key):
        return "key does not match the certificate"
    if cert.subject != subject or _cert_alt_names(cert) != set(_alt_names(spec)):
        return "subject or alternative names changed"
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value \
        if _has(cert, x509.ExtendedKeyUsage) else None
    if eku is None or set(eku) != set(_usages(spec)):
        return "key usages changed"
    if not cert.not_valid_before_utc <= now < cert.not_valid_after_utc:
        return "expired"
    capped = cert.not_valid_after_utc >= ca_cert.not_valid_after_utc  # a new one would not last longer
    if not capped and now >= cert.not_valid_after_utc - _renewal_window(validity_days):
        return "expiring soon"
    return None


def _cert_alt_names(cert: x509.Certificate) -> set[x509.GeneralName]:
    if not _has(cert, x509.SubjectAlternativeName):
        return set()
    return set(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)


def _issue_leaf(cert_path: Path, key_path: Path, spec: ServiceCert, subject: x509.Name,
                ca_cert: x509.Certificate, ca_key: PrivateKey, now: datetime, manifest: PkiManifest) -> None:
    key = _new_key(manifest.key_type)
    public = key.public_key()
    not_after = min(now + timedelta(days=manifest.validity_days), ca_cert.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject).public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                     key_encipherment=isinstance(key, rsa.RSAPrivateKey),
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(_usages(spec)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
                       critical=False)
    )
    alt_names = _alt_names(spec)
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    write_private(key_path, _key_pem(key))
    write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def _info(name: str, pki_dir: Path, cert: x509.Certificate) -> CertInfo:
    alt = _cert_alt_names(cert)
    dns = tuple(sorted(n.value for n in alt if isinstance(n, x509.DNSName)))
    ips = tuple(sorted(str(n.value) for n in alt if isinstance(n, x509.IPAddress)))
    fingerprint = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    return CertInfo(name, pki_dir / f"{name}.crt", pki_dir / f"{name}.key", cert.subject.rfc4514_string(),
                    cert.not_valid_before_utc, cert.not_valid_after_utc, dns, ips, fingerprint)

