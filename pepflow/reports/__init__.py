"""The read side: lists for the command line and the pages (``listings``), compliance figures for
the VSH and Ofsted (``compliance_figures``), and their text and HTML forms (``text``, ``html``,
``templates/``), and the history in words (``history_words``).  Nothing here writes a case.

May import: ``states`` and everything below it; not ``intake``, ``service`` or the faces.
"""
