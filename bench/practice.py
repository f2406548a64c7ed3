"""A reproducible synthetic practice for the benchmarks: fake clients, plausible clinical prose.

The same seed gives the same practice, written twice through the real records API: once into a
real SQLCipher vault and once into a plain SQLite file with the identical schema (the twin that
the encryption overhead ratio is measured against). Built practices are cached under
`bench/.cache/` keyed by their parameters, so reruns only copy them.

Synthetic data only: every name is obviously fake (vault.demo's name lists).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tui.workflows.demo import FIRST, LAST
from vault import PRESETS, ClientStatus, OmitCategory, SessionInfo, Vault, parse_omissions
from vault.crypto.keyslots import KeyName, new_data_keys, wipe_keys
from vault.crypto.sealing import public_key_of
from vault.records.audit import AuditLog
from vault.records.store import ClientRecords, NoteRecords
from vault.storage.database import Database
from vault.storage.schema import RECORD_MIGRATIONS

# Bump when the generated content changes, so stale caches are not reused.
GENERATOR_VERSION = 3  # 3: schema 12 (prefix indexes); 2: key files bind the recovery public key
BENCH_PASSPHRASE = "bench passphrase (synthetic data)"  # noqa: S105 - synthetic vault only
CACHE_DIR = Path(__file__).resolve().parent / ".cache"
PRACTICE_END = date(2026, 11, 20)
PRACTICE_START = date(2018, 1, 8)
BATCH_NOTES = 1000  # notes per transaction while building: one fsync per batch, not per note

Progress = Callable[[str], None]


# ----------------------------------------------------------------------------- vocabulary

MOODS = [
    "anxious",
    "low",
    "irritable",
    "calm",
    "hopeful",
    "tearful",
    "guarded",
    "animated",
    "flat",
    "restless",
    "euthymic",
    "discouraged",
    "relieved",
    "overwhelmed",
    "tense",
]
THEMES = [
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
    "financial worries",
    "loneliness",
    "caregiving for an ageing parent",
    "a custody hearing",
    "perfectionism",
    "anger at a manager",
    "intrusive thoughts",
    "body image",
    "returning to work",
    "a breakup",
    "parenting a teenager",
    "chronic pain",
]
INTERVENTIONS = [
    "cognitive restructuring",
    "behavioural activation",
    "grounding exercises",
    "motivational interviewing",
    "psychoeducation on sleep hygiene",
    "exposure hierarchy review",
    "mindfulness practice",
    "values clarification",
    "thought records",
    "diaphragmatic breathing",
    "problem-solving therapy",
    "assertiveness rehearsal",
    "emotion regulation skills",
    "chain analysis",
    "narrative reframing",
    "progressive muscle relaxation",
    "interpersonal inventory",
    "safety planning",
]
SYMPTOMS = [
    "early waking",
    "racing thoughts",
    "poor concentration",
    "appetite changes",
    "muscle tension",
    "avoidance of crowds",
    "rumination",
    "irritability",
    "fatigue",
    "heart palpitations",
    "low energy",
    "difficulty falling asleep",
    "worry about health",
    "tearfulness",
    "social withdrawal",
    "nightmares",
]
PEOPLE = [
    "partner",
    "mother",
    "father",
    "sister",
    "brother",
    "manager",
    "roommate",
    "best friend",
    "daughter",
    "son",
    "grandmother",
    "neighbour",
    "coworker",
    "coach",
]
PROGRESS = ["steady", "slow", "good", "mixed", "uneven", "encouraging", "limited"]
# Rare terms: each appears in a small share of notes, as real specific details do.
RARE = [
    "kayaking",
    "pottery",
    "beekeeping",
    "chess",
    "marathon",
    "violin",
    "sourdough",
    "birdwatching",
    "crossword",
    "aquarium",
    "greenhouse",
    "motorcycle",
    "ferry",
    "volcano",
    "lighthouse",
    "orchard",
    "carpentry",
    "embroidery",
    "telescope",
    "harmonica",
    "misophonia",
    "emetophobia",
    "trichotillomania",
    "tinnitus",
    "fibromyalgia",
    "sleepwalking",
    "claustrophobia",
    "acrophobia",
    "hoarding",
    "migraine",
    "vertigo",
    "eczema",
    "asthma",
    "insulin",
    "dialysis",
    "chemotherapy",
    "miscarriage",
    "adoption",
    "bankruptcy",
    "eviction",
    "deployment",
    "promotion",
    "retirement",
    "inheritance",
    "wedding",
    "funeral",
    "graduation",
    "citizenship",
    "interview",
    "lawsuit",
    "skateboard",
    "trampoline",
    "snorkelling",
    "glacier",
    "canoe",
    "tandem",
    "quilting",
    "falconry",
    "origami",
    "ukulele",
    "archery",
    "fencing",
    "rowing",
    "curling",
    "taxidermy",
    "calligraphy",
    "bonsai",
    "saxophone",
    "harpsichord",
    "pinball",
]
OMITS = [
    ("dream-fantasy", "described a recurring dream of a flooded house with locked doors"),
    ("dream-fantasy", "spoke of a fantasy of leaving everything and moving to the coast"),
    ("third-party", "shared that a close friend is secretly in serious debt"),
    ("third-party", "said their sister has been hiding a diagnosis from the family"),
    ("substance-use", "disclosed weekend cannabis use, two to three evenings a week"),
    ("substance-use", "reported drinking more wine than intended on most weekends"),
    ("legal", "mentioned a pending custody hearing scheduled for next month"),
    ("sexual-reproductive", "discussed fertility treatment and its strain on the couple"),
    ("hiv-sti", "shared the result of a recent sexual-health screening"),
    (
        "client-requested",
        "asked that the details of the argument with the landlord stay out of any release",
    ),
]
DIAGNOSES = [
    "F41.1",
    "F32.1",
    "F43.10",
    "F40.10",
    "F33.0",
    "F43.23",
    "F42.2",
    "F41.0",
    "F34.1",
    "F50.00",
    "F43.22",
    "F60.3",
]
PROGRESS_TEMPLATES = ["soap", "dap", "birp", "girp"]
SECTIONS = {
    "soap": ("Subjective", "Objective", "Assessment", "Plan"),
    "dap": ("Data", "Assessment", "Plan"),
    "birp": ("Behavior", "Intervention", "Response", "Plan"),
    "girp": ("Goal", "Intervention", "Response", "Plan"),
    "intake": (
        "Presenting problem",
        "History",
        "Mental status",
        "Risk assessment",
        "Diagnostic impressions",
        "Recommendations",
    ),
    "treatment-plan": (
        "Problems",
        "Goals",
        "Objectives",
        "Interventions",
        "Target dates",
        "Review date",
    ),
    "discharge": (
        "Reason for discharge",
        "Course of treatment",
        "Status at discharge",
        "Diagnosis at discharge",
        "Referrals and recommendations",
    ),
    "free": ("Note",),
}

_SENTENCES = [
    "Client reported feeling {mood} this week, mostly around {theme}.",
    "Client described {symptom} and {symptom2} since the last session.",
    "Client said their {person} has been supportive, though {theme} still weighs on them.",
    "Presented {mood}, oriented, speech normal in rate and volume; affect congruent.",
    "Engaged well with {method}; was able to name two situations where it helped.",
    "Reviewed homework on {method}; completed about half of the planned practice.",
    "Explored how {theme} links to {symptom} and to the pattern of avoidance discussed earlier.",
    "Client was {mood} when talking about their {person} and the recent changes at home.",
    "Denies suicidal or homicidal ideation; no change in risk since the last assessment.",
    "Sleep remains disrupted with {symptom}; discussed a consistent wake time.",
    "Practised {method2} in session; client rated distress down from 7 to 4.",
    "Progress toward treatment goals is {progress}; symptoms consistent with the working "
    "diagnosis.",
    "Client identified {theme} as the main trigger this week and rated it 6 out of 10.",
    "Plan: continue weekly sessions; homework is to practise {method} {n} times before the "
    "next session.",
    "Will revisit {theme} next week and review the thought record together.",
    "Mentioned {rare} as something that helps on difficult days.",
    "Talked about {rare} with their {person}, which brought up {theme}.",
]


def note_body(
    rng: random.Random, template: str, *, flags: int = 0, rare_chance: float = 0.35
) -> str:
    """A plausible note body of about 1-2 KB in `template`'s sections, with omission markup."""
    sections = SECTIONS[template]
    per_section = max(2, round(10 / len(sections)))
    flag_at = set(rng.sample(range(len(sections)), min(flags, len(sections))))
    parts: list[str] = []
    for index, section in enumerate(sections):
        sentences = []
        for _ in range(per_section + rng.randint(0, 2)):
            sentence = rng.choice(_SENTENCES)
            if "{rare}" in sentence and rng.random() >= rare_chance:
                sentence = _SENTENCES[0]
            sentences.append(
                sentence.format(
                    mood=rng.choice(MOODS),
                    theme=rng.choice(THEMES),
                    symptom=rng.choice(SYMPTOMS),
                    symptom2=rng.choice(SYMPTOMS),
                    person=rng.choice(PEOPLE),
                    method=rng.choice(INTERVENTIONS),
                    method2=rng.choice(INTERVENTIONS),
                    progress=rng.choice(PROGRESS),
                    n=rng.randint(2, 5),
                    rare=rng.choice(RARE),
                )
            )
        if index in flag_at:
            category, text = rng.choice(OMITS)
            sentences.insert(
                rng.randint(0, len(sentences)),
                f"Client {{{{omit:{category}}}}}{text}{{{{/omit}}}}.",
            )
        parts.append(f"{section}:\n{' '.join(sentences)}\n")
    return "\n".join(parts)


