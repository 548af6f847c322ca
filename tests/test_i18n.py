"""The reports in the reader's language (docs/report.md, "Languages"): every word of the
HTML, the PDF and the CSV's header in German, Spanish and Hindi, numbers and times in the
language's formats, the document's language declared, English as it was; and the catalog
check (checks/catalogs.py) catching an incomplete catalog."""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
from pathlib import Path

import orjson
import pytest
from babel.messages.pofile import read_po, write_po

from bench import payloads
from checks.catalogs import LOCALE_DIR, problems
from reports.renderers import i18n, render
from reports.renderers.flags import flag_reason
from reports.renderers.formats import fmt_duration, fmt_int, fmt_number, fmt_percent, fmt_time
from reports.renderers.pdf import layout_pdf
from reports.renderers.pdf.document import render_pdf
from reports.report.analysis import build_report
from reports.report.attention import AttentionRules
from reports.report.contract import decode_students
from reports.report.model import Report
from tests.test_attention import the_class
from tests.test_process import event, run, stuck, student

ONE = AttentionRules(stuck_errors=1)

LANGUAGES = ("de", "es", "hi")
DAY = 86400


def _class_body() -> bytes:
    """Three students; one of them leaves Q1 for 80 days (a gap of 115,200 minutes: a
    number the Hindi report groups the Indian way), the last event with milliseconds."""
    students = orjson.loads(payloads.class_body(3, 40))
    students[0]["events"].append({"type": "run", "created_time": "2024-10-01T09:30:00Z", "unit": 1})
    students[0]["events"].append(
        {"type": "run", "created_time": "2024-12-20T09:30:00.250Z", "unit": 1}
    )
    return orjson.dumps(students)


SEED = build_report(decode_students(payloads.sample_body()), idle_minutes=30.0)
CLASS = build_report(decode_students(_class_body()), idle_minutes=30.0)
REPORTS = {"seed": SEED, "class": CLASS}


def in_language(report: Report, language: str) -> Report:
    return dataclasses.replace(report, language=language)


def html_text(report: Report) -> str:
    """What a reader of the HTML sees or hears: the text, the titles, the labels."""
    page = render(report, "html").content.decode()
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    labels = " ".join(re.findall(r'aria-label="([^"]*)"', page))
    return html.unescape(re.sub(r"<[^>]+>", "\n", page) + "\n" + labels)


def pdf_strings(report: Report) -> str:
    """Every string the PDF draws, its page footers included, and its figures' /Alt."""
    out: list[str] = []
    for page in layout_pdf(report):
        out.append(page.footer)
        for op in page.ops:
            if op[0] in ("text", "vtext"):
                out.append(op[6])
            elif op[0] == "texts":
                out.extend(s for _x, _y, s in op[4])
            elif op[0] == "cells":
                out.extend(s for _x, _y, s, _colour in op[3])
            elif op[0] == "open" and op[1].alt:
                out.append(op[1].alt)
    return "\n".join(out)


def english_sentences() -> list[str]:
    """The catalog's English texts of two words or more with a translation of their own
    (``Error Quotient`` stays English; ``%(rule)s: %(reason)s`` is no sentence), cut at
    their placeholders into the pieces that would show."""
    with (LOCALE_DIR / "de" / "LC_MESSAGES" / "django.po").open("rb") as f:
        catalog = read_po(f)
    pieces: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if set(ids) & set(strings):
            continue
        for text in ids:
            for piece in re.split(r"%\(\w+\)s", str(text)):
                piece = piece.strip(" .,:;()")
                if len(piece.split()) >= 2 and piece != "Error Quotient":
                    pieces.add(piece)
    return sorted(pieces)


ENGLISH = english_sentences()
HEADINGS = ["Activity report", "Needs attention", "Class overview", "Timeline", "Visits"]
HEADINGS += ["Event order", "Active time", "First activity", "Last activity", "Namespace"]


def test_the_english_sentences_are_many_and_shown_in_english() -> None:
    assert len(ENGLISH) > 60
    text = html_text(CLASS) + pdf_strings(CLASS)
    for heading in [*HEADINGS, "All times are in the time zone", "Heat map of events per"]:
        assert heading in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(REPORTS))
