"""``pepflow web --workers N``: the pages served by several processes sharing only the
database (sessions, throttling and notices are rows), started and stopped as a council runs it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlmodel import select

from pepflow.db import session_scope

from .pgserver import free_port
from .websupport import EMAILS, PASSWORD, TODAY, build_site


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def test_pages_are_served_by_several_processes_sharing_sessions_through_the_database(tmp_path):
    site = build_site(f"sqlite:///{tmp_path / 'web.db'}", children=20, schools=4)
    site.app.engine.dispose()
    port = free_port()
    env = {**os.environ, "PEPFLOW_TODAY": TODAY.isoformat()}
    service = subprocess.Popen([sys.executable, "-m", "pepflow.cli", "--db", site.app.url, "web", "--port", str(port),
                                "--workers", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=2)
                break
            except httpx.TransportError:
                assert service.poll() is None, service.stderr.read().decode()
                assert time.monotonic() < deadline, "pepflow web did not start"
                time.sleep(0.2)
        while len(_children(service.pid)) < 2:  # uvicorn's supervisor, and its two workers
            assert time.monotonic() < deadline, _children(service.pid)
            time.sleep(0.2)
        workers = [c for c in _children(service.pid) if "pepflow" in Path(f"/proc/{c}/cmdline").read_text()
                   or "multiprocessing" in Path(f"/proc/{c}/cmdline").read_text()]
        assert len(workers) >= 2
        statuses = []
        for _ in range(3):  # new connections each time, so both workers answer some of them
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                page = client.get("/sign-in")
                token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
                signed = client.post("/sign-in", data={"email": EMAILS["vs_admin"], "password": PASSWORD,
                                                       "csrf_token": token})
                statuses.append(signed.status_code)
                for _ in range(6):
                    with httpx.Client(base_url=f"http://127.0.0.1:{port}", cookies=client.cookies) as fresh:
                        statuses.append(fresh.get("/my-work", follow_redirects=False).status_code)
        assert statuses == [303, *[200] * 6] * 3  # signed in, then each page served, whichever worker answered
    finally:
        if service.poll() is None:
            os.killpg(service.pid, signal.SIGINT)
        service.wait(timeout=30)
    from pepflow.db.models import WebSession

    with session_scope(site.app.engine) as s:
        assert len(s.exec(select(WebSession)).all()) == 3


def test_a_number_of_workers_out_of_range_is_refused(cli, tmp_path):
    code, out, err = cli("--db", f"sqlite:///{tmp_path / 'w.db'}", "web", "--workers", "0")
    assert code == 1 and "--workers = 0" in err and "from 1 to 64" in err


def test_the_shared_listening_socket_says_it_is_tcp_so_asyncio_turns_nagle_off():
    """asyncio sets TCP_NODELAY only on connections of a socket whose protocol is TCP; uvicorn's
    own socket said 0, and pages that wrote to the database waited for delayed ACKs (40 ms)."""
    import asyncio

    from pepflow.web.server import listening_socket

    sock = listening_socket("127.0.0.1", 0)
    sock.listen()
    port = sock.getsockname()[1]
    nodelay = []

    async def main():
        async def handle(reader, writer):
            nodelay.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=sock)
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(100):
            if nodelay:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    asyncio.run(main())
    assert sock.proto == socket.IPPROTO_TCP and nodelay == [1]
