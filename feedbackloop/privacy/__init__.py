"""Customer privacy: who sees raw contacts, export and erasure on request, consented public quotes (SPEC §9)."""

from feedbackloop.privacy.services import (
    can_see_contact,
    contact_for,
    erase_customer,
    export_customer,
    public_quotes,
)

__all__ = ["can_see_contact", "contact_for", "erase_customer", "export_customer", "public_quotes"]
