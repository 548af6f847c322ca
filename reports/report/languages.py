"""The languages a report can be written in, and the check of a requested BCP 47 tag."""

from __future__ import annotations

import re
from typing import Annotated

import msgspec

DEFAULT_LANGUAGE = "en"
# code -> the language's own name (the web page's choice shows these)
LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "hi": "हिन्दी",
}
# A BCP 47 tag as RFC 5646 spells its common forms: a language, then subtags of 1-8
# letters or digits ("de", "de-AT", "es-419", "zh-Hant-TW", "hi-Latn"...). The report is
# written in the primary language; the rest is accepted and not used.
_TAG = re.compile(r"([A-Za-z]{2,3})((?:[-_][A-Za-z0-9]{1,8})*)")
# The same rule with the known languages, for the schema and the body's field (either case).
_EITHER_CASE = "|".join("".join(f"[{c.upper()}{c}]" for c in code) for code in LANGUAGES)
LANGUAGE_PATTERN = f"^({_EITHER_CASE})([-_][A-Za-z0-9]{{1,8}})*$"
LanguageTag = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=35,
        pattern=LANGUAGE_PATTERN,
        description="The language of the report's words and of its number and date formats: "
        'a BCP 47 tag whose language is one of "en" (the default), "de", "es", "hi" '
        '("de-AT" is German).',
    ),
]


def check_language(tag: str) -> str:
    """The language code of ``tag`` (one of ``LANGUAGES``); ValueError naming the rule."""
    found = _TAG.fullmatch(tag) if len(tag) <= 35 else None
    if found is None:
        raise ValueError(f'{tag[:40]!r} is not a BCP 47 language tag (e.g. "de" or "de-AT")')
    code = found.group(1).lower()
    if code not in LANGUAGES:
        known = ", ".join(LANGUAGES)
        raise ValueError(f"reports are not written in {tag!r}; the languages are: {known}")
    return code
