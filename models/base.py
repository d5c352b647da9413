"""The base of every table model.

The tables are SQLModel classes, so each is also a pydantic model; but rows are built by
SQLAlchemy and by the services' own code, never validated by pydantic. ``defer_build`` leaves
each class's pydantic validator and serializer unbuilt until something first asks for one,
which nothing on the bot's paths does: every process that imports the models (the bot, each
``cpbot`` command, each test process) saves building about forty of them: a sixth of the
instructions of importing the models, beyond SQLAlchemy and pydantic themselves.
"""

from __future__ import annotations

from pydantic import ConfigDict
from sqlmodel import SQLModel


class TableModel(SQLModel):
    """Subclass with ``table=True`` for a table, or without for columns shared by tables."""

    # Merged with SQLModel's own config; its type (SQLModelConfig) is not exported.
    model_config = ConfigDict(defer_build=True)  # type: ignore[assignment]
