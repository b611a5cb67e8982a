"""A form with one file (a PEP's document, a day's register marks): read no further than the
council's limit, and a byte beyond, so an over-large file is refused without being held whole."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile

from pepflow.web.site import SiteDep


@dataclass(frozen=True)
class Upload:
    fields: dict[str, str]
    filename: str
    data: bytes


async def uploaded(request: Request, site: SiteDep) -> Upload:
    """The form's fields and its one file."""
    limit = site.app.config.settings.upload_max_mb * 1024 * 1024
    posted = await request.form(max_files=1, max_fields=5)
    fields, name, data = {}, "", b""
    for key, value in posted.items():
        if isinstance(value, UploadFile):
            name, data = value.filename or "", await value.read(limit + 1)
        else:
            fields[key] = str(value)
    return Upload(fields, name, data)
