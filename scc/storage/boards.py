"""The public boards' tables (docs/design.md §3.9): display links and each unit's announcement.

A link's token is shown once, when it is made, and only its SHA-256 is stored (`token_hash`), as with an
API token: the database, a backup or a log of it never holds a working link. A revoked link keeps its row
(`revoked_at`), so a TV that still asks is told it was revoked (410) rather than that it never existed, and
the row goes a year after its revocation (config/retention.yaml). scc/boards.py is the one writer; every
write is audited in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from .base import UTC, Id, metadata

board_links = Table(
    "board_links",
    metadata,
    Column("id", Id, primary_key=True),
    Column("skpd_code", String(40), nullable=False),  # the unit whose board it opens (config/boards.yaml)
    Column("token_hash", String(64), nullable=False, unique=True),  # hex SHA-256 of the token
    Column("label", String(80), nullable=False),  # where the TV stands, as its maker wrote it
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTC, nullable=False),
    Column("revoked_at", UTC),  # NULL while the link works
    Column("revoked_by", String(64)),
    Column("last_seen_at", UTC),  # the TV's last refresh, written at most once a minute
    Index("ix_board_links_unit", "skpd_code", "created_at"),
    Index("ix_board_links_revoked", "revoked_at"),  # retention goes by it
)

board_announcements = Table(
    "board_announcements",
    metadata,
    Column("skpd_code", String(40), primary_key=True),
    Column("text", Text, nullable=False),  # empty: no announcement
    Column("set_by", String(64), nullable=False),
    Column("set_at", UTC, nullable=False),
)
