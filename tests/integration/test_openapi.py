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
    "/api/v1/programs/{program_id}/updates": {"get"},
    "/api/v1/programs/{program_id}/results": {"get"},
    "/api/v1/indicators/{indicator_id}/reported-values": {"post"},
    "/api/v1/reported-values/{value_id}/status": {"post"},
    "/api/v1/programs/{program_id}/commitments": {"get"},
}


async def _schema(client) -> dict:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


async def test_every_api_operation_is_documented(client) -> None:
    paths = (await _schema(client))["paths"]
    documented = {path: set(paths[path]) for path in API_OPERATIONS if path in paths}
    assert documented == API_OPERATIONS


async def test_the_injected_search_backend_is_not_a_documented_parameter(client) -> None:
    paths = (await _schema(client))["paths"]
    parameters = {
        parameter["name"]
        for operations in paths.values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
    }
    assert "q" in parameters  # the search operation's parameters are documented
    assert "backend" not in parameters


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


# --- every status documented, vocabulary as enums (issue 10, item 22) ---------------------------------------------
UNSAFE = {"post", "put", "patch", "delete"}


async def test_every_operation_documents_the_errors_it_can_answer(client) -> None:
    """400 (bad input) and 401 (unknown token) anywhere, 403 on writes (role, or CSRF without a token), 404 where a
    record is named in the path; every error in the ``ApiError`` shape."""
    paths = (await _schema(client))["paths"]
    missing = []
    for path, operations in paths.items():
        for method, operation in operations.items():
            needed = {"400", "401"} | ({"403"} if method in UNSAFE else set()) | ({"404"} if "{" in path else set())
            documented = set(operation["responses"])
            missing += [f"{method.upper()} {path}: {code}" for code in sorted(needed - documented)]
            for code, response in operation["responses"].items():
                if code.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ApiError"}, (method, path, code)
    assert missing == []
    # 36: GET /api/v1/analytics/traceability; 37: program updates; 40: the agenda's results and reported values;
    # 41: the partners' commitments
    assert len([op for ops in paths.values() for op in ops]) == 41


async def test_vocabulary_fields_are_enums_generated_from_the_vocabulary(client) -> None:
    from app.vocab import ALL_PRODUCT_TYPES, CATEGORIES, CERTIFICATE_STATUSES, CLAIMS, INCOTERMS, SCOPES, UNITS

    schema = await _schema(client)
    components = schema["components"]["schemas"]
    nullable = {"type": "null"}
    assert components["OfferIn"]["properties"]["category"] == {
        "oneOf": [{"type": "string", "enum": list(CATEGORIES)}, nullable]
    }
    assert components["OfferIn"]["properties"]["incoterm"]["oneOf"][0]["enum"] == list(INCOTERMS)
    assert components["OfferIn"]["properties"]["unit"]["oneOf"][0]["enum"] == [u for us in UNITS.values() for u in us]
    assert components["OfferOut"]["properties"]["product_type"] == {"type": "string", "enum": list(ALL_PRODUCT_TYPES)}
    assert components["OfferOut"]["properties"]["claim"]["enum"] == list(CLAIMS)
    assert components["CertificateIn"]["properties"]["scope"]["oneOf"][0]["enum"] == list(SCOPES)
    assert components["CertificateOut"]["properties"]["status"]["enum"] == list(CERTIFICATE_STATUSES)
    accepted = components["RequestIn"]["properties"]["accepted_claims"]["oneOf"][0]
    assert accepted == {"type": "array", "items": {"type": "string", "enum": list(CLAIMS)}}
    listing = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/offers"]["get"]["parameters"]}
    assert listing["claim"] == {"oneOf": [{"type": "string", "enum": list(CLAIMS)}]}
    assert listing["country"]["oneOf"][0]["pattern"] == "^[A-Z]{2}$"
    matches = schema["paths"]["/api/v1/requests/{ref}/matches"]["get"]["responses"]["200"]
    assert matches["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/RequestMatchesOut"}
    assert list(components["RequestMatchesOut"]["properties"]) == ["request", "matches", "bundles"]
    assert list(components["MatchOut"]["properties"]) == [
        "offer",
        "organization",
        "score",
        "quantity",
        "unit",
        "distance_km",
        "reasons",
    ]


async def test_a_value_outside_the_vocabulary_is_a_field_error_not_a_decoding_error(client) -> None:
    """The schema lists the keys, but the service still answers every wrong field with its own translated message."""
    from tests.factories import api_token, make_certificate, make_user, offer_data

    producer = await make_user("producer")
    cert = await make_certificate(producer)
    data = offer_data(cert["ref"], category="wood", claim="FSC 99%", incoterm="XYZ")
    response = await client.post("/api/v1/offers", json=data, headers=await api_token(producer))
    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert sorted(errors) == ["category", "claim", "incoterm"]
    assert errors["category"] == "Unknown value 'wood'. Choose one of: timber, latex."
