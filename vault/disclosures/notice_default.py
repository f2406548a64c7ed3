"""The built-in limits-of-confidentiality and informed-consent notice (template version 1).

A practice edits its own copy (`confide notice template edit`); this text is what a new vault
starts from. Sections marked "(optional: off)" are kept in the template but left out of the
notice until the practice switches them on. The wording follows the exceptions most US
jurisdictions recognise; the practice must check its own state's rules.
"""

DEFAULT_NOTICE = """\
## About this notice
What you say in therapy is confidential: it stays between you and your therapist, and your
records are kept private and secure. The law and professional ethics set a few limits to that
confidentiality. This notice explains them before therapy starts, so that you can decide what to
share. Please ask about anything that is not clear.

## Imminent harm to yourself or others
If your therapist believes that you are at serious and imminent risk of harming yourself, or that
you have made a serious threat of violence against an identifiable person, your therapist may be
required or permitted by law to take steps to protect you or that person. These steps can include
contacting family members, emergency services, a hospital, the police, or the person threatened.

## Abuse or neglect of a child, an elder or a dependent adult
Therapists are mandated reporters. If your therapist has reasonable cause to suspect that a
child, an elder or a dependent adult is being abused or neglected, the law requires a report to
the responsible protective services agency or to law enforcement. Only the information needed for
the report is shared.

## Court orders and legal proceedings
A court may order the release of records or testimony. If your therapist receives a subpoena
without a court order, you will be told and given the chance to object; records are released only
as the law requires. If you raise your mental or emotional condition in a legal claim (for
example in a lawsuit or a complaint against the therapist), relevant records may be used in that
proceeding.

## Emergencies
In a medical emergency, information needed for your care may be shared with the people treating
you if you cannot give consent yourself.

## Supervision and consultation
Your therapist may discuss your care with a clinical supervisor or a consultation group to provide
the best care. Details that could identify you are left out or disguised, and those consulted are
bound by confidentiality.

## Payment and insurance
If you use insurance, the insurer may require diagnoses, dates of service and other information
before it pays. You may choose to pay yourself to keep this information from an insurer.

## Telehealth
When sessions take place by video or telephone, your therapist uses services meant for health
care, but no technology is completely secure. Please join from a private place, and tell your
therapist where you are at the start of each session so that help can be sent in an emergency.

## Minors and their parents or guardians
When the client is a minor, parents or guardians usually have a right to general information
about treatment. Your therapist will discuss at the start what will be shared and what stays
between the minor and the therapist, except where safety is at risk or the law requires otherwise.
Some services a minor may consent to alone under state law; their records are then treated as the
minor's own.

## Your rights
You have the right to see and get a copy of your record (psychotherapy notes are kept apart and
are not part of it), to ask for a correction or an addition to it, to receive an accounting of
disclosures made without your authorization, to ask that communications reach you in a way you
choose, and to be told if your information is breached. You may complain to the practice, and to
the U.S. Department of Health and Human Services, Office for Civil Rights; you will not be
penalised for complaining.

## State-specific requirements (optional: off)
Add here what your state requires in this notice (for example a duty-to-warn statute, a different
age of consent for minors, or a licensing board's contact details), then switch this section on.

## Consent
By signing below you confirm that you have read this notice, have had the chance to ask
questions, and consent to treatment on these terms.
"""
