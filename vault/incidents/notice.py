"""The notice letter to each affected client (45 CFR 164.404(c)), from an editable template.

The template is plain text: a `# title` line, the opening lines, then `## heading` sections.
Placeholders in braces are filled once, in a single pass: text put in (an incident's
description, a practice's name) is never read as a placeholder itself. A template must keep the
placeholders that carry the elements 164.404(c)(1) requires, so no edit can drop one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from ..disclosures.document import Document

DEFAULT_TEMPLATE = """\
# Notice of a breach of your health information
Dear {client_name},
We are writing to tell you about an incident that involved some of your health information, \
what we are doing about it, and what you can do.

## What happened
{what_happened}
The incident happened on {occurred_on}. We discovered it on {discovered_on}.

## What information was involved
{information}

## What you can do
{steps}

## What we are doing
{practice_actions}

## How to contact us
If you have questions, or want to know more, please contact us:
{contact}

## Sincerely
{practice_name}
"""

# placeholder -> the element of 164.404(c)(1) it carries
REQUIRED: dict[str, str] = {
    "what_happened": "a description of what happened (164.404(c)(1)(A))",
    "occurred_on": "the date of the breach (164.404(c)(1)(A))",
    "discovered_on": "the date of discovery (164.404(c)(1)(A))",
    "information": "the kinds of information involved (164.404(c)(1)(B))",
    "steps": "the steps individuals should take (164.404(c)(1)(C))",
    "practice_actions": "what the practice is doing (164.404(c)(1)(D))",
    "contact": "the contact procedures (164.404(c)(1)(E))",
}
KNOWN = (*REQUIRED, "client_name", "practice_name", "incident", "date")

DEFAULT_STEPS = (
    "Watch for letters, calls or messages that mention your care or your health insurance "
    "and that you do not expect. Review the statements from your health insurer and tell "
    "them about any service you did not receive. Be wary of anyone who contacts you about "
    "this incident and asks for personal details; we will never ask for your passwords."
)

MAX_TEMPLATE_CHARS = 20_000
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def check_template(text: str) -> str:
    text = text.replace("\r\n", "\n").strip("\n") + "\n"
    if len(text) > MAX_TEMPLATE_CHARS:
        raise UsageError(f"the notice template is longer than {MAX_TEMPLATE_CHARS} characters")
    lines = text.split("\n")
    if not lines[0].startswith("# ") or not lines[0][2:].strip():
        raise UsageError("the notice template must begin with a title line: '# Title'")
    if not any(line.startswith("## ") for line in lines):
        raise UsageError("the notice template has no '## Heading' section")
    used = set(_PLACEHOLDER.findall(text))
    missing = [what for key, what in REQUIRED.items() if key not in used]
    if missing:
        keys = [key for key in REQUIRED if key not in used]
        raise UsageError(
            "the notice template leaves out "
            + "; ".join(missing)
            + " (keep "
            + ", ".join("{" + k + "}" for k in keys)
            + ")"
        )
    unknown = sorted(used - set(KNOWN))
    if unknown:
        raise UsageError(
            f"the notice template uses an unknown placeholder {{{unknown[0]}}}; "
            "known: " + ", ".join("{" + k + "}" for k in KNOWN)
        )
    return text


def fill(text: str, values: Mapping[str, str]) -> str:
    """One pass: a value that itself looks like {a_placeholder} stays as it is."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def letter(
    template: str,
    values: Mapping[str, str],
    *,
    reference: str,
    practice: tuple[str, ...],
    facts: tuple[tuple[str, str], ...],
    footer_id: str,
) -> Document:
    """The letter as a `Document`, rendered by the release machinery (txt, md or PDF)."""
    from ..disclosures.document import Document, Section, clean  # loaded for letters only

    cleaned = {k: clean(v) for k, v in values.items()}
    lines = fill(template, cleaned).split("\n")
    title = lines[0][2:].strip()
    opening: list[str] = []
    sections: list[Section] = []
    heading: str | None = None
    body: list[str] = []
    for line in lines[1:]:
        if line.startswith("## "):
            if heading is not None:
                sections.append(Section(heading, (), "\n".join(body).strip("\n")))
            heading, body = line[3:].strip(), []
        elif heading is None:
            opening.append(line)
        else:
            body.append(line)
    if heading is not None:
        sections.append(Section(heading, (), "\n".join(body).strip("\n")))
    statement = tuple(x for x in "\n".join(opening).strip("\n").split("\n"))
    return Document(
        reference=reference,
        title=title,
        practice=practice,
        facts=facts,
        statement=statement,
        sections=tuple(sections),
        footer_id=footer_id,
        item=("part", "parts"),
    )
