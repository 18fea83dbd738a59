"""Building blocks shared by the settings models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)]
MetricKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


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
