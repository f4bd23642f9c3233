"""A program's common agenda: membership, indicator rules, actuals from the records and from approved values only."""

from __future__ import annotations

import pytest

from app.agenda import services
from app.agenda.membership import organization_is_member, program_ids_of_organization
from app.agenda.results import program_results
from app.agenda.tables import Indicator, IndicatorTarget, ReportedValue, ReportedValueStep
from app.validation import FieldErrors, NotFound, PermissionDenied
from tests.clock import utc_today
from tests.integration.agenda_data import CURRENT, NEXT, PREVIOUS, agenda_world, event_counts, make_program


def _indicator(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name_en": "Contacts",
        "name_es": "Contactos",
        "source": "computed",
        "measure": "contacts",
        "direction": "increase",
        "disaggregation": "",
        "baseline_value": "1",
        "baseline_date": "2025-01-15",
        "target_period_0": PREVIOUS.label,
        "target_value_0": "2",
        "target_period_1": CURRENT.label,
        "target_value_1": "4",
    }
    data.update(overrides)
    return data


async def test_membership_by_name_and_by_region(clean_db: str) -> None:
    w = await agenda_world()
    other = await make_program("Other")
    assert await program_ids_of_organization(w.producer.organization_id) == {w.program_id}
    assert await program_ids_of_organization(w.named.organization_id) == {w.program_id}
    assert await program_ids_of_organization(w.buyer.organization_id) == set()
    assert await program_ids_of_organization(w.outsider.organization_id) == set()
    assert await organization_is_member(w.program_id, w.producer.organization_id) is True
    assert await organization_is_member(other, w.producer.organization_id) is False
    assert await organization_is_member(w.program_id, None) is False


async def test_indicator_form_rules_give_field_errors_and_write_nothing(clean_db: str) -> None:
    w = await agenda_world()
    bad = _indicator(
        name_en="",
        name_es="",
        measure="no_such_measure",
        disaggregation="legal_form",
        baseline_value="12",
        baseline_date="",
        target_period_0="2026-Q5",
        target_period_1=PREVIOUS.label,
        target_value_1="lots",
        target_period_2=PREVIOUS.label,
        target_value_2="3",
    )
    with pytest.raises(FieldErrors) as caught:
        await services.create_indicator(w.staff, w.program_id, bad)
    assert caught.value.errors == {
        "name_en": "Name the indicator in at least one language.",
        "measure": "Choose a measure from the list.",
        "baseline_date": "Give the date the baseline was measured.",
        "target_period_0": "Enter a quarter such as 2026-Q3 or a year such as 2026.",
        "target_value_1": "Enter a number.",
        "target_period_2": "This period already has a target above.",
    }
    with pytest.raises(FieldErrors) as caught:
        await services.create_indicator(
            w.staff, w.program_id, _indicator(measure="repeat_buyers", disaggregation="country")
        )
    assert caught.value.errors == {
        "disaggregation": "This measure cannot be broken down this way; choose another or none."
    }
    with pytest.raises(FieldErrors) as caught:
        await services.create_indicator(w.staff, w.program_id, _indicator(source="reported", measure="", unit=""))
    assert caught.value.errors == {"unit": "Say what the values count, for example hectares or people."}
    assert await Indicator.count() == 0
    assert await IndicatorTarget.count() == 0


async def test_indicator_names_fall_back_and_targets_are_stored_as_periods(clean_db: str) -> None:
    w = await agenda_world()
    indicator_id = await services.create_indicator(
        w.staff, w.program_id, _indicator(name_en="", name_pt="Contatos", target_period_2="2027", target_value_2="20")
    )
    row = await services.get_indicator(w.staff, indicator_id)
    assert services.localized(row, "name", "en") == "Contactos"
    assert services.localized(row, "name", "pt_BR") == "Contatos"
    assert services.localized(row, "name", "es_MX") == "Contactos"
    assert row["unit"] == "conversations"
    stored = [(t["period_kind"], t["period_start"], t["period_end"], t["value"]) for t in row["targets"]]
    assert stored == [
        ("quarter", PREVIOUS.start, PREVIOUS.end, 2.0),
        ("quarter", CURRENT.start, CURRENT.end, 4.0),
        ("year", __import__("datetime").date(2027, 1, 1), __import__("datetime").date(2027, 12, 31), 20.0),
    ]


