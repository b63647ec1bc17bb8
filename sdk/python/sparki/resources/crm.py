"""The `crm` module: customers and orders. Money is `Decimal` both ways."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List, Optional, Union

from ..models import Customer, CustomerDetail, Order, OrderDetail, Payment, Success
from ..pagination import Page
from ._base import Resource, body, query

# Every call here raises ModuleDisabledError (403) when the organization has `crm` off.

Amount = Union[Decimal, int, str]


def _money(value: Optional[Amount]) -> Optional[Decimal]:
    return None if value is None else Decimal(str(value))


class Customers(Resource):
    """`/crm/customers`: the customers orders belong to."""

    def list(
        self,
        *,
        q: Optional[str] = None,
        archived: Optional[Union[bool, str]] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Customer]:
        """Customers, newest first.

        Args:
            page: page number, from 1 (default 1).
            limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page (iterating the page follows them for you).
            q: part of the name or email.
            archived: False (default) active only, True archived only, `"all"` both.

        Returns:
            `Page[Customer]`.

        Raises:
            ModuleDisabledError, ValidationError.
        """
        params = query(q=q, archived=archived, page=page, limit=limit, cursor=cursor)
        return self._list("/crm/customers", Customer, params)

    def create(
        self,
        *,
        name: str,
        email: str,
        company: Optional[str] = None,
        phone: Optional[str] = None,
        address: Optional[str] = None,
        notes: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Customer:
        """Create a customer.

        Args:
            name: the customer's name. email: their email address (unique).
            company: the company's name.
            phone: a phone number.
            address: a postal address.
            notes: free text.
            idempotency_key: the `Idempotency-Key` (up to 255 characters); the SDK makes a UUID when
                not given, so a retry is replayed, never done twice.

        Returns:
            The new `Customer`.

        Raises:
            ConflictError (email taken), ValidationError, ModuleDisabledError.
        """
        fields = body(
            name=name, email=email, company=company, phone=phone, address=address, notes=notes
        )
        return self._call(
            "POST", "/crm/customers", Customer, json=fields, idempotency_key=idempotency_key
        )

    def get(self, customer_id: str) -> CustomerDetail:
        """One customer (a UUID) with totals per currency.

        Args:
            customer_id: the customer's id (a UUID).

        Returns:
            `CustomerDetail`.

        Raises:
            NotFoundError, ModuleDisabledError.
        """
        return self._call("GET", f"/crm/customers/{customer_id}", CustomerDetail)

    def update(self, customer_id: str, **fields: Any) -> Customer:
        """Change a customer: `name`, `email`, `company`, `phone`, `address`, `notes`,
        `archived` (only those given).

        Args:
            customer_id: the customer's id (a UUID).

        Returns:
            The updated `Customer`.

        Raises:
            NotFoundError, ConflictError, ValidationError, ModuleDisabledError.
        """
        return self._call("PATCH", f"/crm/customers/{customer_id}", Customer, json=body(**fields))

    def delete(self, customer_id: str) -> Success:
        """Delete a customer (one with orders is archived instead).

        Args:
            customer_id: the customer's id (a UUID).

        Returns:
            `Success`.

        Raises:
            NotFoundError, ConflictError, ModuleDisabledError.
        """
        return self._call("DELETE", f"/crm/customers/{customer_id}", Success)


class Orders(Resource):
    """`/crm/orders`: orders, their status, payments and refunds."""

    def list(
        self,
        *,
        status: Optional[str] = None,
        payment_status: Optional[str] = None,
        customer: Optional[str] = None,
        created_from: Optional[str] = None,
        created_to: Optional[str] = None,
        q: Optional[str] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Order]:
        """Orders, newest first.

        Args:
            page: page number, from 1 (default 1).
            limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page (iterating the page follows them for you).
            status: `placed`, `fulfilled`, `delivered`, `cancelled` or `refunded`.
            payment_status: `unpaid`, `partially_paid`, `paid` or `refunded`.
            customer: a customer id. created_from, created_to: ISO dates.
            q: an order number or part of the customer's name.

        Returns:
            `Page[Order]`.

        Raises:
            ValidationError, ModuleDisabledError.
        """
        params = query(
            status=status,
            payment_status=payment_status,
            customer=customer,
            created_from=created_from,
            created_to=created_to,
            q=q,
            page=page,
            limit=limit,
            cursor=cursor,
        )
        return self._list("/crm/orders", Order, params)

    def create(
        self,
        *,
        customer_id: str,
        currency: str,
        items: List[Dict[str, Any]],
        notes: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Order:
        """Place an order; the server computes the totals.

        Args:
            notes: free text.
            customer_id: the customer (UUID). currency: an ISO-4217 code, e.g. `EUR`.
            items: `[{"sku", "name", "quantity" (a positive int), "unit_price" or
                "unitPrice" (a `Decimal`, int or text, in currency units)}]`.
            idempotency_key: replay key; the SDK makes one, so a retry never orders twice.

        Returns:
            The new `Order` (`status` `placed`, `payment_status` `unpaid`).

        Raises:
            ValidationError, NotFoundError (customer), ModuleDisabledError.
        """
        lines = [body(**{k: v for k, v in item.items()}) for item in items]
        for line in lines:
            if "unitPrice" in line:
                line["unitPrice"] = _money(line["unitPrice"])
        fields = body(customer_id=customer_id, currency=currency, items=lines, notes=notes)
        return self._call(
            "POST", "/crm/orders", Order, json=fields, idempotency_key=idempotency_key
        )

    def get(self, order_id: str) -> OrderDetail:
        """One order with its payments and history.

        Args:
            order_id: the order's id (a UUID).

        Returns:
            `OrderDetail`.

        Raises:
            NotFoundError, ModuleDisabledError.
        """
        return self._call("GET", f"/crm/orders/{order_id}", OrderDetail)

    def update(self, order_id: str, *, status: str) -> OrderDetail:
        """Move an order along `placed → fulfilled → delivered`, to `cancelled` or `refunded`.

        Args:
            order_id: the order's id (a UUID).
            status: `fulfilled`, `delivered`, `cancelled` or `refunded`.

        Returns:
            The updated `OrderDetail`.

        Raises:
            ConflictError (a move the order's state forbids), NotFoundError.
        """
        return self._call("PATCH", f"/crm/orders/{order_id}", OrderDetail, json=body(status=status))

    def pay(
        self,
        order_id: str,
        *,
        amount: Amount,
        method: Optional[str] = None,
        reference: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Payment:
        """Record a payment (moves `payment_status` to `partially_paid` or `paid`).

        Args:
            order_id: the order's id (a UUID).
            method: how it was paid, e.g. `card`, `wire` or `cash`.
            reference: an external reference, e.g. a bank transaction id.
            idempotency_key: the `Idempotency-Key` (up to 255 characters); the SDK makes a UUID when
                not given, so a retry is replayed, never done twice.
            amount: in currency units (a `Decimal`, int or text, e.g. `"19.99"`).

        Returns:
            The `Payment`.

        Raises:
            ValidationError (too much, too many decimals), ConflictError, NotFoundError.
        """
        fields = body(amount=_money(amount), method=method, reference=reference)
        return self._call(
            "POST",
            f"/crm/orders/{order_id}/payments",
            Payment,
            json=fields,
            idempotency_key=idempotency_key,
        )

    def refund(
        self,
        order_id: str,
        *,
        amount: Optional[Amount] = None,
        reference: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Payment:
        """Refund a payment (all that was paid when `amount` is not given).

        Args:
            amount: how much to refund, in currency units (default: all that was paid).
            order_id: the order's id (a UUID).
            reference: an external reference, e.g. a bank transaction id.
            idempotency_key: the `Idempotency-Key` (up to 255 characters); the SDK makes a UUID when
                not given, so a retry is replayed, never done twice.

        Returns:
            The refund, as a `Payment`.

        Raises:
            ValidationError, ConflictError (nothing to refund), NotFoundError.
        """
        fields = body(amount=_money(amount), reference=reference)
        return self._call(
            "POST",
            f"/crm/orders/{order_id}/refunds",
            Payment,
            json=fields,
            idempotency_key=idempotency_key,
        )
