"""The web pages: sign-in, roles, the lists and case pages (see app.py).

A face: may import anything below it; nothing imports it but the command line (``pepflow web``).
"""
