#!/usr/bin/python3
"""Validates a JSON document against a JSON Schema (draft 2020-12).

Usage: validate_json.py SCHEMA FILE

Exit status: 0 when FILE is valid; 1 when it is not (the reason is printed
on stderr); 2 for a usage error, an unreadable file or a broken schema.

The check is stricter than a plain json.load(): the bytes must be valid
UTF-8, NaN and Infinity are refused (they are not JSON), and so are
duplicate keys.
"""
import datetime
import json
import sys

import jsonschema


class Invalid(Exception):
    """FILE is not acceptable JSON or does not match the schema."""


def refuse_constant(name):
    raise Invalid(f"not JSON: {name} is not a JSON number")


def refuse_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise Invalid(f"not JSON: duplicate key {key!r}")
        seen[key] = value
    return seen


def date_time_checker():
    """A format checker whose "date-time" check needs no extra module
    (jsonschema leaves it unchecked without rfc3339-validator)."""
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value):
        if isinstance(value, str):
            datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    return checker


def load_strict(path):
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8", errors="strict")
        return json.loads(text, parse_constant=refuse_constant,
                          object_pairs_hook=refuse_duplicates)
    except UnicodeDecodeError as e:
        raise Invalid(f"not UTF-8: {e}") from e
    except json.JSONDecodeError as e:
        raise Invalid(f"not JSON: {e}") from e


def main(argv):
    if len(argv) != 3:
        print("usage: validate_json.py SCHEMA FILE", file=sys.stderr)
        return 2
    try:
        with open(argv[1], "rb") as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validator = cls(schema, format_checker=date_time_checker())
        document = load_strict(argv[2])
    except Invalid as e:
        print(f"{argv[2]}: {e}", file=sys.stderr)
        return 1
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print(f"validate_json.py: {e}", file=sys.stderr)
        return 2
    errors = sorted(validator.iter_errors(document), key=lambda e: e.path)
    for error in errors:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        print(f"{argv[2]}: {where}: {error.message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
