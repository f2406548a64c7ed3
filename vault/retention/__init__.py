"""Retention and disposal: policies, holds, disposal (plan, execute, verify, purges) and its
certificate.

Reached through the facets of an unlocked vault (`facade.py`): `vault.retention`,
`vault.holds` and `vault.disposal`. The records they hand out are in `types.py`,
`certificate.py`, `policies.py`, `holds.py` and `verify.py`. This package imports nothing on
its own, so reaching `vault.retention.holds` never loads the certificate or disclosures code.
"""
