"""A practice with clients past retention, for disposal tests."""

from __future__ import annotations

from vault import SessionInfo, Vault

from .cli import PASSPHRASE

GONE_TEXT = "Quillon spoke about the marmalade lighthouse and his sister Wrenfield"
KEPT_TEXT = "Bramblewood practised grounding before the interview"
PNOTE_TEXT = "private impression: xylophone heartbreak under the pier"


def make_practice(vault: Vault) -> dict[str, int]:
    """Two clients past retention (one pseudonymous), one current, with notes and pnotes."""
    gone = vault.clients.add("Quillon Zabriskie", last_service_date="2010-01-05",
                             date_of_birth="1970-02-02")
    sealed = vault.clients.add("Ottoline Vexmoor", pseudonym="Client Seven",
                               last_service_date="2011-03-03")
    kept = vault.clients.add("Bramble Keeper", last_service_date="2025-06-01")
    for i in range(12):
        note = vault.notes.create(gone.id, body=f"{GONE_TEXT} (session {i})",
                                  session=SessionInfo(session_date=f"2009-{i % 12 + 1:02d}-04"))
        if i % 2:
            vault.notes.sign(note.id)
        vault.notes.create(kept.id, body=f"{KEPT_TEXT} {i}",
                           session=SessionInfo(session_date="2025-05-01"))
    vault.notes.create(sealed.id, body="Vexmoor notes on the orchard dispute",
                       session=SessionInfo(session_date="2011-03-03"))
    # A joint session owned by the kept client names the disposed one as participant.
    vault.notes.create(kept.id, body="joint family session", participants=[gone.id],
                       session=SessionInfo(session_date="2009-12-12"))
    pnotes = vault.open_psychotherapy_notes(PASSPHRASE)
    pnotes.add(gone.id, PNOTE_TEXT, "2009-06-06")
    pnotes.add(kept.id, "kept impression about tidal pools", "2025-05-01")
    pnotes.lock()
    return {"gone": gone.id, "sealed": sealed.id, "kept": kept.id}
