"""Who may open which page and fire which callback: the one access table.

Pages and callbacks declare their roles where they are defined; anything not
declared here is refused by the guard in auth.py (deny by default). Callbacks
check the role a second time inside, so a guard mistake alone exposes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import dash
from flask import abort
from flask_login import current_user

from scc.users import ROLES

EVERYONE = frozenset(ROLES)
STAFF = frozenset({"admin", "operator", "viewer"})  # everyone who watches the whole regency
ADMIN = frozenset({"admin"})

# Dash's own page router: it only renders page layouts, and each layout checks
# its page's roles itself, so any signed-in user may call it.
ROUTER = "..{}.children...{}.data..".format(dash.dash._ID_CONTENT, dash.dash._ID_STORE)


class Access:
    def __init__(self) -> None:
        self.pages: dict[str, frozenset[str]] = {}
        self.titles: dict[str, str] = {}
        self._order: dict[str, int] = {}
        self.callbacks: dict[str, frozenset[str]] = {ROUTER: EVERYONE}

    # -- pages --------------------------------------------------------------------

    def page(self, module: str, *, path: str, roles: Iterable[str], order: int, title_key: str,
             layout: Callable[..., object]) -> None:
        """Register a Dash page whose layout renders only for `roles`."""
        roles = frozenset(roles)
        self.pages[path] = roles
        self.titles[path] = title_key
        self._order[path] = order

        @functools.wraps(layout)
        def guarded_layout(**kwargs):
            if not has_role(roles):
                from .components.states import forbidden
                return forbidden()
            return layout(**kwargs)

        dash.register_page(module, path=path, name=title_key, order=order, title="Soppeng Command Center",
                           layout=guarded_layout)

    def page_roles(self, path: str) -> frozenset[str] | None:
        return self.pages.get(path.rstrip("/") or "/")

    def pages_for(self, role: str) -> list[str]:
        return [p for p in sorted(self.pages, key=self._order.__getitem__) if role in self.pages[p]]

    # -- callbacks ----------------------------------------------------------------

    def callback(self, app: dash.Dash, *dependencies, roles: Iterable[str], **kwargs):
        """`app.callback` that only runs for signed-in users with one of `roles`."""
        roles = frozenset(roles)

        def decorate(fn):
            @functools.wraps(fn)
            def guarded(*args, **kw):
                if not has_role(roles):
                    abort(403)
                return fn(*args, **kw)

            before = set(app.callback_map)
            app.callback(*dependencies, **kwargs)(guarded)
            for key in set(app.callback_map) - before:
                self.callbacks[key] = roles
            return fn

        return decorate

    def callback_roles(self, output: str) -> frozenset[str] | None:
        return self.callbacks.get(output)


def has_role(roles: Iterable[str]) -> bool:
    return bool(current_user and current_user.is_authenticated and current_user.role in roles)

