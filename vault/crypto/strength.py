"""How guessable a new secret is (zxcvbn, as KeePassXC and Dropbox estimate it), and a
diceware-style suggestion when it is too weak.

zxcvbn estimates the guesses an attacker who knows common passwords, words, names, dates,
keyboard runs and l33t substitutions needs; length alone says little (`12345678` has eight
characters and falls at the first guess). Confide asks for:

* the vault passphrase: zxcvbn score 3 or more (at least 10^8 guesses), zxcvbn's own mark for
  "moderate protection from an offline slow-hash attack": each guess costs an Argon2id run
  calibrated to about one second;
* a PDF password: at least 10^12 guesses, since a PDF (AES-256, revision 6) is checked with a
  few rounds of SHA-2, many orders of magnitude cheaper per guess than Argon2id.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass

from ..errors import UsageError

MIN_SCORE = 3  # vault passphrase: zxcvbn score 0-4
MIN_PDF_GUESSES_LOG10 = 12.0
# zxcvbn's running time grows quickly with length; it refuses more than 72 characters by
# default. A longer secret is judged by its first 72 (a long secret with a strong start is
# strong; one that repeats a character 100 times still fails).
_MAX_ESTIMATED = 72
SUGGESTION_WORDS = 5
_WORDLIST_SIZE = 4096  # 12 bits a word: five words are 60 bits
# Context an attacker would try first.
_USER_INPUTS = [
    "confide",
    "vault",
    "therapy",
    "therapist",
    "clinic",
    "practice",
    "client",
    "notes",
    "record",
    "records",
    "release",
]
# The word list comes from zxcvbn's own English frequency list (MIT): common words, people's
# names removed, and words no clinician wants suggested as a secret left out.
_UNWANTED = (
    "kill",
    "murder",
    "rape",
    "suicid",
    "death",
    "dead",
    "die",
    "nazi",
    "sex",
    "abus",
    "drug",
    "war",
    "bomb",
    "terror",
    "slave",
    "jew",
    "muslim",
    "islam",
    "christ",
    "gay",
    "black",
    "white",
    "cancer",
    "disease",
    "victim",
    "porn",
    "gun",
    "shoot",
    "prison",
    "crime",
    "fat",
    "weapon",
    "blood",
    "attack",
    "soldier",
    "army",
    "hitler",
    "assault",
    "violen",
    "massacre",
    "genocide",
    "race",
    "racial",
    "god",
    "church",
    "religio",
    "hell",
    "damn",
    "ass",
    "penis",
    "vagin",
    "nude",
    "naked",
    "jail",
    "execut",
    "hang",
    "torture",
    "poison",
    "fight",
    "enemy",
    "burial",
    "grave",
    "corpse",
    "funeral",
    "disab",
    "insane",
    "mental",
    "patient",
    "hospital",
    "ill",
)


@dataclass(frozen=True)
class Strength:
    """How guessable a passphrase is, with what to say about it."""

    score: int  # zxcvbn 0-4
    guesses_log10: float
    warning: str


def estimate(secret: str) -> Strength:
    from zxcvbn import zxcvbn  # loaded only when a new secret is chosen: it is large

    result = zxcvbn(secret[:_MAX_ESTIMATED], user_inputs=_USER_INPUTS)
    warning = str(result["feedback"].get("warning") or "")
    return Strength(int(result["score"]), float(result["guesses_log10"]), warning)


@functools.cache
def _wordlist() -> tuple[str, ...]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    names = {
        *FREQUENCY_LISTS["female_names"],
        *FREQUENCY_LISTS["male_names"],
        *FREQUENCY_LISTS["surnames"],
    }
    words = [
        w
        for w in FREQUENCY_LISTS["english_wikipedia"]
        if 4 <= len(w) <= 8
        and w.isascii()
        and w.isalpha()
        and w not in names
        and not any(bad in w for bad in _UNWANTED)
    ]
    return tuple(words[:_WORDLIST_SIZE])


def suggestion(words: int = SUGGESTION_WORDS) -> str:
    """Random common words (the `secrets` module), e.g. `harbor lantern tidal minor quartz`."""
    pool = _wordlist()
    return " ".join(secrets.choice(pool) for _ in range(words))


def _why(strength: Strength) -> str:
    return f" ({strength.warning.rstrip('.')})" if strength.warning else ""


def check_passphrase(passphrase: str, what: str = "the passphrase") -> None:
    """Refuse a guessable vault passphrase with the reason and a suggestion."""
    strength = estimate(passphrase)
    if strength.score < MIN_SCORE:
        raise UsageError(
            f"{what} is too easy to guess{_why(strength)}: zxcvbn estimates about "
            f"10^{strength.guesses_log10:.0f} guesses, and Confide asks for 10^8 or more; use "
            f"several unrelated words, for example: {suggestion()}"
        )


def check_pdf_password(password: str) -> None:
    """Refuse a PDF password an offline attacker could guess with a PDF's fast check."""
    strength = estimate(password)
    if strength.guesses_log10 < MIN_PDF_GUESSES_LOG10:
        raise UsageError(
            f"the PDF password is too easy to guess{_why(strength)}: zxcvbn estimates about "
            f"10^{strength.guesses_log10:.0f} guesses, and a PDF needs 10^"
            f"{MIN_PDF_GUESSES_LOG10:.0f} or more (it is checked with a fast hash, not "
            f"Argon2id); use several unrelated words, for example: {suggestion()}"
        )
