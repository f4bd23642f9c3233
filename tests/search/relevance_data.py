"""Generated offer documents for the relevance set (``test_relevance.py``): built with the same functions as
``app.indexing.documents.offer_document`` (species names, product and category labels, country and region names in
every language), so what a query finds here is what it finds in the app.

Each document is written for one or more queries of the set: an offer that should come first, and decoys that a
worse ranking would put above it (a typo word in a title, a prefix-only match, a place word in prose, a stop word).
"""

from __future__ import annotations

from typing import Any

from app.indexing.documents import country_names, product_labels
from app.places import region_country, region_search_names
from app.vocab import PRODUCT_CATEGORY, offered_species_keys, resolve_species, species_names

#: (id, title, species, product type, region, locality, organisation, description)
# fmt: off
OFFERS: list[tuple[str, str, str, str, str, str, str, str]] = [
    # Mexico, timber
    ("mx-caoba-roo", "Tablas de caoba", "Swietenia macrophylla", "sawn_timber", "MX-ROO", "Felipe Carrillo Puerto",
     "Ejido Noh Bec", "Madera de selva certificada, secada al aire."),
    ("mx-caoba-cam", "Caoba en trozas", "Swietenia macrophylla", "roundwood", "MX-CAM", "Xpujil",
     "Ejido Xpujil", "Trozas de primera para construcción."),
    ("mx-cedro-ver", "Cedro rojo en tablones", "Cedrela odorata", "sawn_timber", "MX-VER", "Zongolica",
     "Sociedad Forestal Zongolica", "Tablones secados al aire."),
    ("mx-cedro-roo", "Tablones de cedro", "Cedrela odorata", "sawn_timber", "MX-ROO", "Chacchoben",
     "Ejido Chacchoben", "Corte de temporada seca."),
    ("mx-pino-dur", "Pino aserrado", "Pinus durangensis", "sawn_timber", "MX-DUR", "Santiago Papasquiaro",
     "Unión de Ejidos Topia", "Madera de calidad real para construcción."),
    ("mx-pino-chh", "Vigas de pino real", "Pinus engelmannii", "sawn_timber", "MX-CHH", "Guachochi",
     "Ejido El Largo", "Vigas y duelas."),
    ("mx-pino-oax", "Pino ocote en rollo", "Pinus oocarpa", "roundwood", "MX-OAX", "Ixtlán de Juárez",
     "Comunidad Ixtlán", "Trocería de bosque manejado."),
    ("mx-encino-mic", "Carbón de encino", "Quercus rugosa", "charcoal", "MX-MIC", "Nuevo San Juan Parangaricutiro",
     "Comunidad Indígena de Nuevo San Juan", "Carbón en costales de 20 kg."),
    ("mx-encino-oax", "Leña de encino para asar cerdo", "Quercus rugosa", "fuelwood", "MX-OAX", "Pinotepa Nacional",
     "Comunidad Pinotepa", "Leña seca para cocina."),
    ("mx-chicozapote-roo", "Durmientes de chicozapote", "Manilkara zapota", "roundwood", "MX-ROO", "Tres Garantías",
     "Ejido Tres Garantías", "Madera dura de la selva maya."),
    ("mx-ramon-cam", "Ramón en trozas", "Brosimum alicastrum", "roundwood", "MX-CAM", "Calakmul",
     "Ejido Calakmul", "Trozas cortas."),
    ("mx-tzalam-yuc", "Duela de tzalam", "Lysiloma latisiliquum", "mouldings_flooring", "MX-YUC", "Tzucacab",
     "Taller Tzucacab", "Duela machihembrada."),
    ("mx-astillas-dur", "Astillas de pino", "Pinus arizonica", "chips", "MX-DUR", "El Salto",
     "Aserradero El Salto", "Astilla limpia para tableros."),
    # Mexico, latex
    ("mx-hule-ver", "Hule en lámina ahumada", "Hevea brasiliensis", "rss", "MX-VER", "Tezonapa",
     "Unión de Huleros de Tezonapa", "Láminas secadas en ahumadero."),
    ("mx-hule-oax", "Látex de campo fresco", "Hevea brasiliensis", "field_latex", "MX-OAX", "Tuxtepec",
     "Productores de Tuxtepec", "Entrega semanal en tambos."),
    ("mx-hule-chp", "Coágulo de hule", "Hevea brasiliensis", "cup_lump", "MX-CHP", "Palenque",
     "Huleros de Palenque", "Coágulo de taza limpio."),
    # Guatemala, Honduras
    ("gt-caoba-pet", "Caoba aserrada", "Swietenia macrophylla", "sawn_timber", "GT-17", "Carmelita",
     "Cooperativa Carmelita", "Concesión comunitaria en la Reserva de la Biosfera Maya."),
    ("hn-caoba-gd", "Big-leaf mahogany boards", "Swietenia macrophylla", "sawn_timber", "HN-GD", "Brus Laguna",
     "Federación Indígena de la Mosquitia", "Kiln dried, export grade."),
    ("hn-pino-ol", "Pine lumber", "Pinus oocarpa", "sawn_timber", "HN-OL", "Catacamas",
     "Cooperativa Agroforestal Catacamas", "Kiln dried pine for construction."),
    # Brazil
    ("br-hule-pa", "Látex de seringueira", "Hevea brasiliensis", "field_latex", "BR-PA", "Portel",
     "Associação dos Seringueiros de Portel", "Látex coletado na floresta."),
    ("br-hule-ac", "Cernambi de seringal nativo", "Hevea brasiliensis", "cup_lump", "BR-AC", "Xapuri",
     "Cooperativa Xapuri", "Borracha para exportação, hule para la industria."),
    ("br-hule-ro", "Borracha crepe", "Hevea brasiliensis", "crepe", "BR-RO", "Machadinho d'Oeste",
     "Cooperativa Machadinho", "Crepe claro."),
    ("br-hule-am", "Latex concentrate 60% DRC", "Hevea brasiliensis", "latex_concentrate", "BR-AM", "Manicoré",
     "Associação Manicoré", "Centrifuged latex in drums."),
    ("br-mogno-pa", "Mogno serrado", "Swietenia macrophylla", "sawn_timber", "BR-PA", "Portel",
     "Associação dos Seringueiros de Portel", "Manejo florestal comunitário."),
    ("br-jatoba-pa", "Jatobá em pranchas", "Hymenaea courbaril", "sawn_timber", "BR-PA", "Paragominas",
     "Madeireira Paragominas", "Pranchas secas."),
    ("br-cumaru-pa", "Cumaru para decks", "Dipteryx odorata", "mouldings_flooring", "BR-PA", "Santarém",
     "Cooperativa Santarém", "Piso de cumaru."),
    ("br-cedro-am", "Cedro-rosa em toras", "Cedrela odorata", "roundwood", "BR-AM", "Lábrea",
     "Associação Lábrea", "Toras de manejo."),
    ("br-castanheira-ac", "Castanheira em toras", "Bertholletia excelsa", "roundwood", "BR-AC", "Brasiléia",
     "Cooperativa Brasiléia", "Árvores mortas naturalmente."),
    ("br-guanandi-mt", "Guanandi serrado", "Calophyllum brasiliense", "sawn_timber", "BR-MT", "Sinop",
     "Madeireira Sinop", "Tábuas aplainadas."),
    # Peru, Bolivia
    ("pe-tornillo-uca", "Tornillo aserrado", "Cedrelinga cateniformis", "sawn_timber", "PE-UCA", "Pucallpa",
     "Comunidad Nativa Callería", "Madera para carpintería."),
    ("pe-caoba-mdd", "Caoba en tablas", "Swietenia macrophylla", "sawn_timber", "PE-MDD", "Puerto Maldonado",
     "Comunidad Nativa Infierno", "Tablas anchas."),
    ("pe-cumaru-mdd", "Shihuahuaco en vigas", "Dipteryx odorata", "sawn_timber", "PE-MDD", "Iberia",
     "Comunidad Nativa Palma Real", "Vigas de madera dura."),
    ("bo-roble-s", "Roble criollo aserrado", "Amburana cearensis", "sawn_timber", "BO-S", "Guarayos",
     "Asociación Forestal Guarayos", "Madera aromática."),
    ("bo-castana-n", "Madera de castaña", "Bertholletia excelsa", "roundwood", "BO-N", "Cobija",
     "Asociación Cobija", "Trozas de castaña caída."),
    # Same text, different age: recency breaks the tie.
    ("mx-machiche-old", "Duela de machiche", "Lonchocarpus castilloi", "mouldings_flooring", "MX-CAM", "Hopelchén",
     "Ejido Hopelchén", "Duela."),
    ("mx-machiche-new", "Duela de machiche", "Lonchocarpus castilloi", "mouldings_flooring", "MX-CAM", "Hopelchén",
     "Ejido Hopelchén", "Duela."),
]
# fmt: on


def document(index: int, offer: tuple[str, str, str, str, str, str, str, str]) -> dict[str, Any]:
    """An offer document as ``offer_document`` builds it (the fields search reads)."""
    doc_id, title, species, product_type, region, locality, organisation, description = offer
    country = region_country(region)
    sci = resolve_species(species)
    return {
        "id": doc_id,
        "ref": doc_id,
        "title": title,
        "description": description,
        "category": PRODUCT_CATEGORY[product_type],
        "product_type": product_type,
        "product_type_labels": product_labels(product_type),
        "species": [sci],
        "species_names": species_names(sci),
        "species_keys": offered_species_keys([sci]),
        "claim": "FSC 100%",
        "status": "active",
        "country": country,
        "region": region,
        "country_names": list(country_names(country)),
        "region_names": list(region_search_names(region)),
        "locality": locality,
        "organization_ref": "org-" + doc_id,
        "organization_name": organisation,
        "created_at": 1_760_000_000 + index * 3600,
    }


def documents() -> list[dict[str, Any]]:
    return [document(i, offer) for i, offer in enumerate(OFFERS)]
