"""The offer form's choices that follow another field (shared by the pages and inline validation)."""

from __future__ import annotations

from app.web.forms import category_choices

#: Product types and units follow the category (see app/web/forms.py).
OFFER_CHOICES = (category_choices(("product_type", "unit"), required=("product_type", "unit")),)
