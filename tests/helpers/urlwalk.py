"""Every URL pattern of the project, as a concrete URL with its parameters filled (for the sweeps)."""

from dataclasses import dataclass
from itertools import product

from django.urls import Resolver404, URLResolver, get_resolver, resolve
from django.utils.regex_helper import normalize

# Values tried for a parameter, in order, until the URL resolves back to its own pattern.
FALLBACK_VALUES = ["auth", "treatments", "clinic", "faq", "1", "x"]


@dataclass(frozen=True)
class SweptURL:
    url: str
    name: str | None
    namespace: str | None
    pattern: object

    @property
    def qualified_name(self) -> str:
        return f"{self.namespace}:{self.name}" if self.namespace else str(self.name)


def _walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        regex = entry.pattern.regex.pattern.lstrip("^")
        if isinstance(entry, URLResolver):
            yield from _walk(
                entry.url_patterns, prefix + regex.removesuffix(r"\Z"), entry.namespace or namespace
            )
        else:
            yield prefix + regex, entry, namespace


def all_patterns():
    """(regex, URLPattern, namespace) for every leaf pattern, included URLconfs and the admin too."""
    return list(_walk(get_resolver().url_patterns))


def concrete_urls(pk: int) -> list[SweptURL]:
    """One URL per pattern: numeric parameters get ``pk`` (a real object's key), others the first
    value that makes the URL resolve back to the same pattern. A pattern shadowed by an earlier one
    (e.g. the admin's login, replaced by a redirect to the site's) is listed under the shadowing one."""
    urls = []
    for regex, pattern, namespace in all_patterns():
        template, params = normalize(regex)[0]
        choices = [[str(pk), *FALLBACK_VALUES] for _ in params]
        for values in product(*choices):
            url = "/" + template % dict(zip(params, values, strict=True))
            try:
                match = resolve(url)
            except Resolver404:
                continue
            if match.func is pattern.callback:
                urls.append(SweptURL(url, pattern.name, namespace, pattern))
                break
            if not params:
                urls.append(SweptURL(url, match.url_name, match.namespace or None, pattern))
                break
        else:
            raise AssertionError(f"No test URL could be built for the pattern {regex!r}")
    return urls


def named_urls(exclude_namespaces=("admin",)) -> set[str]:
    """The names of the project's own URL patterns, namespaced as ``reverse`` wants them (e.g.
    ``faq:index``); the admin's are covered by the sweep."""
    return {
        f"{namespace}:{pattern.name}" if namespace else pattern.name
        for _, pattern, namespace in all_patterns()
        if pattern.name and namespace not in exclude_namespaces
    }