def search_queries(seed: int, count: int = 100) -> list[str]:
    """What a clinician types: common and rare words, prefixes, two-word phrases."""
    rng = random.Random(seed)
    stop = {"with", "about", "from", "into", "that", "this"}  # nobody searches for these
    common = [
        w for w in " ".join(MOODS + THEMES + SYMPTOMS).split() if len(w) > 3 and w not in stop
    ]
    queries: list[str] = []
    for index in range(count):
        kind = index % 5
        if kind == 0:
            queries.append(rng.choice(common))
        elif kind in (1, 2):
            queries.append(rng.choice(RARE))
        elif kind == 3:
            word = rng.choice(RARE + common)
            queries.append(word[: max(3, len(word) // 2)] + "*")
        else:
            queries.append(f"{rng.choice(RARE)} {rng.choice(PEOPLE).split()[-1]}")
    return queries


# ----------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class PracticeSpec:
    clients: int = 2000
    notes: int = 50000
    seed: int = 2026
    kdf: str = "default"  # a vault.PRESETS name; the bench's unlock uses what is stored

    @property
    def key(self) -> str:
        return f"c{self.clients}-n{self.notes}-s{self.seed}-{self.kdf}-g{GENERATOR_VERSION}"


@dataclass(frozen=True)
class PlannedClient:
    name: str
    pseudonym: str | None
    date_of_birth: str
    status: str
    consent_notice_date: str
    diagnoses: tuple[str, ...]
    template: str
    group: tuple[int, ...]  # indexes of family/couple members seen jointly


@dataclass(frozen=True)
class PlannedNote:
    client: int  # index into the client plan
    day: str
    template: str
    seed: int
    flags: int
    whole_flag: str | None
    joint: bool
    sign: bool
    addendum: bool  # an addendum follows this note
    late: bool


def _counts(rng: random.Random, clients: int, total: int) -> list[int]:
    """Notes per client: skewed like a real caseload (a few long-term clients, many short)."""
    weights = [rng.lognormvariate(0.0, 0.8) for _ in range(clients)]
    scale = total / sum(weights)
    counts = [max(1, int(w * scale)) for w in weights]
    order = sorted(range(clients), key=lambda i: -weights[i])
    index = 0
    while sum(counts) != total:
        step = 1 if sum(counts) < total else -1
        target = order[index % clients]
        if counts[target] + step >= 1:
            counts[target] += step
        index += 1
    return counts


def plan(spec: PracticeSpec) -> tuple[list[PlannedClient], list[PlannedNote]]:
    """The whole practice, decided up front from the seed, in the order it is written."""
    rng = random.Random(spec.seed)
    addenda = round(spec.notes * 0.02)
    originals = spec.notes - addenda
    counts = _counts(rng, spec.clients, originals)
    groups: dict[int, tuple[int, ...]] = {}
    index = 0
    while index < spec.clients - 2:
        if rng.random() < 0.06:  # a couple or a family seen together some weeks
            size = rng.choice([2, 2, 3])
            members = tuple(range(index, index + size))
            for member in members:
                groups[member] = tuple(m for m in members if m != member)
            index += size
        else:
            index += 1
    clients: list[PlannedClient] = []
    span = (PRACTICE_END - PRACTICE_START).days
    sessions: list[tuple[str, int, int]] = []  # (day, client, nth)
    for c in range(spec.clients):
        n = counts[c]
        interval = 7 if n * 7 < span else max(1, span // n)
        latest_start = span - n * interval
        start = PRACTICE_START + timedelta(days=rng.randint(0, max(0, latest_start)))
        days = [start + timedelta(days=k * interval) for k in range(n)]
        discharged = (PRACTICE_END - days[-1]).days > 120
        born = date(1945, 1, 1) + timedelta(days=rng.randint(0, 365 * 62))
        name = (
            f"{FIRST[c % len(FIRST)]} {LAST[(c // len(FIRST) + c) % len(LAST)]}"
            f" {c // (len(FIRST) * len(LAST)) + 1}"
        )
        clients.append(
            PlannedClient(
                name=name,
                pseudonym=f"Client {FIRST[(c * 7) % len(FIRST)]}bird {c}" if c % 40 == 17 else None,
                date_of_birth=born.isoformat(),
                status=ClientStatus.DISCHARGED.value if discharged else ClientStatus.ACTIVE.value,
                consent_notice_date=days[0].isoformat(),
                diagnoses=tuple(rng.sample(DIAGNOSES, rng.choice([1, 1, 2]))),
                template=rng.choice(PROGRESS_TEMPLATES),
                group=groups.get(c, ()),
            )
        )
        sessions.extend((d.isoformat(), c, k) for k, d in enumerate(days))
    # Written in calendar order across clients, as a practice really fills up.
    sessions.sort()
    notes: list[PlannedNote] = []
    last_of = {c: counts[c] - 1 for c in range(spec.clients)}
    signed_originals = 0
    for day, c, k in sessions:
        client = clients[c]
        is_last = k == last_of[c]
        if k == 0:
            template = "intake"
        elif k == 1 and counts[c] > 3:
            template = "treatment-plan"
        elif is_last and client.status == ClientStatus.DISCHARGED.value:
            template = "discharge"
        else:
            template = client.template if rng.random() > 0.04 else "free"
        roll = rng.random()
        flags = 2 if roll < 0.04 else 1 if roll < 0.22 else 0
        sign = not (is_last and client.status == ClientStatus.ACTIVE.value) and rng.random() > 0.01
        notes.append(
            PlannedNote(
                client=c,
                day=day,
                template=template,
                seed=rng.getrandbits(32),
                flags=flags,
                whole_flag="client-requested" if rng.random() < 0.003 else None,
                joint=bool(client.group) and k > 1 and rng.random() < 0.3,
                sign=sign,
                addendum=False,
                late=sign and rng.random() < 0.01,
            )
        )
        signed_originals += sign
    # Addenda go to randomly chosen signed notes, keeping the total exactly `spec.notes`.
    signed = [i for i, n in enumerate(notes) if n.sign]
    for i in rng.sample(signed, min(addenda, len(signed))):
        notes[i] = PlannedNote(**{**asdict(notes[i]), "addendum": True})
    return clients, notes


# ----------------------------------------------------------------------------- records


@dataclass
class Records:
    """The records API over one database: a Vault's own objects, or the same over plain SQLite."""

    db: Database
    audit: AuditLog
    clients: ClientRecords
    notes: NoteRecords

    @classmethod
    def of_vault(cls, vault: Vault) -> Records:
        return cls(vault.db, vault.audit, vault.clients, vault.notes)

    @classmethod
    def over(cls, db: Database) -> Records:
        """Wire AuditLog, ClientRecords and NoteRecords as `Vault.__init__` does."""
        audit = AuditLog(db)
        vault_id = str(db.scalar("SELECT value FROM meta WHERE key = 'vault_id'"))
        sealed_public = bytes.fromhex(
            str(db.scalar("SELECT value FROM meta WHERE key = 'sealed_public'"))
        )
        clients = ClientRecords(db, audit, vault_id, sealed_public)
        return cls(db, audit, clients, NoteRecords(db, audit, clients))


def create_plain(path: Path) -> Records:
    """A plain SQLite file with the vault's schema and meta rows (benchmarks only)."""
    db = Database.open(path, None, create=True)
    db.migrate(RECORD_MIGRATIONS)
    keys = new_data_keys()
    try:
        public = public_key_of(keys[KeyName.SEALED])
    finally:
        wipe_keys(keys)
    with db.atomic():
        db.execute("INSERT INTO meta VALUES ('vault_id', ?)", ("plain-twin",))
        db.execute("INSERT INTO meta VALUES ('sealed_public', ?)", (public.hex(),))
    return Records.over(db)


def open_plain(path: Path) -> Records:
    db = Database.open(path, None)
    db.migrate(RECORD_MIGRATIONS)
    return Records.over(db)


def write_practice(
    records: Records, spec: PracticeSpec, progress: Progress | None = None
) -> dict[str, list[int]]:
    """Write the planned practice through the records API, in large transactions."""
    planned_clients, planned_notes = plan(spec)
    client_ids: list[int] = []
    with records.db.atomic():
        for pc in planned_clients:
            client = records.clients.add(
                pc.name,
                pseudonym=pc.pseudonym,
                date_of_birth=pc.date_of_birth,
                status=pc.status,
                consent_notice_date=pc.consent_notice_date,
            )
            client_ids.append(client.id)
    note_ids: list[int] = []
    started = time.monotonic()
    for first in range(0, len(planned_notes), BATCH_NOTES):
        with records.db.atomic():
            for pn in planned_notes[first : first + BATCH_NOTES]:
                note_ids.extend(_write_note(records, planned_clients, client_ids, pn))
        if progress is not None:
            done = min(first + BATCH_NOTES, len(planned_notes))
            progress(
                f"{done}/{len(planned_notes)} planned notes ({time.monotonic() - started:.0f} s)"
            )
    return {"clients": client_ids, "notes": note_ids}


def _write_note(
    records: Records, clients: Sequence[PlannedClient], client_ids: Sequence[int], pn: PlannedNote
) -> list[int]:
    rng = random.Random(pn.seed)
    pc = clients[pn.client]
    body, spans = parse_omissions(note_body(rng, pn.template, flags=pn.flags))
    hour = rng.randint(8, 18)
    joint = pn.joint and pc.group
    session = SessionInfo(
        pn.day,
        f"{hour:02d}:00",
        f"{hour:02d}:{rng.choice(['45', '50'])}",
        "90847"
        if joint
        else "90791"
        if pn.template == "intake"
        else rng.choice(["90834", "90834", "90837"]),
        ("couple" if len(pc.group) == 1 else "family") if joint else "individual",
        pc.diagnoses,
    )
    others = [client_ids[m] for m in pc.group] if joint else []
    owner = client_ids[pn.client]
    whole = OmitCategory(pn.whole_flag) if pn.whole_flag else None
    if pn.late:
        note = records.notes.late_entry(
            owner,
            pn.template,
            pn.day,
            "documented after the session; records system offline",
            body=body,
            spans=spans,
            session=session,
        )
    else:
        note = records.notes.create(
            owner,
            pn.template,
            body=body,
            spans=spans,
            session=session,
            participants=others,
            omit_category=whole,
        )
    ids = [note.id]
    if pn.sign:
        records.notes.sign(note.id)
    if pn.addendum:
        extra = records.notes.addend(
            note.id,
            f"Addendum: {note_body(rng, 'free', rare_chance=0.5)}\n"
            "Corrected the session length recorded above.",
        )
        ids.append(extra.id)
    return ids


# ----------------------------------------------------------------------------- build & cache


@dataclass
class Practice:
    """A built practice on disk: a vault folder and its plain-SQLite twin."""

    spec: PracticeSpec
    root: Path
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def vault_dir(self) -> Path:
        return self.root / "vault"

    @property
    def plain_path(self) -> Path:
        return self.root / "plain.db"

    @property
    def passphrase(self) -> str:
        return BENCH_PASSPHRASE

    @property
    def client_ids(self) -> list[int]:
        return list(self.manifest["clients"])

    @property
    def note_ids(self) -> list[int]:
        return list(self.manifest["notes"])


def _build_vault(spec: PracticeSpec, root: str, verbose: bool) -> dict[str, Any]:
    started = time.monotonic()
    vault, _recovery = Vault.create(Path(root) / "vault", BENCH_PASSPHRASE, PRESETS[spec.kdf])
    try:
        ids = write_practice(
            Records.of_vault(vault),
            spec,
            (lambda m: print(f"  vault: {m}", flush=True)) if verbose else None,
        )
    finally:
        vault.lock()
    return {**ids, "seconds": round(time.monotonic() - started, 1)}


def _build_plain(spec: PracticeSpec, root: str, verbose: bool) -> dict[str, Any]:
    started = time.monotonic()
    records = create_plain(Path(root) / "plain.db")
    try:
        ids = write_practice(
            records, spec, (lambda m: print(f"  plain: {m}", flush=True)) if verbose else None
        )
    finally:
        records.db.close()
    return {**ids, "seconds": round(time.monotonic() - started, 1)}


def build(
    spec: PracticeSpec, cache_dir: Path = CACHE_DIR, *, parallel: bool = True, verbose: bool = False
) -> Practice:
    """The cached practice for `spec`, generating it (both twins) when missing."""
    root = cache_dir / spec.key
    manifest_path = root / "manifest.json"
    if manifest_path.exists():
        return Practice(spec, root, json.loads(manifest_path.read_text()))
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_dir / f".partial-{spec.key}-{os.getpid()}"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir()
    if parallel:
        # Two cores: the two twins are independent, so each gets its own process.
        with ProcessPoolExecutor(max_workers=2) as pool:
            vault_job = pool.submit(_build_vault, spec, str(partial), verbose)
            plain_job = pool.submit(_build_plain, spec, str(partial), verbose)
            made_vault, made_plain = vault_job.result(), plain_job.result()
    else:
        made_vault = _build_vault(spec, str(partial), verbose)
        made_plain = _build_plain(spec, str(partial), verbose)
    if made_vault["notes"] != made_plain["notes"] or made_vault["clients"] != made_plain["clients"]:
        raise RuntimeError("the vault and its plain twin came out different")
    manifest = {
        "spec": asdict(spec),
        "clients": made_vault["clients"],
        "notes": made_vault["notes"],
        "build_seconds": {"vault": made_vault["seconds"], "plain": made_plain["seconds"]},
    }
    (partial / "manifest.json").write_text(json.dumps(manifest))
    if root.exists() and not manifest_path.exists():
        shutil.rmtree(root)  # a broken leftover; a finished practice always has its manifest
    try:
        partial.rename(root)
    except OSError:
        # Another process built the same practice meanwhile: use theirs, it is identical.
        if not manifest_path.exists():
            raise
        shutil.rmtree(partial)
        return Practice(spec, root, json.loads(manifest_path.read_text()))
    return Practice(spec, root, manifest)


def working_copy(practice: Practice, dest: Path) -> Practice:
    """A throwaway copy to measure on, so every run starts from the same cached state."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copytree(practice.vault_dir, dest / "vault")  # copy2 keeps the 0700/0600 modes
    (dest / "vault" / "confide.lock").unlink(missing_ok=True)
    shutil.copy2(practice.plain_path, dest / "plain.db")
    (dest / "manifest.json").write_text(json.dumps(practice.manifest))
    return Practice(practice.spec, dest, practice.manifest)


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Build (or find cached) a synthetic practice.")
    parser.add_argument("--clients", type=int, default=PracticeSpec.clients)
    parser.add_argument("--notes", type=int, default=PracticeSpec.notes)
    parser.add_argument("--seed", type=int, default=PracticeSpec.seed)
    parser.add_argument("--kdf", default=PracticeSpec.kdf, choices=sorted(PRESETS))
    args = parser.parse_args(argv)
    spec = PracticeSpec(args.clients, args.notes, args.seed, args.kdf)
    started = time.monotonic()
    practice = build(spec, verbose=True)
    print(f"practice {spec.key} at {practice.root} ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
