"""Data in and out — no Qt.

* :mod:`.sources` reads a file as rows of cells: CSV (delimiter and encoding detected),
  XLSX (openpyxl, streamed) and a MikroTik ``/export`` (.rsc) file's ``/ppp secret`` lines.
* :mod:`.mapping` says which column holds what (guessed from the header, presets, saved).
* :mod:`.prepare` reads every row once: cleaned values and a verdict per row (new, update,
  duplicate, error…) kept in a spool file, never all rows in memory.
* :mod:`.apply` writes the rows in batches, each one transaction with its audit events.
* :mod:`.export` writes clients, payments, subscriptions and the audit log to CSV or XLSX.
"""
