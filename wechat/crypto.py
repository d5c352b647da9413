"""WeChat's callback signatures and the safe mode's message encryption (消息加解密).

Hand-written on ``cryptography`` rather than taken from wechatpy: wechatpy 1.8 decrypts WeChat's
published example correctly, but compares signatures with ``!=`` (not in constant time), does not
check the PKCS#7 padding it strips, and parses the envelope with xmltodict (entity expansion left
to expat). The scheme is small and fixed, so this module states it once and
``tests/unit/test_wechat_crypto.py`` holds it to the official test vectors.

The scheme: ``signature = sha1(sorted(token, timestamp, nonce[, encrypt]).join(""))``; the AES key
is ``base64(EncodingAESKey + "=")`` (32 bytes), AES-256-CBC with the key's first 16 bytes as IV;
the plain text is ``random(16) || len(msg) as 4-byte big-endian || msg || app_id``, padded with
PKCS#7 to a multiple of 32 bytes, and sent base64-encoded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16


class SignatureMismatch(ValueError):
    """The request was not signed with our token: nothing in it may be handled."""


class BadEnvelope(ValueError):
    """The encrypted payload does not decrypt to a message for this account."""


def signature(*parts: str) -> str:
    """WeChat's SHA-1 (its choice) over the sorted, concatenated parts."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def check_signature(expected_from: tuple[str, ...], given: str) -> None:
    """Compare in constant time; raise :class:`SignatureMismatch` on any difference."""
    if not hmac.compare_digest(signature(*expected_from).encode(), given.encode()):
        raise SignatureMismatch


class MessageCrypto:
    """Encrypts replies and decrypts callbacks of one Official Account in the safe mode."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error as exc:
            raise ValueError("EncodingAESKey is not 43 characters of base64") from exc
        if len(encoding_aes_key) != 43 or len(key) != 32:
            raise ValueError("EncodingAESKey is not 43 characters of base64")
        self._token = token
        self._key = key
        self._app_id = app_id.encode()

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def check_url(self, signature_: str, timestamp: str, nonce: str) -> None:
        """The GET check and the plain mode's POST: token, timestamp and nonce signed."""
        check_signature((self._token, timestamp, nonce), signature_)

    def encrypt(self, message: str, timestamp: str, nonce: str) -> tuple[str, str]:
        """The ``Encrypt`` text and its ``MsgSignature`` for a reply (or, in the emulator,
        for a callback)."""
        body = message.encode()
        plain = secrets.token_bytes(16) + struct.pack(">I", len(body)) + body + self._app_id
        pad = _BLOCK - len(plain) % _BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        encrypted = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
        return encrypted, signature(self._token, timestamp, nonce, encrypted)

    def decrypt(self, encrypted: str, msg_signature: str, timestamp: str, nonce: str) -> str:
        """The message inside a callback's ``Encrypt``; the signature is checked first."""
        check_signature((self._token, timestamp, nonce, encrypted), msg_signature)
        try:
            data = base64.b64decode(encrypted, validate=True)
        except binascii.Error as exc:
            raise BadEnvelope("not base64") from exc
        if not data or len(data) % 16:
            raise BadEnvelope("not whole AES blocks")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= _BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise BadEnvelope("bad padding")
        content = plain[16:-pad]
        if len(content) < 4:
            raise BadEnvelope("too short")
        (length,) = struct.unpack(">I", content[:4])
        message, app_id = content[4 : 4 + length], content[4 + length :]
        if len(message) != length or not hmac.compare_digest(app_id, self._app_id):
            raise BadEnvelope("not for this account")
        try:
            return message.decode()
        except UnicodeDecodeError as exc:
            raise BadEnvelope("not UTF-8") from exc
