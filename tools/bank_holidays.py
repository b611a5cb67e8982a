"""Write pepflow/data/bank_holidays_england_wales.txt: England & Wales bank holidays from
2000 to 2099, one-off days included, as the ``holidays`` library computes them.

pepflow reads the file rather than the library at start-up (importing and computing a
century of holidays was a fifth of a second of every command: bench/startup.py);
tests/test_calendars.py checks the file still equals the library's answer.

    python tools/bank_holidays.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pepflow.day_index import BANK_HOLIDAYS_FILE, WORKING_SPAN  # noqa: E402


def computed() -> list[str]:
    import holidays

    years = range(WORKING_SPAN[0].year, WORKING_SPAN[1].year + 1)
    return sorted(d.isoformat() for d in holidays.country_holidays("GB", subdiv="ENG", years=years))


HEADER = ("# England & Wales bank holidays, one-off days included (source: GOV.UK bank holidays, as the\n"
          "# holidays library computes them; written by tools/bank_holidays.py, checked by the tests).\n")

if __name__ == "__main__":
    BANK_HOLIDAYS_FILE.write_text(HEADER + "\n".join(computed()) + "\n", encoding="utf-8")
    print(f"wrote {BANK_HOLIDAYS_FILE}")
