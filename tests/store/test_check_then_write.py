"""Every service function that checks before it writes, caught between another PC's check and
its commit (the OtherPc fixture: the other PC's transaction is open, its change not yet visible,
when this PC's call starts). The check must hold anyway: a lock makes this PC wait and look
again, a row version or a unique index refuses — with a message, and nothing half-saved.

On SQLite one writer at a time already gives this; these tests matter on PostgreSQL, where
each would let both calls through without the lock."""

from __future__ import annotations

from datetime import timedelta

import peewee
import pytest

from ispclient.domain.errors import ValidationError
from ispclient.store import catalog, clients, settings
from ispclient.store import subscriptions as subs
from ispclient.store.clients import ClientInput, DeleteRefused
from ispclient.store.errors import ChangedElsewhere, RecordDeleted
from ispclient.store.models import Client, Package, Payment, Server, Subscription

from .conftest import Factory, OtherPc


def _refusal(result: object, kind: type[Exception] = ValidationError) -> ValidationError:
    assert isinstance(result, kind), f"expected {kind.__name__}, got {result!r}"
    assert isinstance(result, ValidationError)
    return result


# --- clients -----------------------------------------------------------------------------------


def test_create_client_the_same_client_id_in_other_case(other_pc: OtherPc) -> None:
    other_pc.starts(clients.create_client, ClientInput("ab-1", "First"))
    result = other_pc.meanwhile(clients.create_client, ClientInput("AB-1", "Second"))
    assert list(_refusal(result).errors) == ["client_code"]
    assert Client.select().count() == 1


def test_create_client_the_same_username_in_other_case(other_pc: OtherPc, make: Factory) -> None:
    server = make.server()
    other_pc.starts(clients.create_client, ClientInput("C1", "First", pppoe_username="Amina", server_id=server))
    result = other_pc.meanwhile(clients.create_client, ClientInput("C2", "Second", pppoe_username="amina",
                                                                   server_id=server))
    assert list(_refusal(result).errors) == ["pppoe_username"]
    assert Client.select().count() == 1


def test_create_client_on_a_router_another_pc_removes(other_pc: OtherPc, make: Factory) -> None:
    server = make.server()
    other_pc.starts(catalog.delete_server, server)
    result = other_pc.meanwhile(clients.create_client, ClientInput("C1", "First", pppoe_username="amina",
                                                                   server_id=server))
    assert list(_refusal(result).errors) == ["server_id"]
    assert Client.select().count() == 0 and Server.select().count() == 0


def test_edit_client_from_an_older_version_is_refused_saying_what_changed(other_pc: OtherPc,
                                                                          make: Factory) -> None:
    cid = make.client("Amina Wanjiru")
    version = Client.get_by_id(cid).version
    form = ClientInput("T00001", "Amina Wanjiru")
    other_pc.starts(clients.edit_client, cid, ClientInput("T00001", "Amina Wanjiru", phone="+254712345678"),
                    actor="amina", expected_version=version)
    result = other_pc.meanwhile(clients.edit_client, cid, ClientInput("T00001", "Amina W. Otieno"),
                                expected_version=version)
    refusal = _refusal(result, ChangedElsewhere)
    message = refusal.errors["__all__"]
    assert message.startswith("This client was changed on another PC at ") and " by amina — reload" in message
    assert "phone: (empty) → “+254712345678”" in message
    client = Client.get_by_id(cid)
    assert (client.name, client.phone, client.version) == ("Amina Wanjiru", "+254712345678", version + 1)
    assert [c.field for c in refusal.changes] == ["phone"] and refusal.by == "amina"
    del form


def test_edit_client_another_pc_deletes_says_so(other_pc: OtherPc, make: Factory) -> None:
    cid = make.client()
    other_pc.starts(clients.delete_client, cid, actor="amina")
    result = other_pc.meanwhile(clients.edit_client, cid, ClientInput("T00001", "New name"))
    message = _refusal(result, RecordDeleted).errors["__all__"]
    assert "was deleted on another PC at" in message and "by amina" in message and "Undo delete" in message
    assert "SELECT" not in message and Client.get_by_id(cid).name == "Amina Wanjiru"


