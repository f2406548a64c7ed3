"""A synthetic corpus of therapy notes with planted identifiers, for de-identification.

Every name, place and number here is invented. `[[kind|text]]` plants an identifier the
detector must replace; `<<text>>` plants a look-alike it must leave alone (a PHQ-9 score, an
ICD-10 code, a CPT code, a dose, "week 3"). `parse` returns the plain text and both lists.
tests/vault/test_consult_corpus.py and bench/bench_consult.py score the detector on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from vault.consult.detect import Knowledge, KnownPerson

CLIENT_LEGAL = "Maya Sampleton"
CLIENT_PSEUDONYM = "Wren Hollis"
CLIENT_DOB = date(1988, 2, 14)
SISTER = "June Sampleton"
COWORKER = "Theo Brandt"
CO_PARTICIPANT = "Ari Castellan"
SESSIONS = tuple(date(2024, 4, 5) + (date(2024, 4, 12) - date(2024, 4, 5)) * i for i in range(16))

KNOWLEDGE = Knowledge(
    people=(
        KnownPerson((CLIENT_LEGAL, CLIENT_PSEUDONYM), "the client", "the client's name"),
        KnownPerson((SISTER,), "the client's sister", "listed person (sister)"),
        KnownPerson((COWORKER,), "a co-worker", "listed person (co-worker)"),
        KnownPerson((CO_PARTICIPANT,), "another participant", "a co-participant"),
    ),
    identifiers=(("C-00001", "the client's record id"), ("N-000004", "a note's record id")),
    date_of_birth=CLIENT_DOB,
    session_dates=SESSIONS,
    reference_year=2024,
)

KINDS = (
    "known-name",
    "known-id",
    "name",
    "place",
    "organisation",
    "date",
    "age",
    "phone",
    "fax",
    "email",
    "url",
    "ip",
    "ssn",
    "number",
)

NOTES = [
    """S: [[known-name|Maya]] reported that on [[date|5/3/2024]] her sister [[known-name|June]]
