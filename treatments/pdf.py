"""PDF rendering with WeasyPrint, limited to the app's own static files (no network, no file reads).

Imported lazily by the PDF view: WeasyPrint takes over a second to load its fonts and stylesheets.
"""

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse


class StaticFilesOnly(URLFetcher):
    """WeasyPrint's fetcher, narrowed to the app's own static files read from disk.

    Any other URL (another host, file://, data:, a path outside the static folders) is refused,
    so rendering a document can never reach the network or read arbitrary files.
    """

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.static_prefix = urljoin(base_url, settings.STATIC_URL)

    def fetch(self, url, headers=None):
        if not url.startswith(self.static_prefix):
            raise ValueError(f"Refused to fetch {url!r}: documents may only use the app's static files.")
        relative = unquote(urlsplit(url).path[len(urlsplit(self.static_prefix).path) :])
        try:
            path = finders.find(relative)
        except SuspiciousFileOperation:
            path = None
        if not path:
            raise ValueError(f"No static file {relative!r}.")
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, Path(path).read_bytes(), {"Content-Type": content_type})


def render_pdf(html: str, *, base_url: str) -> bytes:
    return HTML(string=html, base_url=base_url, url_fetcher=StaticFilesOnly(base_url)).write_pdf()
