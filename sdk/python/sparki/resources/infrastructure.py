"""The cluster: status, nodes, live and past figures, alerts and their thresholds."""

from __future__ import annotations

from typing import Optional

from ..models import Alert, Cluster, Metrics, MetricsHistory, NodeList, Thresholds
from ..pagination import Page
from ._base import Resource, body, query


class Infrastructure(Resource):
    """`/infrastructure`: real readings from the runtime (the local host, or Kubernetes)."""

    def cluster_status(self) -> Cluster:
        """The cluster: name, version, runtime, status, node counts, compute, storage,
        networking, security settings and `last_health_check`.

        Returns:
            `Cluster`.

        Raises:
            AuthenticationError, ServiceUnavailableError (the runtime does not answer).
        """
        return self._call("GET", "/infrastructure/cluster", Cluster)

    cluster = cluster_status

    def nodes(self) -> NodeList:
        """The cluster's nodes with capacity, allocatable resources and heartbeat.

        Returns:
            `NodeList` whose `data` is a list of `Node`.

        Raises:
            AuthenticationError, ServiceUnavailableError.
        """
        return self._call("GET", "/infrastructure/nodes", NodeList)

    def metrics(self) -> Metrics:
        """Current usage: cpu, memory and disk (`used`, `allocatable`,
        `utilization_percent`), network bytes per second and connections, per node too.

        Returns:
            `Metrics`.

        Raises:
            AuthenticationError, ServiceUnavailableError.
        """
        return self._call("GET", "/infrastructure/metrics", Metrics)

    def history(self, *, window: Optional[str] = None) -> MetricsHistory:
        """Usage over a recent window, as points.

        Args:
            window: how far back, e.g. `15m`, `1h` (default), `24h` (from 1m to 24h).

        Returns:
            `MetricsHistory` with `points`, `window_seconds` and `resolution_seconds`.

        Raises:
            ValidationError: a bad window.
        """
        return self._call(
            "GET", "/infrastructure/metrics/history", MetricsHistory, params=query(window=window)
        )

    def alerts(
        self,
        *,
        status: Optional[str] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Alert]:
        """Node alerts (a resource over its threshold), newest first.

        Args:
            status: `pending`, `firing` or `resolved`.
            page, limit (1–100), cursor: as for every list.

        Returns:
            `Page[Alert]`.

        Raises:
            ValidationError.
        """
        params = query(status=status, page=page, limit=limit, cursor=cursor)
        return self._list("/infrastructure/alerts", Alert, params)

    def thresholds(self) -> Thresholds:
        """The alert thresholds (percent) and how long a reading must stay over (seconds).

        Returns:
            `Thresholds`.

        Raises:
            AuthenticationError.
        """
        return self._call("GET", "/infrastructure/thresholds", Thresholds)

    def update_thresholds(
        self,
        *,
        cpu_percent: Optional[float] = None,
        memory_percent: Optional[float] = None,
        disk_percent: Optional[float] = None,
        hysteresis_percent: Optional[float] = None,
        for_seconds: Optional[int] = None,
    ) -> Thresholds:
        """Change the alert thresholds (admins only; only those given).

        Args:
            cpu_percent, memory_percent, disk_percent: alert above these (percent).
            hysteresis_percent: how far below a threshold resolves an alert (percent points).
            for_seconds: how long a reading must stay over before an alert fires (seconds).

        Returns:
            The updated `Thresholds`.

        Raises:
            ValidationError, PermissionError.
        """
        fields = body(
            cpu_percent=cpu_percent,
            memory_percent=memory_percent,
            disk_percent=disk_percent,
            hysteresis_percent=hysteresis_percent,
            for_seconds=for_seconds,
        )
        return self._call("PATCH", "/infrastructure/thresholds", Thresholds, json=fields)
