"""Server-rendered pages of the web UI (zh-CN first, English available)."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
