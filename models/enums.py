"""Vocabularies stored as plain strings; services own the rules that use them."""

from enum import StrEnum


class Role(StrEnum):
    RESIDENT = "resident"
    CADRE = "cadre"
    INSPECTOR = "inspector"
    ADMIN = "admin"


class CaseKind(StrEnum):
    COMPLAINT = "complaint"
    PETITION = "petition"
    HELP = "help"
    SUGGESTION = "suggestion"
    CONSULTATION = "consultation"


class Tier(StrEnum):
    URGENT = "urgent"
    UTILITIES = "utilities"
    GENERAL = "general"
    COMPLEX = "complex"


class CaseStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"


class EventType(StrEnum):
    FILED = "filed"
    MESSAGE = "message"  # the resident's words (first content and follow-ups)
    REPLY = "reply"  # a staff member's words to the resident
    ACCEPTED = "accepted"
    RESOLVED = "resolved"
    TRANSFERRED = "transferred"
    REOPENED = "reopened"
    CLOSED = "closed"
    RATED = "rated"  # the resident's satisfaction rating, with an optional comment
    NOTE = "note"  # internal, never shown to the resident
    REROUTED = "rerouted"  # handed on because its cadre was suspended or removed


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    CANCELLED = "cancelled"
    # The channel cannot deliver it now (WeChat: outside the resident's reply window); it goes
    # out when the resident next writes. Never "sent" before it was.
    WAITING = "waiting"
