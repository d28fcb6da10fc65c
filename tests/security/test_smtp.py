"""E-mail to staff never leaves in clear when TLS is asked for, and only to a trusted server.

The mail server here is a real SMTP server on a local port (RFC 5321 with RFC 3207 STARTTLS, or
TLS from the first byte as on port 465), its certificate made by the test.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine, select

from bot.crypto import Cipher
from bot.db.models import StaffAlert
from bot.db.session import make_session_factory
from bot.safety import alerts, events
from bot.safety.detect import Finding
from bot.settings import Settings
from tests.fakes.smtp import FakeSMTP

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

WORDS = "my chest hurts and I can't breathe"


@dataclass
class Certificate:
    cert_file: Path
    key_file: Path


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1, as a site's own mail relay may have."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.site.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "mail.pem", folder / "mail.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_file, key_file)


def _server_tls(certificate: Certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.cert_file, certificate.key_file)
    return context


def _settings(tmp_path: Path, port: int, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "TRIALBOT_VAR_DIR": tmp_path / "var",
        "PSEUDONYM_KEY": "test-key",
        "STAFF_EMAILS": "pv@site.example",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_FROM": "assistant@site.example",
        **extra,
    }
    return Settings(**values)


async def _alert_once(engine: Engine, settings: Settings) -> tuple[int, StaffAlert]:
    """Record an emergency, run one round of the sender: how many went, and the e-mail's alert."""
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        events.record(
            session, settings, Cipher.from_settings(settings),
            Finding(kind="emergency", category="chest_pain", matched="chest hurts"),
            sender_key="k" * 64, channel="telegram", language="en", text=WORDS, trial=None,
        )  # fmt: skip
    sender = alerts.AlertSender(settings=settings, sessions=sessions, telegram=None)
    delivered = await sender.run_once()
    with sessions() as session:
        newest = select(StaffAlert).where(StaffAlert.target == "email").order_by(StaffAlert.id)
        alert = session.scalars(newest).all()[-1]
    return delivered, alert


@pytest.fixture
def plain_server() -> Iterator[FakeSMTP]:
    with FakeSMTP() as smtp:
        yield smtp


@SQLITE
async def test_a_server_without_starttls_gets_nothing_in_clear(
    migrated_engine: Engine,
    tmp_path: Path,
    plain_server: FakeSMTP,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = _settings(tmp_path, plain_server.port)  # SMTP_STARTTLS is on by default
    delivered, alert = await _alert_once(migrated_engine, settings)
    assert delivered == 0 and plain_server.messages == []
    assert not {"MAIL", "RCPT", "DATA", "AUTH"} & set(plain_server.clear_commands())
    assert alert.status == "pending"
    assert alert.last_error is not None and "STARTTLS" in alert.last_error
    assert "SMTP_STARTTLS" in caplog.text


@SQLITE
async def test_an_untrusted_certificate_is_refused_and_a_trusted_one_delivers(
    migrated_engine: Engine, tmp_path: Path, certificate: Certificate
) -> None:
    with FakeSMTP(tls=_server_tls(certificate)) as seen:
        untrusted = _settings(tmp_path, seen.port)
        delivered, alert = await _alert_once(migrated_engine, untrusted)
        assert delivered == 0 and seen.messages == []
        assert alert.status == "pending"
        assert alert.last_error is not None and "certificate" in alert.last_error
        assert "SMTP_CA_FILE" in alert.last_error

        trusted = _settings(tmp_path, seen.port, SMTP_CA_FILE=certificate.cert_file)
        delivered, _ = await _alert_once(migrated_engine, trusted)
    assert delivered >= 1
    assert any(WORDS in mail.get_content() for mail in seen.messages)
    assert seen.clear_commands() == ["EHLO", "STARTTLS"] * 2  # the rest only over TLS


@SQLITE
async def test_implicit_tls_checks_the_certificate_too(
    migrated_engine: Engine, tmp_path: Path, certificate: Certificate
) -> None:
    with FakeSMTP(tls=_server_tls(certificate), implicit=True) as seen:
        untrusted = _settings(tmp_path, seen.port, SMTP_SSL=True)
        delivered, alert = await _alert_once(migrated_engine, untrusted)
        assert delivered == 0 and alert.last_error is not None
        assert "certificate" in alert.last_error

        trusted = _settings(tmp_path, seen.port, SMTP_SSL=True, SMTP_CA_FILE=certificate.cert_file)
        delivered, _ = await _alert_once(migrated_engine, trusted)
    assert delivered >= 1 and seen.clear_commands() == []


def test_a_missing_ca_file_is_a_configuration_error(tmp_path: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="SMTP_CA_FILE"):
        _settings(tmp_path, 25, SMTP_CA_FILE=tmp_path / "nowhere.pem")