def test_no_english_is_left_in_the_html_or_the_pdf(language: str, name: str) -> None:
    report = in_language(REPORTS[name], language)
    for kind, text in (("html", html_text(report)), ("pdf", pdf_strings(report))):
        left = [s for s in ENGLISH if s in text]
        assert not left, f"{kind} in {language} says in English: {left[:5]}"
        words = re.findall(r"\b[A-Za-z][a-z]+ [a-z]+\b", text)
        with i18n.override(language):
            for heading in HEADINGS[1:] if name == "seed" else HEADINGS:
                if heading not in ("Needs attention", "Class overview") or name == "class":
                    assert i18n.gettext(heading) in text, (kind, heading)
        for english in [*HEADINGS, "Student ID", "Questions", "Student", "Events"]:
            assert not re.search(rf"(?<![\w-]){english}(?![\w-])", text), (kind, english, words[:9])


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_the_documents_language_follows_the_report(language: str) -> None:
    report = in_language(CLASS, language)
    page = render(report, "html").content.decode()
    assert f'<html lang="{language}">' in page
    pdf = render_pdf(report)
    assert f"/Lang ({language})".encode() in pdf
    assert f"<dc:language><rdf:Bag><rdf:li>{language}</rdf:li>".encode() in pdf


@pytest.mark.parametrize(
    ("language", "header"),
    [
        ("en", "Namespace,Student ID,Question,Unit,Events"),
        ("de", "Namensraum,Studierenden-ID,Frage,Einheit,Ereignisse"),
        ("es", "Espacio de nombres,ID de estudiante,Pregunta,Unidad,Eventos"),
        ("hi", "नेमस्पेस,विद्यार्थी आईडी,प्रश्न,इकाई,इवेंट"),
    ],
)
def test_the_csv_header_is_in_the_reports_language(language: str, header: str) -> None:
    csv = render(in_language(CLASS, language), "csv").content.decode()
    first = csv.split("\r\n", 1)[0]
    assert first.startswith(header + ",")
    with i18n.override(language):
        assert i18n.pgettext("column: the time of the first event", "First") + " (UTC)" in first


def test_the_json_stays_english_data_in_every_language() -> None:
    english = render(CLASS, "json").content
    assert b'"active_time":"' in english and b" min" in english
    for language in LANGUAGES:
        with i18n.override(language):  # even where a language is active (a renderer's caller)
            assert render(in_language(CLASS, language), "json").content == english


def test_numbers_and_times_in_each_languages_format() -> None:
    """The formats themselves: decimal sign, grouping, percent, the medium date and time."""
    moment = CLASS.students[0].last
    zone = CLASS.zone
    expected = {
        "en": ("1234567", "0.73", "33%", "1 h 05 min", r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"),
        "de": ("1.234.567", "0,73", "33 %", "1 h 05 min", r"^\d\d\.\d\d\.\d{4}, \d\d:\d\d:\d\d$"),
        "es": (
            "1.234.567",
            "0,73",
            "33 %",
            "1 h 05 min",
            r"^\d{1,2} \w{3} \d{4}, \d{1,2}:\d\d:\d\d$",
        ),
        "hi": (
            "12,34,567",
            "0.73",
            "33%",
            "1 घं. 05 मि.",
            r"^\d{1,2} \S+ \d{4}, \d{1,2}:\d\d:\d\d [ap]m$",
        ),
    }
    for language, (grouped, decimal, percent, duration, when) in expected.items():
        with i18n.override(language):
            assert fmt_int(1234567) == grouped
            assert fmt_number(0.7349, 2) == decimal
            assert fmt_percent(0.33).replace("\xa0", " ") == percent
            assert fmt_duration(3900) == duration
            assert re.match(when, fmt_time(moment.replace(microsecond=0), zone)), language


def test_the_rendered_reports_use_the_languages_numbers_and_dates() -> None:
    de_html, de_pdf = html_text(in_language(CLASS, "de")), pdf_strings(in_language(CLASS, "de"))
    for text in (de_html, de_pdf):
        assert "115.200 min" in text  # the 80-day gap: German grouping
        assert re.search(r"\b0,5 / 0,9\b", text)  # a median and a 90th percentile
        # the last activity, in a sentence, to the millisecond after a decimal comma
        assert "20.12.2024, 09:30:00,250 UTC" in text
    for text in (html_text(in_language(CLASS, "hi")), pdf_strings(in_language(CLASS, "hi"))):
        assert "1,15,200 मि." in text  # Indian grouping: lakhs
        assert "20 दिस॰ 2024, 9:30:00.250 am UTC" in text
    es = html_text(in_language(CLASS, "es"))
    assert "115.200 min" in es and "20 dic 2024, 9:30:00,250 UTC" in es
    en = html_text(CLASS)
    assert "115200 min" in en and "2024-12-20 09:30:00.250 UTC" in en


def test_english_flags_are_word_for_word_the_models_reasons() -> None:
    """Every rule and wording: the model's English ``reason`` (the JSON's) is what the
    English report says, and the German report says something else."""
    reports = [CLASS, build_report(the_class(), idle_minutes=30)]
    reports += [build_report([stuck(5)], idle_minutes=30)]
    untyped = [event("run_code", k, 1, outcome="error") for k in range(2)]
    one = [event("submission", 0, 1), *(run(k, 1) for k in range(1, 11))]  # submitted, then
    one += [run(20 + 5 * k, 2) for k in range(14)]  # 65 minutes on unit 2, no submission
    reports += [build_report([student(untyped), student(one, "s2")], idle_minutes=30)]
    reports += [build_report([student(one)], idle_minutes=30)]
    reports += [build_report([student(untyped[:1])], idle_minutes=30, attention=ONE)]
    # The class's 90th percentile on unit 2 is 0 s: the rule's floor of 5 min counts.
    quick = [student([event("opened", 0, 2)], f"z{k}") for k in range(11)]
    reports += [build_report([*quick, student([run(5 * k, 2) for k in range(3)])], idle_minutes=30)]
    flags = [flag for report in reports for student in report.attention for flag in student]
    assert {(flag.rule, flag.variant) for flag in flags} == {
        ("long_gap", ""),
        ("struggling", "class"),
        ("struggling", "floor"),
        ("struggling", "rule"),
        ("stuck_in_runs", "submitted"),
        ("stuck_in_runs", ""),
        ("stuck_in_errors", ""),
        ("opened_never_submitted", ""),
        ("late_burst", ""),
    }
    for flag in flags:
        assert flag_reason(flag) == flag.reason
    with i18n.override("de"):
        assert all(flag_reason(flag) != flag.reason for flag in flags)


def test_the_seed_reports_english_is_as_before() -> None:
    text = html_text(SEED)
    assert "1 event, last activity " in text
    assert "Figures relative to the class need a class report (several students)." in text


# --- The catalog check ------------------------------------------------------------------


def test_the_catalogs_are_complete() -> None:
    assert problems() == []


def _doctored(tmp_path: Path, change) -> list[str]:
    """The check's findings on a copy of the catalogs whose German .po ``change`` edits
    (the .mo stays as compiled from the original)."""
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, locale)
    po = locale / "de" / "LC_MESSAGES" / "django.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale="de")
    change(catalog)
    with po.open("wb") as f:
        write_po(f, catalog)
    return problems(locale)


