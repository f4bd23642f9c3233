"""The notification kinds: who may get them, default channels, and their text in the reader's language.

A notification stores only its kind and parameters; the title and body are rendered when read (in the reader's
current language) or when the e-mail is queued (in the recipient's saved language).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from app.i18n import N_, format_date, format_number, ngettext, reset_locale, set_locale
from app.i18n import gettext as _
from app.messaging.claim_words import claim_label
from app.messaging.deal_words import deal_words
from app.messaging.services import DECLINE_REASONS
from app.vocab import CERTIFICATE_STATUSES, label


@dataclass(frozen=True)
class Kind:
    key: str
    #: Shown on the preferences form.
    name: str
    #: Roles that can receive it (the preferences form shows only these).
    roles: tuple[str, ...]
    #: Whether an e-mail is sent when the user has not chosen (in-app is on by default for every kind).
    email_default: bool
    title: str
    body: str
    #: E-mail chosen as immediately / weekly digest / not at all (a select) instead of a checkbox.
    email_modes: bool = False


#: The e-mail choices of a kind with ``email_modes`` (the weekly digest is sent by app.bulletins.digest).
EMAIL_MODES: dict[str, str] = {
    "immediate": N_("Immediately"),
    "weekly": N_("Weekly digest"),
    "none": N_("Not by e-mail"),
}


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind(
            "message",
            N_("New messages in my conversations"),
            ("producer", "buyer"),
            True,
            N_("New message from %(org)s"),
            N_("%(excerpt)s"),
        ),
        Kind(
            "deal_recorded",
            N_("A deal to confirm"),
            ("producer", "buyer"),
            True,
            N_("%(org)s recorded a deal: please confirm it"),
            N_("%(terms)s."),
        ),
        Kind(
            "deal_confirmed",
            N_("A deal I recorded was confirmed"),
            ("producer", "buyer"),
            True,
            N_("%(org)s confirmed the deal"),
            N_("The deal is now confirmed by both sides."),
        ),
        Kind(
            "deal_declined",
            N_("A conversation ended without a deal"),
            ("producer", "buyer"),
            True,
            N_("%(org)s ended the conversation without a deal"),
            N_("Reason: %(reason)s. %(text)s"),
        ),
        Kind(
            "offer_match",
            N_("New offers matching my open requests"),
            ("buyer",),
            False,
            N_("A new offer matches your request “%(request)s”"),
            N_("%(offer)s from %(org)s fits your request (score %(score)s)."),
        ),
        Kind(
            "saved_search",
            N_("New offers matching my saved searches"),
            ("producer", "buyer"),
            False,
            N_("A new offer matches your saved search “%(search)s”"),
            N_("%(offer)s from %(org)s."),
        ),
        Kind(
            "request_fit",
            N_("New requests that fit my offers"),
            ("producer",),
            False,
            N_("A new request fits your offer “%(offer)s”"),
            N_("%(org)s is looking for: %(request)s."),
        ),
        Kind(
            "cert_expiring",
            N_("Certificates about to expire"),
            ("producer", "staff"),
            True,
            N_("Certificate %(code)s expires on %(date)s"),
            N_("The certificate of %(org)s expires in %(days)s days. Offers under it stop matching when it lapses."),
        ),
        Kind(
            "cert_lapsed",
            N_("A supplier's certificate is no longer valid"),
            ("buyer",),
            True,
            N_("Certificate %(code)s of %(org)s is %(status)s"),
            N_(
                "%(org)s, a producer you are talking to, no longer holds a valid certificate: offers under it cannot "
                "be sold as certified."
            ),
        ),
        Kind(
            "lot_changed",
            N_("A latex lot I hold or am buying changed its claim or checks"),
            ("producer", "buyer"),
            True,
            N_("Lot %(lot)s is now: %(claim)s"),
            N_("Before: %(before_claim)s. %(eudr)s. %(errors)s."),
        ),
        Kind(
            "program_update",
            N_("Updates in my programs"),
            ("producer", "buyer", "staff"),
            True,
            N_("%(program)s: %(title)s"),
            N_("%(excerpt)s"),
            email_modes=True,
        ),
        Kind(
            "program_comment",
            N_("Comments on program updates I posted"),
            ("producer", "buyer", "staff"),
            False,
            N_("%(name)s commented on “%(title)s”"),
            N_("%(excerpt)s"),
        ),
        Kind(
            "partner_submitted",
            N_("Partners' progress updates and values to review"),
            ("staff",),
            False,
            N_("%(org)s submitted “%(title)s” for %(period)s"),
            N_("%(program)s: approve it or return it with a comment."),
        ),
        Kind(
            "partner_approved",
            N_("My organisation's progress updates and values approved"),
            ("producer", "buyer"),
            False,
            N_("Approved: “%(title)s” for %(period)s"),
            N_("%(program)s: it now counts in the program's reporting."),
        ),
        Kind(
            "partner_returned",
            N_("My organisation's progress updates and values returned for correction"),
            ("producer", "buyer"),
            True,
            N_("Returned for correction: “%(title)s” for %(period)s"),
            N_("%(program)s. Comment: %(comment)s"),
        ),
        Kind(
            "partner_reminder",
            N_("Reminders of progress updates due in my programs"),
            ("producer", "buyer"),
            True,
            N_("%(program)s: %(missing)s updates missing for %(period)s"),
            N_("The period ends on %(date)s. Submit your progress updates before then."),
        ),
    )
}


def lot_words(params: dict[str, Any]) -> dict[str, str]:
    """A changed lot's claim (then and now), EUDR readiness and error checks in the reader's words."""

    def claim(key: str, percent: str) -> str:
        values = {"claim": params.get(key) or "", "certified_percent": params.get(percent)}
        return claim_label(values) or _("No FSC claim")

    errors = int(params.get("errors") or 0)
    return {
        "claim": claim("claim", "percent"),
        "before_claim": claim("before_claim", "before_percent"),
        "eudr": _("EUDR-ready") if params.get("eudr") == "yes" else _("Not EUDR-ready"),
        "errors": ngettext("%(num)s error check", "%(num)s error checks", errors) if errors else _("No error check"),
    }


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def kinds_for_role(role: str) -> list[Kind]:
    return [k for k in KINDS.values() if role in k.roles]


def _display_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """Parameters made readable in the current language (dates, numbers, vocabulary keys)."""
    shown = {k: ("" if v is None else v) for k, v in params.items()}
    if isinstance(params.get("date"), str) and len(params["date"]) == 10:
        try:
            shown["date"] = format_date(dt.date.fromisoformat(params["date"]))
        except ValueError:
            pass
    if kind == "deal_recorded":
        # Quantity, unit price and total with the locale's grouping, the unit in words, the date as a reader writes it.
        shown["terms"] = deal_words(params)
    if kind == "offer_match":
        shown["score"] = format_number(float(params.get("score") or 0) * 100, 0) + " %"
    if kind == "deal_declined":
        shown["reason"] = label(DECLINE_REASONS, params.get("reason"))
    if kind == "lot_changed":
        shown.update(lot_words(params))
    if kind == "cert_lapsed":
        shown["status"] = label(CERTIFICATE_STATUSES, params.get("status")).lower()
    return shown


def render(kind: str, params: dict[str, Any]) -> tuple[str, str]:
    """(title, body) in the current language; an unknown kind renders as empty strings."""
    spec = KINDS.get(kind)
    if spec is None:
        return "", ""
    shown = _display_params(kind, params or {})
    if not set(_PLACEHOLDER.findall(spec.title + spec.body)) <= set(shown):
        return _(spec.name), ""  # a parameter missing (an older row): show what kind of notification it is
    try:
        return _(spec.title, **shown).strip(), _(spec.body, **shown).strip()
    except (KeyError, ValueError, TypeError):  # a translation with a broken placeholder
        return _(spec.name), ""


def render_in(locale: str, kind: str, params: dict[str, Any]) -> tuple[str, str]:
    """(title, body) in the given language (e-mails are rendered in the recipient's language)."""
    token = set_locale(locale)
    try:
        return render(kind, params)
    finally:
        reset_locale(token)
