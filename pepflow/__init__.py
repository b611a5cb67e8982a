"""pepflow: the timescales of an English Virtual School, as explicit state machines.

The layers, lowest first (``pyproject.toml`` holds them as import contracts, checked by
the test suite):

* ``errors``, ``clock``, ``calendars``, ``config``, ``values``: no database, no network;
* ``rules/``: pure rules over dates, calendars and configuration;
* ``db/``: tables, the unit of work and its hot writes;
* ``events``, ``deadlines``, ``audit``, ``states/``: the processes and what they write;
* ``commands``, ``sweep``, ``notify/``, ``queries``, ``reports``, ``importing``, …: the use cases;
* ``web/`` and ``cli``: the edges, which nothing else imports.
"""
