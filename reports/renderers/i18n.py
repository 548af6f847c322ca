"""The renderers' translations: Django's catalogs (reports/locale/<lang>/LC_MESSAGES/django.mo,
made by ``make messages`` and ``make compilemessages``) read with the standard library's
``gettext``, so that the offline CLI renders without importing Django (tests/test_cli.py).

The names are Django's (``gettext``, ``ngettext``, ``pgettext``, ``gettext_noop``) so that
``manage.py makemessages`` finds every string; ``override(language)`` is
``django.utils.translation.override`` for the report's language, held in a context
variable (each thread and task its own). Outside any ``override`` the language is English.
"""

from __future__ import annotations

import gettext as stdlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from reports.report.languages import DEFAULT_LANGUAGE, LANGUAGES

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "django"
_language: ContextVar[str] = ContextVar("report_language", default=DEFAULT_LANGUAGE)


@cache
def catalog(language: str) -> stdlib.NullTranslations:
    """The language's compiled catalog; English (and a language without one) says the
    msgids themselves."""
    if language == DEFAULT_LANGUAGE:
        return stdlib.NullTranslations()
    return stdlib.translation(DOMAIN, LOCALE_DIR, [language], fallback=True)


def get_language() -> str:
    return _language.get()


@contextmanager
def override(language: str) -> Iterator[None]:
    """Every string translated inside is in ``language`` (one of ``LANGUAGES``)."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for language {language!r}")
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


# English, the msgids' own language, skips the catalogs: its report costs what it did.


def gettext(message: str) -> str:
    language = _language.get()
    return message if language == DEFAULT_LANGUAGE else catalog(language).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for ``n`` by the language's plural rule (the catalog's Plural-Forms)."""
    language = _language.get()
    if language == DEFAULT_LANGUAGE:
        return singular if n == 1 else plural
    return catalog(language).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in ``context``: one English word with two meanings in another language."""
    language = _language.get()
    return message if language == DEFAULT_LANGUAGE else catalog(language).pgettext(context, message)


def gettext_noop(message: str) -> str:
    """Marks ``message`` for the catalogs; translated where it is shown (``gettext``)."""
    return message
