"""A pepflow process for the fault tests to kill: a sweep, then a dispatch, at a given instant.

    python -m tests.faults.driver --db URL --port P --now ISO [--sweep] [--connections N]

It prints "ready" once it has started (imports, configuration, the database opened), so
a kill lands in the work, not in Python's start-up; then one line of JSON with the result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--now", required=True)
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()

    from pepflow.clock import SteppedClock
    from pepflow.config import load_config
    from pepflow.db import make_engine
    from pepflow.notify.mailers import SMTPMailer
    from pepflow.notify.outbox import dispatch
    from pepflow.notify.sweep import sweep

    config = load_config()
    engine = make_engine(args.db)
    clock = SteppedClock(dt.datetime.fromisoformat(args.now))
    mailer = SMTPMailer("127.0.0.1", args.port, security="none", connections=args.connections, timeout=10)
    print("ready", flush=True)
    swept = sweep(engine, config, clock.today(), clock=clock) if args.sweep else None
    sent = dispatch(engine, config, mailer, clock)
    print(json.dumps({"written": swept.written if swept else None,
                      "already": swept.already is not None if swept else None,
                      "emails_sent": sent.emails_sent, "notifications_sent": sent.notifications_sent,
                      "released": sent.released, "relay_error": sent.relay_error,
                      "lease_lost": sent.lease_lost}), flush=True)


if __name__ == "__main__":
    main()
