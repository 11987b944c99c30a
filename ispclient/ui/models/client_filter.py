"""The client list's search and filter rules — kept in :mod:`ispclient.listing.search` (no Qt);
the names stay importable from here."""

from ispclient.listing.search import (
    NO_SERVER,
    SEPARATOR,
    ClientFilter,
    fold,
    phone_forms,
    refines,
    row_matches,
    search_fields,
    search_terms,
)

__all__ = ["NO_SERVER", "SEPARATOR", "ClientFilter", "fold", "phone_forms", "refines", "row_matches",
           "search_fields", "search_terms"]
