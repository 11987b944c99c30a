"""``python -m ispclient`` and the frozen build's entry point."""

import multiprocessing

if __name__ == "__main__":
    # The router-check helper process (routeros/offload.py) is started with "spawn": in the
    # frozen build it re-enters here and must run the helper, not a second app.
    multiprocessing.freeze_support()
    from ispclient.app import main

    raise SystemExit(main())
