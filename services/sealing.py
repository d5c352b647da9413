"""Sealing what must not be read from the database: an anonymous reporter's chat, their receipt
code, the messages they sent. One key from the settings (``CPBOT_TIPOFF_KEY``); without it,
anonymous reports are switched off rather than stored unprotected."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken

from services.errors import Invalid

# Letters and digits that can't be mistaken for one another when read aloud or copied.
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_key() -> str:
    """A fresh key for CPBOT_TIPOFF_KEY (``cpbot keygen`` prints one)."""
    return Fernet.generate_key().decode()


class Sealer:
    def __init__(self, key: str | None) -> None:
        self._fernet = Fernet(key.encode()) if key else None
        self._mac_key = base64.urlsafe_b64decode(key.encode()) if key else b""

    @property
    def available(self) -> bool:
        return self._fernet is not None

    def _require(self) -> Fernet:
        if self._fernet is None:
            raise Invalid("tipoff.anonymous_off")
        return self._fernet

    def seal(self, chat_id: int) -> str:
        return self._require().encrypt(str(chat_id).encode()).decode()

    def unseal(self, token: str) -> int:
        try:
            return int(self._require().decrypt(token.encode()))
        except (InvalidToken, ValueError):
            raise Invalid("tipoff.link_broken") from None

    def mac(self, *parts: object) -> str:
        """A keyed hash: equal inputs match, but the inputs can't be recovered or guessed."""
        message = "\x1f".join(str(p) for p in parts).encode()
        return hmac.new(self._mac_key, message, hashlib.sha256).hexdigest()

    @staticmethod
    def receipt_code() -> str:
        raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))
        return f"{raw[:5]}-{raw[5:]}"

    @staticmethod
    def normalize_receipt(code: str) -> str:
        raw = "".join(ch for ch in code.upper() if ch.isalnum())
        return f"{raw[:5]}-{raw[5:]}" if len(raw) == 10 else raw
