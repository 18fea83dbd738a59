"""Public-service complaint topics and the SKPD that owns each: where a complaint goes by default.

Kupang's Sodamolek sends waste and security reports straight to the unit
concerned; here each topic names its owner, the intake form preselects it,
and the operator may still route one complaint elsewhere.
"""

from __future__ import annotations

from pydantic import Field

from .base import Code, Strict, Text


class ComplaintTopic(Strict):
    """One kind of public-service complaint a caller raises."""

    code: Code = Field(description="Stable topic code, e.g. 'sampah'; stored with each complaint.")
    name: Text = Field(description="What operators pick, in Bahasa Indonesia and English.")
    skpd: Code = Field(description="The SKPD that settles it by default (a code in skpd.yaml).")
    examples: list[str] = Field(
        default_factory=list, description="What callers say about it, to help the operator pick (Indonesian)."
    )
    estimate: bool = Field(
        default=False, description="True where the owner is our reading of the SKPD's tasks, not a regency decree."
    )


class ComplaintTopicsFile(Strict):
    topics: list[ComplaintTopic] = Field(
        min_length=1, description="Every topic the intake form offers, in the order it offers them."
    )
