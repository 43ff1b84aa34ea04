"""Model backend with lockout: a locked username cannot log in even with the right password."""

from django.contrib.auth.backends import ModelBackend

from . import services


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("username")
        if not username:
            return None
        if services.login_locked_until(username):
            if request is not None:
                request.sunlit_login_locked = True
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            throttle = services.login_record_failure(username)
            if request is not None and throttle.locked_until:
                request.sunlit_login_locked = True
            return None
        services.login_record_success(username)
        return user
