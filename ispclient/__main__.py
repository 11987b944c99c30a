from ispclient.app import main

raise SystemExit(main())
