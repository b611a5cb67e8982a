"""An SMTP relay for the fault tests, in its own process: it counts what it accepts and
misbehaves as told.

    python -m tests.faults.sink --port P --log FILE [--delay S] [--refuse ADDR=CODE ...]
                                [--data-code CODE --data-times N] [--mail-code CODE --mail-times N]
                                [--cut-after-data N] [--smtputf8]

Each message it accepts is one line of FILE: its Message-ID and recipient, written and
flushed before the reply, so a client killed at any point cannot hide a delivery.
``--refuse ADDR=CODE`` answers RCPT TO for ADDR with CODE (550, 451…); ``--mail-code``
answers the first N MAIL FROM with CODE (421: the relay is closing); ``--data-code``
answers the first N messages' DATA with CODE; ``--cut-after-data N`` keeps the first N
messages (they count as delivered) and drops the connection before saying 250, as a
network cut would; ``--smtputf8`` offers SMTPUTF8 (RFC 6531); ``--keep FOLDER`` keeps each message's bytes there.  It prints "ready" when it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import email.parser
import os
import signal
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, args: argparse.Namespace):
        self.log = open(args.log, "a", encoding="utf-8")
        self.delay = args.delay
        self.refuse = dict(item.split("=", 1) for item in args.refuse)
        self.mail_code, self.mail_times = args.mail_code, args.mail_times
        self.data_code, self.data_times = args.data_code, args.data_times
        self.cuts = args.cut_after_data
        self.keep = args.keep  # a folder: each message's bytes kept there too (a test reads a link from it)
        self.lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            if self.mail_code and self.mail_times > 0:
                self.mail_times -= 1
                return f"{self.mail_code} 4.3.2 Service not available, closing transmission channel"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.refuse.get(address.lower())
        if code:
            return f"{code} {'5.1.1 No such user here' if code.startswith('5') else '4.2.1 Mailbox busy, try later'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.data_code and self.data_times > 0:
                self.data_times -= 1
                return f"{self.data_code} {'4.3.0 Try again later' if self.data_code < 500 else '5.6.0 Rejected'}"
        headers = email.parser.BytesHeaderParser().parsebytes(envelope.content)
        with self.lock:
            self.log.write(f"{headers['Message-ID']}\t{','.join(envelope.rcpt_tos)}\n")
            self.log.flush()
            if self.keep:
                with open(f"{self.keep}/{len(os.listdir(self.keep)):05d}.eml", "wb") as kept:
                    kept.write(envelope.content)
            cut = self.cuts > 0
            if cut:
                self.cuts -= 1
        if cut:
            server.transport.abort()  # the message arrived; the 250 never will
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--refuse", action="append", default=[])
    parser.add_argument("--mail-code", type=int, default=0)
    parser.add_argument("--mail-times", type=int, default=0)
    parser.add_argument("--data-code", type=int, default=0)
    parser.add_argument("--data-times", type=int, default=0)
    parser.add_argument("--cut-after-data", type=int, default=0)
    parser.add_argument("--smtputf8", action="store_true")
    parser.add_argument("--keep", default="")
    args = parser.parse_args()
    controller = Controller(Sink(args), hostname="127.0.0.1", port=args.port, enable_SMTPUTF8=args.smtputf8)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
