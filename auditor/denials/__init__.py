"""Denials: remittances (835) and denial worklists joined to claims, denial analytics and appeal drafts."""
