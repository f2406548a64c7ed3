"""The limits-of-confidentiality and informed-consent notice, and when each client got it.

The practice keeps one template, versioned: every saved change is a new version and no version
is ever changed or deleted, so the record can always show the exact text a client was given.
A client's notice is a PDF (or text) ready to sign, made from the current version; giving it
and the client's acknowledgement are recorded with that version. A client whose latest notice
is older than the current version, or who has none, is listed as needing one.

Template syntax: a line `## Title` starts a section; `## Title (optional: off)` is a section
kept in the template but left out of the notice until switched on (`(optional: on)`).
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NotFoundError, UsageError
from ..records.audit import Action
from ..records.validate import long_text
from ..storage.database import Row, now_utc
from ..storage.versioned import VersionedTexts
from . import _fields
from .document import Document, Section, clean

if TYPE_CHECKING:
    from ..vault import Vault

MAX_TEMPLATE_CHARS = 100_000
_HEADING = re.compile(r"^## (?P<title>.+?)(?: \(optional: (?P<state>on|off)\))?\s*$")


@dataclass(frozen=True)
class NoticeSection:
    title: str
    body: str
    optional: bool
    enabled: bool


@dataclass(frozen=True)
class NoticeTemplate:
    version: int
    text: str
    created_at: str

    @property
    def sections(self) -> tuple[NoticeSection, ...]:
        return parse_template(self.text)

    @property
    def included(self) -> tuple[NoticeSection, ...]:
        """The sections a client's notice carries: every section that is not switched off."""
        return tuple(s for s in self.sections if s.enabled)


def parse_template(text: str) -> tuple[NoticeSection, ...]:
    """The template's sections, or a UsageError naming the line that breaks the syntax."""
    sections: list[NoticeSection] = []
    title: str | None = None
    optional = enabled = False
    body: list[str] = []

    def close() -> None:
        if title is None:
            return
        content = "\n".join(body).strip()
        if not content:
            raise UsageError(f"notice template: the section {title!r} has no text")
        sections.append(NoticeSection(title, content, optional, enabled))

    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADING.match(line)
        if match:
            close()
            title = match["title"].strip()
            optional = match["state"] is not None
            enabled = match["state"] != "off"
            body = []
        elif title is None:
            if line.strip():
                raise UsageError(
                    f"notice template line {number}: text before the first section; "
                    "start each section with a line '## Title'"
                )
        else:
            body.append(line)
    close()
    if not sections:
        raise UsageError("notice template: no sections; start each section with '## Title'")
    titles = [s.title.casefold() for s in sections]
    for s in sections:
        if titles.count(s.title.casefold()) > 1:
            raise UsageError(f"notice template: two sections are called {s.title!r}")
    if not any(s.enabled for s in sections):
        raise UsageError("notice template: every section is switched off")
    return tuple(sections)


class NoticeState(StrEnum):
    MISSING = "missing"
    OUTDATED = "outdated"
    UNACKNOWLEDGED = "unacknowledged"
    CURRENT = "current"


@dataclass(frozen=True)
class GivenNotice:
    id: int
    client_id: int
    template_version: int | None  # None: recorded before templates (only a date was kept)
    given_on: str
    acknowledged_on: str | None
    created_at: str

    @property
    def record_id(self) -> str:
        return f"K-{self.id:05d}"


@dataclass(frozen=True)
class NoticeStatus:
    client_id: int
    state: NoticeState
    latest: GivenNotice | None
    current_version: int

    def describe(self) -> str:
        if self.latest is None:
            return "no notice recorded"
        version = (
            f"version {self.latest.template_version}"
            if self.latest.template_version is not None
            else "a version not recorded"
        )
        text = f"given {self.latest.given_on} ({version})"
        if self.latest.acknowledged_on:
            text += f", acknowledged {self.latest.acknowledged_on}"
        else:
            text += ", not acknowledged"
        if self.state is NoticeState.OUTDATED:
            text += f"; the current template is version {self.current_version}"
        return text


def _given(row: Row) -> GivenNotice:
    return GivenNotice(
        id=int(row["id"]),
        client_id=int(row["client_id"]),
        template_version=None if row["template_version"] is None else int(row["template_version"]),
        given_on=str(row["given_on"]),
        acknowledged_on=row["acknowledged_on"],
        created_at=str(row["created_at"]),
    )


