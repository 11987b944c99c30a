"""Qt item models: the data of lists and tables, prepared for the views."""

from ispclient.ui.models.client_filter import NO_SERVER, ClientFilter
from ispclient.ui.models.client_list import (
    CLIENT_ID_ROLE,
    CONNECTION_ROLE,
    HEADERS,
    ROW_ROLE,
    SORT_ROLE,
    ClientListModel,
    Column,
    ListCounts,
)

__all__ = [
    "CLIENT_ID_ROLE", "CONNECTION_ROLE", "HEADERS", "NO_SERVER", "ROW_ROLE", "SORT_ROLE", "ClientFilter",
    "ClientListModel", "Column", "ListCounts",
]
