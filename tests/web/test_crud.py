"""web/crud.py: one declaration gives an entity its list/create/read/update/delete routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from feedbackloop.errors import NotFound
from feedbackloop.web.crud import Entity, add_crud_routes


class NoteIn(BaseModel):
    text: str


class NoteOut(BaseModel):
    id: int
    text: str


# A user dependency that lets everybody in: who may do what is the role matrix's business.
Anyone = Annotated[object, Depends(lambda: None)]


class FakeNotes:
    """An in-memory service with the shape the helper expects (session first, id last)."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}

    def list_all(self, session: object) -> list[dict[str, Any]]:
        return list(self.rows.values())

    def save(self, session: object, fields: dict[str, Any], note_id: int | None = None) -> dict[str, Any]:
        note_id = note_id or len(self.rows) + 1
        self.rows[note_id] = {"id": note_id, **fields}
        return self.rows[note_id]

    def get_one(self, session: object, note_id: int) -> dict[str, Any]:
        if note_id not in self.rows:
            raise NotFound("no such note")
        return self.rows[note_id]

    def delete(self, session: object, note_id: int) -> None:
        self.rows.pop(note_id)


def _client(notes: FakeNotes) -> TestClient:
    from feedbackloop.web import deps

    router = APIRouter(prefix="/api")
    add_crud_routes(router, Entity(
        "/notes", "note", "notes", NoteIn, NoteOut, notes.save, Anyone, Anyone,
        list_all=notes.list_all, get_one=notes.get_one, delete=notes.delete,
    ))  # fmt: skip
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[deps.get_session] = lambda: None
    return TestClient(app)


def test_one_declaration_registers_the_five_routes_with_their_status_codes() -> None:
    notes = FakeNotes()
    client = _client(notes)
    assert client.post("/api/notes", json={"text": "a"}).status_code == 201
    assert client.get("/api/notes").json() == [{"id": 1, "text": "a"}]
    assert client.put("/api/notes/1", json={"text": "b"}).json() == {"id": 1, "text": "b"}
    assert client.get("/api/notes/1").json() == {"id": 1, "text": "b"}
    assert client.delete("/api/notes/1").status_code == 204
    assert notes.rows == {}


def test_the_path_parameter_and_endpoint_names_follow_the_declaration() -> None:
    spec = _client(FakeNotes()).get("/openapi.json").json()
    item = spec["paths"]["/api/notes/{note_id}"]
    assert set(item) == {"get", "put", "delete"}
    assert item["put"]["operationId"].startswith("update_note_")
    assert [p["name"] for p in item["delete"]["parameters"]] == ["note_id"]


def test_it_rejects_a_body_that_does_not_match_the_schema() -> None:
    assert _client(FakeNotes()).post("/api/notes", json={"txt": "a"}).status_code == 422
