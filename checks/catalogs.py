"""The report's translation catalogs are complete and compiled (docs/report.md, "Languages").

``problems()`` lists what is wrong, one sentence each; ``python -m checks.catalogs`` prints
them and exits 1 when there are any. It reads the code and the catalogs with Babel alone
(no GNU gettext: the image and CI need none), and finds:

- a msgid the code marks (``gettext``/``_``, ``ngettext``, ``pgettext``, ``gettext_noop``
  in reports/) that a language's django.po lacks, or one the po has that the code no
  longer marks (run ``make messages``);
- a msgstr that is empty (any plural form of it), or fuzzy, or a catalog marked fuzzy;
- a plural entry without as many forms as the catalog's Plural-Forms says;
- placeholders (``%(name)s``) that differ between a msgid and its msgstr (a plural form may
  leave out ``%(count)s``, as a language that says "one" in words does);
- a committed django.mo that does not say what its django.po says (run
  ``make compilemessages``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "reports"
LOCALE_DIR = SOURCES / "locale"
LANGUAGES = ("de", "es", "hi")  # reports.report.languages.LANGUAGES less English
# The names reports/renderers/i18n.py gives Django's functions, as xgettext reads them.
KEYWORDS: dict[str, tuple[int | tuple[int, str], ...] | None] = {
    "_": None,
    "gettext": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")

Key = tuple[str | None, str]  # (context, msgid)


def code_messages(sources: Path = SOURCES) -> dict[Key, str | None]:
    """Every message the code marks: (context, msgid) -> its msgid_plural (or None)."""
    found: dict[Key, str | None] = {}
    for path in sorted(sources.rglob("*.py")):
        for _line, message, _comments, context in extract_from_file(
            "python", path, keywords=KEYWORDS, strip_comment_tags=True
        ):
            if isinstance(message, tuple):
                found[(context, message[0])] = message[1]
            else:
                found[(context, message)] = None
    return found


def placeholders(text: str) -> set[str]:
    """The ``%(name)s`` (and bare ``%s``) conversions of a msgid or msgstr; ``%%`` is none."""
    return {m.group(1) or m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) != "%%"}


def _entries(catalog: Catalog) -> Iterator[tuple[Key, tuple[str, ...], tuple[str, ...], bool]]:
    """(key, msgid forms, msgstr forms, fuzzy) of every message but the header."""
    for message in catalog:
        if not message.id:
            continue
        ids = tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        yield (message.context, ids[0]), tuple(ids), tuple(s or "" for s in strings), message.fuzzy


def _translation_problems(name: str, catalog: Catalog) -> Iterator[str]:
    if catalog.fuzzy:
        yield f"{name}: the catalog is marked fuzzy"
    for (context, msgid), ids, strings, fuzzy in _entries(catalog):
        what = f"{name}: {msgid!r}" + (f" (context {context!r})" if context else "")
        if fuzzy:
            yield f"{what} is fuzzy"
        if len(ids) > 1 and len(strings) != catalog.num_plurals:
            yield f"{what} has {len(strings)} forms, the language {catalog.num_plurals}"
        for form, string in enumerate(strings):
            if not string.strip():
                yield f"{what} has no translation" + (f" (form {form})" if len(ids) > 1 else "")
                continue
            want = placeholders(ids[-1])  # the plural's (it names every one the singular does)
            got = placeholders(string)
            allowed = want - {"count"} if len(ids) > 1 else want
            if not allowed <= got <= want:
                yield f"{what}: placeholders {sorted(got)} in {string!r}, not {sorted(want)}"


def _compiled_problems(name: str, catalog: Catalog, mo_path: Path) -> Iterator[str]:
    if not mo_path.exists():
        yield f"{name}: no compiled {mo_path.name} (make compilemessages)"
        return
    with mo_path.open("rb") as f:
        compiled = read_mo(f)
    po = {key: strings for key, _ids, strings, fuzzy in _entries(catalog) if not fuzzy}
    mo = {key: strings for key, _ids, strings, _fuzzy in _entries(compiled)}
    if po != mo:
        differ = sorted(
            str(k[1]) for k in po.keys() ^ mo.keys() or {k for k in po if po[k] != mo[k]}
        )
        yield f"{name}: {mo_path.name} does not match the .po (make compilemessages): {differ[:3]}"
    if compiled.plural_forms != catalog.plural_forms:
        yield f"{name}: {mo_path.name}'s Plural-Forms is not the .po's (make compilemessages)"


def problems(
    locale_dir: Path = LOCALE_DIR,
    languages: Iterable[str] = LANGUAGES,
    sources: Path = SOURCES,
) -> list[str]:
    """What is wrong with the catalogs under ``locale_dir`` for the code in ``sources``."""
    marked = code_messages(sources)
    out: list[str] = []
    for language in languages:
        folder = locale_dir / language / "LC_MESSAGES"
        po_path = folder / "django.po"
        name = str(po_path.relative_to(locale_dir.parent))
        if not po_path.exists():
            out.append(f"{name}: missing (make messages)")
            continue
        with po_path.open("rb") as f:
            catalog = read_po(f, locale=language)
        keys = {key: ids for key, ids, _strings, _fuzzy in _entries(catalog)}
        for key, plural in sorted(marked.items(), key=lambda item: (item[0][0] or "", item[0][1])):
            if key not in keys:
                out.append(f"{name}: lacks {key[1]!r} (make messages, then translate it)")
            elif (keys[key][1] if len(keys[key]) > 1 else None) != plural:
                out.append(f"{name}: {key[1]!r} has another plural than the code's")
        out += [f"{name}: {key[1]!r} is no longer in the code" for key in keys if key not in marked]
        out += _translation_problems(name, catalog)
        out += _compiled_problems(name, catalog, folder / "django.mo")
    return out


def main() -> int:
    found = problems()
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
