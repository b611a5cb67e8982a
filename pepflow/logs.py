"""How pepflow's processes log: plain lines for a person at a terminal, or JSON lines
(``PEPFLOW_LOG_FORMAT=json``, python-json-logger) for the council's log store, each with the
request it belongs to: its id (``X-Request-ID``, made here when the proxy sends none), the
route's template and the signed-in account's number.  No names, emails or addresses: a
line names a child only by case reference, where a message does.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from pepflow.errors import without_passwords

# one dict per request, shared by the threads a request's handlers run in (each gets a copy of
# the context, but the same dict): the middleware makes it, sign-in adds the account
REQUEST: ContextVar[dict[str, Any] | None] = ContextVar("pepflow_request", default=None)
FORMATS = ("text", "json")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def start_request(given: str | None) -> dict[str, Any]:
    """The context of a new request: the proxy's request id if it is a plain token, else a new one."""
    context = {"request_id": given if given and _SAFE_ID.match(given) else uuid.uuid4().hex, "route": None,
               "account": None}
    REQUEST.set(context)
    return context


def note_account(account_id: int | None) -> None:
    context = REQUEST.get()
    if context is not None:
        context["account"] = account_id


class RequestFields(logging.Filter):
    """Adds ``request_id``, ``route`` and ``account`` to every record (None outside a request),
    and masks any password in a URL the message holds (``errors.without_passwords``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = without_passwords(message)
        if masked != message:
            record.msg, record.args = masked, None
        context = REQUEST.get() or {}
        record.request_id = context.get("request_id")
        record.route = context.get("route")
        record.account = context.get("account")
        return True


def configure(format: str = "text") -> None:
    """Log at INFO to standard error in ``format``; the access lines only in JSON (a log store
    wants one per request, a terminal does not)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestFields())
    if format == "json":
        # imported here, not at the top: pythonjsonlogger loads only for the work that needs it (start-up time, bench/startup.py)
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(route)s %(account)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}, timestamp=False))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                               datefmt="%Y-%m-%d %H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # a library that configured logging with disable_existing_loggers has silenced ours
    for name, logger in logging.root.manager.loggerDict.items():
        if name.startswith("pepflow") and isinstance(logger, logging.Logger):
            logger.disabled = False
    root.setLevel(logging.INFO)
    # the state machine library logs every callback of every transition at INFO: thousands of
    # lines a day that say nothing to the people reading the log (pepflow's own lines do)
    logging.getLogger("transitions").setLevel(logging.WARNING)
    # matplotlib (the compliance report's charts) tells of its font cache and backends at INFO
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    logging.getLogger("pepflow.web.access").setLevel(logging.INFO if format == "json" else logging.WARNING)
