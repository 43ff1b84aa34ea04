"""Disclosure (三务公开): nine modules, notices, periodic disclosures, privacy, versions."""
