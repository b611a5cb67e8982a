"""The web pages: sign-in, roles, the lists and case pages (see app.py)."""
