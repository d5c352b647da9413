"""Use cases and domain rules: plain data in, plain results out. Never imports aiogram."""
