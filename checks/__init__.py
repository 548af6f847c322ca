"""Checks of the code's shape (make lint): module sizes, the docs, the translation catalogs."""
