"""Japanese and English: the catalogue is complete and compiled, and people get the language they ask for.

LANGUAGE_CODE is "en"; LocaleMiddleware serves Japanese to a browser whose Accept-Language asks for it.
"""

from __future__ import annotations

import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

LC_MESSAGES = Path(settings.BASE_DIR) / "registry" / "locale" / "ja" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

#: printf-style placeholders (%(name)s, %s, %d, %%) and str.format ones ({id}).
PYTHON_FORMAT = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[a-zA-Z%]")
BRACE_FORMAT = re.compile(r"\{[^{}]*\}")
HTML_TAG = re.compile(r"<[^>]+>")
KANA_OR_KANJI = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


# --- a minimal .po reader -----------------------------------------------------------------------


@dataclass
class Entry:
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    line: int = 0


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """msgctxt / msgid / msgid_plural / msgstr[n] with continuation lines; obsolete (#~) entries skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None

    def finish() -> None:
        if current is not None and (current.msgstr or current.msgid):
            entries.append(current)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            current, target = None, None
            continue
        if line.startswith("#~"):
            continue
        if current is None:
            current = Entry(line=number)
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        if match:
            keyword, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            target = (keyword, int(index) if index is not None else None)
            if keyword == "msgstr":
                current.msgstr[target[1] or 0] = value
            else:
                setattr(current, keyword, value)
            continue
        assert line.startswith('"') and target is not None, f"{path}:{number}: cannot read {raw!r}"
        keyword, index = target
        if keyword == "msgstr":
            current.msgstr[index or 0] += _unquote(line)
        else:
            setattr(current, keyword, getattr(current, keyword) + _unquote(line))
    finish()
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    return parse_po(PO_FILE)


@pytest.fixture(scope="module")
def messages(po_entries) -> list[Entry]:
    """Every entry but the header."""
    return [entry for entry in po_entries if entry.msgid]


def _label(entry: Entry) -> str:
    return f"{PO_FILE.name}:{entry.line} {entry.msgid!r}"


# --- the catalogue ------------------------------------------------------------------------------


def test_the_parser_reads_multiline_strings_and_plurals(tmp_path):
    po = tmp_path / "sample.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        '#, fuzzy, python-format\nmsgid ""\n"Two "\n"lines %(n)s"\nmsgstr "二行 %(n)s"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "\\"件\\""\n\n'
        '#~ msgid "gone"\n#~ msgstr "消えた"\n',
        encoding="utf-8",
    )
    header, two, plural = parse_po(po)
    assert header.msgid == "" and "nplurals=1" in header.msgstr[0]
    assert (two.msgid, two.msgstr, two.flags) == ("Two lines %(n)s", {0: "二行 %(n)s"}, {"fuzzy", "python-format"})
    assert (plural.msgid, plural.msgid_plural, plural.msgstr) == ("one", "many", {0: '"件"'})


def test_the_catalogue_is_japanese_with_one_plural_form(po_entries):
    header = po_entries[0]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags
    assert "Language: ja\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstr[0]


def test_the_catalogue_has_the_application_strings(messages):
    msgids = {entry.msgid for entry in messages}
    # One from each place that marks strings: models, services, admin, audits admin, API, templates.
    for msgid in (
        "twinning agreements",
        "Sister city",
        "“%(text)s” is not a real date.",
        "Change status…",
        "Coverage by tier",
        "Give the date as YYYY-MM-DD, e.g. 2024-04-01.",
        "Nothing was changed:",
    ):
        assert msgid in msgids
    assert len(messages) > 250


def test_every_msgid_is_translated_and_not_fuzzy(messages):
    untranslated = [_label(entry) for entry in messages if not all(entry.msgstr.values()) or not entry.msgstr]
    fuzzy = [_label(entry) for entry in messages if "fuzzy" in entry.flags]
    assert untranslated == []
    assert fuzzy == []


def test_translations_are_japanese(messages):
    # Codes and names that read the same in both languages are the only exceptions.
    same_in_both = {"GeoNames id"}
    not_japanese = [
        _label(entry)
        for entry in messages
        if entry.msgid not in same_in_both and not all(KANA_OR_KANJI.search(text) for text in entry.msgstr.values())
    ]
    assert not_japanese == []


def test_plural_entries_have_exactly_one_form(messages):
    plurals = [entry for entry in messages if entry.msgid_plural is not None]
    assert plurals, "the action form's 'This applies to … item(s):' is a plural entry"
    assert [_label(entry) for entry in plurals if sorted(entry.msgstr) != [0]] == []


def test_placeholders_and_html_match(messages):
    mismatched = []
    for entry in messages:
        for text in entry.msgstr.values():
            for pattern in (PYTHON_FORMAT, HTML_TAG):
                if Counter(pattern.findall(entry.msgid)) != Counter(pattern.findall(text)):
                    mismatched.append(f"{_label(entry)} → {text!r}")
            if "python-brace-format" in entry.flags and set(BRACE_FORMAT.findall(entry.msgid)) != set(
                BRACE_FORMAT.findall(text)
            ):
                mismatched.append(f"{_label(entry)} → {text!r}")
            if entry.msgid_plural is not None and Counter(PYTHON_FORMAT.findall(entry.msgid_plural)) != Counter(
                PYTHON_FORMAT.findall(text)
            ):
                mismatched.append(f"{_label(entry)} (plural) → {text!r}")
    assert mismatched == []


def test_the_compiled_catalogue_matches_the_po(messages):
    """The shipped .mo (a fresh machine may lack gettext) holds every translation of the .po."""
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in messages:
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            if compiled._catalog.get(key) != entry.msgstr[0]:
                stale.append(_label(entry))
        elif compiled._catalog.get((key, 0)) != entry.msgstr[0]:
            stale.append(_label(entry))
    assert stale == []


# --- what people see ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _restore_language():
    """LocaleMiddleware leaves the request's language active in the thread: a request in Japanese
    would turn the messages of later tests that call services directly into Japanese."""
    before = translation.get_language()
    yield
    translation.activate(before)


@pytest.fixture
def _clean_throttle_cache():
    """The anonymous rate limit counts in the cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.mark.usefixtures("_clean_throttle_cache")
