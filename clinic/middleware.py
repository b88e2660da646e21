"""Project middleware: keep pages with patient data out of every cache."""

from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    """Every dynamic page may show patient data, so none may be stored by a browser or proxy.

    Static files never reach this middleware (WhiteNoise answers them earlier).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, no_store=True, private=True, max_age=0)
        return response
