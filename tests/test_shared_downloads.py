"""A long download made once while its list is unchanged, shared by everyone asking meanwhile
(pepflow/web/shared_downloads.py)."""

from __future__ import annotations

import asyncio

import pytest

from pepflow.web.freshness import FreshnessCache
from pepflow.web.shared_downloads import shared_download


def pieces(made: list[str], words: list[str], fail_after: int | None = None):
    async def make():
        made.append("made")
        for n, word in enumerate(words):
            if fail_after is not None and n == fail_after:
                raise OSError("the database went away")
            await asyncio.sleep(0)  # a reader may start between pieces
            yield word
    return make


async def read_all(download) -> bytes:
    return b"".join([piece async for piece in download.read()])


def test_downloads_at_the_same_stamp_share_one_file_made_once():
    async def run():
        files, made = FreshnessCache(size=4), []
        first = shared_download(files, 5, "list", pieces(made, ["a,b\n", "1,2\n", "3,4\n"]))
        started = asyncio.create_task(read_all(first))
        await asyncio.sleep(0)
        second = shared_download(files, 5, "list", pieces(made, ["never"]))  # joins the one being made
        assert second is first
        bodies = await asyncio.gather(started, read_all(second))
        late = await read_all(shared_download(files, 5, "list", pieces(made, ["never"])))  # once made, kept
        return made, bodies, late

    made, bodies, late = asyncio.run(run())
    assert made == ["made"]
    assert bodies == [b"a,b\n1,2\n3,4\n"] * 2 and late == b"a,b\n1,2\n3,4\n"


def test_a_change_makes_the_file_again():
    async def run():
        files, made = FreshnessCache(size=4), []
        before = await read_all(shared_download(files, 5, "list", pieces(made, ["old\n"])))
        after = await read_all(shared_download(files, 6, "list", pieces(made, ["new\n"])))
        return made, before, after

    made, before, after = asyncio.run(run())
    assert made == ["made", "made"] and (before, after) == (b"old\n", b"new\n")


def test_a_file_that_failed_is_not_kept_and_its_readers_are_not_sent_a_whole_looking_file():
    async def run():
        files, made = FreshnessCache(size=4), []
        with pytest.raises(RuntimeError, match="could not be made"):
            await read_all(shared_download(files, 5, "list", pieces(made, ["a\n", "b\n"], fail_after=1)))
        again = await read_all(shared_download(files, 5, "list", pieces(made, ["a\n", "b\n"])))
        return made, again

    made, again = asyncio.run(run())
    assert made == ["made", "made"] and again == b"a\nb\n"


def test_a_download_gives_the_server_a_turn_between_pieces_so_a_reader_who_has_gone_is_heard():
    """Pieces made already come without a wait: unless the loop gets a turn after each, a closed
    connection is never noticed and the whole file is written to it (bench/web_load.py)."""
    from pepflow.web.site import attachment

    async def run():
        files, made, heard = FreshnessCache(size=4), [], []
        download = shared_download(files, 5, "list", pieces(made, ["a\n", "b\n", "c\n"]))
        await read_all(download)  # made: every piece is there at once for the next reader
        response = attachment("list.csv", download.read())
        sent = []

        async def listener():  # what hears a connection's loss runs only when the loop has a turn
            for _ in range(3):
                heard.append(len(sent))
                await asyncio.sleep(0)

        listening = asyncio.create_task(listener())
        async for piece in response.body_iterator:
            sent.append(piece)
        await listening
        return sent, heard

    sent, heard = asyncio.run(run())
    assert sent == [b"a\n", b"b\n", b"c\n"]
    assert heard[:3] == [1, 2, 3]  # a turn after each piece sent
