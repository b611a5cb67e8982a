"""Deliver email: to an SMTP server (aiosmtplib), or to a folder of .eml files.

SMTP settings come from environment variables only, never from config files:
PEPFLOW_SMTP_HOST, PEPFLOW_SMTP_PORT (default 587, or 465 with TLS), PEPFLOW_SMTP_USERNAME,
PEPFLOW_SMTP_PASSWORD, PEPFLOW_SMTP_SECURITY (starttls, tls or none; default starttls),
PEPFLOW_SMTP_CONNECTIONS (how many at once, 1 to 20; default 4: lower it for a relay that limits them).
Without PEPFLOW_SMTP_HOST, emails are written to the configured folder (default ``outbox/``).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Awaitable, Callable, Mapping, Protocol, Sequence

from pepflow.errors import InputError
from pepflow.notify.faults import AddressNotSendable, MessageNotWritten
from pepflow.notify.render import OutgoingEmail
from pepflow.environment import Environment, environment

if TYPE_CHECKING:
    from pepflow.environment import Environment

MAX_CONNECTIONS = 20


# called with each message's index and its error (None: the server accepted it); what it
# returns comes true when that outcome is recorded, False if the mailer must stop.  A mailer
# lets no further message of that connection be accepted before then (the delivery guarantee)
Report = Callable[[int, "Exception | None"], Awaitable[bool]]


class Mailer(Protocol):
    def describe(self) -> str: ...

    async def send_many(self, messages: Sequence[OutgoingEmail], report: Report) -> None:
        """Send the messages, reporting each as soon as it is sent or has failed (taking a
        message from ``messages`` may itself fail: that is its error, a ``MessageNotWritten``)."""


def _take(messages: Sequence[OutgoingEmail], i: int) -> OutgoingEmail | MessageNotWritten:
    try:
        return messages[i]
    except Exception as exc:  # this message could not be written: the connection is fine
        return MessageNotWritten(f"{type(exc).__name__}: {exc}")


class FolderMailer:
    """Writes each message to ``folder/<message-id>.eml``: a new user sees what would be sent."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def describe(self) -> str:
        return f"folder {self.folder}"

    async def send_many(self, messages: Sequence[OutgoingEmail], report: Report) -> None:
        for i in range(len(messages)):
            msg = _take(messages, i)
            error: Exception | None = msg if isinstance(msg, Exception) else None
            if error is None:
                try:
                    self.folder.mkdir(parents=True, exist_ok=True)
                    name = re.sub(r"[^A-Za-z0-9.@_-]", "", msg.message_id) + ".eml"
                    tmp = self.folder / (name + ".tmp")
                    tmp.write_bytes(msg.raw)
                    tmp.replace(self.folder / name)  # same Message-ID, same file: never two copies
                except OSError as exc:  # a full or read-only disk: like a relay that is down
                    error = exc
            if not await report(i, error):
                return


@dataclass
class SMTPMailer:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    security: str = "starttls"
    connections: int = 4
    timeout: float = 30.0

    def describe(self) -> str:
        return f"SMTP {self.host}:{self.port} ({self.security})"

    async def send_many(self, messages: Sequence[OutgoingEmail], report: Report) -> None:
        """Up to ``connections`` messages in flight at once, one per connection; a failure
        closes that connection (the dispatcher decides whether the others go on).

        Each connection starts its next message (MAIL FROM, RCPT TO) while the last one's
        sent mark is being committed, and sends its content only once the mark is in:
        so at most one accepted message per connection is ever unrecorded, and the wait
        for the database overlaps the relay's replies (bench/dispatch.py)."""
        # imported here, not at the top: aiosmtplib loads only for the work that needs it (start-up time, bench/startup.py)
        import aiosmtplib

        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(len(messages)):
            queue.put_nowait(i)
        stopped = False

        async def worker() -> None:
            nonlocal stopped
            client = None
            recorded: Awaitable[bool] | None = None  # the mark of this connection's last message
            while not stopped and not queue.empty():
                i = queue.get_nowait()
                msg = _take(messages, i)
                error: Exception | None = msg if isinstance(msg, Exception) else None
                if error is None:
                    try:
                        if client is None:
                            client = aiosmtplib.SMTP(
                                hostname=self.host, port=self.port, timeout=self.timeout,
                                use_tls=self.security == "tls",
                                start_tls=True if self.security == "starttls" else False)
                            await client.connect()
                            if self.username:
                                await client.login(self.username, self.password or "")
                            if client.is_ehlo_or_helo_needed:
                                await client.ehlo()
                        options = [f"size={len(msg.raw)}"] if client.supports_extension("size") else []
                        encoding = "ascii"
                        if not (msg.sender.isascii() and msg.to.isascii()):  # RFC 6531
                            if not client.supports_extension("smtputf8"):
                                raise AddressNotSendable(
                                    f"the address {msg.to[:100]!r} has letters outside ASCII and the mail relay "
                                    "does not offer SMTPUTF8: correct the address, or ask IT to turn SMTPUTF8 on")
                            options, encoding = options + ["SMTPUTF8"], "utf-8"
                        await client.mail(msg.sender, options=options, encoding=encoding)
                        await client.rcpt(msg.to, encoding=encoding)
                        if recorded is not None:
                            go_on, recorded = await recorded, None
                            if not go_on:  # stop before this message is accepted; it is given back unsent
                                stopped = True
                                break
                        await client.data(msg.raw)
                    except Exception as exc:  # reported per message; the dispatcher sorts them by kind
                        error = exc
                        if client is not None:  # the next message starts on a fresh connection
                            try:
                                client.close()
                            except Exception:
                                pass
                            client = None
                if error is None:
                    recorded = report(i, None)
                elif not await report(i, error):
                    stopped = True
            if recorded is not None and not await recorded:
                stopped = True
            if client is not None:
                try:
                    await client.quit()
                except Exception:
                    pass

        await asyncio.gather(*(worker() for _ in range(max(1, min(self.connections, len(messages))))))


def mailer_from_env(folder: str, environ: Environment | Mapping[str, str] | None = None) -> Mailer:
    """SMTP when ``PEPFLOW_SMTP_HOST`` is set (in ``environ``: the process's settings, or a
    mapping of variables), else a folder of .eml files."""
    env = environ if isinstance(environ, Environment) else (
        environment() if environ is None else Environment.of(environ))
    if not env.smtp_host:
        return FolderMailer(folder)
    security = env.smtp_security.lower()
    if security not in ("starttls", "tls", "none"):
        raise InputError("PEPFLOW_SMTP_SECURITY", security, "must be starttls, tls or none")
    port = _number_setting("PEPFLOW_SMTP_PORT", env.smtp_port, "465" if security == "tls" else "587", 65535,
                           "must be a port number, from 1 to 65535")
    connections = _number_setting("PEPFLOW_SMTP_CONNECTIONS", env.smtp_connections, "4", MAX_CONNECTIONS,
                                  f"must be a whole number from 1 to {MAX_CONNECTIONS}")
    return SMTPMailer(env.smtp_host, port, env.smtp_username or None, env.smtp_password or None, security,
                      connections)


def _number_setting(name: str, value: str | None, default: str, highest: int, problem: str) -> int:
    """The variable as a number from 1 to ``highest`` (digits only), else an error naming it."""
    text = value or default
    number = int(text) if text.strip().isdecimal() else 0
    if not 1 <= number <= highest:
        raise InputError(name, text, problem)
    return number
