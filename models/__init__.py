"""SQLModel tables, the engine and session factory, and small query helpers."""
