"""ispclient — front-desk client and subscription manager for small ISPs on MikroTik."""

__version__ = "0.1.0"
APP_NAME = "ispclient"
APP_DISPLAY_NAME = "ISP Client"
