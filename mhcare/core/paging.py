"""One keyset pager for every HTML list: selectors return a page with ``next_after`` (the cursor
of the next page, None on the last), views turn it into links with ``pager_links``, and templates
include ``core/_pager.html``. No OFFSET, no COUNT."""

from __future__ import annotations

from django.http import HttpRequest


def pager_links(
    request: HttpRequest, *, after: int | str | None, next_after: int | str | None
) -> dict[str, str]:
    """Query strings for "next page" and "first page", keeping the list's filters.

    ``first_query`` is ``"_"`` when the first page has no filters at all, so that the template can
    still tell "show the link" from "no link"."""
    next_query = first_query = ""
    if next_after is not None:
        query = request.GET.copy()
        query["after"] = str(next_after)
        next_query = query.urlencode()
    if after is not None:
        query = request.GET.copy()
        query.pop("after", None)
        first_query = query.urlencode() or "_"
    return {"next_query": next_query, "first_query": first_query}
