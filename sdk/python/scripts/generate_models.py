"""Write `sparki/models.py` from Sparki's OpenAPI document.

    python sdk/python/scripts/generate_models.py            # from the app in this repository
    python sdk/python/scripts/generate_models.py URL|FILE   # from a server or a saved document

Every response schema (`…Out`, `…Created`, …) becomes a dataclass named without its `Out`
suffix; request bodies and page envelopes are left out (the SDK takes keyword arguments and
returns `Page` objects). `tests/sdk/test_models.py` fails when the file is out of date.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TARGET = HERE.parent / "sparki" / "models.py"

SKIP_SUFFIXES = ("In", "Create", "Update", "Page", "IO")
SKIP = {"ValidationError", "HTTPError", "ServiceUrlSettings"}
RENAMES = {
    "HistoryOut": "OrderHistoryEntry",  # an order's history line
    "HistoryOut1": "MetricsHistory",  # the cluster's figures over a window
    "NodeListOut": "NodeList",
    "SessionsOut": "SessionList",
}
# Fields of type number holding money: exact Decimals, never floats.
MONEY = {"amount", "unitPrice", "subtotal", "total", "amountPaid", "amountRefunded"}
MONEY |= {"openBalance", "spent"}

HEADER = '''"""Typed results of the Sparki API, generated from its OpenAPI document.

Do not edit: run `python sdk/python/scripts/generate_models.py` after the API changes.
Every field defaults to None; `to_dict()` returns the raw camelCase JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List, Optional

from ._model import SparkiObject

__all__ = [
'''


def class_name(schema: str) -> str:
    if schema in RENAMES:
        return RENAMES[schema]
    return schema[:-3] if schema.endswith("Out") and len(schema) > 3 else schema


def wanted(schema: str) -> bool:
    return schema not in SKIP and not schema.endswith(SKIP_SUFFIXES)


def attr_name(key: str) -> str:
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
    return name + "_" if keyword.iskeyword(name) else name


def field_type(key: str, prop: dict[str, Any]) -> tuple[str, str | None]:
    """(Python annotation, converter kind) of one property."""
    ref = prop.get("$ref")
    if not ref:
        refs = [p.get("$ref") for p in prop.get("anyOf", []) if p.get("$ref")]
        ref = refs[0] if refs else None
    if ref:
        target = ref.rsplit("/", 1)[-1]
        if wanted(target):
            return class_name(target), class_name(target)
        return "Dict[str, Any]", None
    kinds = prop.get("type")
    kinds = [k for k in (kinds if isinstance(kinds, list) else [kinds]) if k and k != "null"]
    kind = kinds[0] if len(kinds) == 1 else None
    if kind == "array":
        items = prop.get("items", {})
        target = items.get("$ref", "").rsplit("/", 1)[-1]
        if target and wanted(target):
            return f"List[{class_name(target)}]", f"list:{class_name(target)}"
        inner, _ = field_type(key, items) if items else ("Any", None)
        return f"List[{inner}]", None
    if kind == "string" and prop.get("format") == "date-time":
        return "datetime", "datetime"
    if kind == "number" and key in MONEY:
        return "Decimal", "decimal"
    simple = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
    if kind in simple:
        return simple[kind], None
    if kind == "object":
        return "Dict[str, Any]", None
    return "Any", None


def render(spec: dict[str, Any]) -> str:
    schemas = spec["components"]["schemas"]
    names = sorted(n for n in schemas if wanted(n))
    out = [HEADER]
    out += [f'    "{class_name(n)}",\n' for n in sorted(names, key=class_name)]
    out.append("]\n")
    for name in sorted(names, key=class_name):
        schema = schemas[name]
        out.append(f"\n\n@dataclass(eq=True)\nclass {class_name(name)}(SparkiObject):\n")
        out.append(f'    """`{name}` in the OpenAPI document."""\n\n')
        spec_lines = []
        for key, prop in schema.get("properties", {}).items():
            annotation, kind = field_type(key, prop)
            attr = attr_name(key)
            out.append(f"    {attr}: Optional[{annotation}] = None\n")
            spec_lines.append(f'        "{attr}": ("{key}", {kind!r}),\n'.replace("'", '"'))
        out.append("\n    _SPEC = {\n")
        out += spec_lines
        out.append("    }\n")
    return "".join(out)


def load(source: str | None) -> dict[str, Any]:
    if source and source.startswith(("http://", "https://")):
        import httpx

        return httpx.get(source, timeout=30).json()
    if source:
        return json.loads(Path(source).read_text())
    return app_spec()


def app_spec() -> dict[str, Any]:
    """The document of the app in this repository (needs Sparki installed: `make install`)."""
    sys.path.insert(0, str(HERE.parents[2]))
    import tempfile

    from app import create_app

    folder = tempfile.mkdtemp()
    app = create_app(
        {
            "SECRET_KEY": "x" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/spec.db",
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "TESTING": True,
        }
    )
    return app.test_client().get("/api/v1/openapi.json").get_json()


if __name__ == "__main__":
    TARGET.write_text(render(load(sys.argv[1] if len(sys.argv) > 1 else None)))
    print(f"wrote {TARGET}")
