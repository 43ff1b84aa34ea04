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
WHITENOISE_AUTOREFRESH = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SUNLIT_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SUNLIT_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SUNLIT_HSTS_PRELOAD", False)
# Preloading is a decision for the domain's owner (it binds every subdomain for years), so it is
# opt-in and the deploy check's reminder about it is silenced here on purpose.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
