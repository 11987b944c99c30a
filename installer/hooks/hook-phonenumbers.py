"""Replaces pyinstaller-hooks-contrib's hook-phonenumbers (which collects every submodule).

phonenumbers imports its per-region metadata by name at run time, so those modules must be
collected; the place-name, carrier and time-zone tables (about 45 MB of source) are only for
phonenumbers.geocoder / .carrier / .timezone, which ispclient does not use and build.spec excludes.
"""

from PyInstaller.utils.hooks import collect_submodules

_UNUSED = ("phonenumbers.geodata", "phonenumbers.geocoder", "phonenumbers.carrierdata",
           "phonenumbers.carrier", "phonenumbers.tzdata", "phonenumbers.timezone")

hiddenimports = collect_submodules(
    "phonenumbers", filter=lambda name: not any(name == u or name.startswith(u + ".") for u in _UNUSED)
)
