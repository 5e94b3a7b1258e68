"""knowledge.best_answer: the one call the agent makes."""
from __future__ import annotations

from server.services.knowledge.answers import best_answer
from server.services.knowledge.entries import create_entry


def test_a_matching_question_gets_a_confident_answer_with_its_source(db, make_business):
    business = make_business()
    entry = create_entry(business.id, "מדיניות ביטולים", "ביטול תור עד 24 שעות מראש ללא חיוב.")
    create_entry(business.id, "חניה", "יש חניון ציבורי ברחוב רוטשילד.")
    answer = best_answer(business.id, "אם אני מבטלת את התור, יש חיוב?")
    assert answer is not None and answer.confident
    assert (answer.kind, answer.source_id, answer.title) == ("entry", entry.id, "מדיניות ביטולים")
    assert answer.passage == "ביטול תור עד 24 שעות מראש ללא חיוב."


def test_a_question_the_knowledge_does_not_cover_gets_none_or_a_doubtful_answer(db, make_business):
    business = make_business()
    create_entry(business.id, "חניה", "יש חניון ציבורי ברחוב רוטשילד.")
    assert best_answer(business.id, "אתם עושים קעקועים?") is None
    weak = best_answer(business.id, "יש לכם חניה לאופנועים ומקום לעגלת תינוק ושירותים?")
    assert weak is not None and not weak.confident


def test_best_answer_never_reads_another_business(db, make_business):
    mine, theirs = make_business(), make_business()
    create_entry(theirs.id, "חניה", "יש חניון ציבורי ברחוב רוטשילד.")
    assert best_answer(mine.id, "יש חניה?") is None
