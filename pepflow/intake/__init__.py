"""What comes in from the council's other systems: the CSV lists of schools, people and children
(``csv_*``), the GIAS establishment file (``gias``), Ofsted inspections (``inspections``), term
dates as iCalendar (``term_dates``) and the SSDA903 return (``ssda903/``).  Every import checks
the whole file first and records what it changed in the history.

May import: ``states`` and everything below it (``engine``, ``audit``, ``db``, ``rules``,
``config``, the ground); not ``reports``, ``service`` or the faces.
"""
