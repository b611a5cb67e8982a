"""A long download made once while the list it comes from is unchanged, and shared by everyone
who asks for it meanwhile.

Ten people downloading the whole Overdue PEPs list (60,000 rows at 100,000 children) each had
the database join and the rows written afresh, one after another: 8.7-14.4 s each at p95
(issue 42, bench/web_load.py).  The same list at the same change stamp (``freshness.py``) is
the same file, so it is made once, by a task of its own that does not depend on any one
reader staying, and each reader is sent the pieces made so far and then each new piece as
it comes.  The pieces are kept as bytes (a 9 MB file once, not ten times).

Everything here runs on the event loop of the process serving the page; a piece is made in
the thread pool (``Site.in_turn``).  A build that fails is dropped, so the next download
makes it again; its readers' responses end short, as a stream that fails does.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Callable, Hashable

from pepflow.web.freshness import FreshnessCache


class SharedDownload:
    """One file being made (or made), its pieces so far, and a way to wait for the next."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.finished = False
        self.failed: BaseException | None = None
        self.loop = asyncio.get_running_loop()
        self._more = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self, pieces: AsyncIterator[str], on_failure: Callable[[], None]) -> None:
        self._task = self.loop.create_task(self._make(pieces, on_failure))

    async def _make(self, pieces: AsyncIterator[str], on_failure: Callable[[], None]) -> None:
        try:
            async for piece in pieces:
                self.pieces.append(piece.encode())
                self._wake()
        except Exception as exc:  # kept for the readers; the next download makes the file again
            self.failed = exc
            on_failure()
        finally:
            self.finished = True
            self._wake()

    def _wake(self) -> None:
        woken, self._more = self._more, asyncio.Event()
        woken.set()

    async def read(self) -> AsyncIterator[bytes]:
        """Every piece, those made so far at once, then each as it is made."""
        sent = 0
        while True:
            more = self._more
            while sent < len(self.pieces):
                yield self.pieces[sent]
                sent += 1
            if self.finished:
                if self.failed is not None:
                    raise RuntimeError("the download could not be made") from self.failed
                return
            await more.wait()


def shared_download(kept_files: FreshnessCache, stamp: int, key: Hashable,
                    make: Callable[[], AsyncIterator[str]]) -> SharedDownload:
    """The download kept for ``key`` at the request's change stamp, or a new one started with
    ``make()``'s pieces.  Called on the event loop, so two requests cannot both start one."""
    kept: SharedDownload | None = kept_files.kept(stamp, key)
    if kept is not None and kept.loop is asyncio.get_running_loop() and kept.failed is None:
        return kept
    made = SharedDownload()
    kept_files.keep(stamp, key, made)
    made.start(make(), on_failure=lambda: kept_files.keep(stamp, key, None))
    return made
