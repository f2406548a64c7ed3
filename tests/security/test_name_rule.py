"""Issue 10 item 17: one rule for every name-like field, one escape for every output.

The rule (vault.records.validate.one_line): a name-like field is one line of visible text,
stored exactly as given but for surrounding spaces; a control character (tab, CR, LF...), a
line or paragraph separator or a bidi control is refused with an error naming the character
and the field, never turned into a space. Text that reaches an output anyway (a name stored
before the rule, a note body) shows such a character as the same visible escape in .txt, .md,
PDF and on the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from backup import add_drive
from tests.support.cli import PASSPHRASE, Cli
from tests.support.disclosures import pdf_text, signed
from vault import UsageError, Vault
from vault.disclosures import ReleaseSpec, RequestType
from vault.retention.policies import add_policy

BAD = {
    "\t": "U+0009 CHARACTER TABULATION",
    "\r": "U+000D CARRIAGE RETURN",
    "\n": "U+000A LINE FEED",
    "\u2028": "U+2028 LINE SEPARATOR",
    "\u2029": "U+2029 PARAGRAPH SEPARATOR",
    "\u202e": "U+202E RIGHT-TO-LEFT OVERRIDE",
    "\u2067": "U+2067 RIGHT-TO-LEFT ISOLATE",
    "\u200f": "U+200F RIGHT-TO-LEFT MARK",
    "\x1b": "U+001B ESCAPE",
    "\x85": "U+0085",
}


def _release(
    vault: Vault,
    client: int,
    *,
    recipient: str = "Harbor Law LLP",
    purpose: str = "litigation",
    address: str | None = None,
) -> ReleaseSpec:
    return ReleaseSpec(
        client,
        RequestType.COURT_ORDER,
        recipient,
        purpose,
        recipient_address=address,
        court_order="Order 12 of 2026",
    )


def _ready(vault: Vault) -> int:
    client = vault.clients.add("Ada Example").id
    signed(vault, client, "soap", "Subjective: sleeping better.", "2026-01-10")
    return client


FIELDS: dict[str, tuple[str, Callable[[Vault, Path, str], object]]] = {
    "client name": ("client name", lambda v, _, s: v.clients.add(s)),
    "pseudonym": ("pseudonym", lambda v, _, s: v.clients.add("Ada Example", pseudonym=s)),
    "renamed client": (
        "client name",
        lambda v, _, s: v.clients.update(v.clients.add("Ada Example").id, display_name=s),
    ),
    "recipient": (
        "recipient",
        lambda v, _, s: v.disclosures.prepare(_release(v, _ready(v), recipient=s)),
    ),
    "purpose": (
        "purpose",
        lambda v, _, s: v.disclosures.prepare(_release(v, _ready(v), purpose=s)),
    ),
    "recipient address": (
        "recipient address",
        lambda v, _, s: v.disclosures.prepare(_release(v, _ready(v), address=s)),
    ),
    "authorization recipient": (
        "recipient",
        lambda v, _, s: v.disclosures.authorizations.add(
            v.clients.add("Ada Example").id,
            kind="general",
            description="progress notes",
            discloser="Dr. Example",
            recipient_name=s,
            purpose="care",
            signed_on="2026-01-01",
            expires_on="2027-01-01",
        ),
    ),
    "practice name": ("practice name", lambda v, _, s: v.disclosures.set_practice(name=s)),
    "drive label": ("drive label", lambda v, t, s: add_drive(v, t, s)),
    "policy label": ("policy label", lambda v, _, s: add_policy(v, "custom-7", s, 7)),
}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("char", BAD, ids=[f"U+{ord(c):04X}" for c in BAD])
def test_every_name_like_field_refuses_the_same_characters(
    vault: Vault, tmp_path: Path, field: str, char: str
) -> None:
    """A tab, CR, U+2028 or U+202E in any name-like field is refused, naming char and field."""
    label, attempt = FIELDS[field]
    stick = tmp_path / "stick"
    stick.mkdir()
    clients_before = vault.clients.count()
    with pytest.raises(UsageError) as caught:
        attempt(vault, stick, f"Ada{char}Example")
    message = str(caught.value)
    assert f"{label} contains {BAD[char]}" in message and "position 4" in message
    assert "\n" not in message
    assert vault.clients.count() <= clients_before + 1  # only the setup's own client
    assert not any(stick.iterdir())  # no drive marker written


@pytest.mark.parametrize("field", FIELDS)
def test_every_name_like_field_stores_exactly(vault: Vault, tmp_path: Path, field: str) -> None:
    """Accents, scripts, double spaces and markup-like text are accepted as given."""
    label, attempt = FIELDS[field]
    stick = tmp_path / "stick"
    stick.mkdir()
    attempt(vault, stick, "  Zoë  Ø'Brien <Жанна> [b]Ψ[/b] ")
    if field in ("client name", "pseudonym"):
        assert vault.clients.list()[-1].display_name == "Zoë  Ø'Brien <Жанна> [b]Ψ[/b]"


def _legacy_name(vault: Vault, client: int, name: str) -> None:
    """A name stored before the rule existed: written straight into the table."""
    vault.db.execute(
        "UPDATE clients SET display_name = ?, legal_name = ? WHERE id = ?", (name, name, client)
    )


def test_every_release_format_escapes_bidi_controls_alike(vault: Vault, tmp_path: Path) -> None:
    """A U+202E in a (pre-rule) name and in a note body: the same `\\u202e` in txt, md, PDF."""
    client = vault.clients.add("Ada Example").id
    signed(vault, client, "soap", "Subjective: body\u202emark and a line\u2028break.", "2026-01-10")
    _legacy_name(vault, client, "Ada\u202eelpmaxE")
    outputs = {}
    for suffix in (".txt", ".md", ".pdf"):
        out = tmp_path / f"release{suffix}"
        vault.disclosures.write(vault.disclosures.prepare(_release(vault, client)), out)
        outputs[suffix] = pdf_text(out) if suffix == ".pdf" else out.read_text("utf-8")
    for suffix, text in outputs.items():
        for raw in ("\u202e", "\u2028"):
            assert raw not in text, suffix
        flat = text.replace("\\\\", "\\")  # Markdown escapes the backslash itself
        assert "Ada\\u202eelpmaxE" in flat, suffix
        assert "body\\u202emark" in flat and "line\\u2028break" in flat, suffix


def test_terminal_escapes_a_pre_rule_name(cli: Cli) -> None:
    """`client list` (text and JSON) shows the escape, never the raw override."""
    cli.init()
    vault = Vault.unlock(cli.vault_dir, PASSPHRASE)
    try:
        client = vault.clients.add("Ada Example").id
        _legacy_name(vault, client, "Ada\u202eelpmaxE\u2028x")
    finally:
        vault.lock()
    for args in (("client", "list"), ("client", "list", "--json")):
        out = cli(*args).stdout
        assert "\u202e" not in out and "\u2028" not in out
        assert re.search(r"Ada\\u202eelpmaxE\\u2028x", out), out
