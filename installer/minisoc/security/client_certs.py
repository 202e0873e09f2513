"""Client certificates of the site CA for the site's log senders (syslog over TLS, RFC 5425).

`minisoc certs client SITE_DIR NAME --out DIR` writes `DIR/NAME.crt` (0644, the certificate followed by
nothing else), `DIR/NAME.key` (0600) and `DIR/ca.crt` (the site CA, to check the receiver). The certificate is
a clientAuth-only leaf `CN=NAME,OU=clients,O=<organization>`, valid as the site's service certificates are
(never past the CA). It is not recorded in pki.json: `certs renew` does not re-issue it; issue a new one.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from minisoc.errors import UsageError
from minisoc.security.cert_specs import MANIFEST_NAME, PkiManifest
from minisoc.security.files import write_private, write_public

CLIENT_UNIT = "clients"
CLOCK_SKEW = timedelta(minutes=5)
_CLIENT_NAME = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$")  # also its DNS name


def issue_client_cert(pki_dir: Path, name: str, out_dir: Path, *, now: datetime,
                      validity_days: int | None = None) -> tuple[Path, Path]:
    """Issue a client certificate for `name` signed by the site CA in `pki_dir`; (cert path, key path)."""
    if not _CLIENT_NAME.match(name):
        raise UsageError(f"NAME: {name!r} is not a client name",
                         "use lowercase letters, digits, '.' and '-' (the sender's host name)")
    manifest = PkiManifest.read(pki_dir / MANIFEST_NAME)
    try:
        ca_cert = x509.load_pem_x509_certificate((pki_dir / "ca.crt").read_bytes())
        ca_key = serialization.load_pem_private_key((pki_dir / "ca.key").read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise UsageError(f"{pki_dir}: the site CA cannot be read ({type(error).__name__})",
                         "run `minisoc render SITE_DIR` as the user that owns the site") from None
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise UsageError(f"{pki_dir / 'ca.key'}: unsupported CA key type",
                         "renew the CA: `minisoc certs renew --ca`")
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
        rsa.generate_private_key(public_exponent=65537, key_size=3072)
        if manifest.key_type == "rsa-3072" else ec.generate_private_key(ec.SECP256R1())
    )
    days = validity_days or manifest.validity_days
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, manifest.organization),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, CLIENT_UNIT),
        x509.NameAttribute(NameOID.COMMON_NAME, name),
    ])
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(min(now + timedelta(days=days), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                     key_encipherment=isinstance(key, rsa.RSAPrivateKey),
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = out_dir / f"{name}.crt", out_dir / f"{name}.key"
    write_private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    write_public(out_dir / "ca.crt", ca_cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
