"""Serving the web pages with uvicorn: alone (``pepflow web``, in one process or several) or
beside the scheduler (``pepflow run``), in a thread the service stops when it stops.

Several processes (``pepflow web --workers N``) share nothing but the database: sessions,
sign-in throttling, the cookie key and one-time notices are rows.  uvicorn starts each
worker afresh and imports ``worker_app``, which builds the ``App`` from the ``PEPFLOW_*``
variables the parent set from its own options (``--db``, ``--config``, ``--today``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading

import uvicorn

from pepflow.service.application import App
from pepflow.errors import InputError

log = logging.getLogger("pepflow.web")


def check_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise InputError("--port", port, "must be a port number from 1 to 65535")
    return port


def _server(app: App, host: str, port: int) -> uvicorn.Server:
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.web.app import create_app

    config = uvicorn.Config(create_app(app), host=host, port=check_port(port), log_level="warning",
                            access_log=False, proxy_headers=True, server_header=False)
    return uvicorn.Server(config)


class WebThread:
    """The web server running in a background thread until ``stop``."""

    def __init__(self, app: App, host: str, port: int):
        self.server = _server(app, host, port)
        self.thread = threading.Thread(target=self.server.run, name="pepflow-web", daemon=True)
        self.url = f"http://{host}:{port}"

    def start(self) -> "WebThread":
        self.thread.start()
        log.info("web pages at %s", self.url)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def check_workers(workers: int) -> int:
    if not 1 <= workers <= 64:
        raise InputError("--workers", workers, "must be a number of processes from 1 to 64")
    return workers


def default_workers() -> int:
    """One web process per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def serve(app: App, host: str, port: int, workers: int = 1) -> None:
    """Serve in the foreground until Ctrl+C, in ``workers`` processes."""
    check_port(port)
    check_workers(workers)
    log.info("web pages at http://%s:%d in %d process%s (Ctrl+C stops)", host, port, workers,
             "" if workers == 1 else "es")
    if workers == 1:
        _server(app, host, port).run()
        return
    app.open()  # the schema is checked (and the cookie key made) once, before the workers start
    # imported here, not at the top: uvicorn loads only for the work that needs it (start-up time, bench/startup.py)
    from pepflow.web.sessions import site_key

    site_key(app.engine, app.environment.secret_key)
    app.engine.dispose()  # the supervisor keeps no connection of its own
    os.environ["PEPFLOW_DATABASE_URL"] = app.url
    if app.config_dir:
        os.environ["PEPFLOW_CONFIG"] = app.config_dir
    if app.today_override:
        os.environ["PEPFLOW_TODAY"] = app.today_override
    # imported here, not at the top: uvicorn loads only for the work that needs it (start-up time, bench/startup.py)
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("pepflow.web.server:worker_app", factory=True, host=host, port=port, workers=workers,
                            log_level="warning", access_log=False, proxy_headers=True, server_header=False)
    try:
        Multiprocess(config, sockets=[listening_socket(host, port)]).run()
    except KeyboardInterrupt:
        pass


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket the workers share, made as a TCP socket by name (``IPPROTO_TCP``).

    uvicorn makes it with protocol 0, and asyncio sets ``TCP_NODELAY`` only on connections
    of a socket that says it is TCP: with Nagle's algorithm left on, every page that wrote
    to the database waited ~40 ms for the browser's delayed acknowledgement (a case page,
    5 ms of work, took 50 ms in two processes and 5 ms in one; bench/web_load.py)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InputError("--port", port, f"cannot be listened on at {host}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def worker_app():
    """The web application of one worker process of ``pepflow web --workers N``."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.logs import configure
    from pepflow.web.app import create_app

    app = App()
    configure(app.environment.log_format)  # a worker process is new: it sets up its own logging
    return create_app(app)
