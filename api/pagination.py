"""Cursor pagination: stable pages while rows are added, no page numbers to guess."""

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "pk"

    def get_page_size(self, request) -> int:
        # DRF ignores a page size it cannot read; say so instead (400).
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        try:
            size = int(value)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def decode_cursor(self, request):
        refused = exceptions.ValidationError(
            {"cursor": ["This cursor is not one the API gave out; start again without it."]}
        )
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise refused from None
        # Every list is ordered by its primary key: a forged position that is not a
        # whole number would otherwise reach the database (a 500).
        if cursor is not None and cursor.position is not None:
            try:
                int(cursor.position)
            except ValueError:
                raise refused from None
        return cursor

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters
