"""Gettext catalogs (zh_Hans, en) and the loader every layer shares.

The catalogs are kept as .po source only; they are read with Babel at start-up, so there is no
compile step to forget and no binary file to keep in step with its source.
"""

from locales.catalog import LOCALES, Catalog, load_catalog, normalize_locale

__all__ = ["LOCALES", "Catalog", "load_catalog", "normalize_locale"]
