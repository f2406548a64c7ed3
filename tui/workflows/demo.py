"""A synthetic practice: obviously fake people, plausible clinical prose, reproducible by seed.

Used by `confide demo`, the TUI snapshot tests and the benchmarks. Never real data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from vault.records.markup import parse_omissions
from vault.records.models import ClientStatus, SessionInfo
from vault.vault import Vault

# Public on purpose: the demo vault holds synthetic records only.
DEMO_PASSPHRASE = "demo passphrase"  # noqa: S105

FIRST = [
    "Alder",
    "Bramble",
    "Cobalt",
    "Dune",
    "Ember",
    "Fennel",
    "Garnet",
    "Hazel",
    "Indigo",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Marigold",
    "Nimbus",
    "Onyx",
    "Pepper",
    "Quill",
    "Rowan",
    "Saffron",
    "Thistle",
    "Umber",
    "Vesper",
    "Willow",
    "Yarrow",
    "Zephyr",
]
LAST = [
    "Sampleton",
    "Testwell",
    "Fakeley",
    "Placeholder",
    "Mockridge",
    "Dummington",
    "Examplar",
    "Fictive",
    "Synthwood",
    "Pretendson",
    "Notreal",
    "Madeupski",
]

_MOODS = ["anxious", "low", "irritable", "calm", "hopeful", "tearful", "guarded", "animated"]
_THEMES = [
    "work stress",
    "sleep",
    "a conflict with a sibling",
    "grief",
    "panic episodes",
    "motivation",
    "boundaries with a parent",
    "social anxiety",
    "a recent move",
    "relationship strain",
    "self-criticism",
    "exam pressure",
]
_INTERVENTIONS = [
    "cognitive restructuring",
    "behavioural activation",
    "grounding exercises",
    "motivational interviewing",
    "psychoeducation on sleep hygiene",
    "exposure hierarchy review",
    "mindfulness practice",
    "values clarification",
]
_OMITS = [
    ("dream-fantasy", "described a recurring dream of a flooded house"),
    ("third-party", "shared that a friend is secretly in debt"),
    ("substance-use", "disclosed weekend cannabis use"),
    ("legal", "mentioned a pending custody hearing"),
]
_DX = ["F41.1", "F32.1", "F43.10", "F40.10", "F33.0", "F43.23"]
_TEMPLATES = ["soap", "soap", "dap", "birp", "girp"]


@dataclass(frozen=True)
class DemoSummary:
    clients: int
    notes: int
    psychotherapy_notes: int


def _name(rng: random.Random, index: int) -> str:
    return f"{FIRST[index % len(FIRST)]} {LAST[(index // len(FIRST) + index) % len(LAST)]}" + (
        f" {index // (len(FIRST) * len(LAST)) + 1}" if index >= len(FIRST) * len(LAST) else ""
    )


def note_text(rng: random.Random, template: str, flag: bool) -> str:
    """A plausible progress note body, optionally with one omission-flagged passage."""
    mood, theme = rng.choice(_MOODS), rng.choice(_THEMES)
    method = rng.choice(_INTERVENTIONS)
    flagged = ""
    if flag:
        category, text = rng.choice(_OMITS)
        flagged = f" Client {{{{omit:{category}}}}}{text}{{{{/omit}}}}."
    sections = {
        "soap": ("Subjective", "Objective", "Assessment", "Plan"),
        "dap": ("Data", "Assessment", "Plan"),
        "birp": ("Behavior", "Intervention", "Response", "Plan"),
        "girp": ("Goal", "Intervention", "Response", "Plan"),
    }[template]
    lines = [
        f"Client reported feeling {mood} this week, mostly around {theme}.{flagged}",
        f"Presented {mood}, oriented, speech normal in rate; engaged with {method}.",
        f"Symptoms consistent with working diagnosis; progress toward goals is "
        f"{rng.choice(['steady', 'slow', 'good', 'mixed'])}.",
        f"Continue weekly sessions; homework: practise {method} "
        f"{rng.randint(2, 5)} times before next session.",
    ]
    return "\n".join(f"{section}:\n{lines[i % len(lines)]}\n" for i, section in enumerate(sections))


def populate(
    vault: Vault,
    *,
    clients: int = 24,
    notes_per_client: int = 6,
    seed: int = 7,
    today: date | None = None,
    pnotes_passphrase: str | None = None,
) -> DemoSummary:
    """Fill an empty vault with a fake practice. Dates are fixed by `today` for snapshots."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fake data, not secrets
    end = today or date(2026, 11, 20)
    made_notes = 0
    made_pnotes = 0
    pnotes = vault.open_psychotherapy_notes(pnotes_passphrase) if pnotes_passphrase else None
    ids: list[int] = []
    for index in range(clients):
        born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 60))
        client = vault.clients.add(
            _name(rng, index),
            pseudonym=f"Client {FIRST[(index * 7) % len(FIRST)]}bird" if index % 11 == 5 else None,
            date_of_birth=born.isoformat(),
            status=ClientStatus.DISCHARGED if index % 9 == 8 else ClientStatus.ACTIVE,
            consent_notice_date=(end - timedelta(days=400 + index)).isoformat(),
        )
        ids.append(client.id)
        first_session = end - timedelta(days=7 * notes_per_client + rng.randint(0, 200))
        with vault.db.atomic():
            for n in range(notes_per_client):
                day = first_session + timedelta(days=7 * n)
                template = rng.choice(_TEMPLATES)
                body, spans = parse_omissions(note_text(rng, template, rng.random() < 0.25))
                start_hour = rng.randint(9, 17)
                note = vault.notes.create(
                    client.id,
                    template,
                    body=body,
                    spans=spans,
                    session=SessionInfo(
                        day.isoformat(),
                        f"{start_hour:02d}:00",
                        f"{start_hour:02d}:50",
                        "90834",
                        "individual",
                        (rng.choice(_DX),),
                    ),
                    participants=[ids[-2]] if n == 2 and len(ids) > 1 and index % 5 == 0 else (),
                )
                if n < notes_per_client - 1:
                    vault.notes.sign(note.id)
                made_notes += 1
                if pnotes is not None and n % 3 == 0:
                    pnotes.add(
                        client.id,
                        f"Process note: noticed {rng.choice(_MOODS)} "
                        f"countertransference while discussing "
                        f"{rng.choice(_THEMES)}.",
                        day.isoformat(),
                    )
                    made_pnotes += 1
    if pnotes is not None:
        pnotes.lock()
    return DemoSummary(clients, made_notes, made_pnotes)
