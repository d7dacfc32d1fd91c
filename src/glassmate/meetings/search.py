"""Full-text search over meetings: SQLite FTS5 or PostgreSQL's full-text search, whichever the store is.

Both index the same folded text (`fold`: casefolded, accents dropped, Chinese simplified) with every CJK character
a token of its own, because neither tokenizer segments Chinese: "预算" is indexed as "预 算" and found by the
phrase of its characters, the usual way to search Chinese without a dictionary. Latin words match by prefix
("budget" finds "budgets" and "Budgetplanung"). All the query's terms must match; when no meeting has all of them,
meetings with any of them are returned, ranked (bm25 in SQLite, ts_rank_cd in PostgreSQL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from glassmate.store.db import Database
from glassmate.text import fold, split_sentences

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_]+")  # a run of Chinese characters, or a word of letters and digits
_IS_CJK = re.compile(rf"[{_CJK}]")


def index_text(raw: str) -> str:
    """`raw` as it is indexed: folded, each Chinese character a word."""
    return " ".join(" ".join(tok) if _IS_CJK.match(tok) else tok for tok in _TOKEN.findall(fold(raw)))


# Words a question wraps its topic in ("what did we decide about the budget"): not searched for, unless the query
# has nothing else. Chinese function words split a run of characters ("关于预算的" → "预算").
_STOP = """
a an the of about on for to in at and or our we us you i my me it is are was were be did do does what which who
when how with from this that these those any decide decided agree agreed say said talk talked discuss discussed
meeting meetings
der die das den dem des ein eine einen einem einer zum zur uber fur und oder wir uns ich mein meine es ist sind war
was wer wie wann mit von vom im am zu bei beim haben hat habe beschlossen entschieden vereinbart besprochen gesagt
"""
STOPWORDS = frozenset(_STOP.split())
_ZH_FUNCTION = re.compile("关于|什么|我们|你们|他们|那个|这个|有关|的|了|吗|呢")


def query_terms(query: str) -> list[list[str]]:
    """The query's terms, each a list of tokens (one Latin word, or the characters of a run of Chinese)."""
    terms: list[list[str]] = []
    for tok in _TOKEN.findall(fold(query)):
        if _IS_CJK.match(tok):
            terms += [list(piece) for piece in _ZH_FUNCTION.split(tok) if piece]
        else:
            terms.append([tok])
    content = [t for t in terms if len(t) > 1 or t[0] not in STOPWORDS]
    return (content or terms)[:16]


def _has(folded_line: str, words: set[str], term: list[str]) -> bool:
    if len(term) > 1 or _IS_CJK.match(term[0]):
        return "".join(term) in folded_line
    return any(w.startswith(term[0]) for w in words)


def matching_lines(meeting: dict[str, Any], query: str, limit: int = 6) -> list[dict[str, Any]]:
    """The lines of a meeting (as the API shows it) that have the most of the query's terms: decisions, action
    items, summary, open questions, then what was said (with who and when)."""
    terms = query_terms(query)
    notes = meeting.get("notes") or {}
    lines: list[dict[str, Any]] = [{"kind": "decision", "text": d} for d in notes.get("decisions", [])]
    for item in notes.get("action_items", []):
        who = f" ({item['owner']})" if item.get("owner") else ""
        due = f", {item['due']}" if item.get("due") else ""
        lines.append({"kind": "action_item", "text": f"{item.get('task', '')}{who}{due}"})
    lines += [{"kind": "summary", "text": s} for s in split_sentences(notes.get("summary") or "")]
    lines += [{"kind": "open_question", "text": q} for q in notes.get("open_questions", [])]
    lines += [{"kind": "said", "text": s["text"], "speaker": s["speaker"], "start": s["start"]}
              for s in meeting.get("segments", [])]  # fmt: skip
    scored = []
    for line in lines:
        folded = fold(line["text"])
        words = set(_TOKEN.findall(folded))
        score = sum(_has(folded, words, t) for t in terms)
        if score:
            scored.append((score, line))
    best = max((score for score, _ in scored), default=0)
    return [line for score, line in scored if score == best][:limit]


