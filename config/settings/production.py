"""Production settings: everything in base, plus the hardening `check --deploy` asks for.

Requires SUNLIT_SECRET_KEY. Run behind a TLS-terminating reverse proxy (docs/operations.md).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

if not os.environ.get("SUNLIT_SECRET_KEY"):
    raise ImproperlyConfigured("SUNLIT_SECRET_KEY must be set in production.")
SECRET_KEY = os.environ["SUNLIT_SECRET_KEY"]
DEBUG = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SUNLIT_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SUNLIT_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SUNLIT_HSTS_PRELOAD", True)
