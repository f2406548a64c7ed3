"""The built-in text of the custodian's notification letter (record migration 15, version 1).

Placeholders in braces are filled from the vault for each client: {client} (the name the app
shows, a pseudonym for a sealed-name client), {legal_name} (the name a mailed letter needs),
{record_id}, {practice}, {clinician}, {custodian}, {custodian_role}, {custodian_contact},
{retained_until}, {today}, each alone (no `:` or `!` after the name). `{{` and `}}` stand for
literal braces. A paragraph is one line, so that a PDF wraps it to the page; a blank line
separates paragraphs.
"""

DEFAULT_LETTER = "\n\n".join(
    [
        "Dear {legal_name},",
        "I am writing to you on behalf of {practice}. {clinician} can no longer continue the "
        "practice, and I have taken over the care of its clinical records as their records "
        "custodian.",
        "Your record ({record_id}) is kept safe and confidential, as before. Nobody else can "
        "see it without your written permission, except where the law requires it.",
        "You have the right to see your record and to receive a copy of it. You can also ask "
        "for it to be sent to a new clinician of your choice. To ask, please contact me:",
        "    {custodian}\n    {custodian_role}\n    {custodian_contact}",
        "Your record will be kept until at least {retained_until}, as the law and professional "
        "guidelines require. After that date it will be securely destroyed.",
        "If you are in crisis, please call your local emergency number or go to the nearest "
        "emergency room.",
        "Sincerely,",
        "{custodian}\nRecords custodian for {practice}",
    ]
)
