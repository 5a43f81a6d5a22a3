"""The printed schema is the published contract: it must match the checked-in schema.graphql."""

from __future__ import annotations

from pathlib import Path

from schema.main import schema

SDL_FILE = Path(__file__).resolve().parent.parent / "schema" / "schema.graphql"


def test_printed_schema_matches_the_checked_in_file():
    # given the schema the code builds, as `opus schema print` writes it
    printed = schema.as_str() + "\n"

    # when compared with the published file, then they are identical
    assert printed == SDL_FILE.read_text(), (
        "The GraphQL schema changed but schema/schema.graphql was not updated. If the change is "
        "intended, run `opus schema print > schema/schema.graphql` and commit the file."
    )
