"""Django's ``{% url %}`` tag, with the URLs it reverses kept per process.

Installed as a template builtin (settings.TEMPLATES), so it replaces the stock
tag in every template without a ``{% load %}``. Reversing a URL costs about
0.2 ms of CPU on the benchmark machine, and the answering page reverses
thirteen (the menu, the section links, the autosave address): a tenth of
the page's server time (docs/performance.md, "Answering: issue 12").

A URL is a pure function of the URL configuration, the script prefix (the
path the application is mounted at), the view name, its arguments and the
current application; all of them are the key. Only string and integer
arguments are cached (any other object could turn into another string next
time); everything else, and every error, goes to ``reverse()`` as before.
The URL configuration only changes at a restart, or in tests through
``override_settings(ROOT_URLCONF=...)``, which empties the cache.
"""

import functools

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as stock_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

CACHE_SIZE = 4096


@functools.lru_cache(maxsize=CACHE_SIZE)
def cached_reverse(urlconf, prefix, view_name, args, kwargs, current_app) -> str:
    """reverse(), once per key; ``prefix`` is only part of the key: reverse()
    reads the same script prefix itself, in the same thread."""
    return reverse(
        view_name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app
    )


def _plain(value) -> bool:
    return isinstance(value, (str, int))


class CachedURLNode(URLNode):
    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            if (
                isinstance(view_name, str)
                and all(_plain(arg) for arg in args)
                and all(_plain(value) for value in kwargs.values())
            ):
                url = cached_reverse(
                    get_urlconf() or settings.ROOT_URLCONF,
                    get_script_prefix(),
                    str(view_name),
                    tuple(args),
                    tuple(sorted(kwargs.items())),
                    current_app,
                )
            else:
                url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """The stock tag's parsing; the node caches what it reverses."""
    node = stock_url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)


def _on_setting_changed(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        cached_reverse.cache_clear()


setting_changed.connect(_on_setting_changed, dispatch_uid="assessment.cached_urls")
