"""The parsed form of each consultation, kept per process.

What a resident answers — the title, introduction, questions and their options, named or
anonymous, the deadline — never changes once a consultation is stored (nothing edits them; a
correction is a new consultation), and the points it asks are fixed when it opens. So every
update of a resident's answering needs from the database only what does change: the status,
the resident's point and whether they answered (one small query, ``Residents._live``); the
form comes from here. Entries are keyed by the consultation's id *and* its creation time, so a
different consultation under the same id (a restored or recreated database) is never served
from an old entry; a consultation not yet open is not kept (its points are not fixed yet).
Only the newest ``size`` consultations are held."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from models.consultations import Consultation
from services.consultations.form import Question

Key = tuple[int, datetime]


@dataclass(frozen=True)
class Fixed:
    """What does not change of an open consultation. ``consultation`` is a detached snapshot:
    its form is current, its status and outcome are not (read them from the database)."""

    consultation: Consultation
    questions: list[Question]
    points: frozenset[int]


class FormCache:
    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[Key, Fixed] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: Key) -> Fixed | None:
        found = self._items.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(key)
        return found

    def put(self, key: Key, fixed: Fixed) -> None:
        self._items[key] = fixed
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
