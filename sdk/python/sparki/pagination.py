"""Pages of a list: one page's items, and iteration across every page by cursor."""

from __future__ import annotations

from typing import Any, Callable, Dict, Generic, Iterator, List, Optional, TypeVar

T = TypeVar("T")


class Page(Generic[T]):
    """One page of a list, and (when iterated) the whole list.

    `page.data` holds this page's items; `page.total`, `page.page`, `page.limit`,
    `page.total_pages` and `page.next_cursor` come from the answer's `pagination`.
    `for item in page` walks every item of every page, fetching the next pages lazily by
    `nextCursor` (stable while rows are added); `next_page()` fetches just the next one.
    """

    def __init__(
        self,
        body: Dict[str, Any],
        parse: Callable[[Dict[str, Any]], T],
        fetch: Optional[Callable[[str], Page[T]]] = None,
    ) -> None:
        self._body = body
        self._parse = parse
        self._fetch = fetch
        self.data: List[T] = [parse(item) for item in body.get("data", [])]
        pagination = body.get("pagination") or {}
        self.page: Optional[int] = pagination.get("page")
        self.limit: Optional[int] = pagination.get("limit")
        self.total: Optional[int] = pagination.get("total", len(self.data))
        self.total_pages: Optional[int] = pagination.get("totalPages")
        self.next_cursor: Optional[str] = pagination.get("nextCursor")

    @property
    def has_more(self) -> bool:
        """True when a page follows this one."""
        return bool(self.next_cursor and self._fetch)

    def next_page(self) -> Optional[Page[T]]:
        """The next page (one request), or None after the last.

        Raises: `SparkiError` subclasses, as every call does.
        """
        if not self.has_more:
            return None
        assert self._fetch is not None and self.next_cursor is not None
        return self._fetch(self.next_cursor)

    def __iter__(self) -> Iterator[T]:
        page: Optional[Page[T]] = self
        while page is not None:
            yield from page.data
            page = page.next_page()

    def auto_paging_iter(self) -> Iterator[T]:
        """Every item of every page from this one on (the same as iterating the page)."""
        return iter(self)

    def to_dict(self) -> Dict[str, Any]:
        """This page's raw JSON: `{"data": [...], "pagination": {...}}`."""
        return dict(self._body)

    def __repr__(self) -> str:
        return (
            f"<Page of {len(self.data)} (total {self.total}, "
            f"{'more' if self.has_more else 'last'})>"
        )
