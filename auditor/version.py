"""The package version, recorded in every report and run record."""

__version__ = "0.1.0"
