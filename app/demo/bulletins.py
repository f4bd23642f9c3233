"""The demo's program updates: a program the demo producer's organisation belongs to, and three updates by the demo
staff with a couple of comments, read from "Program updates" in the navigation.

Written directly (a handful of rows): the live path (``app.bulletins.services.post_update``) would tell every member of
the program and queue e-mails to demo addresses; the demo inboxes keep what the simulated trade said
(``app.demo.inbox``).
"""

from __future__ import annotations

import datetime as dt

from app.accounts.tables import Organization, User
from app.analytics.tables import Program, ProgramOrganization, ProgramRegion
from app.bulletins.membership import program_ids_of_organization
from app.bulletins.tables import ProgramUpdate, UpdateComment
from app.db import atomic

PROGRAM = "Comunidades forestales de México"
UPDATES = (
    (
        "Taller de manejo forestal comunitario en mayo",
        "Invitamos a los ejidos y comunidades del programa a un taller de dos días sobre planes de manejo y "
        "certificación FSC.\n\nHabrá transporte desde las cabeceras municipales. Confirmen su asistencia antes del "
        "15 de abril.",
        [{"url": "https://fsc.org/es", "label": "FSC"}],
        12,
    ),
    (
        "Nuevos compradores interesados en madera aserrada certificada",
        "Tres compradores de Guadalajara y Monterrey buscan madera aserrada de pino con certificado FSC 100%.\n\n"
        "Revisen sus ofertas publicadas y actualicen volúmenes y precios.",
        [],
        5,
    ),
    (
        "Informe trimestral de medición compartida",
        "Ya está disponible el informe del trimestre: contactos, acuerdos y volúmenes del programa.\n\n"
        "Gracias a todas las organizaciones que registraron sus acuerdos.",
        [],
        1,
    ),
)
COMMENTS = (
    (0, "producer", "Nuestro ejido confirma la asistencia de dos personas."),
    (0, "staff", "Gracias, las esperamos."),
    (1, "producer", "Actualizamos nuestras ofertas de pino esta semana."),
)


async def demo_program_updates(emails: dict[str, str], now: dt.datetime) -> str:
    """Make sure the demo producer belongs to a program, and give it updates and comments. ``emails``: role ->
    demo e-mail (``staff``, ``producer``)."""
    users = {
        u["email"]: u
        for u in await User.select(User.id, User.email, User.organization).where(
            User.email.is_in(list(emails.values()))
        )
    }
    staff, producer = users.get(emails["staff"]), users.get(emails["producer"])
    if staff is None or producer is None or producer["organization"] is None:
        return "no program updates (demo accounts missing)"
    async with atomic():
        programs = await program_ids_of_organization(producer["organization"])
        if programs:
            program_id = programs[0]
            name = (await Program.select(Program.name).where(Program.id == program_id).first())["name"]
        else:
            org = (
                await Organization.select(Organization.country, Organization.region)
                .where(Organization.id == producer["organization"])
                .first()
            )
            program = Program(
                name=PROGRAM,
                description="Ejidos y comunidades forestales con manejo certificado o en camino a certificarse.",
                created_at=now,
                updated_at=now,
            )
            await program.save()
            program_id, name = int(program.id), PROGRAM
            await ProgramOrganization(program=program_id, organization=producer["organization"]).save()
            if org and org["region"]:
                await ProgramRegion(program=program_id, country=org["country"], region=org["region"]).save()
        update_ids = []
        for i, (title, body, links, days_ago) in enumerate(UPDATES):
            at = now - dt.timedelta(days=days_ago, hours=i)
            update = ProgramUpdate(
                program=program_id, author=staff["id"], title=title, body=body, links=links, created_at=at
            )
            await update.save()
            update_ids.append(int(update.id))
        authors = {"producer": producer["id"], "staff": staff["id"]}
        for n, (index, who, text) in enumerate(COMMENTS):
            at = now - dt.timedelta(days=UPDATES[index][3], hours=-(n + 2))
            await UpdateComment(program_update=update_ids[index], author=authors[who], body=text, created_at=at).save()
    return f"{len(UPDATES)} program updates in “{name}” with {len(COMMENTS)} comments"
