"""The one strict base of every settings and file-format model: unknown keys fail, frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Unknown keys are an error (a typo never passes silently); values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)
