"""
Small queries that signed-in pages run on every request, compiled to SQL once per process.

Django compiles a queryset to SQL each time it is evaluated. For the few small queries a signed-in
page runs on every request (the reader's own comments awaiting moderation, a moderator's own waiting
comments) compiling cost several times more than running them (make bench: about 1 ms against 0.1 ms
on SQLite, on a busy machine). A `PrecompiledQuery` builds its queryset once per database vendor,
with placeholder values where the request's values go, keeps the SQL, and from then on only swaps
the values in. The queryset stays the one place where the query's rule is written.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import Model, QuerySet

# Placeholder values, one per named value, found again among the compiled query's parameters: values
# that none of the query's own constants takes. Integers no primary key takes; for a named moment, a
# microsecond of a morning in 2001; for a named text, the name between private-use characters.
_FIRST_MARK = -987_654_321
_MOMENT_MARK = datetime.datetime(2001, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)
_TEXT_MARK = "\ue012"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    slots: list  # (name, its mark) where a named value goes, (None, param) for a fixed parameter
    fields: list[str]  # the model fields each row holds, in order (objects())
    annotations: dict[str, int]  # each annotation's column, set as an attribute of the instance (objects())
    converters: dict  # the backend's converters by column, as the ORM applies them (objects())


class PrecompiledQuery:
    """
    `build(**values)` gives the queryset; `objects(**values)`, `rows(**values)` and `exists(**values)`
    run it. The named values are integers (primary keys), except those named in `kinds` with their
    type: `datetime.datetime` (compared with a DateTimeField) or `str` (matched exactly).
    """

    def __init__(self, model: type[Model], build: Callable[..., QuerySet], *names: str, **kinds: type):
        self.model, self.build, self.kinds = model, build, kinds
        self.names = (*names, *kinds)
        self._compiled: dict[tuple[str, bool], _Compiled] = {}

    def objects(self, **values) -> list:
        """
        The queryset's rows as model instances (only the fields it selects are loaded, and its
        annotations as attributes; no select_related), built as the ORM builds them (Model.from_db,
        after the backend's converters): a raw() queryset cost as much again in its own bookkeeping.
        """
        alias, compiled, params = self._sql(values, exists=False)
        if not compiled.fields:
            raise ValueError("objects() reads a queryset of the model's own fields and annotations (no select_related)")
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        found = []
        for row in rows:
            row = list(row)
            for position, (converters, expression) in compiled.converters.items():
                for converter in converters:
                    row[position] = converter(row[position], expression, connection)
            instance = self.model.from_db(alias, compiled.fields, row[: len(compiled.fields)])
            for name, position in compiled.annotations.items():
                setattr(instance, name, row[position])
            found.append(instance)
        return found

    def rows(self, **values) -> list[dict]:
        """The queryset's rows as dictionaries of its columns: no model instances built (for a template)."""
        alias, compiled, params = self._sql(values, exists=False)
        with connections[alias].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def exists(self, **values) -> bool:
        alias, compiled, params = self._sql(values, exists=True)
        with connections[alias].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return cursor.fetchone() is not None

    def _sql(self, values: dict, *, exists: bool) -> tuple[str, _Compiled, list]:
        alias = router.db_for_read(self.model)
        key = (connections[alias].vendor, exists)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(alias, exists=exists)
        ops = connections[alias].ops
        return (
            alias,
            compiled,
            [param if name is None else self._param(ops, name, values[name]) for name, param in compiled.slots],
        )

    def _mark(self, number: int, name: str):
        kind = self.kinds.get(name)
        if kind is datetime.datetime:
            return _MOMENT_MARK + datetime.timedelta(microseconds=number)
        if kind is str:
            return f"{_TEXT_MARK}{name}{_TEXT_MARK}"
        return _FIRST_MARK - number

    def _param(self, ops, name: str, value):
        """The value as the query's parameter: a moment as the backend writes a DateTimeField (SQLite: text, UTC)."""
        return ops.adapt_datetimefield_value(value) if self.kinds.get(name) is datetime.datetime else value

    def _compile(self, alias: str, *, exists: bool) -> _Compiled:
        marks = {name: self._mark(number, name) for number, name in enumerate(self.names)}
        query = self.build(**marks).query
        if exists:
            query = query.exists(limit=True)
        compiler = query.get_compiler(alias)
        sql, params = compiler.as_sql()
        ops = connections[alias].ops
        named = {self._param(ops, name, mark): name for name, mark in marks.items()}
        slots = [(named.get(param), param) for param in params]
        missing = set(self.names) - {name for name, _param in slots}
        if missing:
            raise ValueError(f"the query does not use {sorted(missing)}")
        fields, annotations, converters = [], {}, {}
        if not exists:
            selected = [column[0] for column in compiler.select]
            own = compiler.klass_info and not compiler.klass_info.get("related_klass_infos")
            # The model's columns first, then the annotations' (as the ORM's compiler orders them).
            if own and compiler.klass_info["select_fields"] == list(range(len(compiler.klass_info["select_fields"]))):
                fields = [selected[position].target.attname for position in compiler.klass_info["select_fields"]]
                annotations = dict(compiler.annotation_col_map)
                converters = compiler.get_converters(selected)
        return _Compiled(sql, slots, fields, annotations, converters)
