"""Boardsite: a self-hosted shared whiteboard and live kanban on Django Channels."""

# The release, shown in the page footer and in /healthz; CHANGELOG.md says what each one changed.
__version__ = "0.9.0"
