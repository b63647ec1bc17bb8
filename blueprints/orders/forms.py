"""WTForms for the CRM pages (the API validates with schemas; both end in the same domain)."""

from __future__ import annotations

from typing import Any

from wtforms import EmailField, FieldList, FormField, SelectField, StringField, TextAreaField
from wtforms import Form as SubForm
from wtforms.validators import DataRequired, Length, Optional

from blueprints.core.forms import Form, safe_text

from .money import from_text


class CustomerForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    company = StringField("Company", validators=[Optional(), Length(max=200)])
    phone = StringField("Phone", validators=[Optional(), Length(max=50)])
    address = TextAreaField("Address", validators=[Optional(), Length(max=1000)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=10_000)])


class LineForm(SubForm):
    """One order line. Quantity and price stay text here: the domain parses them exactly
    (a Decimal, the currency's decimals) and names the line's field when they are wrong."""

    sku = StringField("SKU", validators=[safe_text, Length(max=100)])
    name = StringField("Item", validators=[safe_text, Length(max=300)])
    quantity = StringField("Qty", default="1", validators=[safe_text, Length(max=20)])
    unit_price = StringField("Unit price", validators=[safe_text, Length(max=40)])


class OrderForm(Form):
    customer_id = SelectField("Customer", choices=[], validate_choice=False)
    currency = StringField("Currency", default="USD", validators=[DataRequired(), Length(max=3)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=10_000)])
    items = FieldList(FormField(LineForm), min_entries=1, max_entries=500)

    def item_dicts(self) -> list[dict[str, Any]]:
        """The lines as the domain takes them (`unitPrice` as in the API): numbers read from
        the fields' text, or the text itself where it is not a number (the domain refuses it
        naming the field)."""
        return [
            {
                "sku": entry.form.sku.data or "",
                "name": entry.form.name.data or "",
                "quantity": from_text(entry.form.quantity.data),
                "unitPrice": from_text(entry.form.unit_price.data),
            }
            for entry in self.items.entries
        ]


class PaymentForm(Form):
    amount = StringField("Amount", validators=[DataRequired(), Length(max=40)])
    method = StringField("Method", validators=[Optional(), Length(max=50)])
    reference = StringField("Reference", validators=[Optional(), Length(max=200)])


class RefundForm(Form):
    amount = StringField("Amount (empty: all)", validators=[Optional(), Length(max=40)])
