"""The clinical record: clients, notes, flags (markup), templates, validation, search,
psychotherapy notes, the audit log.
"""