called her from [[phone|(555) 010-2222]] at 2 a.m. [[known-name|Maya's]] PHQ-9 was <<14>>,
GAD-7 <<12>>. Dx <<F41.1>>, CPT <<90834>>. Continues sertraline <<50 mg>> daily.
O: Euthymic affect, linear thought. A: Progress on sleep hygiene, <<week 3>> of CBT.
P: Continue weekly; next session [[date|May 10th]].""",
    """Client [[known-name|Maya Sampleton]] (DOB [[date|02/14/1988]], record [[known-id|C-00001]])
attended with co-participant [[known-name|Ari Castellan]]. [[known-name|Ari]] described the
move from [[place|Springfield, IL 62704]] to a flat at [[place|42 Maple Street]],
[[place|Apt 3B]]. Ratings: anxiety <<7/10>>, mood <<4/10>>.""",
    """Discussed the conflict with her co-worker [[known-name|Theo Brandt]] at
[[organisation|Brightline Logistics]]. [[known-name|Theo]] sent e-mails to
[[email|maya.sampleton@example.com]] and posted on [[url|www.brightline-example.com/team]].
She was seen at [[organisation|Mercy General Hospital]] on [[date|3 May]] and again on
[[date|May 3rd]] for a panic attack; given hydroxyzine <<25 mg>> PRN.""",
    """Her grandmother, [[age|93 years old]], lives in [[place|Cedar Falls]] and was a teacher at
[[organisation|Lincoln Elementary School]] for thirty years. Grandfather died at
[[age|age 96]]. Client reports guilt about not visiting since [[date|Christmas]].
Plan: <<PHQ-9>> next session; <<90837>> for the longer session.""",
    """Client's insurance member ID [[number|XJH448812201]], Medicaid account
[[number|77120934]]. Her licence number [[number|D1234-56789-01234]] was suspended after the
accident on [[date|March 2nd, 2024]]. Car plate [[number|7ABC123]], VIN
[[number|1HGCM82633A004352]]. SSN on the intake form: [[ssn|123-45-6789]].""",
    """Call from her psychiatrist [[name|Dr. Okonkwo]] at [[phone|555-010-3434]]; fax records to
[[fax|(555) 010-9898]]. [[name|Dr. Okonkwo]] suggests increasing to <<100 mg>>. Client's
laptop (serial [[number|C02XK1ZHJG5J]]) was logged from [[ip|192.168.14.201]] and
[[ip|2001:db8:85a3::8a2e:370:7334]] when her account was accessed.""",
    """She had lunch with her friend [[name|Priya Natarajan]] and her friend's son
[[name|Dashiell]] at a diner on [[place|Rosewood Avenue]]. Her boyfriend [[name|Marcus]] joined
later. Used grounding skills; SUDS dropped from <<80>> to <<40>>. <<Week 4>> homework
completed.""",
    """[[known-name|Wren]] (pseudonym [[known-name|Wren Hollis]]) talked about growing up in
[[place|Tallahassee]] and attending [[organisation|Ridgemont High School]] and later the
[[organisation|University of Vermont]]. She recalls her father leaving on
[[date|June 14, 1999]]. Trauma narrative session <<2 of 12>>.""",
    """Mood low since [[date|11/22]]. Her aunt [[name|Rosalind Featherstone]], now
[[age|in her 90s]], moved to [[organisation|Sunny Acres Nursing Home]] in
[[place|Marion County]]. Contact: [[email|r.featherstone@mailbox.example.org]].
<<AUDIT-C>> score <<3>>. <<ICD-10>> <<Z63.4>> considered.""",
    """Text from [[known-name|June]] at [[phone|555.010.7777]]: the family reunion is on
[[date|Saturday, July 13]] at [[place|1180 W Harborview Blvd]], [[place|Port Angeles]].
Client worried about seeing her ex, [[name|Garrett Lowe]], there. Practised assertive
statements; <<3>> role plays.""",
    """Client brought a letter from [[organisation|St. Brigid's Hospital]] dated
[[date|2024-06-01]], case number [[number|HX-2024-00917]]. The discharge nurse,
[[name|Ms. Ferreira]], gave her a hotline number [[phone|1-555-010-4545]]. She prefers
messages through [[url|https://portal.example-clinic.com/msg?id=88]].""",
    """Session via telehealth; client joined from her car outside [[place|Oakmont Plaza]].
Her supervisor [[name|Lenora Beckwith]] called twice during the hour; her elderly
neighbour, who is [[age|92]], needed a ride. Client, <<36>>, laughed about it.
Discussed <<DBT>> distress tolerance, <<TIPP>> skill. Weekly, <<45>> minutes, CPT <<90834>>.""",
    """Family history: maternal great-grandmother lived to [[age|101]], great-uncle is
[[age|ninety-four years old]]. Client's brother [[name|Caleb]] lives at
[[place|PO Box 2231]], [[place|Bozeman, MT 59715]]. She sends him money through
[[url|venmo.com]] handle [[url|@caleb_s_99]].""",
    """[[known-name|MAYA]] said [[known-name|sampleton]] is a name she wants to change. Her cat
[[name|Biscuit]] is her main comfort. Bought a necklace for her sister's birthday on
[[date|the 3rd of August]]. Client rated her week <<6/10>>; sleep <<7>> hours.""",
    """Group session (joint note): [[known-name|Ari]] and the client discussed
[[place|Harlow Heights]] where both grew up.
[[known-name|Ari's]] neighbour [[name|Mr. Pettigrew]] reported
them to the HOA in [[date|Oct 2023]]. Client endorsed <<PCL-5>> items <<4>> and <<9>>.
<<F43.10>> remains the working diagnosis.""",
    """Workplace: she manages the front desk at [[organisation|Goldcrest Dental Associates]],
employee badge [[number|GD-55812]]. Her manager's direct line is [[phone|(555) 010-6060 ext. 214]].
The office is on [[place|Juniper Lane]] near [[place|Elmhurst]]. Plan to request
accommodations under the <<ADA>>.""",
    """Client described her [[date|Thanksgiving]] at her in-laws' home in
[[place|Fort Collins]]; her mother-in-law [[name|Beatrice Albright]] criticised her cooking.
Discussed boundaries. She has <<2>> kids, ages <<6>> and <<9>>. Next appointment
[[date|12/03/24]].""",
    """Safety plan reviewed. Crisis line <<988>>. Her sponsor [[name|Delphine]] can be reached at
[[phone|555 010 1212]]. Client attends meetings at [[organisation|Grace Fellowship Church]] on
Tuesdays. <<Columbia Suicide Severity Rating Scale>>: no ideation. Lorazepam
<<0.5 mg>> not taken.""",
    """Telehealth link [[url|https://meet.example.net/r/maya-s]]. Client mentioned her
therapist before me, [[name|Dr. Hanna Lindqvist]] at [[organisation|Northside Counseling Center]],
and the file number [[number|NCC-77341]]. Transfer of records requested
[[date|Jan 9]]. <<Session 6>>.""",
    """[[known-name|Maya]] moved to [[place|Walnut Creek]] after the lease ended on
[[date|31/05/2024]]. New address [[place|915 Alder Court]], [[place|ZIP 94598]].
She changed her number to [[phone|555-010-8282]]. Mood <<5/10>>, <<BDI-II>> <<21>>.""",
    """Client's father, [[age|aged 90]], had a fall and was admitted to
[[organisation|Valley Presbyterian Hospital]], room [[number|4B-2217]]. Nurse
[[name|Orlando]] called the client. She is driving to [[place|Bakersfield]] on
[[date|Friday, Sept. 6th]]. Fluoxetine <<20 mg>> continued.""",
    """Client shared that her co-worker [[known-name|Theo]] spread rumours. Coworkers
[[name|Ingrid]] and [[name|Soren Vale]] supported her. She filed HR complaint
[[number|HR-2024-3391]]. Discussed <<IPT>> role transitions. <<90832>> billed.""",
    """She described the night at [[organisation|The Blue Lantern]] bar on
[[place|Fremont Street]] with [[name|Kit Marchetti]]. Blood alcohol unknown; <<AUDIT>>
<<8>>. Client's account at the bank ends in #[[number|4417-2209-8812]]. Next review in
<<week 12>>.""",
    """Intake carry-over: born [[date|February 14th]], [[known-id|N-000004]] summarised her
history. Her daughter [[name|Lulu]] goes to [[organisation|Bright Horizons Preschool]].
Daughter's pediatrician [[name|Dr. Amara Osei]], [[phone|(555)010-5151]].
<<DSM-5>> criteria reviewed; <<F32.1>>.""",
    """Client says her grandmother, now [[age|99]] (turned [[age|99]] in [[date|April]]), still asks
about [[name|Benedict]], the client's late grandfather. Recall of his funeral on
[[date|Dec 2nd 2019]] at [[organisation|Saint Ignatius Chapel]]. Grief work, session
<<8 of 16>>.""",
]

_MARK = re.compile(r"\[\[([a-z\-]+)\|(.+?)\]\]|<<(.+?)>>", re.S)


@dataclass(frozen=True)
class Planted:
    start: int
    end: int
    kind: str
    text: str


def parse(marked: str) -> tuple[str, list[Planted], list[Planted]]:
    """Plain text, the planted identifiers and the look-alikes, with offsets into the text."""
    out: list[str] = []
    length = 0
    position = 0
    planted: list[Planted] = []
    lookalikes: list[Planted] = []
    for m in _MARK.finditer(marked):
        chunk = marked[position : m.start()]
        out.append(chunk)
        length += len(chunk)
        text = m.group(2) if m.group(1) else m.group(3)
        target = planted if m.group(1) else lookalikes
        assert m.group(1) is None or m.group(1) in KINDS, m.group(1)
        target.append(Planted(length, length + len(text), m.group(1) or "keep", text))
        out.append(text)
        length += len(text)
        position = m.end()
    out.append(marked[position:])
    return "".join(out), planted, lookalikes


@dataclass
class Score:
    kind: str
    planted: int = 0
    caught: int = 0
    found: int = 0
    correct: int = 0

    @property
    def recall(self) -> float:
        return self.caught / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0


def score(notes: list[str] | None = None) -> tuple[dict[str, Score], list[str], list[str]]:
    """Recall per planted kind, precision per detected kind; also what was missed and which
    look-alikes were touched (as readable lines)."""
    from vault.consult.detect import detect

    scores = {k: Score(k) for k in KINDS}
    missed: list[str] = []
    touched: list[str] = []
    for marked in NOTES if notes is None else notes:
        text, planted, lookalikes = parse(marked)
        findings = detect(text, KNOWLEDGE)
        covered = bytearray(len(text))
        for f in findings:
            for i in range(f.start, f.end):
                covered[i] = 1
        for p in planted:
            s = scores[p.kind]
            s.planted += 1
            if all(covered[i] for i in range(p.start, p.end) if not text[i].isspace()):
                s.caught += 1
            else:
                missed.append(f"{p.kind}: {p.text!r}")
        for f in findings:
            kind = f.kind.value if f.kind.value in scores else "name"
            s = scores[kind]
            s.found += 1
            if any(p.start < f.end and f.start < p.end for p in planted):
                s.correct += 1
        for keep in lookalikes:
            if any(keep.start < f.end and f.start < keep.end for f in findings):
                touched.append(keep.text)
    return scores, missed, touched


def table(scores: dict[str, Score]) -> str:
    """The per-kind table bench/README.md shows."""
    lines = [
        "| kind | planted | caught | recall | found | precision |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    total = Score("all")
    for s in scores.values():
        lines.append(
            f"| {s.kind} | {s.planted} | {s.caught} | {s.recall:.1%} | {s.found} | "
            f"{s.precision:.1%} |"
        )
        total.planted += s.planted
        total.caught += s.caught
        total.found += s.found
        total.correct += s.correct
    lines.append(
        f"| **all** | {total.planted} | {total.caught} | {total.recall:.1%} | {total.found} | "
        f"{total.precision:.1%} |"
    )
    return "\n".join(lines)
