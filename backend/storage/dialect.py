"""SQL written for SQLite, made to mean the same on PostgreSQL (the one place they differ).

Services and migrations write one SQL text (SQLite's, with ``?`` / ``:name`` placeholders and
camelCase columns); ``to_postgres`` rewrites it token by token:

- camelCase identifiers are double-quoted (PostgreSQL folds unquoted names to lower case, so
  ``userId`` would become ``userid`` and the rows' keys would no longer match the wire);
- ``?`` → ``%s``, ``:name`` → ``%(name)s``, every ``%`` → ``%%`` (psycopg reads ``%`` even
  inside string literals);
- ``INSERT OR IGNORE`` → ``INSERT ... ON CONFLICT DO NOTHING``; in ``ON CONFLICT ... DO UPDATE
  SET col = col + 1`` the bare columns on the right get the table's name (PostgreSQL calls
  them ambiguous);
- ``LIKE`` → ``ILIKE`` (SQLite's LIKE ignores ASCII case), ``IFNULL`` → ``COALESCE``,
  ``GROUP_CONCAT`` → ``string_agg``, ``x COLLATE NOCASE`` → ``x::citext``, ``? IS NULL`` →
  ``%s::text IS NULL`` (a None says nothing of its type), ``PRAGMA table_info(t)`` → a query
  of ``information_schema.columns``;
- in DDL: ``INTEGER`` → ``BIGINT``, ``REAL`` → ``DOUBLE PRECISION``, ``BLOB`` → ``BYTEA``,
  ``TEXT ... COLLATE NOCASE`` → ``CITEXT``, and every table gets a ``rowid BIGSERIAL`` column,
  so ``ORDER BY rowid`` (insertion order) keeps working.

SQLite functions the services use (``hex``, ``randomblob``, ``julianday``, ``json_extract``,
``json_each``, ``SUM`` of a comparison) exist on PostgreSQL as the functions in
``COMPAT_FUNCTIONS``, created with the migrations.
"""

from __future__ import annotations

import re
from functools import lru_cache

TOKEN = re.compile(
    r"""(?P<string>'(?:[^']|'')*')
      | (?P<quoted>"(?:[^"]|"")*")
      | (?P<comment>--[^\n]*)
      | (?P<cast>::)
      | (?P<named>:[A-Za-z_][A-Za-z0-9_]*)
      | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
      | (?P<space>\s+)
      | (?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)

DDL_TYPES = {"INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION", "BLOB": "BYTEA"}
RENAMED = {"IFNULL": "COALESCE", "GROUP_CONCAT": "string_agg", "LIKE": "ILIKE"}
# Lower-case words that are SQL, not columns, on the right of ``DO UPDATE SET x = ...``.
SQL_WORDS = {
    "and", "or", "not", "null", "is", "in", "case", "when", "then", "else", "end",
    "true", "false", "excluded", "between", "like", "cast", "as",
}  # fmt: skip
NOCASE_COLUMN = re.compile(r"\bTEXT\b([^,()]*?)\s+COLLATE\s+NOCASE\b", re.IGNORECASE)
CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?[\w\"]+\s*\(", re.I)
ALTER_ADD = re.compile(r"^\s*ALTER\s+TABLE\s+\S+\s+ADD\s+COLUMN\b", re.I)
TABLE_INFO = re.compile(r"^\s*PRAGMA\s+table_info\(\"?(\w+)\"?\)\s*$", re.I)
INSERT_INTO = re.compile(r"\bINSERT\s+(OR\s+(IGNORE|REPLACE)\s+)?INTO\s+\"?(\w+)\"?", re.I)

COMPAT_FUNCTIONS = [
    "CREATE EXTENSION IF NOT EXISTS citext",
    """CREATE OR REPLACE FUNCTION hex(bytea) RETURNS text
       LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT upper(encode($1, 'hex')) $$""",
    """CREATE OR REPLACE FUNCTION randomblob(integer) RETURNS bytea LANGUAGE sql VOLATILE AS $$
       SELECT substring(string_agg(uuid_send(gen_random_uuid()), ''::bytea) FROM 1 FOR $1)
       FROM generate_series(1, ($1 + 15) / 16) $$""",
    """CREATE OR REPLACE FUNCTION julianday(text) RETURNS double precision
       LANGUAGE sql STABLE STRICT AS $$
       SELECT extract(epoch FROM $1::timestamptz)::double precision / 86400.0 + 2440587.5 $$""",
    """CREATE OR REPLACE FUNCTION json_extract(text, text) RETURNS text
       LANGUAGE sql IMMUTABLE STRICT AS $$
       SELECT ($1::jsonb) #>> string_to_array(substring($2 FROM 3), '.') $$""",
    # SQLite counts matches as SUM(a = b): a comparison is 0/1 there, a boolean here.
    """CREATE OR REPLACE FUNCTION onair_add_true(bigint, boolean) RETURNS bigint
       LANGUAGE sql IMMUTABLE AS $$ SELECT $1 + CASE WHEN $2 THEN 1 ELSE 0 END $$""",
    """CREATE OR REPLACE AGGREGATE sum(boolean)
       (SFUNC = onair_add_true, STYPE = bigint, INITCOND = '0')""",
    """CREATE OR REPLACE FUNCTION json_each(text) RETURNS TABLE (value text)
       LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT jsonb_array_elements_text($1::jsonb) $$""",
]


