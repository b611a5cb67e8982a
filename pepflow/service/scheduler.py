"""``pepflow run``: the sweep on working-day mornings and the dispatcher every minute.

APScheduler 3 runs plain jobs in a memory job store (deadlines are rows in the database,
never scheduler jobs); each sweep checkpoints the history and checks the calendars' runway
(``upkeep.py``), and at the weekend a job checkpoints the history at the sweep's time; on
SQLite another job copies the write-ahead log into the database every minute.  A catch-up sweep runs at start-up, so a service that
was down sends today's current step for every deadline.  SIGINT or SIGTERM stop it
cleanly: the job in progress finishes (a send is either recorded or left to be
released and retried).

Several services on one database: each runs the sweep job, and the day's ``sweep_run``
row lets exactly one of them sweep; all dispatch, each claiming rows of its own.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from pepflow.service.application import App, settle_after_start_up
from pepflow.clock import LONDON
from pepflow.audit.verify import checkpoint as checkpoint_history
from pepflow.db.connection import checkpoint as checkpoint_wal
from pepflow.db.problems import explain
from pepflow.notify.mailers import mailer_from_env
from pepflow.notify.outbox import dispatch, relay_status
from pepflow.notify.relay import describe as describe_relay
from pepflow.notify.sweep import sweep
from pepflow.service.upkeep import after_sweep

log = logging.getLogger("pepflow.run")


def sweep_job(app: App) -> None:
    today = app.today()
    result = sweep(app.engine, app.config, today, clock=app.clock)
    after_sweep(app.engine, app.config, today, app.clock)  # at least daily: the history's checkpoint
    if not result.working_day:
        log.info("sweep %s: not a working day, nothing due", today)
        return
    if result.already is not None:
        log.info("sweep %s: already done at %s by %s", today, result.already.swept_at, result.already.swept_by)
        return
    log.info("sweep %s: %d deadlines with a step due, %d notifications written, %d skipped, %d problems",
             today, result.deadlines_due, result.written, len(result.skipped), len(result.problems))
    purge_job(app)  # once a day: with the day's sweep, which one process of several does


def purge_job(app: App) -> None:
    """What has passed its retention date, anonymised or removed (``service/purge.py``)."""
    from pepflow.db.connection import session_scope
    from pepflow.service.purge import compact, log_purge, purge

    with session_scope(app.engine) as s:
        done = purge(s, app.config, app.today(), "the nightly purge")
        log_purge(app.engine, s, done, app.today())
    if done.counts:
        compact(app.engine)
        log.info("purge %s: %s", app.today(), "; ".join(done.lines()))


def dispatch_job(app: App, mailer) -> None:
    result = dispatch(app.engine, app.config, mailer, app.clock)
    if result.relay_error and result.claimed:  # a try that failed (not a pause, which is quiet)
        status = relay_status(app.engine, app.config, app.clock.now())
        (log.error if status.alert else log.warning)("dispatch: %s", describe_relay(status, app.clock.now()))
    if result.lease_lost:
        log.warning("dispatch: another dispatcher took over emails this one held too long; it stopped")
    if result.claimed:
        log.info("dispatch: %d emails sent (%d notifications) by %s; %d to retry, %d failed",
                 result.emails_sent, result.notifications_sent, mailer.describe(),
                 result.failed_for_now, result.failed_for_good)
    for error in result.errors if not result.relay_error else []:
        log.warning("dispatch: %s", error)


def history_checkpoint_job(app: App) -> None:
    """The history's head, checkpointed outside the database (``audit/checkpoints.py``)."""
    checkpoint_history(app.engine, app.clock)


def checkpoint_job(app: App) -> None:
    in_log, copied = checkpoint_wal(app.engine)
    if copied:
        log.debug("checkpoint: %d of %d pages of the write-ahead log copied", copied, in_log)


def _safe(job: Callable[[], None], name: str) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except Exception as exc:  # a failing job is logged; the service keeps going, and tries again
            explained = explain(exc)
            if explained:  # the database's fault: what to do, without a traceback every minute
                log.error("%s failed: %s", name, explained)
            else:
                log.exception("%s failed", name)
    return run


def reapply_purges(app: App) -> None:
    """A database restored from a backup older than some purges has them done again (issue 43)."""
    from pepflow.db.connection import session_scope
    from pepflow.service.purge import compact, purge_log_path, reapply

    with session_scope(app.engine) as s:
        again = reapply(s, app.config, purge_log_path(app.engine), "the service at start-up")
    if again:
        compact(app.engine)
        log.warning("the purges of %d child(ren) made since this database's backup were done again", again)


def run_service(app: App, stop: threading.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or ``stop`` is set)."""
    delivery = app.config.notifications.delivery
    mailer = mailer_from_env(app.outbox_folder(), app.environment)
    at = delivery.sweep_clock
    stop = stop or threading.Event()
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own lines say what happens
    scheduler = BackgroundScheduler(timezone=LONDON)
    scheduler.add_job(_safe(lambda: sweep_job(app), "sweep"), CronTrigger(
        day_of_week="mon-fri", hour=at.hour, minute=at.minute, timezone=LONDON), id="sweep", name="sweep",
        max_instances=1, coalesce=True, misfire_grace_time=3600)
    # the history's head is checkpointed by every sweep, and on the days without one too
    scheduler.add_job(_safe(lambda: history_checkpoint_job(app), "history checkpoint"), CronTrigger(
        day_of_week="sat,sun", hour=at.hour, minute=at.minute, timezone=LONDON), id="history_checkpoint",
        name="history checkpoint", max_instances=1, coalesce=True, misfire_grace_time=3600)
    scheduler.add_job(_safe(lambda: dispatch_job(app, mailer), "dispatch"),
                      IntervalTrigger(seconds=delivery.dispatch_every_seconds), id="dispatch", name="dispatch",
                      max_instances=1, coalesce=True)
    if app.engine.dialect.name == "sqlite":  # the write-ahead log, copied in off the send and request paths
        scheduler.add_job(_safe(lambda: checkpoint_job(app), "checkpoint"), IntervalTrigger(seconds=60),
                          id="checkpoint", name="checkpoint", max_instances=1, coalesce=True)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    log.info("pepflow running on %s; email via %s; sweep at %s on working days; Ctrl+C to stop",
             app.shown_url, mailer.describe(), delivery.sweep_time)
    _safe(lambda: reapply_purges(app), "purges after a restore")()  # before anything else uses the database
    _safe(lambda: sweep_job(app), "catch-up sweep")()
    _safe(lambda: dispatch_job(app, mailer), "dispatch")()
    settle_after_start_up()
    scheduler.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        log.info("stopping: waiting for the job in progress to finish")
        scheduler.shutdown(wait=True)
        log.info("stopped")
