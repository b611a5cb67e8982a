"""Whether a new password is good enough: long, not common or breached, not the person's own
email address or name.

NCSC's password guidance: no composition rules, a minimum length and a deny list of the
passwords attackers try first.  The deny list and the guessability estimate are zxcvbn's
(Dropbox's estimator: frequency lists of passwords from public breaches, English words and
names, keyboard patterns, repeats and sequences), which also says why a password is weak in
words a person can act on.  Its score 3 ("safely unguessable: moderate protection from an
offline attack") is the least accepted.
"""

from __future__ import annotations

import re

from pepflow.errors import InputError

MIN_LENGTH = 12
MAX_LENGTH = 200  # argon2 takes any length; a page of text is not a password
LEAST_SCORE = 3
# zxcvbn refuses to judge more than 72 characters (ValueError); the first 72 of a long
# password are what it judges (a passphrase that long is strong if its start is)
ESTIMATED_AT_MOST = 72


def check_new_password(password: str, email: str = "", name: str = "") -> None:
    """Raise ``InputError`` (the password never shown) naming what is wrong with it."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise _weak(f"must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise _weak(f"must be at most {MAX_LENGTH} characters long")
    own = _own_words(email, name)
    squashed = _letters_and_digits(password)
    for word in own:
        if len(word) >= 4 and word in squashed:
            raise _weak("must not contain your email address or your name")
    # imported here, not at the top: zxcvbn loads only for the work that needs it (start-up time, bench/startup.py)
    from zxcvbn import zxcvbn

    found = zxcvbn(password[:ESTIMATED_AT_MOST], user_inputs=sorted(own))
    if found["score"] < LEAST_SCORE:
        why = found["feedback"].get("warning") or "It would be easy to guess."
        advice = " ".join(found["feedback"].get("suggestions") or []) or \
            "Use three or four random words together."
        raise _weak(f"is too easy to guess. {why} {advice}".strip())


def _own_words(email: str, name: str) -> set[str]:
    local = (email or "").split("@")[0].lower()
    words = {_letters_and_digits(local)} | {w for w in re.split(r"[^a-z0-9]+", local) if w}
    words |= {w for w in re.split(r"[^a-z0-9]+", (name or "").lower()) if w}
    if name:
        words.add(_letters_and_digits(name))
    return {w for w in words if w}


def _letters_and_digits(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _weak(problem: str) -> InputError:
    return InputError("password", "(hidden)", problem)
