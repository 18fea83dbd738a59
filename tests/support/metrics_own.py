"""A unit's own data-entry page (/metrics/own) by hand: its form and CSV requests, and what they stored."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import func, select

from scc.storage.metrics import metric_samples, rejected_messages
from tests.support.dashapp import callback_body

VALUE = "own-value"


def engine_of(app: Any) -> Any:
    return app.server.config["SCC_CONTEXT"].engine


def settings_of(app: Any) -> Any:
    return app.server.config["SCC_CONTEXT"].settings


def key_of(app: Any, start: str) -> str:
    return next(k for k in app.callback_map if k.startswith(start))


def stored(app: Any, unit: str, source: str | None = None) -> int:
    query = select(func.count()).select_from(metric_samples).where(metric_samples.c.skpd_code == unit)
    if source:
        query = query.where(metric_samples.c.source == source)
    with engine_of(app).connect() as conn:
        return conn.scalar(query)


def refused(app: Any, unit: str, source: str | None = None) -> list[str]:
    query = select(rejected_messages.c.reason).where(rejected_messages.c.skpd_code == unit)
    if source:
        query = query.where(rejected_messages.c.source == source)
    with engine_of(app).connect() as conn:
        return list(conn.scalars(query.order_by(rejected_messages.c.id)))


def form_body(app: Any, unit: str | None, values: dict[str, Any]) -> dict:
    body = callback_body(app, key_of(app, "..own-form-result"))
    body["inputs"][0]["value"] = 1
    body["state"][0]["value"] = unit
    ids = [{"type": VALUE, "key": k} for k in values]
    body["state"][1] = [{"id": i, "property": "value", "value": v} for i, v in zip(ids, values.values(), strict=True)]
    body["state"][2] = [{"id": i, "property": "id", "value": i} for i in ids]
    return body


def raw_form(app: Any, unit: str | None, values: dict[str, str]) -> str:
    """A form request as JSON text whose values are written as given (`NaN`, `1e999`, 5,000 digits):
    what a hand-made request can carry and Dash's renderer never sends."""
    marks = {f"@{i}@": raw for i, raw in enumerate(values.values())}
    text = json.dumps(form_body(app, unit, dict(zip(values, marks, strict=True))))
    for mark, raw in marks.items():
        text = text.replace(json.dumps(mark), raw)
    return text


def csv_body(app: Any, unit: str | None, data: bytes, filename: str = "angka.csv") -> dict:
    body = callback_body(app, key_of(app, "..own-csv-result"))
    body["inputs"][0]["value"] = "data:text/csv;base64," + base64.b64encode(data).decode()
    body["state"][0]["value"] = filename
    body["state"][1]["value"] = unit
    return body


def text_of(response: Any) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)
