"""Finding identifiers in note text: what the vault knows first, then HIPAA Safe Harbor rules.

Safe Harbor (45 CFR 164.514(b)(2)) lists eighteen kinds of identifier of the client and of
relatives, employers and household members. The rules here are tuned for recall: a missed
identifier is a breach, an extra replacement is a nuisance the clinician can undo in review.
They draw on the patterns of UCSF's Philter (philter-lite on the package index: dates in their
many spellings, addresses, numbers, salutations, context words such as "admitted to"), written
for psychotherapy prose rather than hospital discharge summaries; see README for why philter
itself is not used.

Every finding says what it replaced, why, and with what; nothing here changes the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from .words import NOT_NAMES, SAFE_PHRASES, WORD_ENDINGS, common_words, personal_names


class Kind(StrEnum):
    """What a finding is. `KNOWN` ones come from the vault and cannot be restored."""

    KNOWN_NAME = "known-name"  # the client, a co-participant, a person listed for the client
    KNOWN_ID = "known-id"  # the client's record ids and date of birth
    NAME = "name"  # another person's name
    PLACE = "place"  # geographic units smaller than a state, street addresses, ZIP codes
    ORGANISATION = "organisation"  # hospitals, schools, employers
    DATE = "date"  # every element of a date but the year
    AGE = "age"  # ages over 89
    PHONE = "phone"
    FAX = "fax"
    EMAIL = "email"
    URL = "url"
    IP = "ip"
    SSN = "ssn"
    NUMBER = "number"  # record, account, licence, vehicle, device and other unique numbers
    REDACTED = "redacted"  # chosen by the clinician in review

    @property
    def known(self) -> bool:
        return self in (Kind.KNOWN_NAME, Kind.KNOWN_ID, Kind.REDACTED)


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    kind: Kind
    reason: str
    replacement: str

    @property
    def restorable(self) -> bool:
        """Rule-based guesses may be restored in review; what the vault knows may not."""
        return not self.kind.known


@dataclass(frozen=True)
class KnownPerson:
    """Someone the vault knows by name, and the role that replaces the name."""

    names: tuple[str, ...]
    role: str  # "the client", "the client's sister", "a co-participant"
    reason: str  # "the client's legal name", "listed person (sister)"


@dataclass(frozen=True)
class Knowledge:
    """What the vault knows about the client whose notes are summarised."""

    people: tuple[KnownPerson, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()  # (literal text, reason): record ids
    date_of_birth: date | None = None
    session_dates: tuple[date, ...] = ()  # the client's sessions, ascending, for "session 3"
    redact: tuple[str, ...] = ()  # phrases the clinician chose to redact in review
    reference_year: int | None = None  # for a date written without its year


# ---------------------------------------------------------------------------- patterns

_MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
_MONTH_ABBR = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_ORD = r"(?:st|nd|rd|th)"
_DAY = rf"(?:[12][0-9]|3[01]|0?[1-9]){_ORD}?"
_WEEKDAY = r"(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?"
_YEAR = r"(?:19|20)\d\d"

# Each: (pattern, kind, reason). Case-sensitive unless the pattern says (?i).
_DATE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b"), "a date (YYYY-MM-DD)"),
    (re.compile(r"\b\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})\b"), "a date (numeric)"),
    (re.compile(r"\b\d{4}/\d{1,2}/\d{1,2}\b"), "a date (numeric)"),
    (
        re.compile(
            rf"\b(?:{_WEEKDAY},?\s+)?(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?\b",
            re.IGNORECASE,
        ),
        "a date (day month)",
    ),
    (
        re.compile(
            rf"\b(?:{_WEEKDAY},?\s+)?{_MONTH}\s+(?:the\s+)?{_DAY}(?:,?\s+{_YEAR})?\b"
            rf"|\b{_MONTH},?\s+{_YEAR}\b",
            re.IGNORECASE,
        ),
        "a date (month day)",
    ),
    (re.compile(rf"\b{_DAY}\s*[-/]\s*{_MONTH}\s*[-/]\s*(?:{_YEAR}|\d\d)\b", re.I), "a date"),
    (re.compile(rf"\b{_MONTH}-{_DAY}(?:-{_YEAR})?\b", re.I), "a date"),
    (re.compile(rf"\b{_MONTH}\s+'\d\d\b", re.I), "a date (month and year)"),
    (
        re.compile(
            r"\b(?:Christmas(?:\s+(?:Eve|Day))?|Thanksgiving|Easter|Halloween|Hanukkah|"
            r"Chanukah|Passover|Yom\s+Kippur|Rosh\s+Hashanah|Ramadan|Eid|Diwali|Kwanzaa|"
            r"New\s+Year'?s(?:\s+(?:Eve|Day))?|Valentine'?s\s+Day|Memorial\s+Day|Labor\s+Day|"
            r"Independence\s+Day|Fourth\s+of\s+July|Mother'?s\s+Day|Father'?s\s+Day)\b"
        ),
        "a date (holiday)",
    ),
    (re.compile(r"(?i)\bborn\s+(?:in\s+)?(?:19|20)\d\d\b"), "a year of birth"),
]
# A month and day with no year: "on 5/3", "since 11/22".
_SHORT_DATE = re.compile(r"\b(0?[1-9]|1[0-2])/([12][0-9]|3[01]|0?[1-9])\b(?!/)")
_SHORT_DATE_CONTEXT = re.compile(
    r"(?i)(?:\bon|since|by|until|till|from|before|after|dated|of|through|thru|to|"
    + _WEEKDAY
    + r")\s*$"
)
# A month on its own is an element of a date. "May" alone is a verb too: only in context.
_MONTH_ALONE = re.compile(
    r"\b(?:January|February|March|April|June|July|August|September|October|November|"
    r"December)\b|(?:\b(?:in|since|until|till|last|next|early|late|mid|of|during|by|"
    r"through|this|each|every|before|after)\s+)(May)\b"
)

_AGE_NUMBER = r"(?:9\d|1[0-4]\d)"
_AGE_WORDS = r"(?:ninety(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|" r"a hundred)"
_AGE_PATTERNS = [
    re.compile(
        rf"(?i)\b(?:{_AGE_NUMBER}|{_AGE_WORDS})[- ]?(?:years?|yrs?|y\.?o\.?|yo)\b"
        r"(?:[- ]old)?"
    ),
    re.compile(rf"(?i)\b(?:{_AGE_NUMBER}|{_AGE_WORDS})-year-old\b"),
    re.compile(rf"(?i)\b(?:aged?|age:)\s*{_AGE_NUMBER}\b"),
    re.compile(
        rf"(?i)\b(?:is|was|at|now)\s+({_AGE_NUMBER}|{_AGE_WORDS})\b(?!\s*(?:%|mg|min|"
        r"minutes|kg|lbs?|pounds|ml|mcg|percent|points?|days?|weeks?|months?|/|\.\d))"
    ),
    re.compile(
        rf"(?i)\b(?:turned|turning|turns|reached|nearly|almost|lived\s+to|died\s+at)\s+"
        rf"({_AGE_NUMBER}|{_AGE_WORDS})\b(?!\s*(?:%|mg|min|minutes|kg|lbs?|pounds|ml|mcg|"
        r"percent|points?|days?|weeks?|months?|/|\.\d))"
    ),
    re.compile(r"(?i)\b(?:in\s+(?:his|her|their|the)\s+)(?:90s|nineties|'90s)\b"),
    re.compile(r"(?i)\b(?:nonagenarian|centenarian|supercentenarian)s?\b"),
]

_PHONE = re.compile(
    r"(?<![\w/])(?:\+?1[\s.\-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.\-])\d{3}[\s.\-]\d{4}\b"
    r"(?:\s*(?:x|ext\.?|extension)\s*\d{1,5}\b)?"
    r"|(?<![\w/.\-])\d{3}[.\-]\d{4}\b(?![.\-]\d)"
    r"|(?<![\w/])\+\d{1,3}(?:[\s.\-]\d{2,4}){2,4}\b"
)
_PHONE_BARE = re.compile(r"(?i)(?:phone|cell|mobile|tel|call|text|fax|number|#)\D{0,12}(\d{10})\b")
_FAX_CONTEXT = re.compile(r"(?i)\bfax\b[^\n]{0,16}$")
_SSN = re.compile(
    r"\b\d{3}-\d{2}-\d{4}\b|\b\d{3} \d{2} \d{4}\b|(?i:\bx{3}-x{2}-\d{4}\b)"
    r"|(?i:(?:\bSSN|\bSS#|social\s+security(?:\s+(?:number|no\.?|#))?)\s*[:#]?\s*\d{9}\b)"
)
_EMAIL = re.compile(r"[\w.+\-']+@[\w\-]+(?:\.[\w\-]+)+")
_URL = re.compile(
    r"(?i)\b(?:https?://|ftp://|www\.)[^\s<>\"')\]]+"
    r"|\b[a-z0-9][\w\-]*(?:\.[\w\-]+)*\.(?:com|org|net|edu|gov|io|us|info|biz|co|me|app|ly|"
    r"tv|uk|ca)\b(?:/[^\s<>\"')\]]*)?"
)
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z_][\w.]{1,29}\b")
_IPV4 = re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")
_IPV6 = re.compile(
    r"(?i)(?<![\w:])(?=[0-9a-f:]*:[0-9a-f]*:)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])"
)

_NUMBER_CONTEXT = re.compile(
    r"(?i)\b(MRN|medical\s+record|record|chart|account|acct|policy|member|subscriber|"
    r"group|claim|case|docket|licen[cs]e|lic|permit|plate|tag|VIN|serial|device|model|"
    r"IMEI|MAC|passport|certificate|cert|badge|employee|student|ID|insurance|card|"
    r"beneficiary|health\s+plan|prescription|rx|pin|code)\b"
    r"(?:\s+(?:number|no\.?|num|#|ID))?\s*(?:is|was|of)?\s*[:#]?\s*"
    r"(?=[A-Z0-9\-]*\d)([A-Z0-9][A-Z0-9\-]{2,}[A-Z0-9])\b"
)
_VIN = re.compile(r"\b(?=[A-HJ-NPR-Z0-9]*\d)(?=[A-HJ-NPR-Z0-9]*[A-HJ-NPR-Z])[A-HJ-NPR-Z0-9]{17}\b")
_RECORD_ID = re.compile(r"\b[CNPARQHMIS]-\d{4,6}\b")
_LONG_NUMBER = re.compile(r"(?<![\w.,])\d{6,}\b(?![.,]\d)")
_GROUPED_NUMBER = re.compile(r"(?<![\w.])\d{2,6}(?:[ \-]\d{2,6}){2,5}\b")
_MIXED = re.compile(
    r"(?<![\w.])(?=(?:[A-Za-z\-]*\d){3})(?=[\d\-]*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\b"
)
_UNIT = re.compile(
    r"(?i)^\d+(?:\.\d+)?(?:mg|mcg|ug|g|kg|ml|l|lbs?|oz|cm|mm|m|km|mi|hrs?|h|min|mins|s|sec|"
    r"st|nd|rd|th|s|am|pm|x|k|bpm|mmhg|iu|units?|%|yo)$"
)
_ICD = re.compile(r"^[A-TV-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?$")
_FIVE = re.compile(r"(?<![\w.\-/])\d{5}(?:-\d{4})?\b(?![.\-/]\d)")
# Psychotherapy, psychiatric and testing CPT codes (and E/M codes), which look like ZIP codes.
_CPT_RANGES = ((90785, 90899), (96101, 96171), (96127, 96127), (99201, 99499), (97151, 97158))

_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|"
    "NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR"
)
_STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|"
    "Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|"
    "Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|"
    "New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|"
    "Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|"
    "Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming"
)
_CAP = r"[A-Z][a-zA-Z'’\-]+"
_STREET_TYPE = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Ter|Circle|Cir|Highway|Hwy|Parkway|Pkwy|Trail|Trl|Square|Sq|Loop|Row|Alley|"
    r"Crescent|Close|Plaza|Pike|Turnpike|Route|Rte)"
)
_STREET_LONG = (
    r"(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Terrace|Circle|Highway|Parkway|Trail|"
    r"Square|Alley|Crescent|Plaza|Turnpike)"
)
_DIRECTION = r"(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?"
_UNIT_PART = r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|#)\.?\s*#?\s*[A-Za-z0-9\-]+)?"
_ADDRESS_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            rf"\b\d{{1,6}}[A-Za-z]?(?:-\d{{1,4}})?\s+(?:{_DIRECTION}\s+)?"
            rf"(?:{_CAP}|\d{{1,3}}(?:st|nd|rd|th))(?:\s+{_CAP}){{0,3}}\s+{_STREET_TYPE}\b\.?"
            rf"{_UNIT_PART}"
        ),
        "a street address",
    ),
    (
        re.compile(rf"\b(?:{_DIRECTION}\s+)?(?:{_CAP}\s+){{1,3}}{_STREET_LONG}\b{_UNIT_PART}"),
        "a street name",
    ),
    (
        re.compile(
            rf"(?i)\b(?:on|off|at|near|of|down|up|along|past|onto)\s+(?:{_CAP}\s+){{1,2}}"
            rf"(?-i:(?:St|Ave|Rd|Blvd|Ln|Pl|Ct|Hwy|Pkwy))\b\.?"
        ),
        "a street name",
    ),
    (re.compile(r"(?i)\bP\.?\s?O\.?\s+Box\s+\d+\b"), "a post office box"),
    (
        re.compile(r"(?i)\b(?:Apt|Apartment|Unit|Suite|Ste)\.?\s*#?\s*[A-Za-z]?\d+[A-Za-z]?\b"),
        "an apartment or suite",
    ),
    (
        re.compile(
            rf"\b{_CAP}(?:\s+{_CAP}){{0,2}},\s*(?:{_STATES})\b(?:\s+\d{{5}}(?:-\d{{4}})?)?"
            rf"|\b{_CAP}(?:\s+{_CAP}){{0,2}},\s*(?:{_STATE_NAMES})\b"
        ),
        "a city and state",
    ),
    (
        re.compile(rf"\b(?:{_STATES})\s+\d{{5}}(?:-\d{{4}})?\b"),
        "a ZIP code",
    ),
    (re.compile(r"(?i)\b(?:zip|postal)(?:\s+code)?\s*[:#]?\s*\d{3,5}(?:-\d{4})?\b"), "a ZIP code"),
    (
        re.compile(
            rf"\b(?:{_CAP}\s+){{1,3}}(?:County|Parish|Township|Borough|Village|Heights|Hills|"
            r"Springs|Falls|Beach|Harbor|Harbour|Park|Valley|Creek|Lake|Island|Reservation|"
            r"Pueblo|Neighborhood|Neighbourhood|District|Ward)\b"
        ),
        "a place smaller than a state",
    ),
    (
        re.compile(rf"\b(?:New|San|Santa|Los|Las|El|Fort|Ft\.|Port|Mount|Mt\.)\s+{_CAP}\b"),
        "a place name",
    ),
]
_ORG_WORD = (
    r"(?:Hospital|Medical\s+Cent(?:er|re)|Health\s+(?:Cent(?:er|re)|System|Services|Clinic)|"
    r"Clinic|Infirmary|Hospice|Behavioral\s+Health|Mental\s+Health\s+Cent(?:er|re)|"
    r"Psychiatric\s+(?:Cent(?:er|re)|Hospital|Institute|Unit)|Rehab(?:ilitation)?\s+"
    r"Cent(?:er|re)|Treatment\s+Cent(?:er|re)|Recovery\s+Cent(?:er|re)|Nursing\s+Home|"
    r"Care\s+Cent(?:er|re)|Elementary(?:\s+School)?|Middle\s+School|High\s+School|"
    r"Primary\s+School|Prep(?:aratory)?\s+School|Preschool|Pre-?K|Daycare|Day\s+Care|Kindergarten|"
    r"Bar|Pub|Cafe|Café|Restaurant|Gym|Studio|Salon|Store|Shop|Market|Hotel|Motel|Inn|"
    r"School|Academy|College|University|Institute|"
    r"Seminary|Church|Chapel|Synagogue|Mosque|Temple|Corporation|Corp\.?|Inc\.?|LLC|Ltd\.?|"
    r"Company|Group|Partners|Associates|Bank|Pharmacy|Shelter|House|Foundation|Center|Centre)"
)
_ORG_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            rf"\b(?:(?:St\.?|Saint)\s+)?(?:{_CAP}\s+)(?:(?:{_CAP}|of|the|&)\s+){{0,4}}"
            rf"{_ORG_WORD}\b"
        ),
        "a hospital, school or other organisation",
    ),
    (
        re.compile(
            rf"\b(?:University|College|School|Academy|Institute|Bank)\s+of\s+"
            rf"(?:the\s+)?{_CAP}(?:\s+{_CAP}){{0,3}}"
        ),
        "a hospital, school or other organisation",
    ),
    (
        re.compile(rf"\b(?:St\.?|Saint)\s+{_CAP}(?:'s)?(?:\s+{_CAP}){{0,2}}"),
        "a hospital, school or other organisation",
    ),
    (
        re.compile(
            rf"(?:\b(?:admitted\s+to|admitted\s+at|discharged\s+from|hospitali[sz]ed\s+at|"
            rf"transferred\s+to|referred\s+to|seen\s+at|treated\s+at|taken\s+to|sent\s+to|"
            rf"works?\s+(?:at|for)|worked\s+(?:at|for)|working\s+(?:at|for)|employed\s+(?:at|by)|"
            rf"attends|attended|enrolled\s+(?:at|in)|studies\s+at|studied\s+at|graduated\s+from|"
            rf"job\s+at|shift\s+at|fired\s+from|laid\s+off\s+from|interned\s+at)\s+(?:the\s+)?)"
            rf"({_CAP}(?:\s+(?:{_CAP}|&|of))*)"
        ),
        "an employer, school or hospital (named in context)",
    ),
]
_PLACE_CONTEXT = re.compile(
    rf"\b(?:lives\s+in|lived\s+in|living\s+in|live\s+in|moved\s+to|moving\s+to|move\s+to|"
    rf"moved\s+from|grew\s+up\s+in|raised\s+in|born\s+in|from|visited|visiting|visit|"
    rf"drove\s+to|flew\s+to|travel(?:l?ed)?\s+to|trip\s+to|went\s+to|returned\s+to|"
    rf"back\s+to|near|in|at|outside|outside\s+of|relocated\s+to|stays?\s+in|stayed\s+in)\s+"
    rf"(?:the\s+)?({_CAP}(?:\s+{_CAP}){{0,2}})"
)
_TITLE = (
    r"(?:Dr|Mr|Mrs|Ms|Mx|Miss|Prof|Rev|Fr|Sr|Judge|Officer|Det|Sgt|Capt|Coach|Pastor|Rabbi|"
    r"Imam|Father|Sister|Brother|Aunt|Auntie|Uncle|Grandma|Grandpa|Nana|Papa)"
)
_TITLED = re.compile(rf"\b{_TITLE}\.?\s+(?:[A-Z]\.\s*)?{_CAP}(?:\s+(?:[A-Z]\.\s*)?{_CAP})?")
_RELATION = (
    r"(?:mother|mom|mum|father|dad|sister|brother|sibling|son|daughter|wife|husband|partner|"
    r"spouse|boyfriend|girlfriend|fianc[eé]e?|friend|best\s+friend|roommate|housemate|boss|"
    r"manager|supervisor|co-?worker|colleague|teacher|principal|neighbou?r|cousin|aunt|uncle|"
    r"grandmother|grandfather|grandma|grandpa|niece|nephew|ex|ex-husband|ex-wife|"
    r"ex-partner|stepmother|stepfather|stepmom|stepdad|stepson|stepdaughter|child|baby|"
    r"toddler|kid|therapist|psychiatrist|doctor|physician|counsel(?:l)?or|lawyer|attorney|"
    r"sponsor|pastor|coach|caseworker|case\s+manager|probation\s+officer|officer|"
    r"classmate|tutor|nanny|landlord|dog|cat|pet|named|called|nicknamed|aka|a\.k\.a\.)"
)
_RELATED = re.compile(
    rf"(?i:\b{_RELATION})\s*,?\s+(?:(?i:is|was)\s+)?({_CAP}(?:\s+{_CAP})?)(?=\W|$)"
)
_NAMED_AFTER = re.compile(
    rf"({_CAP}(?:\s+{_CAP})?),\s+(?i:(?:her|his|their|the\s+client's)\s+"
    rf"{_RELATION})\b"
)
_CAP_TOKEN = re.compile(r"(?<![\w'’\-])([A-Z][a-zA-Z'’\-]*[a-zA-Z])(?![\w\-])")
_SENTENCE_START = re.compile(r"(?:^|\n)\s*\d+[.)]$")


def _cpt(number: int) -> bool:
    return any(low <= number <= high for low, high in _CPT_RANGES)


# ---------------------------------------------------------------------------- detection


@dataclass
class _Candidate:
    start: int
    end: int
    kind: Kind
    reason: str
    replacement: str
    priority: int


@dataclass
class _Collector:
    text: str
    found: list[_Candidate] = field(default_factory=list)

    def add(
        self, start: int, end: int, kind: Kind, reason: str, replacement: str, priority: int
    ) -> None:
        # Trailing punctuation belongs to the sentence, not to the identifier.
        while end > start and self.text[end - 1] in " \t\n,;:":
            end -= 1
        while start < end and self.text[start] in " \t\n,;:":
            start += 1
        if end > start:
            self.found.append(_Candidate(start, end, kind, reason, replacement, priority))


def detect(text: str, knowledge: Knowledge | None = None) -> list[Finding]:
    """Every identifier found in `text`, in order, none overlapping."""
    known = knowledge or Knowledge()
    c = _Collector(text)
    safe = _safe_regions(text)
    _known(c, known)
    _structured(c, known)
    _places_and_organisations(c)
    _names(c, known, safe)
    return _resolve(text, c.found, safe)


def _safe_regions(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for phrase in SAFE_PHRASES:
        for m in re.finditer(re.escape(phrase), text, re.IGNORECASE):
            out.append((m.start(), m.end()))
    # Markers a release leaves for withheld passages are Confide's own words.
    for m in re.finditer(r"\[withheld: [^\]\n]*\]", text):
        out.append((m.start(), m.end()))
    return out


def name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """Whole words, any case, with a possessive ('s) that the replacement keeps."""
    ordered = sorted({n.strip() for n in names if len(n.strip()) > 1}, key=len, reverse=True)
    if not ordered:
        return None
    parts = [r"\s+".join(re.escape(w) for w in n.split()) for n in ordered]
    return re.compile(
        r"(?<![\w'’\-])(?:" + "|".join(parts) + r")(?:['’]s\b|s['’](?!\w))?(?![\w\-])",
        re.IGNORECASE,
    )


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", name) if len(t) > 1 and not t.endswith(".")]


def _known(c: _Collector, known: Knowledge) -> None:
    # Full names first, then each word of a name; a word two people share (a family name)
    # becomes "a family name", not either person's role.
    owners: dict[str, set[int]] = {}
    for i, person in enumerate(known.people):
        for full in person.names:
            for token in _tokens(full):
                owners.setdefault(token.casefold(), set()).add(i)
    for i, person in enumerate(known.people):
        fulls = [n for n in person.names if len(_tokens(n)) > 1 or len(n.strip()) > 1]
        own = [t for n in person.names for t in _tokens(n) if owners[t.casefold()] == {i}]
        for names, priority in ((fulls, 0), (own, 1)):
            pattern = name_pattern(names)
            if pattern is None:
                continue
            for m in pattern.finditer(c.text):
                possessive = m.group().endswith(("'s", "’s", "s'", "s’")) and not any(
                    m.group().casefold() == n.casefold() for n in person.names
                )
                role = person.role + ("'s" if possessive else "")
                before = c.text[max(0, m.start() - 24) : m.start()].casefold().split()
                if before and person.role.split()[-1].casefold() == before[-1]:
                    role = "[name withheld]"  # "her sister June": the role is already said
                c.add(m.start(), m.end(), Kind.KNOWN_NAME, person.reason, role, priority)
    shared = [t for t, who in owners.items() if len(who) > 1]
    pattern = name_pattern(shared)
    if pattern is not None:
        for m in pattern.finditer(c.text):
            c.add(m.start(), m.end(), Kind.KNOWN_NAME, "a family name", "[a family name]", 1)
    for literal, reason in known.identifiers:
        for m in re.finditer(
            r"(?<![\w\-])" + re.escape(literal) + r"(?![\w\-])", c.text, re.IGNORECASE
        ):
            c.add(m.start(), m.end(), Kind.KNOWN_ID, reason, "[record number]", 0)
    for phrase in known.redact:
        pattern = name_pattern([phrase])
        if pattern is not None:
            for m in pattern.finditer(c.text):
                c.add(m.start(), m.end(), Kind.REDACTED, "redacted in review", "[redacted]", 0)


def _structured(c: _Collector, known: Knowledge) -> None:
    text = c.text
    for m in _EMAIL.finditer(text):
        c.add(m.start(), m.end(), Kind.EMAIL, "an e-mail address", "[e-mail address]", 1)
    for m in _URL.finditer(text):
        c.add(m.start(), m.end(), Kind.URL, "a web address", "[web address]", 2)
    for m in _HANDLE.finditer(text):
        c.add(m.start(), m.end(), Kind.URL, "a social media handle", "[online handle]", 2)
    for m in _IPV4.finditer(text):
        c.add(m.start(), m.end(), Kind.IP, "an IP address", "[IP address]", 1)
    for m in _IPV6.finditer(text):
        if len(m.group()) > 5 and (
            re.search(r"[a-fA-F]|::", m.group()) or m.group().count(":") >= 3
        ):
            c.add(m.start(), m.end(), Kind.IP, "an IP address", "[IP address]", 1)
    for m in _SSN.finditer(text):
        c.add(m.start(), m.end(), Kind.SSN, "a Social Security number", "[SSN]", 1)
    phones = [(m.start(), m.end()) for m in _PHONE.finditer(text)]
    phones += [(m.start(1), m.end(1)) for m in _PHONE_BARE.finditer(text)]
    for start, end in phones:
        if _FAX_CONTEXT.search(text[max(0, start - 24) : start]):
            c.add(start, end, Kind.FAX, "a fax number", "[fax number]", 2)
        else:
            c.add(start, end, Kind.PHONE, "a telephone number", "[phone number]", 2)
    for pattern in _AGE_PATTERNS:
        g = 1 if pattern.groups else 0
        for m in pattern.finditer(text):
            c.add(m.start(g), m.end(g), Kind.AGE, "an age over 89", "[age over 89]", 1)
    _dates(c, known)
    for m in _NUMBER_CONTEXT.finditer(text):
        word = m.group(1).lower()
        c.add(m.start(2), m.end(2), Kind.NUMBER, f"a {word} number", "[identifying number]", 2)
    for m in _VIN.finditer(text):
        c.add(m.start(), m.end(), Kind.NUMBER, "a vehicle identification number", "[VIN]", 2)
    for m in _RECORD_ID.finditer(text):
        c.add(m.start(), m.end(), Kind.NUMBER, "a record number", "[record number]", 2)
    for m in _LONG_NUMBER.finditer(text):
        c.add(m.start(), m.end(), Kind.NUMBER, "a long number", "[identifying number]", 3)
    for m in _GROUPED_NUMBER.finditer(text):
        c.add(m.start(), m.end(), Kind.NUMBER, "a grouped number", "[identifying number]", 3)
    for m in _MIXED.finditer(text):
        token = m.group()
        if _UNIT.match(token) or _ICD.match(token.upper()):
            continue
        c.add(m.start(), m.end(), Kind.NUMBER, "a code or serial number", "[identifying code]", 3)
    for m in _FIVE.finditer(text):
        number = int(m.group()[:5])
        before = text[max(0, m.start() - 12) : m.start()]
        zip_context = re.search(
            rf"(?:\b(?:{_STATES})|{_STATE_NAMES}|zip(?:\s+code)?)\W{{0,3}}$", before, re.I
        )
        if _cpt(number) and "-" not in m.group() and not zip_context:
            continue  # a service code (90834), not a place
        reason = "a ZIP code" if zip_context or number >= 501 else "a five-digit number"
        c.add(m.start(), m.end(), Kind.PLACE, reason, "[ZIP code]", 2)
    for pattern, reason in _ADDRESS_PATTERNS:
        for m in pattern.finditer(text):
            c.add(m.start(), m.end(), Kind.PLACE, reason, "[a place]", 2)


def _dates(c: _Collector, known: Knowledge) -> None:
    text = c.text
    for pattern, reason in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            when = parse_date(m.group(), known.reference_year)
            if (
                pattern.pattern.startswith(r"\b\d{1,2}[/.\-]")
                and when is None
                and not re.search(r"[/\-]", m.group())
            ):
                continue  # 1.5.10 is a version or a dose, not a date
            c.add(m.start(), m.end(), Kind.DATE, reason, relative_date(when, known), 1)
    for m in _SHORT_DATE.finditer(text):
        before = text[max(0, m.start() - 16) : m.start()]
        after = text[m.end() : m.end() + 1]
        if int(m.group(2)) in (5, 10, 100) and not _SHORT_DATE_CONTEXT.search(before):
            continue  # a rating out of 5 or 10
        if after == "%":
            continue
        when = parse_date(m.group(), known.reference_year)
        c.add(m.start(), m.end(), Kind.DATE, "a date (month/day)", relative_date(when, known), 2)
    for m in _MONTH_ALONE.finditer(text):
        start = m.start(1) if m.group(1) else m.start()
        c.add(start, m.end(), Kind.DATE, "a month", "[a month]", 3)


def parse_date(text: str, reference_year: int | None = None) -> date | None:
    """The date a matched text names, when it names one day (else None)."""
    t = text.strip().lower().replace(",", " ").replace(".", " ")
    t = re.sub(r"\b(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\b", " ", t)
    t = re.sub(r"\b(the|of)\b", " ", t)
    t = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", t)
    try:
        m = re.fullmatch(r"\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})\s*", t)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = re.fullmatch(r"\s*(\d{1,2})[/\-](\d{1,2})(?:[/\-](\d{2}|\d{4}))?\s*", t)
        if m:
            year = _year(m.group(3), reference_year)
            return None if year is None else date(year, int(m.group(1)), int(m.group(2)))
        words = t.replace("-", " ").replace("/", " ").split()
        month = next((_month(w) for w in words if _month(w)), None)
        numbers = [w for w in words if w.isdigit()]
        if month is None or not numbers:
            return None
        day_words = [w for w in numbers if len(w) <= 2]
        year_words = [w for w in numbers if len(w) == 4]
        if not day_words:
            return None
        year = _year(year_words[0] if year_words else None, reference_year)
        return None if year is None else date(year, month, int(day_words[0]))
    except ValueError:
        return None


def _month(word: str) -> int | None:
    return _MONTHS.get(word) or _MONTH_ABBR.get(word)


def _year(text: str | None, reference_year: int | None) -> int | None:
    if text is None:
        return reference_year
    year = int(text)
    return year + 2000 if year < 100 else year


def relative_date(when: date | None, known: Knowledge) -> str:
    """A date as the summary may say it: its session, else its week of treatment."""
    if when is None:
        return "[a date]"
    if known.date_of_birth is not None and when == known.date_of_birth:
        return "[date of birth]"
    sessions = known.session_dates
    if not sessions:
        return "[a date]"
    if when in sessions:
        return f"session {sessions.index(when) + 1}"
    weeks = (when - sessions[0]).days // 7
    if weeks >= 0:
        return f"week {weeks + 1}"
    return f"{-weeks} week{'s' if -weeks != 1 else ''} before session 1"


def _places_and_organisations(c: _Collector) -> None:
    for pattern, reason in _ORG_PATTERNS:
        for m in pattern.finditer(c.text):
            group = 1 if pattern.groups else 0
            c.add(m.start(group), m.end(group), Kind.ORGANISATION, reason, "[an organisation]", 3)
    for m in _PLACE_CONTEXT.finditer(c.text):
        # "in Group", "at Work" are ordinary words; "at Brightline Logistics" is a place or an
        # employer: an unknown first word takes the capitalised words after it on its line.
        found = m.group(1).split("\n")[0]
        if _ordinary(found.split()[0]):
            continue
        c.add(
            m.start(1),
            m.start(1) + len(found),
            Kind.PLACE,
            "a place named in context",
            "[a place]",
            4,
        )


def _ordinary(word: str) -> bool:
    """A capitalised word that is most likely not a name (an English or clinical word)."""
    w = word.strip("'’-").casefold()
    w = re.sub(r"['’]s$", "", w)
    if w in NOT_NAMES:
        return True
    if w in personal_names():
        return False
    return w in common_words() or w in _MONTHS


def _names(c: _Collector, known: Knowledge, safe: Sequence[tuple[int, int]]) -> None:
    text = c.text
    for m in _TITLED.finditer(text):
        c.add(m.start(), m.end(), Kind.NAME, "a person's name (after a title)", "[a person]", 3)
    for m in _RELATED.finditer(text):
        words = m.group(1).split()
        # "her sister Maya", not "her sister Then ...": stop at the first ordinary word
        # unless it is a known first name.
        keep: list[str] = []
        for w in words:
            if w.casefold() in NOT_NAMES or (
                _ordinary(w) and w.casefold() not in personal_names() and keep
            ):
                break
            keep.append(w)
        if keep and not (
            len(keep) == 1
            and keep[0].casefold() in common_words()
            and _sentence_start(text, m.start(1))
        ):
            end = m.start(1) + len(" ".join(keep))
            c.add(m.start(1), end, Kind.NAME, "a person's name (after a relation)", "[a person]", 3)
    for m in _NAMED_AFTER.finditer(text):
        c.add(
            m.start(1), m.end(1), Kind.NAME, "a person's name (before a relation)", "[a person]", 3
        )
    # "at The Blue Lantern": a capitalised "The" mid-sentence starts a proper name.
    for m in re.finditer(r"\bThe((?:[ \t]+[A-Z][\w'’\-]*)+)", text):
        if not _sentence_start(text, m.start()):
            c.add(
                m.start(),
                m.end(),
                Kind.ORGANISATION,
                "a proper name (The ...)",
                "[an organisation]",
                4,
            )
    # Any other capitalised word that is not an ordinary word is taken for a name: mid-sentence
    # capitals are proper nouns, and at a sentence start a word is a name if the name lists
    # say so or no word list knows it.
    run: list[tuple[int, int]] = []
    for m in _CAP_TOKEN.finditer(text):
        word = m.group(1)
        if any(a <= m.start() < b for a, b in safe):
            continue
        if word.isupper() and len(word) <= 6:
            continue  # an acronym: CBT, PHQ, PTSD
        joins = bool(run) and bool(
            re.fullmatch(r"[ \t]+|[ \t]*-[ \t]*", text[run[-1][1] : m.start()])
        )
        w = word.casefold()
        if _looks_like_name(word, _sentence_start(text, m.start())):
            if joins:
                run[-1] = (run[-1][0], m.end())
            else:
                run.append((m.start(), m.end()))
        elif joins and w not in NOT_NAMES and w not in _MONTHS and w not in _MONTH_ABBR:
            run[-1] = (run[-1][0], m.end())  # "Soren Vale": a name's second word
    for start, end in run:
        c.add(start, end, Kind.NAME, "a capitalised word that may be a name", "[a name]", 5)


def _looks_like_name(word: str, sentence_start: bool) -> bool:
    w = re.sub(r"['’]s$", "", word).casefold()
    if w in NOT_NAMES or w in _MONTHS or w in _MONTH_ABBR or w.removesuffix("s") in NOT_NAMES:
        return False
    if w in personal_names():
        # "Will", "May", "Hope" at a sentence start are words; mid-sentence, names.
        return not (sentence_start and w in common_words())
    if w in common_words():
        # A capitalised common word mid-sentence is a proper noun often enough ("Brook",
        # "Hunter") to flag it, unless it is one of the most frequent words.
        return not sentence_start and _rare(w)
    # An unknown word: mid-sentence a proper noun; at a sentence start a name unless it
    # ends like an ordinary word (a drug, a condition).
    return not (sentence_start and w.endswith(WORD_ENDINGS))


def _rare(word: str) -> bool:
    """Common words past the most frequent few thousand are rare enough to be names when
    capitalised mid-sentence (a street, a town, a surname); the frequent ones are not."""
    return word not in _frequent()


def _frequent() -> frozenset[str]:
    global _FREQUENT
    if _FREQUENT is None:
        from zxcvbn.frequency_lists import FREQUENCY_LISTS

        _FREQUENT = frozenset(
            (
                *FREQUENCY_LISTS["english_wikipedia"][:8000],
                *FREQUENCY_LISTS["us_tv_and_film"][:8000],
                *(w for w in common_words() if w in NOT_NAMES),
            )
        )
    return _FREQUENT


_FREQUENT: frozenset[str] | None = None


def _sentence_start(text: str, offset: int) -> bool:
    """Whether a word at `offset` starts a sentence, a heading's text or a list item. A line
    break alone does not: notes are often wrapped mid-sentence."""
    i = offset - 1
    breaks = 0
    while i >= 0 and text[i].isspace():
        breaks += text[i] == "\n"
        i -= 1
    if i < 0 or breaks >= 2:
        return True
    return text[i] in '.!?:;"“([-*•>' or bool(_SENTENCE_START.search(text[max(0, i - 3) : i + 1]))


def _resolve(text: str, found: list[_Candidate], safe: Sequence[tuple[int, int]]) -> list[Finding]:
    """Higher priority first, then longer; a lower one keeps only what is left uncovered (so
    a name running past an address still has its rest replaced: recall first)."""
    taken = bytearray(len(text))
    for a, b in safe:
        for i in range(a, b):
            taken[i] = 2  # never replaced, never trimmed into
    out: list[Finding] = []
    for cand in sorted(found, key=lambda f: (f.priority, -(f.end - f.start), f.start)):
        if cand.kind.known:
            pieces = [(cand.start, cand.end)] if not any(taken[cand.start : cand.end]) else []
            if not pieces and all(taken[i] != 1 for i in range(cand.start, cand.end)):
                pieces = [(cand.start, cand.end)]  # known names win over a safe phrase
        else:
            pieces = _free(taken, cand.start, cand.end)
        for a, b in pieces:
            piece = text[a:b]
            if not re.search(r"\w", piece):
                continue
            while b > a and text[b - 1] in " \t\n,;:.-":
                b -= 1
            while a < b and text[a] in " \t\n,;:.-":
                a += 1
            if b <= a:
                continue
            for i in range(a, b):
                taken[i] = 1
            whole = (a, b) == (cand.start, cand.end)
            out.append(
                Finding(a, b, cand.kind, cand.reason, cand.replacement if whole else _generic(cand))
            )
    return sorted(out, key=lambda f: f.start)


def _generic(cand: _Candidate) -> str:
    if cand.kind is Kind.KNOWN_NAME:
        return cand.replacement
    return {
        Kind.DATE: "[a date]",
        Kind.NAME: "[a name]",
        Kind.PLACE: "[a place]",
        Kind.ORGANISATION: "[an organisation]",
    }.get(cand.kind, cand.replacement)


def _free(taken: bytearray, start: int, end: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    i = start
    while i < end:
        if taken[i]:
            i += 1
            continue
        j = i
        while j < end and not taken[j]:
            j += 1
        pieces.append((i, j))
        i = j
    return pieces


def apply(text: str, findings: Sequence[Finding]) -> str:
    """The text with every finding replaced (a replacement at a sentence start capitalised)."""
    out: list[str] = []
    position = 0
    for f in sorted(findings, key=lambda f: f.start):
        out.append(text[position : f.start])
        replacement = f.replacement
        if _sentence_start(text, f.start) and replacement[:1].islower():
            replacement = replacement[0].upper() + replacement[1:]
        out.append(replacement)
        position = f.end
    out.append(text[position:])
    return "".join(out)
