"""Building blocks shared by the settings models."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _a_time_of_day(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads an unquoted 07:00 as 420
        raise ValueError(f'write the time in quotes, as "{value // 60:02d}:{value % 60:02d}"')
    if isinstance(value, str) and not _TIME.match(value):
        raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00 to 23:59)")
    return value


Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)]
MetricKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
# A name for where space is short (a tile, a chart's axis, a table cell on a 1366 px screen): the page shows
# it whole instead of cutting the long name with an ellipsis, which would hide what tells two apart
# ("Damkar Mari..." is Marioriawa or Marioriwawo). Unique where things sit side by side (config checks).
ShortName = Annotated[str, Field(min_length=1, max_length=20, description="Name shown where space is short.")]
# A time of day as "HH:MM" (WITA where a setting says so); compared as text, read with time.fromisoformat.
TimeOfDay = Annotated[str, BeforeValidator(_a_time_of_day)]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently become a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Position(Strict):
    lat: float = Field(ge=-90, le=90, description="Latitude in degrees; south is negative.")
    lon: float = Field(ge=-180, le=180, description="Longitude in degrees; east is positive.")
    estimate: bool = Field(default=True, description="True where the position is our approximation.")


class Text(Strict):
    """A label in both languages the dashboard speaks."""

    id: str = Field(min_length=1, description="Bahasa Indonesia.")
    en: str = Field(min_length=1, description="English.")


class ShortText(Text):
    """A short label in both languages, for where space is short (see ShortName)."""

    id: ShortName
    en: ShortName
