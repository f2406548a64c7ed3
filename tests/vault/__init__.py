"""The core: keys, storage, records, retention, disclosures."""
