"""Claim lines: reading extracts and 837 files, pairing on the claim, ICD-10-CM checks and WISeR readiness."""
