"""A reference to a row in a request body: a positive id that fits the INTEGER column on every database.

Without the bound, an id of 2**63 reaches SQLite's driver and fails as a 500 (OverflowError) instead of 422.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

__all__ = ["DbRef"]

DbRef = Annotated[int, Field(ge=1, le=2**31 - 1)]
