#!/usr/bin/env python3
"""Validates api-spec/openapi.yaml as OpenAPI 3.1 (CI runs this)."""
import pathlib
import sys

from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

spec = pathlib.Path(__file__).resolve().parent.parent / "api-spec" / "openapi.yaml"
document, _ = read_from_filename(str(spec))
validate(document)
print(f"{spec.name}: valid OpenAPI {document['openapi']}, {len(document['paths'])} paths")
sys.exit(0)
