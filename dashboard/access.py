"""Who may open which page and fire which callback: the one access table.

Pages and callbacks declare their roles where they are defined; anything not
declared here is refused by the guard in auth.py (deny by default). Callbacks
check the role a second time inside, so a guard mistake alone exposes nothing,
and check their arguments against their own annotations (security.py): a
wrong type is a 400 before the callback's code runs.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

import dash
from flask import abort
from flask_login import current_user

from scc.users import ROLES

from .security import ArgumentsError, argument_checker, quote

log = logging.getLogger(__name__)

EVERYONE = frozenset(ROLES)
STAFF = frozenset({"admin", "operator", "viewer"})  # everyone who watches the whole regency
ADMIN = frozenset({"admin"})

# Dash's own page router: it only renders page layouts, and each layout checks
# its page's roles itself, so any signed-in user may call it.
ROUTER = f"..{dash.dash._ID_CONTENT}.children...{dash.dash._ID_STORE}.data.."


class Access:
    def __init__(self) -> None:
        self.pages: dict[str, frozenset[str]] = {}
        self.titles: dict[str, str] = {}
        self._order: dict[str, int] = {}
        self.callbacks: dict[str, frozenset[str]] = {ROUTER: EVERYONE}
        self.functions: dict[str, Callable[..., Any]] = {}
        self.hidden: set[str] = set()  # pages reached from elsewhere than the navigation bar

    # -- pages --------------------------------------------------------------------

    def page(
        self,
        module: str,
        *,
        path: str,
        roles: Iterable[str],
        order: int,
        title_key: str,
        layout: Callable[..., object],
        nav: bool = True,
    ) -> None:
        """Register a Dash page whose layout renders only for `roles`."""
        allowed = frozenset(roles)
        self.pages[path] = allowed
        self.titles[path] = title_key
        self._order[path] = order
        if not nav:
            self.hidden.add(path)

        @functools.wraps(layout)
        def guarded_layout(**kwargs: Any) -> object:
            if not has_role(allowed):
                from .components.states import forbidden

                return forbidden()
            return layout(**kwargs)

        dash.register_page(
            module, path=path, name=title_key, order=order, title="Soppeng Command Center", layout=guarded_layout
        )

    def page_roles(self, path: str) -> frozenset[str] | None:
        return self.pages.get(path.rstrip("/") or "/")

    def pages_for(self, role: str) -> list[str]:
        """The pages a role may open, in navigation order (the first is its home page)."""
        return [p for p in sorted(self.pages, key=self._order.__getitem__) if role in self.pages[p]]

    def nav_for(self, role: str) -> list[str]:
        return [p for p in self.pages_for(role) if p not in self.hidden]

    # -- callbacks ----------------------------------------------------------------

    def callback(
        self, app: dash.Dash, *dependencies: Any, roles: Iterable[str], **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """`app.callback` that only runs for signed-in users with one of `roles`,
        with arguments of the types its parameters are annotated with."""
        allowed = frozenset(roles)

        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            check = argument_checker(fn)

            @functools.wraps(fn)
            def guarded(*args: Any, **kw: Any) -> Any:
                if not has_role(allowed):
                    abort(403)
                try:
                    check(args)
                except ArgumentsError as exc:
                    log.warning(
                        "refused arguments of callback %s for %s: %s",
                        fn.__qualname__,
                        current_user.username,
                        quote(str(exc), 200),
                    )
                    abort(400)
                return fn(*args, **kw)

            before = set(app.callback_map)
            app.callback(*dependencies, **kwargs)(guarded)
            for key in set(app.callback_map) - before:
                self.callbacks[key] = allowed
                self.functions[key] = fn
            return fn

        return decorate

    def callback_roles(self, output: str) -> frozenset[str] | None:
        return self.callbacks.get(output)


def has_role(roles: Iterable[str]) -> bool:
    return bool(current_user and current_user.is_authenticated and current_user.role in roles)
