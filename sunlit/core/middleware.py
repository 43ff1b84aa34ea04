"""Large-text mode for elderly readers: ?text=large sets a cookie the base template reads."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

COOKIE = "sunlit_text"


class LargeTextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        wanted = request.GET.get("text")
        if wanted in {"large", "normal"}:
            request.large_text = wanted == "large"  # type: ignore[attr-defined]
        else:
            request.large_text = request.COOKIES.get(COOKIE) == "large"  # type: ignore[attr-defined]
        response = self.get_response(request)
        if wanted in {"large", "normal"}:
            response.set_cookie(COOKIE, wanted, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response
