"""Server-rendered pages of the web UI (zh-CN first, English available), one module per area."""

from fastapi import APIRouter

from feedbackloop.web.pages import analysis, auth, imports, inbox, public, touchpoints

router = APIRouter(include_in_schema=False)
for _module in (auth, inbox, analysis, public, touchpoints, imports):
    router.include_router(_module.router)
