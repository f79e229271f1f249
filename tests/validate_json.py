#!/usr/bin/python3
"""Validate natprobe JSON reports against reports/report.schema.json.

usage: validate_json.py SCHEMA FILE...   (FILE may be - for stdin)
Exit 0 when every file validates; 1 with the first error of each otherwise.
"""
import json
import sys

import jsonschema


def main():
    schema = json.load(open(sys.argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in sys.argv[2:]:
        text = sys.stdin.read() if path == "-" else open(path).read()
        try:
            doc = json.loads(text)
        except ValueError as e:
            print("%s: not JSON: %s" % (path, e))
            bad += 1
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors[:3]:
            print("%s: %s at %s" % (path, e.message, "/".join(map(str, e.path))))
        bad += bool(errors)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