class Notices:
    """`vault.disclosures.notices`: the practice's notice template and each client's notice."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    # -- the template

    def template(self, version: int | None = None) -> NoticeTemplate:
        return NoticeTemplate(*astuple(self._texts().get(version)))

    def versions(self) -> builtins.list[NoticeTemplate]:
        return [NoticeTemplate(*astuple(v)) for v in self._texts().all()]

    def save_template(self, text: str) -> NoticeTemplate:
        """A new version from `text` (checked first); unchanged text saves nothing."""
        checked = long_text(text, "notice template", max_chars=MAX_TEMPLATE_CHARS)
        parse_template(checked)
        audit = self._vault.audit
        version = self._texts().save(
            checked,
            lambda v: audit.record(Action.NOTICE, "notice_template", v, event="saved"),
        )
        return self.template(version)

    def _texts(self) -> VersionedTexts:
        return VersionedTexts(self._vault.db, "notice_templates", "notice template")

    def switch_section(self, title: str, on: bool) -> NoticeTemplate:
        """Switch an optional section on or off: a new template version."""
        current = self.template()
        wanted = title.strip().casefold()
        found = [s for s in current.sections if s.title.casefold() == wanted]
        if not found:
            names = ", ".join(repr(s.title) for s in current.sections if s.optional) or "none"
            raise NotFoundError(f"no section {title!r} in the notice template (optional: {names})")
        section = found[0]
        if not section.optional:
            raise UsageError(f"the section {section.title!r} is not optional; edit the template")
        lines = []
        for line in current.text.splitlines():
            match = _HEADING.match(line)
            if match and match["title"].strip() == section.title:
                line = f"## {section.title} (optional: {'on' if on else 'off'})"
            lines.append(line)
        return self.save_template("\n".join(lines))

    # -- a client's notice

    def document(self, client_id: int, today: date | None = None) -> Document:
        """The notice for one client, ready to sign, from the current template."""
        client = self._vault.clients.get_unaudited(client_id)
        template = self.template()
        day = (today or date.today()).isoformat()
        practice = self._vault.disclosures.practice()
        facts = [("Client", f"{client.display_name} ({client.record_id})")]
        if client.date_of_birth:
            facts.append(("Date of birth", client.date_of_birth))
        facts += [("Date", day), ("Notice", f"template version {template.version}")]
        reference = f"NOTICE-{client.record_id}-v{template.version}"
        sections = tuple(Section(s.title, (), s.body) for s in template.included)
        signature = (
            f"Client (or parent or guardian): {'_' * 30}   Date: {'_' * 14}",
            f"Printed name: {'_' * 36}",
            f"Clinician: {practice.clinician_line() or '_' * 30}   Signature: {'_' * 24}",
        )
        return Document(
            reference=reference,
            title="Limits of confidentiality and consent to treatment",
            practice=tuple(clean(line) for line in practice.lines()),
            facts=tuple(facts),
            statement=(),
            sections=sections,
            footer_id=reference,
            item=("section", "sections"),
            signature=signature,
        )

    def write(
        self,
        client_id: int,
        path: str | Path,
        *,
        fmt: str | None = None,
        force: bool = False,
        paper: str | None = None,
        today: date | None = None,
    ) -> Path:
        """Write the client's notice to `path` (a file outside the vault, recorded as such)."""
        document = self.document(client_id, today)
        return self._vault.disclosures.write_document(
            document, client_id, path, fmt=fmt, force=force, what="consent_notice", paper=paper
        )

    def give(
        self,
        client_id: int,
        given_on: str | date | None = None,
        acknowledged_on: str | date | None = None,
        version: int | None = None,
    ) -> GivenNotice:
        """Record that the client was given the notice (the current version unless named)."""
        self._vault.clients.get_unaudited(client_id)
        template = self.template(version)
        given = _fields.day(given_on, "date given") or date.today()
        acknowledged = _fields.day(acknowledged_on, "date acknowledged")
        if acknowledged is not None and acknowledged < given:
            raise UsageError("the notice cannot be acknowledged before it was given")
        if given > date.today():
            raise UsageError(f"date given {given} is in the future")
        db = self._vault.db
        with db.atomic():
            notice_id = db.next_id("consent_notices")
            db.execute(
                "INSERT INTO consent_notices (id, client_id, template_version, given_on,"
                " acknowledged_on, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    notice_id,
                    client_id,
                    template.version,
                    given.isoformat(),
                    None if acknowledged is None else acknowledged.isoformat(),
                    now_utc(),
                ),
            )
            # The client's summary field follows the latest notice given.
            db.execute(
                "UPDATE clients SET consent_notice_date = ? WHERE id = ? AND "
                "(consent_notice_date IS NULL OR consent_notice_date <= ?)",
                (given.isoformat(), client_id, given.isoformat()),
            )
            self._vault.audit.record(
                Action.NOTICE,
                "consent_notice",
                notice_id,
                client=client_id,
                event="given",
                version=template.version,
            )
        return self.get(notice_id)

    def acknowledge(self, client_id: int, acknowledged_on: str | date | None = None) -> GivenNotice:
        """Record the client's acknowledgement of the latest notice given."""
        latest = self.latest(client_id)
        if latest is None:
            raise UsageError("no notice was given to this client; record it first")
        if latest.acknowledged_on:
            raise UsageError(
                f"{latest.record_id} was already acknowledged on {latest.acknowledged_on}"
            )
        day = self.check_acknowledged(latest.given_on, acknowledged_on)
        db = self._vault.db
        with db.atomic():
            db.execute(
                "UPDATE consent_notices SET acknowledged_on = ? WHERE id = ?",
                (day.isoformat(), latest.id),
            )
            self._vault.audit.record(
                Action.NOTICE, "consent_notice", latest.id, client=client_id, event="acknowledged"
            )
        return self.get(latest.id)

    @staticmethod
    def check_acknowledged(given_on: str, acknowledged_on: str | date | None) -> date:
        """The acknowledgement day (today if none), refused when it is not a date, comes
        before the day given or is in the future. A form checks it before saving anything."""
        day = _fields.day(acknowledged_on, "date acknowledged") or date.today()
        if day.isoformat() < given_on:
            raise UsageError("the notice cannot be acknowledged before it was given")
        if day > date.today():
            raise UsageError(f"date acknowledged {day} is in the future")
        return day

    def get(self, notice_id: int) -> GivenNotice:
        row = self._vault.db.one("SELECT * FROM consent_notices WHERE id = ?", (notice_id,))
        if row is None:
            raise NotFoundError(f"no consent notice K-{notice_id:05d}")
        return _given(row)

    def given(self, client_id: int) -> builtins.list[GivenNotice]:
        """A client's notices, oldest first: a read of the record, so it is audited."""
        found = [
            _given(r)
            for r in self._vault.db.query(
                "SELECT * FROM consent_notices WHERE client_id = ? ORDER BY given_on, id",
                (client_id,),
            )
        ]
        self._vault.audit.record(Action.VIEW, "consent_notices", client_id, count=len(found))
        return found

    def latest(self, client_id: int) -> GivenNotice | None:
        row = self._vault.db.one(
            "SELECT * FROM consent_notices WHERE client_id = ? ORDER BY given_on DESC, id DESC"
            " LIMIT 1",
            (client_id,),
        )
        return None if row is None else _given(row)

    def status(self, client_id: int) -> NoticeStatus:
        return self._status(client_id, self.latest(client_id), self.template().version)

    def statuses(self, client_ids: Sequence[int] | None = None) -> builtins.list[NoticeStatus]:
        """Every active client's notice state (or the named clients'), in one query."""
        db = self._vault.db
        current = self.template().version
        if client_ids is None:
            ids = [
                int(r["id"])
                for r in db.query("SELECT id FROM clients WHERE status = 'active' ORDER BY id")
            ]
        else:
            ids = list(client_ids)
        latest: dict[int, GivenNotice] = {}
        for row in db.query("SELECT * FROM consent_notices ORDER BY client_id, given_on, id"):
            latest[int(row["client_id"])] = _given(row)
        return [self._status(i, latest.get(i), current) for i in ids]

    @staticmethod
    def _status(client_id: int, latest: GivenNotice | None, current: int) -> NoticeStatus:
        if latest is None:
            state = NoticeState.MISSING
        elif latest.template_version is None or latest.template_version < current:
            state = NoticeState.OUTDATED
        elif not latest.acknowledged_on:
            state = NoticeState.UNACKNOWLEDGED
        else:
            state = NoticeState.CURRENT
        return NoticeStatus(client_id, state, latest, current)
