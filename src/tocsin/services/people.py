"""People's contact methods: added, removed, listed, verified and tested.

An email address is verified by a signed link mailed to it, as a password reset is;
the other methods (a phone number, a Pushover user key, an ntfy topic, a Telegram chat,
a Slack member id) count as verified once added: the person typed them in their own
profile, and the test message shows whether they work. Alerts reach only verified
methods, within each method's hours."""

import re
from datetime import timedelta

import sqlalchemy as sa

from tocsin.alerts.notifier import send_test_to_person
from tocsin.domain.people import ActiveHours, Contact, ContactKind
from tocsin.domain.signing import sign, verify
from tocsin.services.accounts import send_mail
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.store import people as people_store
from tocsin.store import users as user_store

VERIFY_PURPOSE = "verify-contact"
VERIFY_TTL = timedelta(days=2)
LINK_UNUSABLE = "the verification link has expired, or it is not for this address"

# What each kind of address must look like: refused early, with the reason.
ADDRESS_RULES: dict[ContactKind, tuple[str, str]] = {
    ContactKind.EMAIL: (r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$", "an email address"),
    ContactKind.PHONE: (r"^\+[1-9][0-9]{6,14}$", "a phone number in E.164 form, like +4930123456"),
    ContactKind.PUSHOVER: (r"^[A-Za-z0-9]{30}$", "a Pushover user key of 30 letters and digits"),
    ContactKind.NTFY: (r"^[A-Za-z0-9_-]{1,64}$", "an ntfy topic of letters, digits, - and _"),
    ContactKind.TELEGRAM: (r"^-?[0-9]{1,20}$", "a Telegram chat id (a number)"),
    ContactKind.SLACK: (r"^[UW][A-Z0-9]{5,20}$", "a Slack member id, like U024BE7LH"),
}


def valid_address(kind: ContactKind, address: str) -> str:
    pattern, shape = ADDRESS_RULES[kind]
    value = address.strip()
    if kind == ContactKind.EMAIL:
        value = value.lower()
    if not re.match(pattern, value):
        raise InvalidError("address", f"not {shape}")
    return value


def contact_kind(text: str) -> ContactKind:
    try:
        return ContactKind(text.strip().lower())
    except ValueError:
        known = ", ".join(k.value for k in ContactKind)
        raise InvalidError("kind", f"unknown kind {text!r}; use one of {known}") from None


async def list_contacts(context: Context, user_id: int) -> list[Contact]:
    async with context.database.read() as connection:
        found = await connection.run_sync(people_store.contacts_of, [user_id])
    return found[user_id]


async def add_contact(
    context: Context,
    user_id: int,
    kind: ContactKind,
    address: str,
    hours: ActiveHours | None = None,
) -> Contact:
    """A new contact method of the user. An email is unverified until its link is
    followed (`send_verification` mails it); `ConflictError` if the user has it already."""
    value = valid_address(kind, address)
    now = context.clock.now()
    verified = None if kind == ContactKind.EMAIL else now

    def work(connection: sa.Connection) -> Contact:
        if people_store.find_contact(connection, user_id, kind, value) is not None:
            raise ConflictError(f"you have this {kind.value} contact method already")
        contact_id = people_store.insert_contact(
            connection, user_id, kind, value, now, verified=verified, hours=hours
        )
        found = people_store.contact(connection, contact_id)
        assert found is not None
        return found

    async with context.database.write() as connection:
        return await connection.run_sync(work)


async def add_account_email(context: Context, user_id: int) -> Contact:
    """The user's account email as a contact method, if they have not added it yet."""
    async with context.database.read() as connection:
        found = await connection.run_sync(user_store.user_by_id, user_id)
    if found is None:
        raise NotFoundError(f"no user {user_id}")
    email = found[0].email
    for contact in await list_contacts(context, user_id):
        if contact.kind == ContactKind.EMAIL and contact.address == email:
            return contact
    return await add_contact(context, user_id, ContactKind.EMAIL, email)


async def owned_contact(context: Context, user_id: int, contact_id: int) -> Contact:
    async with context.database.read() as connection:
        found = await connection.run_sync(people_store.contact, contact_id)
    if found is None or found.user_id != user_id:
        raise NotFoundError(f"no contact method {contact_id} of yours")
    return found


async def remove_contact(context: Context, user_id: int, contact_id: int) -> None:
    await owned_contact(context, user_id, contact_id)
    async with context.database.write() as connection:
        await connection.run_sync(people_store.delete_contact, contact_id)


async def set_contact_hours(
    context: Context, user_id: int, contact_id: int, hours: ActiveHours | None
) -> None:
    """The hours of the day a method may be used (None: any hour)."""
    await owned_contact(context, user_id, contact_id)
    async with context.database.write() as connection:
        await connection.run_sync(
            lambda c: people_store.update_contact(
                c, contact_id, **people_store.hours_columns(hours)
            )
        )


def verification_link(context: Context, contact: Contact) -> str:
    token = sign(context.secret, purpose(contact), contact.id, context.clock.now() + VERIFY_TTL)
    return f"{context.settings.base_url}/profile/verify?contact={contact.id}&token={token}"


def purpose(contact: Contact) -> str:
    """Bound to the address too: a link for an address that was removed and added
    again with another id, or changed, no longer works."""
    return f"{VERIFY_PURPOSE}:{contact.address}"


async def send_verification(context: Context, user_id: int, contact_id: int) -> str:
    """Mail the verification link to an email contact method; "" when it went, else
    why not."""
    contact = await owned_contact(context, user_id, contact_id)
    if contact.kind != ContactKind.EMAIL:
        raise InvalidError("contact", "only email addresses are verified by a link")
    text = (
        f"Someone, probably you, added {contact.address} as a way Tocsin reaches them "
        f"with alerts.\n\nConfirm it here, within two days:\n"
        f"{verification_link(context, contact)}\n\n"
        "If it was not you, ignore this email: nothing will be sent here."
    )
    return await send_mail(context, contact.address, "Confirm your Tocsin alert address", text)


async def verify_contact(context: Context, user_id: int, contact_id: int, token: str) -> Contact:
    """Follow a verification link, signed in as the method's owner (`NotFoundError` for
    anyone else): the method is verified from now."""
    now = context.clock.now()
    contact = await owned_contact(context, user_id, contact_id)
    if not verify(context.secret, token, purpose(contact), contact_id, now):
        raise ConflictError(LINK_UNUSABLE)
    async with context.database.write() as connection:
        await connection.run_sync(
            lambda c: people_store.update_contact(c, contact_id, verified=now)
        )
    return await owned_contact(context, user_id, contact_id)


async def test_contact(context: Context, user_id: int, contact_id: int) -> str:
    """Send a test message to one contact method now; "" when it went, else why not."""
    contact = await owned_contact(context, user_id, contact_id)
    error = await send_test_to_person(context.settings, contact.kind, contact.address, contact.uuid)
    return "" if error is None else str(error)
