"""Outgoing mail: an SMTP sender in production, a file outbox (``DATA_DIR/mail``) on embedded defaults."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

import aiosmtplib

from pixie.db.ids import new_id


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


def compose(*, sender: str, to: str, subject: str, text: str, domain: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=domain.split(":")[0])
    message.set_content(text)
    return message


class FileOutbox:
    """Writes each message as an .eml file, so a developer can read what would have been sent."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, message)

    def _write(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{new_id()}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(message.as_bytes())
        tmp.rename(path)  # readers never see half a message

    def messages(self) -> list[EmailMessage]:
        from email import message_from_bytes, policy

        found = []
        for path in sorted(self.directory.glob("*.eml")):
            parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(parsed)
        return found


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str = "",
        password: str = "",
        start_tls: bool = True,
        use_tls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self._host = host
        self._port = port
        self._username = username or None
        self._password = password or None
        # None lets aiosmtplib upgrade when the server offers STARTTLS and carry on when it doesn't.
        self._start_tls: bool | None = None if start_tls else False
        self._use_tls = use_tls
        self._timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            start_tls=self._start_tls,
            use_tls=self._use_tls,
            timeout=self._timeout,
        )