@dataclass(frozen=True)
class Hit:
    meeting_id: str
    rank: float  # higher is better


class MeetingSearch:
    """The search index of the meetings' text (title, notes, transcript), one row per meeting."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._ready = False

    @property
    def postgres(self) -> bool:
        return self.db.engine.dialect.name == "postgresql"

    def _create(self, conn: Connection) -> None:
        if self._ready:
            return
        if self.postgres:
            conn.execute(text(
                "CREATE TABLE IF NOT EXISTS meeting_search (meeting_id varchar(40) PRIMARY KEY, owner varchar(120) "
                "NOT NULL, body text NOT NULL, tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED)"
            ))  # fmt: skip
            conn.execute(text("CREATE INDEX IF NOT EXISTS meeting_search_tsv ON meeting_search USING gin (tsv)"))
        else:
            conn.execute(text(
                "CREATE VIRTUAL TABLE IF NOT EXISTS meeting_search USING fts5(meeting_id UNINDEXED, owner UNINDEXED, "
                "body, tokenize = 'unicode61 remove_diacritics 2')"
            ))  # fmt: skip
        self._ready = True

    def put(self, meeting_id: str, owner: str, raw: str) -> None:
        """Index (or re-index) one meeting's text."""
        body = index_text(raw)
        with self.db.engine.begin() as conn:
            self._create(conn)
            conn.execute(text("DELETE FROM meeting_search WHERE meeting_id = :id"), {"id": meeting_id})
            conn.execute(text("INSERT INTO meeting_search (meeting_id, owner, body) VALUES (:id, :owner, :body)"),
                         {"id": meeting_id, "owner": owner, "body": body})  # fmt: skip

    def remove(self, meeting_id: str) -> None:
        with self.db.engine.begin() as conn:
            self._create(conn)
            conn.execute(text("DELETE FROM meeting_search WHERE meeting_id = :id"), {"id": meeting_id})

    def search(self, query: str, *, owner: str | None = None, limit: int = 20) -> list[Hit]:
        """Meetings whose text has the query's terms, best first (all terms if any meeting has them all)."""
        terms = query_terms(query)
        if not terms:
            return []
        with self.db.engine.begin() as conn:
            self._create(conn)
            hits = self._run(conn, terms, "and", owner, limit)
            if not hits and len(terms) > 1:
                hits = self._run(conn, terms, "or", owner, limit)
        return hits

    def _run(self, conn: Connection, terms: list[list[str]], join: str, owner: str | None, limit: int) -> list[Hit]:
        params: dict[str, object] = {"limit": limit}
        mine = ""
        if owner is not None:
            mine, params["owner"] = " AND owner = :owner", owner
        if self.postgres:
            # A word: its prefix (`budget:*`); Chinese: its characters in a row (`预 <-> 算`).
            parts = [" <-> ".join(t) if len(t) > 1 else f"{t[0]}:*" for t in terms]
            params["q"] = f" {'&' if join == 'and' else '|'} ".join(f"({p})" for p in parts)
            sql = ("SELECT meeting_id, ts_rank_cd(tsv, q) AS rank FROM meeting_search, to_tsquery('simple', :q) q "
                   f"WHERE tsv @@ q{mine} ORDER BY rank DESC LIMIT :limit")  # fmt: skip
        else:
            # FTS5: a quoted phrase; a single word also by prefix ("budget"*). Tokens are letters and digits only.
            parts = [f'"{" ".join(t)}"' if len(t) > 1 else f'"{t[0]}"*' for t in terms]
            params["q"] = f" {join.upper()} ".join(parts)
            sql = ("SELECT meeting_id, -bm25(meeting_search) AS rank FROM meeting_search WHERE meeting_search "
                   f"MATCH :q{mine} ORDER BY rank DESC LIMIT :limit")  # fmt: skip
        return [Hit(row[0], float(row[1])) for row in conn.execute(text(sql), params)]
