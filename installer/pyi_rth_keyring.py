"""PyInstaller runtime hook (listed in build.spec): runs in the frozen app before ispclient.

On Windows the frozen app uses Windows Credential Manager, chosen explicitly rather than through
keyring's entry-point discovery, so a packaging slip can never leave it on the "fail" backend or
on some other installed backend. Elsewhere keyring's normal resolution applies.
"""

import sys

if sys.platform == "win32" and getattr(sys, "frozen", False):
    try:
        import keyring
        from keyring.backends.Windows import WinVaultKeyring

        keyring.set_keyring(WinVaultKeyring())
    except Exception:  # noqa: BLE001 - never a traceback box at start-up; --smoke-test checks the backend
        pass
