"""Hebrew words, forms and passages (services/knowledge/text.py, extract.py)."""
from __future__ import annotations

import pytest

from server.services.knowledge.extract import ExtractionError, decode_text, detect_kind
from server.services.knowledge.text import (MAX_WORDS, MIN_WORDS, blocks_from_text, forms, index_text,
                                            query_forms, split_passages, words)


def test_words_drop_niqqud_and_fold_final_letters():
    assert words("שָׁלוֹם, עוֹלָם!") == ["שלומ", "עולמ"]


def test_a_geresh_stays_inside_its_word():
    assert words("צ'ק ג׳ל") == ["צʼק", "גʼל"]


def test_prefix_chains_are_stripped_but_never_below_three_letters():
    assert "הגעתי" in forms("וכשהגעתי")
    assert "ית" not in forms("בית")


def test_prefixed_and_plural_forms_meet():
    assert set(forms(words("בביטולים")[0])) & set(forms(words("ביטול")[0]))
    assert set(forms(words("שעות")[0])) & set(forms(words("שעה")[0]))


def test_question_words_are_not_searched():
    assert query_forms("ומה האם יש לכם חניה?")[0] == "חניה"
    assert "מה" not in query_forms("ומה עם חניה")


def test_a_question_of_only_question_words_still_searches():
    assert query_forms("מה יש?") != []


def test_the_title_is_indexed():
    assert "חניה" in index_text("חניה", "יש מקום בחצר").split()


def test_headings_start_passages_and_long_text_is_cut():
    text = "מדיניות ביטולים\n\n" + " ".join(["ביטול"] * 30) + ".\n\nחניה\n\n" + ("יש חניה בחצר. " * 150)
    passages = split_passages(blocks_from_text(text), "מסמך")
    assert passages[0][0] == "מדיניות ביטולים"
    assert {title for title, _ in passages[1:]} == {"חניה"}
    assert all(len(body.split()) <= MAX_WORDS for _, body in passages)
    assert all(len(body.split()) >= MIN_WORDS for _, body in passages[1:-1])


def test_short_paragraphs_are_joined_under_one_heading():
    blocks = [("heading", "שעות")] + [("para", "פתוח ביום " + day + ".") for day in ("ראשון", "שני", "שלישי")]
    assert split_passages(blocks, "מסמך") == [("שעות", "פתוח ביום ראשון. פתוח ביום שני. פתוח ביום שלישי.")]


def test_windows_1255_is_decoded_and_other_bytes_refused():
    assert decode_text("שלום".encode("cp1255")) == "שלום"
    assert decode_text("\ufeffשלום".encode("utf-8")) == "שלום"
    with pytest.raises(ExtractionError):
        decode_text(b"\x81\x8d\x8f\x90")


def test_the_type_comes_from_the_bytes():
    assert detect_kind("x.txt", b"%PDF-1.7 ...") == "pdf"
    assert detect_kind("x.docx", b"not a zip") is None
    assert detect_kind("notes", "שלום".encode()) == "text"
    assert detect_kind("x.png", b"\x89PNG\r\n\x1a\n\x00\x00") is None