def test_delete_client_while_another_pc_sells_them_a_subscription(other_pc: OtherPc, make: Factory) -> None:
    cid, package = make.client(), make.package()
    other_pc.starts(subs.create_subscription, cid, package, settings.today())
    result = other_pc.meanwhile(clients.delete_client, cid)
    assert "Cancel it first" in _refusal(result, DeleteRefused).errors["__all__"]
    assert Client.get_by_id(cid).deleted_at is None


def test_undo_delete_while_another_pc_takes_the_client_id(other_pc: OtherPc, make: Factory) -> None:
    cid = make.client()
    clients.delete_client(cid)
    other_pc.starts(clients.create_client, ClientInput("t00001", "Newcomer"))
    result = other_pc.meanwhile(clients.undo_delete_client, cid)
    assert list(_refusal(result).errors) == ["client_code"]
    assert Client.get_by_id(cid).deleted_at is not None


# --- subscriptions and payments ----------------------------------------------------------------


def test_sell_to_a_client_another_pc_deletes(other_pc: OtherPc, make: Factory) -> None:
    cid, package = make.client(), make.package()
    other_pc.starts(clients.delete_client, cid)
    result = other_pc.meanwhile(subs.create_subscription, cid, package, settings.today())
    assert "deleted" in _refusal(result, RecordDeleted).errors["__all__"]
    assert Subscription.select().count() == 0


def test_sell_the_same_period_on_two_pcs(other_pc: OtherPc, make: Factory) -> None:
    cid, package = make.client(), make.package()
    other_pc.starts(subs.create_subscription, cid, package, settings.today())
    result = other_pc.meanwhile(subs.create_subscription, cid, package, settings.today() + timedelta(days=3))
    assert "overlaps" in _refusal(result).errors["start"]
    assert Subscription.select().count() == 1


def test_sell_a_package_another_pc_stops_selling(other_pc: OtherPc, make: Factory) -> None:
    cid, package = make.client(), make.package("Home 10M")
    other_pc.starts(catalog.edit_package, package, catalog.PackageInput("Home 10M", "1500", 30, active=False))
    result = other_pc.meanwhile(subs.create_subscription, cid, package, settings.today())
    assert "no longer sold" in _refusal(result).errors["package"]
    assert Subscription.select().count() == 0


def test_sell_while_another_pc_changes_the_price(other_pc: OtherPc, make: Factory) -> None:
    cid, package = make.client(), make.package("Home 10M", price="1500")
    other_pc.starts(catalog.edit_package, package, catalog.PackageInput("Home 10M", "2000", 30))
    sold = other_pc.meanwhile(subs.create_subscription, cid, package, settings.today())
    assert isinstance(sold, Subscription)
    assert Subscription.get_by_id(sold.id).price_minor == 200000  # the price after the edit, not half of it


def test_payment_on_a_subscription_another_pc_cancels(other_pc: OtherPc, make: Factory) -> None:
    sub = make.subscription(make.client(), make.package(), settings.today())
    other_pc.starts(subs.cancel_subscription, sub, "Moving away", actor="amina")
    result = other_pc.meanwhile(subs.record_payment, sub, subs.PaymentInput("500"))
    assert "was cancelled (by amina" in _refusal(result).errors["__all__"]
    assert Payment.select().count() == 0


def test_cancel_while_another_pc_takes_a_payment(other_pc: OtherPc, make: Factory) -> None:
    """The other order: the payment first, then the cancel — both stand, in that order."""
    sub = make.subscription(make.client(), make.package(), settings.today())
    other_pc.starts(subs.record_payment, sub, subs.PaymentInput("500"))
    result = other_pc.meanwhile(subs.cancel_subscription, sub, "Moving away")
    assert isinstance(result, Subscription)
    pay = Payment.get((Payment.subscription == sub) & (Payment.kind == "payment"))
    assert pay.paid_at < Subscription.get_by_id(sub).cancelled_at
    moved = Payment.get((Payment.subscription == sub) & (Payment.kind == "transfer"))  # the cancel saw the payment
    assert (moved.amount_minor, moved.credit_minor) == (0, 50000)


