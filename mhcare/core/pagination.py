"""Keyset (cursor) pagination for lists that may pass ~10 k rows: no OFFSET, no COUNT(*)."""

from rest_framework.pagination import CursorPagination


class KeysetPagination(CursorPagination):
    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"
    ordering = "id"