def _message(catalog, msgid: str):
    return next(
        m for m in catalog if m.id == msgid or (isinstance(m.id, tuple) and m.id[0] == msgid)
    )


def test_the_check_finds_a_missing_message(tmp_path: Path) -> None:
    found = _doctored(tmp_path, lambda c: c.delete("Visits"))
    assert any("lacks 'Visits'" in line for line in found), found


def test_the_check_finds_an_empty_translation(tmp_path: Path) -> None:
    def empty(catalog) -> None:
        _message(catalog, "Visits").string = ""

    found = _doctored(tmp_path, empty)
    assert any("'Visits' has no translation" in line for line in found), found


def test_the_check_finds_a_fuzzy_translation(tmp_path: Path) -> None:
    def fuzzy(catalog) -> None:
        _message(catalog, "Timeline").flags.add("fuzzy")

    found = _doctored(tmp_path, fuzzy)
    assert any("'Timeline' is fuzzy" in line for line in found), found


def test_the_check_finds_a_placeholder_that_differs(tmp_path: Path) -> None:
    def renamed(catalog) -> None:
        _message(catalog, "Page %(number)s of %(total)s").string = "Seite %(nummer)s von %(total)s"

    found = _doctored(tmp_path, renamed)
    assert any("placeholders ['nummer', 'total']" in line for line in found), found


def test_the_check_finds_a_plural_form_missing(tmp_path: Path) -> None:
    def one_form(catalog) -> None:
        _message(catalog, "%(count)s event").string = ("%(count)s Ereignis", "")

    found = _doctored(tmp_path, one_form)
    assert any("'%(count)s event' has no translation (form 1)" in line for line in found), found


def test_the_check_finds_a_mo_that_is_not_its_po(tmp_path: Path) -> None:
    def retranslated(catalog) -> None:
        _message(catalog, "Visits").string = "Aufrufe"

    found = _doctored(tmp_path, retranslated)
    assert any("django.mo does not match the .po" in line for line in found), found
    assert len(found) == 1, found


def test_every_heat_map_table_heads_its_students_column_in_the_language() -> None:
    """20 units: two heat-map tables, each with its own header row."""
    events = [
        {"type": "run", "created_time": f"2024-01-01T10:{u:02d}:00Z", "unit": u} for u in range(20)
    ]
    body = [{"namespace": "n", "student_id": f"s{k}", "events": events} for k in range(3)]
    report = in_language(build_report(decode_students(orjson.dumps(body)), idle_minutes=30), "de")
    page = render(report, "html").content.decode()
    assert page.count('<thead><tr><th scope="col">Studierende</th>') == 2
    assert "Ereignisse pro Person und Einheit (Einheiten 17\u201320 von 20)" in page  # en dash