@pytest.mark.django_db
class TestApiErrors:
    def test_a_bad_date_in_japanese(self, client):
        response = client.get("/api/reports/coverage/?as_of=2024-13-01", HTTP_ACCEPT_LANGUAGE="ja")
        assert response.status_code == 400
        assert response.json()["as_of"] == ["日付は YYYY-MM-DD 形式で指定してください（例: 2024-04-01）。"]
        assert response["Content-Language"] == "ja"

    def test_a_bad_date_in_english(self, client):
        response = client.get("/api/reports/coverage/?as_of=2024-13-01", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert response.json()["as_of"] == ["Give the date as YYYY-MM-DD, e.g. 2024-04-01."]
        assert response["Content-Language"] == "en"

    def test_english_without_accept_language(self, client):
        response = client.get("/api/reports/coverage/?as_of=2024-13-01")
        assert response.json()["as_of"] == ["Give the date as YYYY-MM-DD, e.g. 2024-04-01."]

    def test_a_formatted_message_keeps_its_values_in_japanese(self, client):
        response = client.get("/api/reports/in-name-only/?country=US&tier=town", HTTP_ACCEPT_LANGUAGE="ja-JP,ja;q=0.9")
        assert response.status_code == 400
        assert response.json()["tier"] == [
            "「town」は US の団体区分ではありません。region, locality から選んでください。"
        ]


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("admin_i18n", "admin@example.com", "x")


@pytest.mark.django_db
class TestAdmin:
    URL = "/admin/registry/twinningagreement/"

    def test_the_agreements_list_in_japanese(self, client, superuser):
        client.force_login(superuser)
        page = client.get(self.URL, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
        assert "提携協定" in page  # verbose name (plural: breadcrumbs; singular: the title)
        assert "姉妹都市" in page and "友好都市" in page  # the kind filter's choices
        assert "CLAIR の統計に計上" in page  # the clair_countable column and filter
        assert "活動状況" in page  # the vitality filter (admin_audits)
        assert "姉妹都市提携台帳 管理サイト</title>" in page  # the site title (admin_site)
        assert "twinning agreement" not in page.lower()
        assert "Sister city" not in page

    def test_the_agreements_list_in_english(self, client, superuser):
        client.force_login(superuser)
        page = client.get(self.URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Twinning agreements" in page
        assert "Sister city" in page and "Friendship city" in page
        assert "vitality" in page.lower()
        assert "Sister-city registry admin</title>" in page
        assert "提携協定" not in page and "姉妹都市" not in page

    def test_the_agreement_form_labels_in_japanese(self, client, superuser):
        client.force_login(superuser)
        page = client.get(f"{self.URL}add/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
        for label in ("締結日", "首長による署名", "交流分野が限定されていない", "議会の承認", "内部メモ", "公開メモ"):
            assert label in page
        assert "approved by the local assembly" not in page.lower()


def test_a_published_counts_scope_is_shown_in_the_readers_words():
    from django.utils import translation

    from registry.templatetags.diplomacy_labels import count_scope

    with translation.override("ja"):
        assert (count_scope("total"), count_scope("JP"), count_scope("JP chapter")) == (
            "ネットワーク全体",
            "日本",
            "日本 chapter",
        )
    with translation.override("en"):
        assert (count_scope("total"), count_scope("founding")) == ("the whole network", "founding")
