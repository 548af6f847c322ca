"""The languages a report can be written in: BCP 47 tags the service has a catalog for."""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"
# tag -> the language's own name (the web page's choice shows these)
LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "hi": "हिन्दी",
}
