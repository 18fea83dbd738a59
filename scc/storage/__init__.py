"""Storage: one engine per process, schema migrated by Alembic on start.

Tables live in one module per domain (platform, cameras, metrics, callcenter, alerts), all
on `base.metadata`; importing this package loads every domain so Alembic and
the tests see the whole schema.
"""

from . import alerts, boards, callcenter, cameras, metrics, platform, reports  # noqa: F401  (registers every table on the metadata)
from .base import metadata
from .db import connect, migrate, open_storage

__all__ = ["connect", "metadata", "migrate", "open_storage"]