async def test_computed_actuals_come_from_the_dashboard_queries(clean_db: str) -> None:
    w = await agenda_world()
    assert await event_counts() == (5, 8, 8)
    contacts = await services.create_indicator(w.staff, w.program_id, _indicator())
    rate = await services.create_indicator(
        w.staff,
        w.program_id,
        _indicator(
            name_en="Reply rate",
            measure="reply_rate",
            target_value_0="40",
            target_value_1="70",
            target_period_2=NEXT.label,
            target_value_2="75",
        ),
    )
    producers = await services.create_indicator(
        w.staff, w.program_id, _indicator(name_en="Producers", measure="producers_reached", disaggregation="legal_form")
    )
    program = await services.program_for(w.staff, w.program_id)
    results = await program_results(program, utc_today())
    by_id = {i.id: i for i in results.result[0].indicator}

    c = by_id[contacts]
    assert [(p.label, p.actual[0].value) for p in c.period] == [(PREVIOUS.label, 2.0), (CURRENT.label, 3.0)]
    assert c.period[0].on_track is True and c.period[0].compared_target == 2.0
    share = CURRENT.elapsed_share(utc_today())
    assert c.period[1].compared_target == round(4.0 * share, 3)
    assert c.on_track is (3.0 >= round(4.0 * share, 3))
    assert c.trend is None  # one closed period only

    r = by_id[rate]
    assert [(p.label, p.state) for p in r.period] == [
        (PREVIOUS.label, "closed"),
        (CURRENT.label, "current"),
        (NEXT.label, "future"),
    ]
    assert [[a.value for a in p.actual] for p in r.period] == [[50.0], [66.67], []]
    # A share is held to its whole target while the period runs: 66.67 % is short of 70 %.
    assert (r.period[1].compared_target, r.period[1].on_track, r.on_track) == (70.0, False, False)
    assert r.measure == "2"

    p = by_id[producers]
    assert [(a.value, [(d.name, d.value) for d in a.dimension]) for a in p.period[1].actual] == [
        (1.0, []),
        (0.0, [("legal_form", "community_concession")]),  # the named GT producer: a member, not active
        (1.0, [("legal_form", "ejido")]),
    ]
    assert p.period[0].actual[0].value == 0.0


async def test_only_approved_reported_values_count(clean_db: str) -> None:
    w = await agenda_world()
    indicator_id = await services.create_indicator(
        w.staff,
        w.program_id,
        _indicator(name_en="Hectares restored", source="reported", measure="", unit="ha", disaggregation="country"),
    )
    draft = await services.create_reported_value(w.staff, indicator_id, {"period": CURRENT.label, "value": "7"})
    submitted = await services.create_reported_value(
        w.staff, indicator_id, {"period": CURRENT.label, "value": "11", "dimension": "mx"}
    )
    await services.move_reported_value(w.staff, submitted, "submit")
    returned = await services.create_reported_value(w.staff, indicator_id, {"period": PREVIOUS.label, "value": "5"})
    await services.move_reported_value(w.staff, returned, "submit")
    with pytest.raises(FieldErrors) as caught:
        await services.move_reported_value(w.staff, returned, "return", "  ")
    assert caught.value.errors == {"comment": "Say what should be corrected."}
    await services.move_reported_value(w.staff, returned, "return", "Only the Durango plots, please")
    program = await services.program_for(w.staff, w.program_id)
    first = (await program_results(program, utc_today())).result[0].indicator[0]
    assert [(p.label, p.actual) for p in first.period] == [(PREVIOUS.label, []), (CURRENT.label, [])]

    await services.move_reported_value(w.staff, submitted, "approve")
    await services.correct_reported_value(w.staff, returned, {"period": PREVIOUS.label, "value": "4"})
    await services.move_reported_value(w.staff, returned, "submit")
    await services.move_reported_value(w.staff, returned, "approve")
    with pytest.raises(FieldErrors) as caught:
        await services.move_reported_value(w.staff, returned, "approve")
    assert caught.value.errors == {"action": "This value is Approved: it cannot be moved that way."}
    results = (await program_results(program, utc_today())).result[0].indicator[0]
    assert [(p.label, [(a.value, [d.value for d in a.dimension]) for a in p.actual]) for p in results.period] == [
        (PREVIOUS.label, [(4.0, [])]),
        (CURRENT.label, [(11.0, []), (11.0, ["MX"])]),
    ]
    row = await ReportedValue.select().where(ReportedValue.id == returned).first()
    assert (row["status"], row["value"], row["comment"], row["reviewed_by"]) == ("approved", 4.0, "", w.staff.id)
    steps = (
        await ReportedValueStep.select(ReportedValueStep.status, ReportedValueStep.value, ReportedValueStep.comment)
        .where(ReportedValueStep.reported_value == returned)
        .order_by(ReportedValueStep.id)
    )
    assert [(s["status"], s["value"], s["comment"]) for s in steps] == [
        ("draft", 5.0, ""),
        ("submitted", None, ""),
        ("returned", None, "Only the Durango plots, please"),
        ("returned", 4.0, ""),
        ("submitted", None, ""),
        ("approved", None, ""),
    ]
    assert (await ReportedValue.select(ReportedValue.status).where(ReportedValue.id == draft).first()) == {
        "status": "draft"
    }


