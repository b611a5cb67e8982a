"""Serving the web pages with uvicorn: alone (``pepflow web``) or beside the scheduler
(``pepflow run``), in a thread the service stops when it stops."""

from __future__ import annotations

import logging
import threading

import uvicorn

from ..app import App
from ..errors import InputError

log = logging.getLogger("pepflow.web")


def check_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise InputError("--port", port, "must be a port number from 1 to 65535")
    return port


def _server(app: App, host: str, port: int) -> uvicorn.Server:
    from .app import create_app

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


def serve(app: App, host: str, port: int) -> None:
    """Serve in the foreground until Ctrl+C."""
    log.info("web pages at http://%s:%d (Ctrl+C stops)", host, port)
    _server(app, host, port).run()
