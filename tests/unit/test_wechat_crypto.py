"""WeChat's signatures and safe mode, held to the example WeChat publishes with its sample code
(token ``spamtest``, the EncodingAESKey ``abc…ABCDEFG``, app id ``wx2c2769f8efd9abc2``)."""

from __future__ import annotations

import base64

import pytest

from wechat.crypto import BadEnvelope, MessageCrypto, SignatureMismatch, signature
from wechat.xml import BadXml, parse_message, render_message

TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
TIMESTAMP = "1409735669"
NONCE = "1320562132"
MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
URL_SIGNATURE = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"
ENCRYPTED = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PG"
    "HQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6"
    "tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3"
    "yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl"
    "+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)


@pytest.fixture
def crypto() -> MessageCrypto:
    return MessageCrypto(TOKEN, AES_KEY, APP_ID)


def test_signatures_match_the_published_values() -> None:
    assert signature(TOKEN, TIMESTAMP, NONCE) == URL_SIGNATURE
    assert signature(TOKEN, TIMESTAMP, NONCE, ENCRYPTED) == MSG_SIGNATURE
    # wechatpy's own vector for the plain callback signature
    assert signature("789", "456", "123") == "f7c3bc1d808e04732adf679965ccc34ca7ae3441"


def test_the_published_message_decrypts(crypto: MessageCrypto) -> None:
    plain = crypto.decrypt(ENCRYPTED, MSG_SIGNATURE, TIMESTAMP, NONCE)
    message = parse_message(plain)
    assert message == {
        "ToUserName": "gh_10f6c3c3ac5a",
        "FromUserName": "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
        "CreateTime": "1409735668",
        "MsgType": "text",
        "Content": "abcdteT",
        "MsgId": "6054768590064713728",
    }


def test_url_check_accepts_the_published_signature_only(crypto: MessageCrypto) -> None:
    crypto.check_url(URL_SIGNATURE, TIMESTAMP, NONCE)
    with pytest.raises(SignatureMismatch):
        crypto.check_url(URL_SIGNATURE, TIMESTAMP, "1320562133")


def test_round_trip_with_chinese_text(crypto: MessageCrypto) -> None:
    xml = render_message({"ToUserName": "o1", "CreateTime": 1, "Content": "路灯坏了 ]]> 三天"})
    encrypted, sig = crypto.encrypt(xml, "1700000000", "42")
    assert crypto.decrypt(encrypted, sig, "1700000000", "42") == xml
    assert parse_message(xml)["Content"] == "路灯坏了 ]]> 三天"


def test_a_wrong_signature_is_refused_before_decrypting(crypto: MessageCrypto) -> None:
    with pytest.raises(SignatureMismatch):
        crypto.decrypt(ENCRYPTED, "0" * 40, TIMESTAMP, NONCE)
    with pytest.raises(SignatureMismatch):
        crypto.decrypt(ENCRYPTED, MSG_SIGNATURE, "1409735670", NONCE)


def test_another_accounts_message_is_refused() -> None:
    other = MessageCrypto(TOKEN, AES_KEY, "wx0000000000000000")
    with pytest.raises(BadEnvelope):
        other.decrypt(ENCRYPTED, MSG_SIGNATURE, TIMESTAMP, NONCE)


def test_tampered_ciphertext_is_refused(crypto: MessageCrypto) -> None:
    raw = bytearray(base64.b64decode(ENCRYPTED))
    raw[-1] ^= 0x01  # breaks the padding of the last block
    tampered = base64.b64encode(bytes(raw)).decode()
    sig = signature(TOKEN, TIMESTAMP, NONCE, tampered)  # an attacker who knows the token
    with pytest.raises(BadEnvelope):
        crypto.decrypt(tampered, sig, TIMESTAMP, NONCE)
    truncated = ENCRYPTED[:-8]
    with pytest.raises(BadEnvelope):
        crypto.decrypt(truncated, signature(TOKEN, TIMESTAMP, NONCE, truncated), TIMESTAMP, NONCE)


def test_a_malformed_key_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="EncodingAESKey"):
        MessageCrypto(TOKEN, AES_KEY[:-1], APP_ID)
    with pytest.raises(ValueError, match="EncodingAESKey"):
        MessageCrypto(TOKEN, "!" * 43, APP_ID)


@pytest.mark.parametrize(
    "body",
    [
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        "<xml><Content>&b;</Content></xml>",
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>',
        "<xml><Content>unclosed</xml>",
        "<notxml><Content>x</Content></notxml>",
    ],
)
def test_hostile_or_broken_xml_is_refused(body: str) -> None:
    with pytest.raises(BadXml):
        parse_message(body)
