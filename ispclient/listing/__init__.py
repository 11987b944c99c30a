"""The client list's data, without Qt: every client as columns of arrays, searched, filtered and
sorted as whole columns.

``ispclient.ui.models.client_list`` shows a :class:`~ispclient.listing.index.ClientIndex` in a
table view; everything that decides *which* rows are shown and in *what order* lives here and is
tested with plain pytest and hypothesis against the slow, obvious definitions in
:mod:`ispclient.listing.search` and :mod:`ispclient.listing.keys`.
"""
