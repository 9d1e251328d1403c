"""One declaration per managed entity (routing rules, templates, alert rules, KB articles, …): its list,
create, read, update and delete routes, built the same way every time.

Routes stay thin: each calls one service function, which does the validation, the write and the audit
trail (audit/autolog.py records every change of an audited model). A new entity is declared, not copied:

    add_crud_routes(router, Entity(
        "/routing-rules", "rule", "rules", s.RuleIn, s.RuleOut, routing.save_rule, StaffUser, ManagerUser,
        list_all=routing.list_rules, delete=routing.delete_rule,
    ))
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from feedbackloop.web.deps import DbId, SessionDep

__all__ = ["Entity", "add_crud_routes"]

Endpoint = Callable[..., Any]


@dataclass(frozen=True)
class Entity:
    """What the routes of one entity need; the roles are user dependencies such as StaffUser."""

    path: str  # "/routing-rules"; one item is at "{path}/{<singular>_id}"
    singular: str  # "rule": names the path parameter (rule_id) and the endpoints (create_rule, …)
    plural: str  # "rules": names the list endpoint (list_rules)
    body: type[BaseModel]  # what create and update accept
    out: Any  # the response model of one item
    save: Callable[..., Any]  # save(session, fields, id) — or save(session, actor, fields, id) with with_actor
    readers: Any  # who may list and read, as a user dependency (StaffUser); see accounts/policy.py
    writers: Any  # who may create and update
    deleters: Any = None  # who may delete; default: the writers
    list_all: Callable[[Session], Any] | None = None  # None: the entity lists itself (search parameters, …)
    get_one: Callable[[Session, int], Any] | None = None
    delete: Callable[..., None] | None = None
    id_name: str | None = None  # the path parameter, as the policy table spells it; default "<singular>_id"
    with_actor: bool = False  # save, delete receive the signed-in user after the session (for audit trails)

    @property
    def id_param(self) -> str:
        return self.id_name or f"{self.singular}_id"

    def call_save(self, session: Session, user: object, fields: dict[str, Any], item_id: int | None) -> object:
        if self.with_actor:
            return self.save(session, user, fields, item_id)
        return self.save(session, fields, item_id)


def add_crud_routes(router: APIRouter, entity: Entity) -> None:
    """Register GET (list), POST (201), GET one, PUT and DELETE (204) for the entity on the router."""
    item = f"{entity.path}/{{{entity.id_param}}}"
    if entity.list_all is not None:
        # list[entity.out] built at run time; mypy only takes literal type arguments in that spelling
        router.get(entity.path, response_model=list.__class_getitem__(entity.out))(_list(entity))
    router.post(entity.path, response_model=entity.out, status_code=201)(_create(entity))
    if entity.get_one is not None:
        router.get(item, response_model=entity.out)(_read(entity))
    router.put(item, response_model=entity.out)(_update(entity))
    if entity.delete is not None:
        router.delete(item, status_code=204)(_delete(entity))


def _list(entity: Entity) -> Endpoint:
    list_all = entity.list_all
    assert list_all is not None

    def endpoint(session: Session, user: object) -> object:
        return list_all(session)

    return _named(endpoint, f"list_{entity.plural}", session=SessionDep, user=entity.readers)


def _create(entity: Entity) -> Endpoint:
    def endpoint(body: BaseModel, session: Session, user: object) -> object:
        return entity.call_save(session, user, body.model_dump(), None)

    return _named(endpoint, f"create_{entity.singular}", body=entity.body, session=SessionDep, user=entity.writers)


def _read(entity: Entity) -> Endpoint:
    get_one = entity.get_one
    assert get_one is not None

    def endpoint(session: Session, user: object, **ids: int) -> object:
        return get_one(session, ids[entity.id_param])

    params = {entity.id_param: DbId, "session": SessionDep, "user": entity.readers}
    return _named(endpoint, f"get_{entity.singular}", **params)


def _update(entity: Entity) -> Endpoint:
    def endpoint(body: BaseModel, session: Session, user: object, **ids: int) -> object:
        return entity.call_save(session, user, body.model_dump(), ids[entity.id_param])

    params = {entity.id_param: DbId, "body": entity.body, "session": SessionDep, "user": entity.writers}
    return _named(endpoint, f"update_{entity.singular}", **params)


def _delete(entity: Entity) -> Endpoint:
    remove = entity.delete
    assert remove is not None

    def endpoint(session: Session, user: object, **ids: int) -> Response:
        if entity.with_actor:
            remove(session, user, ids[entity.id_param])
        else:
            remove(session, ids[entity.id_param])
        return Response(status_code=204)

    params = {entity.id_param: DbId, "session": SessionDep, "user": entity.deleters or entity.writers}
    return _named(endpoint, f"delete_{entity.singular}", **params)


def _named(endpoint: Endpoint, name: str, **params: Any) -> Endpoint:
    """Give the endpoint its name (the OpenAPI operation id) and the typed parameters FastAPI reads.

    FastAPI builds a route's parameters from the function's signature; the path parameter's name differs per
    entity (rule_id, template_id), so the signature is declared here rather than written out."""
    endpoint.__name__ = endpoint.__qualname__ = name
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]  # read by inspect.signature
        [inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY, annotation=a) for p, a in params.items()]
    )
    return endpoint
