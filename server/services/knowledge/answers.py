"""The one call the agent makes: the best passage for a caller's question, and whether it
is good enough to answer from.

    answer = best_answer(business_id, "יש חניה ליד הקליניקה?")
    if answer is None or not answer.confident:   → say honestly it is not known; offer a callback task
    else                                          → quote or condense answer.passage; keep answer.source

`confident` is a decision on the question's own words, not on the raw score (BM25 and
ts_rank are not comparable across databases or knowledge bases): at least half of the
question's content words, in some form, are in the passage.
"""
from __future__ import annotations

from dataclasses import dataclass

from server.services.knowledge.search import coverage, search

MIN_COVERAGE = 0.5


@dataclass(frozen=True)
class Answer:
    passage: str
    title: str
    kind: str          # entry | document
    source_id: int     # the entry's or the document's id
    passage_id: int
    score: float
    coverage: float    # 0..1: the question's content words found in the passage
    confident: bool

    @property
    def source(self) -> str:
        """What the call log shows: "ענה מתוך: <title>"."""
        return self.title


def best_answer(business_id: int, question: str) -> Answer | None:
    """The best passage of this business's knowledge, or None when nothing matches at all."""
    hits = search(business_id, question, limit=1)
    if not hits:
        return None
    hit = hits[0]
    share = coverage(question, hit)
    return Answer(passage=hit.passage, title=hit.title, kind=hit.kind, source_id=hit.source_id,
                  passage_id=hit.passage_id, score=hit.score, coverage=round(share, 3),
                  confident=share >= MIN_COVERAGE)
