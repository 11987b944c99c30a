"""Small reusable widgets: status badges, key/value sections, notice boxes."""

from ispclient.ui.widgets.notice import NoticeBox
from ispclient.ui.widgets.section import Section, value_label
from ispclient.ui.widgets.status import StatusBadge

__all__ = ["NoticeBox", "Section", "StatusBadge", "value_label"]
