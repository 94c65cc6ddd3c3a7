"""Report renderers for every kind of result (chargemaster audits, claims runs), through one registry (renderers)."""
