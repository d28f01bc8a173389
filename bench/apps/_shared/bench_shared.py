"""Data shared by every Python contender, so that all of them send the same bytes.

run.py puts this folder on PYTHONPATH; the payload files themselves are read from
../shared/bench at run time (BENCH_PAYLOADS points there) and never copied.
"""

import os

HELLO = "Hello, World!"
JSON_HELLO = {"message": HELLO}

# The constraints of ../shared/bench/README.md, written once for the apps that
# validate by hand or by JSON Schema.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
SKU_PATTERN = r"^SKU-\d{4}$"
PRIORITIES = ("low", "normal", "high")


def big_payload() -> dict:
    """The ~100 KB JSON response (1,000 items, 104,870 bytes compact).

    Only ints, strings and booleans: every JSON encoder prints those identically,
    so the bodies compare byte for byte once parsed.
    """
    return {
        "items": [
            {
                "id": i,
                "sku": f"SKU-{i:04d}",
                "name": f"Item number {i}",
                "quantity": i % 100 + 1,
                "active": i % 2 == 0,
                "tags": ["blue", "large", "sale"][: i % 3 + 1],
            }
            for i in range(1000)
        ]
    }


def port() -> int:
    """The port run.py chose (the apps started as scripts read it here)."""
    return int(os.environ.get("BENCH_PORT", "8000"))


ITEM_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "price": {"type": "number", "exclusiveMinimum": 0},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        "active": {"type": "boolean"},
    },
    "required": ["name", "price", "quantity", "tags", "active"],
}

ORDER_SCHEMA = {
    "type": "object",
    "properties": {
        "order_id": {"type": "integer"},
        "customer": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 100},
                "email": {"type": "string", "pattern": EMAIL_PATTERN},
                "address": {
                    "type": "object",
                    "properties": {
                        "street": {"type": "string", "minLength": 1},
                        "city": {"type": "string"},
                        "postal_code": {"type": "string", "maxLength": 16},
                        "country": {"type": "string", "minLength": 2, "maxLength": 2},
                    },
                    "required": ["street", "city", "postal_code", "country"],
                },
            },
            "required": ["name", "email", "address"],
        },
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 100,
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string", "pattern": SKU_PATTERN},
                    "name": {"type": "string"},
                    "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "price": {"type": "number", "exclusiveMinimum": 0},
                    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
                },
                "required": ["sku", "name", "quantity", "price", "tags"],
            },
        },
        "notes": {"type": "string", "maxLength": 500},
        "priority": {"enum": list(PRIORITIES)},
        "gift": {"type": "boolean"},
    },
    "required": ["order_id", "customer", "items", "notes", "priority", "gift"],
}