async def test_only_staff_change_the_agenda_and_only_members_read_it(clean_db: str) -> None:
    w = await agenda_world()
    with pytest.raises(PermissionDenied):
        await services.create_indicator(w.producer, w.program_id, _indicator())
    assert await Indicator.count() == 0
    assert (await services.program_for(w.producer, w.program_id))["id"] == w.program_id
    with pytest.raises(NotFound):
        await services.program_for(w.buyer, w.program_id)
    with pytest.raises(NotFound):
        await services.program_for(w.staff, w.program_id + 1000)


async def test_demo_agenda_is_alive(clean_db: str) -> None:
    from app.agenda import periods
    from app.analytics.tables import Program
    from app.demo.agenda import NAME, demo_agenda
    from tests.factories import make_user

    staff = await make_user("staff")
    line = await demo_agenda(staff, utc_today())
    assert line == "program agenda: 5 indicators, 8 approved reported values"
    program = await services.program_for(
        staff, (await Program.select(Program.id).where(Program.name == NAME).first())["id"]
    )
    indicators = (await program_results(program, utc_today())).result[0].indicator
    quarters = [p.label for p in periods.last_quarters(utc_today(), 5)]
    assert [(i.source, [p.label for p in i.period]) for i in indicators] == [
        ("computed", quarters),
        ("computed", quarters),
        ("computed", quarters),
        ("reported", quarters),
        ("reported", quarters),
    ]
    hectares = indicators[3]
    assert [p.actual[0].value if p.actual else None for p in hectares.period] == [1320.0, 1390.0, 1540.0, 1580.0, None]
    assert hectares.trend == "improving"
    # The current quarter has no approved value yet: the last closed one is judged (1,580 ha against 1,600).
    assert (hectares.period[3].on_track, hectares.on_track) == (False, False)
    assert await ReportedValue.count().where(ReportedValue.status == "approved") == 8


async def test_edit_and_delete_an_indicator_and_delete_its_program(clean_db: str) -> None:
    from app.analytics import programs
    from app.analytics.tables import Program

    w = await agenda_world()
    indicator_id = await services.create_indicator(
        w.staff, w.program_id, _indicator(source="reported", measure="", unit="ha")
    )
    value_id = await services.create_reported_value(w.staff, indicator_id, {"period": CURRENT.label, "value": "3"})
    with pytest.raises(FieldErrors) as caught:
        await services.update_indicator(w.staff, indicator_id, _indicator())
    assert caught.value.errors == {"source": "Values were reported for this indicator: it stays reported."}
    await services.update_indicator(
        w.staff,
        indicator_id,
        _indicator(
            source="reported", measure="", unit="ha", direction="decrease", target_period_1="", target_value_1=""
        ),
    )
    row = await services.get_indicator(w.staff, indicator_id)
    assert (row["direction"], [t["value"] for t in row["targets"]]) == ("decrease", [2.0])
    with pytest.raises(FieldErrors) as caught:
        await services.create_reported_value(
            w.staff, indicator_id, {"period": "2026-Q1", "value": "1", "dimension": "MX"}
        )
    assert caught.value.errors == {"dimension": "This indicator is not broken down: leave this empty."}
    other = await services.create_indicator(w.staff, w.program_id, _indicator())
    assert await services.delete_indicator(w.staff, other) == w.program_id
    assert await Indicator.count() == 1
    # Deleting the program takes its agenda with it (the foreign keys cascade).
    await programs.delete_program(w.staff, w.program_id)
    assert await Program.count() == 0
    assert (await Indicator.count(), await IndicatorTarget.count(), await ReportedValue.count()) == (0, 0, 0)
    assert await ReportedValueStep.count().where(ReportedValueStep.reported_value == value_id) == 0
