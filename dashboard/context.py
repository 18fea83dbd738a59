"""What pages and callbacks are given: settings and storage, nothing live.

Pages never open a camera or the broker; everything they show comes from
storage through `dashboard.queries`, and every write goes through a
capability's own service functions with this context's engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from scc.settings import Settings


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    engine: Engine
