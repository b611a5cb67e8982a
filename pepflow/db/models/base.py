"""The base of every table, and building a row without per-field validation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm.attributes import set_attribute
from sqlmodel import SQLModel

from pepflow.clock import SystemClock


def _utcnow() -> dt.datetime:
    return SystemClock().now()


class Table(SQLModel):
    """Base of every table: setting a column goes straight to SQLAlchemy.

    SQLModel also routes each assignment through pydantic (for validation on assignment,
    which tables do not use); on the event path that doubled the cost of every change."""

    def __setattr__(self, name: str, value: Any) -> None:
        columns = _COLUMN_NAMES.get(type(self))
        if columns is None:
            columns = _COLUMN_NAMES[type(self)] = frozenset(c.key for c in type(self).__table__.columns)
        if name in columns:
            set_attribute(self, name, value)
        else:
            super().__setattr__(name, value)


_COLUMN_NAMES: dict[type, frozenset[str]] = {}


def new_row(model: type[SQLModel], **values: Any) -> Any:
    """A new (pending) row built without SQLModel's per-field validation.

    Recording an event creates several deadline rows; SQLModel's constructor sets each
    field through pydantic and SQLAlchemy and costs about as much as the rest of the event
    (bench/pep_machine.py).  Values here come from our own code, already checked, so the
    row's dict is filled directly with the model's defaults for what is not given."""
    manager = model._sa_class_manager
    obj = manager.new_instance()
    defaults = _defaults(model)
    data = {**defaults, **values}
    obj.__dict__.update(data)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


_DEFAULTS: dict[type, dict[str, Any]] = {}


def _defaults(model: type[SQLModel]) -> dict[str, Any]:
    if model not in _DEFAULTS:
        found = {}
        for name, info in model.model_fields.items():
            if info.default_factory is None and not info.is_required():
                found[name] = info.default
        _DEFAULTS[model] = found
    return _DEFAULTS[model]
