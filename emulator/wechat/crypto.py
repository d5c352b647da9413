"""WeChat's side of the safe mode, written apart from the bot's ``wechat.crypto`` on purpose:
the emulator checks the bot, so it must not share the bot's mistakes. Both are held to WeChat's
published example (tests/emulator/test_wechat_platform.py, tests/unit/test_wechat_crypto.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def sign(*parts: str) -> str:
    joined = "".join(sorted(parts)).encode()
    return hashlib.sha1(joined).hexdigest()


class EnvelopeError(ValueError):
    """A reply that is not correctly signed or encrypted for this account."""


class Envelope:
    def __init__(self, token: str, aes_key: str, app_id: str) -> None:
        self.token = token
        self.key = base64.b64decode(aes_key + "=")
        self.app_id = app_id.encode()

    def seal(self, xml: str, timestamp: str, nonce: str) -> tuple[str, str]:
        """``Encrypt`` and ``MsgSignature`` for a push."""
        payload = xml.encode()
        block = os.urandom(16) + len(payload).to_bytes(4, "big") + payload + self.app_id
        fill = 32 - len(block) % 32
        block += bytes([fill] * fill)
        enc = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        sealed = base64.b64encode(enc.update(block) + enc.finalize()).decode()
        return sealed, sign(self.token, timestamp, nonce, sealed)

    def open(self, sealed: str, msg_signature: str, timestamp: str, nonce: str) -> str:
        """The XML inside a safe-mode reply, after checking its signature."""
        if not hmac.compare_digest(sign(self.token, timestamp, nonce, sealed), msg_signature):
            raise EnvelopeError("signature")
        try:
            raw = base64.b64decode(sealed)
            dec = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
            block = dec.update(raw) + dec.finalize()
        except ValueError as exc:
            raise EnvelopeError("ciphertext") from exc
        fill = block[-1] if block else 0
        if not 0 < fill <= 32 or block[-fill:] != bytes([fill] * fill):
            raise EnvelopeError("padding")
        body = block[16:-fill]
        size = int.from_bytes(body[:4], "big")
        if body[4 + size :] != self.app_id:
            raise EnvelopeError("app id")
        return body[4 : 4 + size].decode()