def _is_camel(word: str) -> bool:
    return any(c.isupper() for c in word) and any(c.islower() for c in word)


def _ddl(sql: str) -> str:
    """Column types of CREATE TABLE / ADD COLUMN, and the rowid every table gets."""
    sql = NOCASE_COLUMN.sub(r"CITEXT\1", sql)
    sql = re.sub(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", "BIGSERIAL PRIMARY KEY", sql)
    sql = re.sub(r"\bWITHOUT\s+ROWID\b", "", sql, flags=re.I)
    for sqlite_type, postgres_type in DDL_TYPES.items():
        sql = re.sub(rf"(?<=[\w\"] ){sqlite_type}\b", postgres_type, sql)
    if CREATE_TABLE.match(sql):
        close = sql.rstrip().rstrip(";").rstrip()
        assert close.endswith(")"), f"CREATE TABLE without a closing parenthesis: {sql}"
        sql = close[:-1] + ", rowid BIGSERIAL)"
    return sql


@lru_cache(maxsize=4096)
def to_postgres(sql: str) -> str:
    pragma = TABLE_INFO.match(sql)
    if pragma:
        return (
            "SELECT column_name AS name FROM information_schema.columns"
            f" WHERE table_schema = current_schema() AND table_name = '{pragma.group(1)}'"
        )
    if CREATE_TABLE.match(sql) or ALTER_ADD.match(sql):
        sql = _ddl(sql)
    insert = INSERT_INTO.search(sql)
    ignore = False
    if insert and insert.group(2):
        if insert.group(2).upper() == "REPLACE":
            raise ValueError(f"INSERT OR REPLACE has no portable meaning; use ON CONFLICT: {sql}")
        ignore = True
        sql = sql[: insert.start()] + f"INSERT INTO {insert.group(3)}" + sql[insert.end() :]
    table = insert.group(3) if insert else ""
    out = _rewrite_tokens(sql, table)
    if ignore:
        out = _add_before_returning(out, " ON CONFLICT DO NOTHING")
    return out


def _add_before_returning(sql: str, clause: str) -> str:
    match = re.search(r"\s+RETURNING\s", sql, re.I)
    if match is None:
        return sql.rstrip().rstrip(";") + clause
    return sql[: match.start()] + clause + sql[match.start() :]


def _rewrite_tokens(sql: str, table: str) -> str:
    tokens = [(m.lastgroup or "other", m.group()) for m in TOKEN.finditer(sql)]
    out: list[str] = []
    upsert = _UpsertRight(table)
    derived = _DerivedTables()
    for index, (kind, text) in enumerate(tokens):
        nxt = _next_significant(tokens, index)
        if derived.named(kind, text, nxt):
            out.append(f") AS derived_{derived.count}")
        elif kind == "other" and text == "?":
            out.append("%s")
        elif kind == "other" and text == "%":
            out.append("%%")
        elif kind == "string":
            out.append(text.replace("%", "%%"))
        elif kind == "named":
            out.append(f"%({text[1:]})s")
        elif kind == "word":
            out.append(_word(text, out, nxt, upsert))
            continue
        else:
            out.append(text)
        upsert.see(kind, text)
    return _typed_null_checks(_nocase("".join(out)))


def _typed_null_checks(sql: str) -> str:
    """``? IS NULL`` with a None says nothing of the parameter's type: PostgreSQL needs one."""
    return re.sub(r"(%s|%\(\w+\)s)(\s+IS\s+(NOT\s+)?NULL\b)", r"\1::text\2", sql, flags=re.I)


def _word(text: str, out: list[str], nxt: str, upsert: _UpsertRight) -> str:
    upper = text.upper()
    prev = next((t for t in reversed(out) if not t.isspace()), "")
    qualify = upsert.see("word", text) and prev != "." and nxt not in (".", "(")
    if upper in RENAMED:
        return RENAMED[upper]
    name = f'"{text}"' if _is_camel(text) else text
    if qualify and not text.isupper() and text.lower() not in SQL_WORDS:
        return f"{upsert.table}.{name}"
    return name


def _next_significant(tokens: list[tuple[str, str]], index: int) -> str:
    for kind, text in tokens[index + 1 :]:
        if kind not in ("space", "comment"):
            return text
    return ""


def _nocase(sql: str) -> str:
    """``x COLLATE NOCASE`` compares as ``citext`` (case-insensitive, like the column)."""
    return re.sub(r"\s+COLLATE\s+NOCASE\b", "::citext", sql, flags=re.I)


# After a derived table's ``)``, a word that is not its alias.
CLAUSE_WORDS = {
    "WHERE", "GROUP", "ORDER", "LIMIT", "OFFSET", "JOIN", "LEFT", "INNER", "CROSS", "ON",
    "UNION", "HAVING", "WINDOW", "RETURNING", "EXCEPT", "INTERSECT", "FULL", "RIGHT",
}  # fmt: skip


class _DerivedTables:
    """``FROM (SELECT ...)`` needs an alias on PostgreSQL 15 (SQLite makes one up): gives each
    derived table without one a name."""

    def __init__(self) -> None:
        self.previous = ""
        self.stack: list[bool] = []
        self.count = 0

    def named(self, kind: str, text: str, nxt: str) -> bool:
        """True if this ``)`` closes a derived table without an alias (count = its number)."""
        if kind in ("space", "comment"):
            return False
        unnamed = False
        if text == "(":
            self.stack.append(self.previous in ("FROM", "JOIN") and nxt.upper() == "SELECT")
        elif text == ")" and self.stack and self.stack.pop():
            unnamed = not nxt or not nxt[0].isalpha() or nxt.upper() in CLAUSE_WORDS
            self.count += unnamed
        self.previous = text.upper()
        return unnamed


class _UpsertRight:
    """Follows ``DO UPDATE SET a = <right>, b = <right>``: says when a word is on a right side
    (where a bare column needs its table's name on PostgreSQL)."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.recent: list[str] = []
        self.in_set = False
        self.right = False
        self.depth = 0

    def see(self, kind: str, text: str) -> bool:
        if kind in ("space", "comment"):
            return False
        word = text.upper() if kind == "word" else text
        self.recent = [*self.recent[-2:], word]
        if self.recent == ["DO", "UPDATE", "SET"]:
            self.in_set, self.right, self.depth = True, False, 0
            return False
        if not self.in_set:
            return False
        if word in ("WHERE", "RETURNING") and self.depth == 0:
            self.in_set = False
        elif text == "(":
            self.depth += 1
        elif text == ")":
            self.depth -= 1
        elif text == "=" and self.depth == 0:
            self.right = True
        elif text == "," and self.depth == 0:
            self.right = False
        return self.in_set and self.right and kind == "word"
