"""Storage: one engine per process, schema migrated by Alembic on start."""

from .db import connect, migrate, open_storage

__all__ = ["connect", "migrate", "open_storage"]
