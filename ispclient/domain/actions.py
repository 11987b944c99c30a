"""When each action on a subscription or a payment is allowed — one set of rules, used by the
services (which refuse) and the screens (which grey out the button and say why). No Qt.

Each ``*_blocker`` returns None when the action is allowed, else the reason in plain words.
"""

from __future__ import annotations

from ispclient.domain.subscriptions import SubscriptionStatus

NO_PACKAGE_ON_SALE = "No package is on sale. Add or re-activate one in Packages first."
CLIENT_DELETED = "This client has been deleted."


def cancel_blocker(status: SubscriptionStatus) -> str | None:
    if status is SubscriptionStatus.CANCELLED:
        return "This subscription is already cancelled."
    if status is SubscriptionStatus.EXPIRED:
        return "This subscription has already ended; there is nothing to cancel."
    return None


def renew_blocker(status: SubscriptionStatus, packages_on_sale: bool) -> str | None:
    if status is SubscriptionStatus.CANCELLED:
        return "A cancelled subscription can't be renewed; use Create Subscription instead."
    if not packages_on_sale:
        return NO_PACKAGE_ON_SALE
    return None


def payment_blocker(status: SubscriptionStatus) -> str | None:
    if status is SubscriptionStatus.CANCELLED:
        return "This subscription is cancelled; record the payment on another one (or as credit)."
    return None


def refund_blocker(available_minor: int) -> str | None:
    """A refund from a subscription or from credit needs money there."""
    if available_minor <= 0:
        return "There is no money here to refund."
    return None


def move_to_credit_blocker(movable_minor: int, cancelled: bool) -> str | None:
    if movable_minor > 0:
        return None
    if cancelled:
        return "No money is left on this cancelled subscription."
    return "Only money paid beyond the price can move to credit (or all of it once the subscription is cancelled)."


def void_blocker(is_void: bool) -> str | None:
    """The screens' first check; the service also checks that the void leaves no negative money
    (:func:`ispclient.domain.ledger.void_blocker`)."""
    if is_void:
        return "This entry is already void."
    return None
