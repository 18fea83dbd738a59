"""The page for a path that is no page: in the user's language, inside the shell.

Dash pages renders the layout of a registered page whose module is named
`not_found_404` for any unknown path (the guard in auth.py answers such a
path with HTTP 404). It is not in the access table: every signed-in user may
see it, and it is in nobody's navigation.
"""

from __future__ import annotations

import dash

from ..access import Access
from ..components.states import not_found
from ..context import AppContext
from ..i18n import t

PATH = "/404"


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        return not_found()

    def title(**_) -> str:
        return f"{t('notfound.title')} · Soppeng Command Center"

    dash.register_page(__name__, path=PATH, name="notfound.title", title=title, layout=layout)
