"""What a failed send means, and so what the dispatcher does about it.

* ``RELAY``: the mail relay itself failed (refused, timed out, dropped the connection,
  said 421, failed TLS or authentication, refused our sender address).  Nothing is wrong
  with the message: delivery pauses, with a capped backoff, and no email is charged.
* ``TEMPORARY``: the relay refused this message for now (a 4xx reply to its recipient or
  its content, or the message could not be written): retry it with backoff.
* ``PERMANENT``: the relay refused this message for good (a 5xx reply to its recipient or
  its content): fail it at once, for VS admin to act on.

A connection cut after the message was sent but before the relay said 250 is a relay
fault: the message may or may not have arrived, so it is sent again, under the same
Message-ID (inherent to SMTP: at most the messages in flight).
"""

from __future__ import annotations

import ssl
from enum import Enum


class Fault(Enum):
    RELAY = "relay"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"


class MessageNotWritten(Exception):
    """The email could not be rendered (a broken council template): the relay is not at fault."""


class AddressNotSendable(Exception):
    """The address cannot be given to this relay (letters outside ASCII, and no SMTPUTF8): no
    retry would help, so it fails at once for VS admin."""


def smtp_code(error: BaseException) -> int | None:
    """The SMTP reply code carried by ``error``, if any (for a refused recipient, its own)."""
    recipients = getattr(error, "recipients", None)
    if recipients:  # SMTPRecipientsRefused: one recipient per pepflow email
        return smtp_code(recipients[0])
    code = getattr(error, "code", None)
    return code if isinstance(code, int) and 200 <= code <= 599 else None


def classify(error: BaseException) -> Fault:
    """The kind of a send failure (see the module's docstring)."""
    # imported here, not at the top: aiosmtplib loads only for the work that needs it (start-up time, bench/startup.py)
    import aiosmtplib

    if isinstance(error, MessageNotWritten):
        return Fault.TEMPORARY
    if isinstance(error, AddressNotSendable):
        return Fault.PERMANENT
    if isinstance(error, (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPHeloError,
                          aiosmtplib.SMTPConnectResponseError, aiosmtplib.SMTPSenderRefused,
                          aiosmtplib.SMTPNotSupported)):
        return Fault.RELAY  # these fail every email alike: the relay or its settings
    code = smtp_code(error)
    if code == 421:
        return Fault.RELAY  # "service not available, closing the channel"
    if isinstance(error, (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPRecipientRefused,
                          aiosmtplib.SMTPDataError)) and code is not None:
        return Fault.PERMANENT if code >= 500 else Fault.TEMPORARY
    if isinstance(error, (aiosmtplib.SMTPException, OSError, ssl.SSLError, TimeoutError)):
        return Fault.RELAY  # refused, timed out, disconnected, TLS
    return Fault.TEMPORARY


def describe(error: BaseException) -> str:
    """The error as VS admin reads it: the relay's own words where it gave some."""
    code = smtp_code(error)
    recipients = getattr(error, "recipients", None)
    message = getattr(recipients[0] if recipients else error, "message", None)
    if code is not None and message:
        return f"the mail relay said {code} {str(message).strip()}"[:300]
    causes = [error]
    while causes[-1].__cause__ is not None and len(causes) < 5:
        causes.append(causes[-1].__cause__)
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "Errno 111" in str(error):
        return "the mail relay refused the connection"
    if isinstance(error, TimeoutError) or "Timeout" in type(error).__name__:
        return "the mail relay did not answer in time"
    if isinstance(error, MessageNotWritten):
        return f"the email could not be written: {error}"[:300]
    if isinstance(error, AddressNotSendable):
        return str(error)[:300]
    return f"{type(error).__name__}: {error}"[:300]
