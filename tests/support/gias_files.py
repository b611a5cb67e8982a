"""GIAS establishment files as the DfE serves them (Windows-1252 CSV)."""

from __future__ import annotations


GIAS_HEADER = ("URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (code),"
          "TypeOfEstablishment (name),EstablishmentStatus (code),EstablishmentStatus (name),"
          "PhaseOfEducation (code),PhaseOfEducation (name),StatutoryLowAge,StatutoryHighAge,CloseDate\n")


def gias_file(tmp_path, rows: list[str], encoding: str = "cp1252"):
    path = tmp_path / "edubasealldata20261201.csv"
    path.write_bytes((GIAS_HEADER + "".join(r + "\n" for r in rows)).encode(encoding))
    return path
