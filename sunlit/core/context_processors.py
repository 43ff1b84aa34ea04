from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {
        "SITE_NAME": settings.SUNLIT_SITE_NAME,
        "LARGE_TEXT": getattr(request, "large_text", False),
    }
