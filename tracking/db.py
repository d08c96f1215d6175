"""Engine and session: DATABASE_URL picks the database, SQLite is the default."""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import orjson
from sqlalchemy import JSON, ColumnElement, Connection, Engine, Table, cast, create_engine, event, func, literal, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session

from tracking.errors import TrackingError

PROJECT_DIR = Path(__file__).resolve().parent.parent
WRITE_OPTION = "tracking_write"
SQLITE_WAIT_SECONDS = 60
DEFAULT_SQLITE_PATH = PROJECT_DIR / "data" / "tracking.sqlite"


def database_url() -> str:
    """DATABASE_URL if set, else the SQLite file under data/ (created on first use)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # Plain postgresql:// URLs would pick psycopg2; this project ships psycopg 3.
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    # SQLite ignores foreign keys unless every connection asks for them.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # Let SQLAlchemy issue BEGIN itself: Python's sqlite3 module would not wrap
    # DDL in the transaction, so a failed migration could leave half a schema.
    dbapi_connection.isolation_level = None


def _on_sqlite_begin(connection) -> None:
    # A write transaction takes the write lock at once (BEGIN IMMEDIATE) and
    # waits its turn: two transactions that both read first and then write
    # would otherwise fail with «database is locked» instead of queueing.
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _json_default(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} ist nicht als JSON speicherbar")


def json_text(value) -> str:
    """JSON columns (the audit trail's before/after) as text; orjson is ~10× faster
    than the json module, which shows in an import of 10'000 rows."""
    return orjson.dumps(value, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode()


SUPPORTED_DATABASES = (
    "Unterstützt sind SQLite (z. B. sqlite:///data/tracking.sqlite) und PostgreSQL "
    "(z. B. postgresql://benutzer:passwort@host/datenbank)."
)
# The dialects and drivers this project ships: SQLite through Python's sqlite3, PostgreSQL through psycopg 3.
_DRIVERS = {"sqlite": {"pysqlite"}, "postgresql": {"psycopg"}}


def _shown(url: str) -> str:
    """The URL for a message: without its password, PostgreSQL as the person wrote it (see database_url)."""
    return re.sub(r"^postgresql\+psycopg://", "postgresql://", re.sub(r":[^:/@]*@", ":***@", url))


def check_database_url(url: str) -> None:
    """A German TrackingError unless url names a SQLite or PostgreSQL database (never shows the password)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise TrackingError(
            f"DATABASE_URL «{_shown(url)}» ist keine gültige Datenbankadresse. {SUPPORTED_DATABASES}"
        ) from exc
    kind, _, driver = parsed.drivername.partition("+")
    if kind not in _DRIVERS:
        raise TrackingError(f"DATABASE_URL: Die Datenbankart «{kind}» wird nicht unterstützt. {SUPPORTED_DATABASES}")
    if driver and driver not in _DRIVERS[kind]:
        raise TrackingError(
            f"DATABASE_URL: Der Treiber «{driver}» wird nicht unterstützt; bitte die Adresse ohne Treiber angeben "
            f"({kind}://…). {SUPPORTED_DATABASES}"
        )


def make_engine(url: str | None = None) -> Engine:
    """The engine for url (default: DATABASE_URL); a German TrackingError for a database kind we do not support."""
    url = url or database_url()
    check_database_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Wait up to SQLITE_WAIT_SECONDS for another writer before giving up.
        engine = create_engine(url, json_serializer=json_text, connect_args={"timeout": SQLITE_WAIT_SECONDS})
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=json_text)


class DatabaseBusy(TrackingError):
    """Another write held the database too long; nothing of this one was saved."""


BUSY_MESSAGE = (
    "Die Datenbank ist gerade mit einem anderen Speichervorgang beschäftigt. "
    "Nichts wurde gespeichert; bitte in einer Minute erneut versuchen."
)
# SQLite: lock wait ran out; PostgreSQL: deadlock or serialization conflict.
_BUSY_SIGNS = ("database is locked", "database table is locked", "deadlock detected", "could not serialize")


@contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """One unit of work: everything inside is committed together or not at all.

    write=True for a unit that writes: on SQLite it takes the write lock
    first, so concurrent writers wait for each other instead of failing. A
    write that still cannot get the database raises DatabaseBusy (German),
    never the driver's «database is locked».
    """
    bind = engine.execution_options(**{WRITE_OPTION: True}) if write else engine
    try:
        with Session(bind, expire_on_commit=False) as session, session.begin():
            yield session
    except OperationalError as exc:
        if any(sign in str(exc.orig).lower() for sign in _BUSY_SIGNS):
            raise DatabaseBusy(BUSY_MESSAGE) from exc
        raise


# What `init` and `restore` serialize on: filling an empty database.
SETUP = "setup of an empty database"


def serialize(session: Session | Connection, what: str) -> None:
    """Make the transactions that do `what` (e.g. set up an empty database) wait for each other.

    On PostgreSQL a transaction-scoped advisory lock, held until commit or
    rollback; a second transaction waits here and then sees what the first
    committed. On SQLite a write transaction already holds the one write lock.
    """
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    if dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(zlib.crc32(what.encode()))))


def bulk_insert(session: Session, table: Table, rows: Sequence[dict], columns: Sequence[str] | None = None) -> None:
    """Insert many rows (dicts by column name) in the session's transaction; see bulk_insert_columns."""
    if not rows:
        return
    names = list(columns or rows[0])
    bulk_insert_columns(session, table, {name: [row[name] for row in rows] for name in names})


def bulk_insert_columns(session: Session, table: Table, columns: dict[str, list]) -> None:
    """Insert many rows given column by column: COPY on PostgreSQL, executemany on SQLite.

    SQLAlchemy's executemany builds a parameter dict per row in Python, which
    costs more than the database itself for an import of 10'000 reports; here
    each value goes only through its column type's bind processor (JSON to
    text, dates to SQLite's format), mapped over the whole column, and zip()
    makes the rows' tuples for the driver, both at C speed.
    """
    if not columns or not next(iter(columns.values())):
        return
    connection = session.connection()
    dialect = connection.dialect
    by_column = []
    for name, column in columns.items():
        process = table.c[name].type.bind_processor(dialect)
        by_column.append(column if process is None else _processed(process, column))
    values = list(zip(*by_column))
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    if dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        connection.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})", values)


