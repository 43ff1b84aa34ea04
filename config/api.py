"""The versioned JSON API: one router per app, one error envelope for all."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from sunlit.core.errors import DomainError

api = NinjaAPI(
    title="Sunlit API",
    version="1",
    urls_namespace="api-v1",
    description="Sunlit (阳光村务) — regions, the village power catalog, cases and the public ledger.",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_envelope(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        fields.setdefault(loc or "__all__", []).append(str(err.get("msg", "")))
    return api.create_response(
        request, {"code": "invalid_input", "message": "The input is malformed.", "fields": fields}, status=422
    )


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"code": "not_authenticated", "message": "Log in first.", "fields": {}}, status=401
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(
        request, {"code": "http_error", "message": str(exc), "fields": {}}, status=exc.status_code
    )


def _mount() -> None:
    from sunlit.cases.api import router as cases_router
    from sunlit.core.api import router as ledger_router
    from sunlit.people.api import router as people_router
    from sunlit.powers.api import router as powers_router
    from sunlit.regions.api import router as regions_router
    from sunlit.supervision.api import router as supervision_router

    api.add_router("", regions_router)
    api.add_router("", powers_router)
    api.add_router("", ledger_router)
    api.add_router("", cases_router)
    api.add_router("", people_router)
    api.add_router("", supervision_router)

    from sunlit.accountability.api import router as accountability_router
    from sunlit.complaints.api import router as complaints_router
    from sunlit.deliberation.api import router as deliberation_router
    from sunlit.disclosure.api import router as disclosure_router
    from sunlit.finance.api import router as finance_router

    api.add_router("", disclosure_router)
    api.add_router("", deliberation_router)
    api.add_router("", finance_router)
    api.add_router("", complaints_router)
    api.add_router("", accountability_router)


_mount()
