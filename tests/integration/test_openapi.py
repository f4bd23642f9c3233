"""The OpenAPI schema documents the /api/v1 operations, and only those."""

from __future__ import annotations

API_OPERATIONS = {
    "/api/v1/organizations": {"get"},
    "/api/v1/certificates": {"get", "post"},
    "/api/v1/certificates/{ref}": {"get", "put"},
    "/api/v1/certificates/{ref}/verification": {"post"},
    "/api/v1/offers": {"get", "post"},
    "/api/v1/offers/{ref}": {"get", "put"},
    "/api/v1/offers/{ref}/status": {"post"},
    "/api/v1/requests": {"get", "post"},
    "/api/v1/requests/{ref}": {"get", "put"},
    "/api/v1/requests/{ref}/status": {"post"},
}


async def _schema(client) -> dict:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


async def test_every_api_operation_is_documented(client) -> None:
    paths = (await _schema(client))["paths"]
    documented = {path: set(paths[path]) for path in API_OPERATIONS if path in paths}
    assert documented == API_OPERATIONS


async def test_page_routes_are_not_in_the_schema(client) -> None:
    paths = (await _schema(client))["paths"]
    for page in ("/", "/offers", "/login", "/signup", "/account", "/my/organization"):
        assert page not in paths
    assert [p for p in paths if not p.startswith("/api/v1/")] == []


async def test_offer_operations_explain_that_offers_are_closed_not_deleted(client) -> None:
    paths = (await _schema(client))["paths"]
    assert "delete" not in paths["/api/v1/offers/{ref}"]
    description = paths["/api/v1/offers/{ref}"]["put"]["description"]
    assert "There is no DELETE; close an offer with POST /api/v1/offers/{ref}/status" in description


async def test_errors_are_documented_in_the_field_list_shape(client) -> None:
    schema = await _schema(client)
    create = schema["paths"]["/api/v1/offers"]["post"]
    assert sorted(create["responses"]) == ["201", "400", "401", "403"]
    assert create["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiError"
    }
    error = schema["components"]["schemas"]["ApiError"]
    assert set(error["properties"]) == {"status_code", "detail", "errors"}
    assert create["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/OfferIn"}


async def test_public_reads_need_no_token_and_writes_do(client) -> None:
    paths = (await _schema(client))["paths"]
    anonymous_allowed = [{}, {"token": []}]
    assert paths["/api/v1/offers"]["get"]["security"] == anonymous_allowed
    assert paths["/api/v1/offers/{ref}"]["get"]["security"] == anonymous_allowed
    assert paths["/api/v1/organizations"]["get"]["security"] == anonymous_allowed
    assert paths["/api/v1/offers"]["post"]["security"] == [{"token": []}]
    assert paths["/api/v1/requests"]["get"]["security"] == [{"token": []}]
