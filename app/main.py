"""The composition root: ``create_app()`` is the only place a Litestar application is built."""

from __future__ import annotations

from litestar import Litestar
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.plugins.htmx import HTMXRequest

from app.accounts import api as accounts_api
from app.accounts import controllers as accounts_controllers
from app.agenda import api as agenda_api
from app.agenda import controllers as agenda_controllers
from app.analytics import api as analytics_api
from app.analytics import controllers as analytics_controllers
from app.bulletins import api as bulletins_api
from app.bulletins import controllers as bulletins_controllers
from app.bulletins.nav import program_nav_middleware_factory
from app.certificates import api as certificates_api
from app.certificates import controllers as certificates_controllers
from app.dashboard import controllers as dashboard_controllers
from app.db import close_pool, start_pool
from app.events import on_change
from app.imports import controllers as imports_controllers
from app.matching import controllers as matching_controllers
from app.messaging import api as messaging_api
from app.messaging import controllers as messaging_controllers
from app.notifications import controllers as notifications_controllers
from app.offers import api as offers_api
from app.offers import controllers as offers_controllers
from app.offers import listing as offer_listing
from app.ops import controllers as ops_controllers
from app.ops.logs import logging_config
from app.ops.observe import observe
from app.partners import api as partners_api
from app.partners import controllers as partners_controllers
from app.places import load_reference_data
from app.reports import controllers as reports_controllers
from app.search import controllers as search_controllers
from app.search.services.engine import warm_search_index
from app.settings import get_settings
from app.sourcing import api as sourcing_api
from app.sourcing import controllers as sourcing_controllers
from app.staff import controllers as staff_controllers
from app.traceability import api as traceability_api
from app.traceability import collector_api as traceability_collector_api
from app.traceability import collector_controllers as traceability_collector_controllers
from app.traceability import controllers as traceability_controllers
from app.traceability import group_controllers as traceability_group
from app.traceability import link_controllers as traceability_links
from app.traceability import lot_controllers as traceability_lot_controllers
from app.traceability import lot_page_controllers as traceability_lot_page
from app.web import choices, config, inline_validation, microcache, pages
from app.web.api_channel import api_channel_middleware_factory
from app.web.errors import EXCEPTION_HANDLERS, reject_impossible_ids
from app.web.middleware import (
    ForestAuthMiddleware,
    head_as_get,
    locale_middleware_factory,
    site_headers,
)
from app.worker import get_backend, get_backend_dependency, register_subscribers, start_worker, stop_worker


async def warm_index() -> None:
    """Startup: the embedded index's field bitmaps read before the first visitor's search."""
    await warm_search_index(get_backend())


def create_app() -> Litestar:
    """Build the ForestMatch application from settings."""
    settings = get_settings()
    # Every change recorded for the search index drops this process's cached offer-list fragments at once.
    on_change(microcache.invalidate)
    # Matching and the alerts hear the changes the sync applies (in this process's worker).
    register_subscribers()
    route_handlers = [
        config.static_router(),
        *ops_controllers.ROUTES,
        *pages.ROUTES,
        *dashboard_controllers.ROUTES,
        *accounts_controllers.ROUTES,
        *certificates_controllers.ROUTES,
        *offers_controllers.ROUTES,
        *sourcing_controllers.ROUTES,
        *staff_controllers.ROUTES,
        *imports_controllers.ROUTES,
        *accounts_api.ROUTES,
        *certificates_api.ROUTES,
        *offers_api.ROUTES,
        *sourcing_api.ROUTES,
        *matching_controllers.ROUTES,
        *messaging_controllers.ROUTES,
        *messaging_api.ROUTES,
        *notifications_controllers.ROUTES,
        *search_controllers.ROUTES,
        *inline_validation.ROUTES,
        *choices.ROUTES,
        *analytics_controllers.ROUTES,
        *analytics_api.ROUTES,
        *agenda_controllers.ROUTES,
        *agenda_api.ROUTES,
        *reports_controllers.ROUTES,
        *traceability_api.ROUTES,
        *traceability_controllers.ROUTES,
        *traceability_collector_api.ROUTES,
        *traceability_collector_controllers.ROUTES,
        *traceability_lot_controllers.ROUTES,
        *traceability_group.ROUTES,
        *traceability_links.ROUTES,
        *traceability_lot_page.ROUTES,
        *bulletins_controllers.ROUTES,
        *bulletins_api.ROUTES,
        *partners_controllers.ROUTES,
        *partners_api.ROUTES,
    ]
    app = Litestar(
        route_handlers=route_handlers,
        # Handlers take ``backend: SearchBackend``; the CLI and the sync worker call get_backend() themselves.
        dependencies={"backend": Provide(get_backend_dependency, sync_to_thread=False)},
        middleware=[
            config.session_middleware(settings),
            config.csrf_middleware(settings),
            DefineMiddleware(ForestAuthMiddleware, exclude=[*config.NO_SESSION_PATHS, "^/schema"]),
            locale_middleware_factory,
            api_channel_middleware_factory,
            program_nav_middleware_factory,
        ],
        template_config=config.template_config(),
        plugins=[config.htmx_plugin()],
        request_class=HTMXRequest,
        openapi_config=config.openapi_config(),
        compression_config=config.compression_config(),
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=reject_impossible_ids,
        on_startup=[
            start_pool,
            start_worker,
            config.compile_public_templates,
            load_reference_data,
            warm_index,
            offer_listing.warm,
        ],
        on_shutdown=[stop_worker, close_pool],
        debug=settings.debug,
        logging_config=logging_config(settings),
    )
    # Outside routing, so that unmatched routes (404, 405) and error answers get the headers too, and are timed,
    # counted and logged with a request id.
    app.asgi_handler = head_as_get(site_headers(observe(app.asgi_handler, settings), settings))
    return app
