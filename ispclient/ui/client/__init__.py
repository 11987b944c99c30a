"""The tabbed client window (Overview, Subscriptions, Activity) and its actions."""

from ispclient.ui.client.actions import delete_client_interactive
from ispclient.ui.client.window import ClientWindow

__all__ = ["ClientWindow", "delete_client_interactive"]
