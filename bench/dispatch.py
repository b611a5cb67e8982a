"""pepflow's dispatcher against its ceiling: raw aiosmtplib sending the same messages.

Builds the outbox of a sweep (2,000 digests for 10,000 reminders, as bench/sweep.py),
pre-renders the emails, then, interleaved, ``--rounds`` times each:

* the ceiling: aiosmtplib alone sending the pre-rendered messages over the same number of
  connections to the same relay, and nothing else;
* the floor (SQLite): the same, and each email's rows marked sent in the outbox, committed as
  the relay accepts it, by raw ``sqlite3`` with pepflow's settings (WAL, synchronous=NORMAL),
  on a fresh copy of the database: the smallest honest keeping of the same guarantee (an email
  is sent again after a crash only if it was in flight);
* pepflow: ``dispatch`` of the same outbox (claim, render, send, and each email marked
  sent with its history row as the relay accepts it), on a fresh copy of the database.

The relay is aiosmtpd's Sink in its own process.  Prints the median of each and their ratio.

    python bench/dispatch.py [--rounds 5] [--connections 4] [--db URL]
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import datetime as dt  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from sqlalchemy import select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from pepflow.service.application import settle_after_start_up  # noqa: E402
from pepflow.clock import SteppedClock  # noqa: E402
from pepflow.config import load_config  # noqa: E402
from pepflow.db import make_engine  # noqa: E402
from pepflow.db.connection import reset  # noqa: E402
from pepflow.db.models import Notification  # noqa: E402
from pepflow.notify.mailers import SMTPMailer  # noqa: E402
from pepflow.notify.outbox import _groups, dispatch  # noqa: E402
from pepflow.notify.render import build_message, environment  # noqa: E402
from pepflow.notify.sweep import sweep  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sweep import AS_OF, build, start_relay  # noqa: E402  (the same cohort and relay as bench/sweep.py)

NOW = dt.datetime.combine(AS_OF, dt.time(8), tzinfo=dt.timezone.utc)


async def raw_send(messages, port: int, connections: int) -> None:
    """The ceiling: aiosmtplib and a queue, one message at a time per connection."""
    import aiosmtplib

    queue: asyncio.Queue = asyncio.Queue()
    for m in messages:
        queue.put_nowait(m)

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=30)
        await client.connect()
        while not queue.empty():
            m = queue.get_nowait()
            await client.sendmail(m.sender, [m.to], m.raw)
        await client.quit()

    await asyncio.gather(*(worker() for _ in range(connections)))


async def raw_send_marked(messages, ids: list[list[int]], port: int, connections: int, path: str) -> None:
    """The floor: the ceiling's sending, and each email's rows marked sent and committed as the
    relay accepts it, before that connection sends its next."""
    import aiosmtplib

    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    queue: asyncio.Queue = asyncio.Queue()
    for m, rows in zip(messages, ids):
        queue.put_nowait((m, rows))

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=30)
        await client.connect()
        while not queue.empty():
            m, rows = queue.get_nowait()
            await client.sendmail(m.sender, [m.to], m.raw)
            db.execute(f"UPDATE notification SET status = 'sent', sent_at = ?, message_id = ? WHERE id IN "
                       f"({', '.join('?' * len(rows))}) AND status = 'pending'",
                       (dt.datetime.now(dt.timezone.utc).isoformat(), m.message_id, *rows))
        await client.quit()

    await asyncio.gather(*(worker() for _ in range(connections)))
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--db", help="a PostgreSQL database of its own to run on, emptied first (default: a SQLite file)")
    parser.add_argument("--postgres", action="store_true", help="run on a throwaway PostgreSQL server")
    args = parser.parse_args()
    pg_server = None
    if args.postgres and not args.db:
        from tests.pgserver import BENCH_SETTINGS, PostgresServer

        pg_server = PostgresServer(BENCH_SETTINGS)
        args.db = pg_server.new_database()
    try:
        run(args)
    finally:
        if pg_server:
            pg_server.stop()


def run(args) -> None:
    config = load_config()
    folder = tempfile.mkdtemp(prefix="pepflow-dispatch-")
    # one history key for the template and its copies (a copy has no key file beside it)
    os.environ.setdefault("PEPFLOW_HISTORY_KEY_FILE", os.path.join(folder, "history.key"))
    os.environ.setdefault("PEPFLOW_HISTORY_CHECKPOINT_FILE", os.path.join(folder, "history.checkpoints"))
    template = os.path.join(folder, "template.db")
    engine = make_engine(args.db or f"sqlite:///{template}")
    if args.db:
        reset(engine)  # the bench's own database: emptied, built afresh
    build(engine, config, args.children, 1, args.due, 2_000, [AS_OF])
    sweep(engine, config, AS_OF)
    with Session(engine) as s:
        rows = s.execute(select(Notification.id, Notification.recipient_email, Notification.payload,
                                Notification.step).where(Notification.status == "pending")
                         .order_by(Notification.id)).all()
    env = environment(config)
    groups = _groups(config, rows)
    messages = [build_message(config, env, g[0].recipient_email, [r.payload for r in g], g[0].id, NOW)
                for g in groups]
    print(f"{len(rows):,} notifications in {len(messages):,} emails, {args.connections} connections, "
          f"{'PostgreSQL' if args.db else 'SQLite'}")
    if args.db:  # reset the outbox between rounds rather than copying a database
        from sqlalchemy import update
        unsend = update(Notification).values(status="pending", claim_token="", sent_at=None, message_id="",
                                            attempts=0, first_attempt_at=None)
    engine.dispose()
    settle_after_start_up()
    server, port = start_relay()
    ceiling, floor, ours = [], [], []
    ids = [[r.id for r in g] for g in groups]
    try:
        for round_ in range(args.rounds):
            t0 = time.perf_counter()
            asyncio.run(raw_send(messages, port, args.connections))
            ceiling.append(len(messages) / (time.perf_counter() - t0))
            if not args.db:
                copy = os.path.join(folder, f"floor{round_}.db")
                shutil.copyfile(template, copy)
                t0 = time.perf_counter()
                asyncio.run(raw_send_marked(messages, ids, port, args.connections, copy))
                floor.append(len(messages) / (time.perf_counter() - t0))
            if args.db:
                engine = make_engine(args.db)
                with Session(engine) as s:
                    s.execute(unsend)
                    s.commit()
            else:
                copy = os.path.join(folder, f"round{round_}.db")
                shutil.copyfile(template, copy)
                engine = make_engine(f"sqlite:///{copy}")
            t0 = time.perf_counter()
            result = dispatch(engine, config, SMTPMailer("127.0.0.1", port, security="none",
                                                         connections=args.connections), SteppedClock(NOW),
                              limit=100_000)
            took = time.perf_counter() - t0
            assert result.emails_sent == len(messages), result
            ours.append(result.emails_sent / took)
            engine.dispose()
            marked = f", floor (marks committed) {floor[-1]:,.0f} emails/s" if floor else ""
            print(f"  round {round_ + 1}: ceiling {ceiling[-1]:,.0f} emails/s{marked}, pepflow {ours[-1]:,.0f} emails/s")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)
    c, p = statistics.median(ceiling), statistics.median(ours)
    print(f"median: raw aiosmtplib {c:,.0f} emails/s; pepflow dispatch {p:,.0f} emails/s "
          f"(each marked sent as accepted) = {p / c:.2f} of the ceiling (target >= 0.7)")
    if floor:
        f = statistics.median(floor)
        print(f"median: raw aiosmtplib committing each email's sent mark {f:,.0f} emails/s = {f / c:.2f} of the "
              f"ceiling; pepflow = {p / f:.2f} of this floor (target >= 0.8)")


if __name__ == "__main__":
    main()
