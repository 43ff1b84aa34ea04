"""Settings for the test suite: fast hashing, in-memory-ish storage, tasks run immediately."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed in tests only
MEDIA_ROOT = tempfile.mkdtemp(prefix="sunlit-media-")
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "zh-hans"
# Each test process its own cache (the shared file cache of production would cross xdist workers).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# A file-backed SQLite test database (not the shared in-memory one) so WAL, busy timeouts and
# IMMEDIATE transactions behave as in production, and concurrency tests are meaningful.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.mkdtemp(prefix="sunlit-test-db-")) / "test.sqlite3")
    }

# Tests read live pages (the portal's page cache would carry pages across tests that reuse region
# codes); sunlit/portal/tests/test_disclosure_portal.py turns it on where it is the subject.
SUNLIT_PORTAL_CACHE_SECONDS = 0
