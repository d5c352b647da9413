"""Where the CJK font that ships with the project lives (``services/fonts/``, see its README).

A module of its own so that the report's charts find the font without importing the poster
renderer (Pillow, qrcode).
"""

from __future__ import annotations

from pathlib import Path

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
BUNDLED_FONT = FONTS_DIR / "CPBotPosterSansSC-Bold.otf"
