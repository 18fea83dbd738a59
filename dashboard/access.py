"""Who may open which page and fire which callback: the one access table.

Pages and callbacks declare their roles where they are defined; anything not
declared here is refused by the guard in auth.py (deny by default), and a
browser is told only of the callbacks its user may call (`listed`: the callback
map names every page's controls, the administrator's too). Callbacks
check the role a second time inside, so a guard mistake alone exposes nothing,
and check their arguments against their own annotations (security.py): a
wrong type is a 400 before the callback's code runs.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

import dash
from flask import abort
from flask_login import current_user

from scc.users import ROLES

from .security import MAX_STRING, ArgumentsError, argument_checker, quote

log = logging.getLogger(__name__)

EVERYONE = frozenset(ROLES)
STAFF = frozenset({"admin", "operator", "viewer"})  # everyone who watches the whole regency
ADMIN = frozenset({"admin"})

# Dash's own page router: it only renders page layouts, and each layout checks
# its page's roles itself, so any signed-in user may call it.
ROUTER = f"..{dash.dash._ID_CONTENT}.children...{dash.dash._ID_STORE}.data.."
# Dash's own clientside callback that sets the browser's title on every page.
PAGE_TITLE = f"{dash.dash._ID_DUMMY}.children"


class Access:
    def __init__(self) -> None:
        self.pages: dict[str, frozenset[str]] = {}
        self.titles: dict[str, str] = {}
        self._order: dict[str, int] = {}
        self.callbacks: dict[str, frozenset[str]] = {ROUTER: EVERYONE}
        # Callbacks the browser runs: never the server, so only told to the roles of the pages they serve.
        self.clientside: dict[str, frozenset[str]] = {PAGE_TITLE: EVERYONE}
        self.functions: dict[str, Callable[..., Any]] = {}
        self.hidden: set[str] = set()  # pages reached from elsewhere than the navigation bar
        self.nav_roles: dict[str, frozenset[str]] = {}  # pages in the navigation bar of some roles only
        self.homes: dict[str, str] = {}  # role -> the page it lands on, where it is not the first in order
        # Pages whose path is a template (`/metrics/<code>`): its pattern, its variables, and who may see which.
        self.templates: dict[str, tuple[re.Pattern[str], Callable[..., bool | None] | None]] = {}
        self.text_limits: dict[str, int] = {}  # callbacks that take one long text (an uploaded file)

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
        nav: bool | Iterable[str] = True,
        allow: Callable[..., bool | None] | None = None,
        home_of: Iterable[str] = (),
    ) -> None:
        """Register a Dash page whose layout renders only for `roles`.

        `home_of`: roles that land on this page after signing in, whatever comes first in order.

        `nav`: in the navigation bar of every role that may open it (True), of none (False), or of
        these roles only (others reach it from another page).

        `path` may be a template, `/metrics/<code>`: each variable is one path segment, given to the
        layout and to `allow`, which says whether the signed-in user may see that one (True), may not
        (False: 403), or whether there is no such thing (None: 404). A template page must come after
        the fixed paths it overlaps (a higher `order`): Dash tries pages in that order.
        """
        allowed = frozenset(roles)
        self.pages[path] = allowed
        self.titles[path] = title_key
        self._order[path] = order
        for role in home_of:
            if role not in allowed:
                raise ValueError(f"{path} is the home of {role!r}, who may not open it")
            self.homes[role] = path
        if nav is False:
            self.hidden.add(path)
        elif nav is not True:
            self.nav_roles[path] = frozenset(nav)
        names = re.findall(r"<([a-z_]+)>", path)
        if names:
            literal = re.split(r"<[a-z_]+>", path)
            pattern = re.compile("^" + "([^/]+)".join(map(re.escape, literal)) + "$")
            self.templates[path] = (pattern, allow)

        @functools.wraps(layout)
        def guarded_layout(**kwargs: Any) -> object:
            from .components.states import forbidden, not_found

            if not has_role(allowed):
                return forbidden()
            if allow is not None:
                verdict = allow(**{name: kwargs.get(name) for name in names})
                if verdict is None:
                    return not_found()
                if not verdict:
                    return forbidden()
            return layout(**kwargs)

        options: dict[str, Any] = {"path_template": path} if names else {"path": path}
        dash.register_page(
            module, name=title_key, order=order, title="Soppeng Command Center", layout=guarded_layout, **options
        )

    def resolve(self, path: str) -> tuple[str, dict[str, str]] | None:
        """The registered page (its path or template) a request path opens, with the template's variables."""
        path = path.rstrip("/") or "/"
        if path in self.pages:
            return path, {}
        for template, (pattern, _) in self.templates.items():
            match = pattern.match(path)
            if match:
                names = re.findall(r"<([a-z_]+)>", template)
                return template, dict(zip(names, match.groups(), strict=True))
        return None

    def page_roles(self, path: str) -> frozenset[str] | None:
        found = self.resolve(path)
        return self.pages[found[0]] if found else None

    def page_status(self, path: str, role: str) -> int:
        """What the page at `path` is for `role`: 200, 403 (not for this user) or 404 (no such page)."""
        found = self.resolve(path)
        if found is None:
            return 404
        key, variables = found
        if role not in self.pages[key]:
            return 403
        allow = self.templates.get(key, (None, None))[1]
        if allow is not None:
            verdict = allow(**variables)
            if verdict is None:
                return 404
            if not verdict:
                return 403
        return 200

    def pages_for(self, role: str) -> list[str]:
        """The pages a role may open, in navigation order (the first is its home page); templates are
        reached from other pages, never a home."""
        home = self.homes.get(role)
        ordered = sorted(self.pages, key=lambda p: (p != home, self._order[p]))
        return [p for p in ordered if role in self.pages[p] and p not in self.templates]

    def nav_for(self, role: str) -> list[str]:
        return [p for p in self.pages_for(role) if p not in self.hidden and role in self.nav_roles.get(p, {role})]

    # -- callbacks ----------------------------------------------------------------

    def callback(
        self, app: dash.Dash, *dependencies: Any, roles: Iterable[str], max_text: int = 0, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """`app.callback` that only runs for signed-in users with one of `roles`,
        with arguments of the types its parameters are annotated with. `max_text`: the longest text its
        request may carry, where one argument is a whole file (dcc.Upload's contents); its annotation
        bounds that argument, and web.max_body_kb the request."""
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
                if max_text > MAX_STRING:
                    self.text_limits[key] = max_text
            return fn

        return decorate

    def clientside_callback(self, app: dash.Dash, function: Any, *dependencies: Any, roles: Iterable[str]) -> None:
        """`app.clientside_callback`, told only to the browsers of `roles` (the server never runs it)."""
        before = set(app.callback_map)
        app.clientside_callback(function, *dependencies)
        for key in set(app.callback_map) - before:
            self.clientside[key] = frozenset(roles)

    def callback_roles(self, output: str) -> frozenset[str] | None:
        return self.callbacks.get(output)

    def listed(self, role: str | None, output: str) -> bool:
        """Whether a browser of `role` is told of this callback (Dash's /_dash-dependencies): those the
        role may call, and the clientside ones of its pages. Anything undeclared is told to nobody."""
        roles = self.callbacks.get(output) or self.clientside.get(output)
        return roles is not None and role in roles

    def text_limit(self, output: object) -> int:
        return self.text_limits.get(output, MAX_STRING) if isinstance(output, str) else MAX_STRING


def has_role(roles: Iterable[str]) -> bool:
    return bool(current_user and current_user.is_authenticated and current_user.role in roles)
