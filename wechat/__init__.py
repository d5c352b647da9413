"""The WeChat Official Account channel: callback signatures, the safe (AES) mode and message XML.

The adapter beside ``bot/`` (Telegram): it may use ``services``, never aiogram or the handlers.
"""