def _processed(process, column: list) -> list:
    """The column through its bind processor, each distinct value once when values repeat.

    An import stamps all its reports with one time and one author: formatting
    that datetime 10'000 times costs more than inserting the rows.
    """
    try:
        distinct = set(column)
    except TypeError:  # unhashable values (JSON documents): each on its own
        return list(map(process, column))
    if len(distinct) * 4 > len(column):
        return list(map(process, column))
    done = {value: process(value) for value in distinct}
    return list(map(done.__getitem__, column))


def json_object(session: Session, values: dict[str, ColumnElement]) -> ColumnElement:
    """A JSON object built in SQL from named column values (json_object on SQLite,
    json_build_object on PostgreSQL)."""
    name = "json_build_object" if session.get_bind().dialect.name == "postgresql" else "json_object"
    return getattr(func, name)(*(part for key, value in values.items() for part in (literal(key), value)))


def json_pairs(session: Session, pairs: dict[int, int]):
    """The pairs as a table (key, value) of text, from one JSON parameter, to join in SQL
    (json_each on SQLite, json_each_text on PostgreSQL): thousands of pairs cost one bound value."""
    document = literal(orjson.dumps({str(k): v for k, v in pairs.items()}).decode())
    if session.get_bind().dialect.name == "postgresql":
        return func.json_each_text(cast(document, JSON)).table_valued("key", "value")
    return func.json_each(document).table_valued("key", "value")


def plain_rows(session: Session, query) -> list[tuple]:
    """The rows of a query as the driver returns them, without SQLAlchemy's Row objects.

    Only for columns of plain types (integers, text), where SQLAlchemy would
    convert nothing: reading 10'000 rows this way takes half the time.
    """
    result = session.connection().execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()