def test_cancel_on_two_pcs(other_pc: OtherPc, make: Factory) -> None:
    sub = make.subscription(make.client(), make.package(), settings.today())
    other_pc.starts(subs.cancel_subscription, sub, "First", actor="amina")
    result = other_pc.meanwhile(subs.cancel_subscription, sub, "Second")
    assert "already cancelled (by amina" in _refusal(result).errors["__all__"]
    assert Subscription.get_by_id(sub).cancel_reason == "First"


def test_auto_renew_on_a_subscription_another_pc_cancels(other_pc: OtherPc, make: Factory) -> None:
    sub = make.subscription(make.client(), make.package(), settings.today())
    other_pc.starts(subs.cancel_subscription, sub, "Moving away")
    result = other_pc.meanwhile(subs.set_auto_renew, sub, True)
    assert "can't renew" in _refusal(result).errors["auto_renew"]
    assert Subscription.get_by_id(sub).auto_renew is False


def test_currency_change_while_another_pc_takes_the_first_payment(other_pc: OtherPc, make: Factory) -> None:
    sub = make.subscription(make.client(), make.package(), settings.today())
    other_pc.starts(subs.record_payment, sub, subs.PaymentInput("500"))
    result = other_pc.meanwhile(settings.save, settings.Settings(currency="UGX"))
    assert list(_refusal(result).errors) == ["currency"]
    assert settings.load().currency == "USD" and Payment.select().count() == 1


# --- packages and routers ----------------------------------------------------------------------


def test_create_package_with_a_name_another_pc_takes(other_pc: OtherPc) -> None:
    other_pc.starts(catalog.create_package, catalog.PackageInput("Home 10M", "1500", 30))
    result = other_pc.meanwhile(catalog.create_package, catalog.PackageInput("Home 10M", "1800", 30))
    assert list(_refusal(result).errors) == ["name"]
    assert Package.select().count() == 1


def test_create_router_with_a_name_another_pc_takes(other_pc: OtherPc) -> None:
    other_pc.starts(catalog.create_server, catalog.ServerInput("Main", "10.0.0.1"))
    result = other_pc.meanwhile(catalog.create_server, catalog.ServerInput("Main", "10.0.0.2"))
    assert list(_refusal(result).errors) == ["name"]
    assert Server.select().count() == 1


def test_remove_a_router_another_pc_assigns_a_client_to(other_pc: OtherPc, make: Factory) -> None:
    server = make.server()
    other_pc.starts(clients.create_client, ClientInput("C1", "First", pppoe_username="amina", server_id=server))
    result = other_pc.meanwhile(catalog.delete_server, server)
    assert "still has 1 client" in _refusal(result).errors["__all__"]
    assert Server.select().count() == 1


def test_edit_a_router_another_pc_removes(other_pc: OtherPc, make: Factory) -> None:
    server = make.server("Main")
    other_pc.starts(catalog.delete_server, server)
    result = other_pc.meanwhile(catalog.edit_server, server, catalog.ServerInput("Main", "10.0.0.9"))
    assert "removed" in _refusal(result, RecordDeleted).errors["__all__"]


@pytest.mark.parametrize("backend_only", ["postgres"])
def test_the_harness_really_overlaps_the_calls(db: peewee.Database, other_pc: OtherPc, make: Factory,
                                               backend_only: str) -> None:
    """On PostgreSQL the other PC's change is invisible to this PC until the other PC commits:
    without a lock, a check made meanwhile would see the old state."""
    if not isinstance(db, peewee.PostgresqlDatabase):
        pytest.skip("the overlap only exists with several connections writing at once")
    cid = make.client()
    other_pc.starts(clients.delete_client, cid)
    seen = other_pc.meanwhile(lambda: Client.get_by_id(cid).deleted_at)
    assert seen is None  # read while the other PC's delete was open
    assert Client.get_by_id(cid).deleted_at is not None
