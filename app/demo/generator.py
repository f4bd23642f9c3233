"""Deterministic demo data in the ``forestmatch/1`` bulk format (../shared/IMPORT_FORMAT.md).

``generate(seed)`` builds what a program officer sees on first run: community forest producers (Mexican ejidos and
comunidades, Petén concessions, Honduran cooperatives, Amazon extractive reserves and indigenous territories), rubber
smallholder groups (Guatemala, Brazil, Thailand, Sri Lanka, Viet Nam), buyers in Mexico, the USA and the EU, their FSC
certificates, offers and sourcing requests. Everything is derived from ``random.Random(seed)`` and ``today``, so the
same arguments always give the same document; dates are relative to ``today``.

Invariants the generator keeps (tests check them):
- every offer names a certificate of its own organisation whose ``product_types`` cover the offer's product type;
- units belong to the category, ``drc_percent`` appears exactly with ``kg_latex``;
- every date window is ordered, every ref unique, codes match the vocabulary regexes;
- a good share of requests is "anchored" on a concrete offer so at least one offer meets every hard constraint, and
  about 10 % of requests are larger than any single offer of their product types (they need a bundle).

The work is linear in the number of records (100k offers take a few seconds).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app import vocab
from app.geo import haversine_km
from app.units import to_canonical

FORMAT = "forestmatch/1"

# --------------------------------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    locality: str
    region: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class ProducerSegment:
    """One kind of producer in one area: who they are, where, what they sell and in which language."""

    key: str
    country: str
    category: str
    weight: float
    languages: tuple[str, ...]
    lang: str  # language of offer titles and descriptions: es | pt | en
    currency: str
    places: tuple[Place, ...]
    #: (legal form, name, locality or None). "{place}" in a name expands to one candidate per place.
    names: tuple[tuple[str, str, str | None], ...]
    species: tuple[tuple[str, float], ...]
    products: tuple[tuple[str, float], ...]
    bodies: tuple[str, ...]
    jitter: float = 0.05  # degrees around the locality; kept small so points stay inside the region


@dataclass(frozen=True, slots=True)
class BuyerCity:
    key: str
    country: str
    region: str
    locality: str
    lat: float
    lon: float
    languages: tuple[str, ...]
    lang: str  # language of the company name patterns
    weight: float
    profiles: tuple[tuple[str, float], ...]
    words: tuple[str, ...]


def _places(region: str, *rows: tuple[str, float, float]) -> tuple[Place, ...]:
    return tuple(Place(name, region, lat, lon) for name, lat, lon in rows)


_MX_BODIES = ("SCS", "SCS", "NC", "PBN", "PBN", "GFA")
_LATAM_BODIES = ("SCS", "NC", "PBN", "PBN", "BV", "SGS", "GFA")
_ANDES_BODIES = ("SGS", "SGS", "CU", "GFA", "PBN", "BV")
_ASIA_BODIES = ("CU", "CU", "SGS", "BV", "GFA", "PBN")

_PINE_OAK_PRODUCTS = (
    ("roundwood", 4),
    ("sawn_timber", 5),
    ("chips", 1.2),
    ("fuelwood", 0.6),
    ("charcoal", 1),
    ("panels", 0.7),
    ("mouldings_flooring", 1),
    ("furniture_parts", 1.2),
    ("crafts", 0.3),
)
_TROPICAL_PRODUCTS = (
    ("sawn_timber", 5),
    ("roundwood", 2.5),
    ("mouldings_flooring", 2),
    ("furniture_parts", 1.2),
    ("crafts", 0.5),
    ("charcoal", 0.4),
    ("panels", 0.3),
)
_AMAZON_PRODUCTS = (
    ("sawn_timber", 5),
    ("roundwood", 3),
    ("mouldings_flooring", 2),
    ("furniture_parts", 0.7),
    ("crafts", 0.3),
    ("chips", 0.3),
)

# fmt: off
PRODUCER_SEGMENTS: tuple[ProducerSegment, ...] = (
    ProducerSegment(
        "mx-dur", "MX", "timber", 8, ("es",), "es", "MXN",
        _places(
            "MX-DUR", ("Santiago Papasquiaro", 25.0440, -105.4190), ("El Salto", 23.7810, -105.3620),
            ("Tepehuanes", 25.3390, -105.7250), ("Tayoltita", 24.1060, -105.9290), ("Guanaceví", 25.9330, -105.9560),
            ("Canatlán", 24.5240, -104.7750), ("Mezquital", 23.4740, -104.3960),
        ),
        (
            ("ejido", "Ejido San Pedro", "Santiago Papasquiaro"), ("ejido", "Ejido La Victoria", None),
            ("ejido", "Ejido San Diego de Tezains", "Santiago Papasquiaro"),
            ("ejido", "Ejido Pueblo Nuevo", "El Salto"),
            ("ejido", "Ejido La Ciudad", "El Salto"), ("ejido", "Ejido Las Flechas", None),
            ("ejido", "Ejido El Brillante", "El Salto"), ("ejido", "Ejido Chinacates", "Santiago Papasquiaro"),
            ("ejido", "Ejido Los Bancos", None), ("ejido", "Ejido Vencedores", None),
            ("ejido", "Ejido Borbollones", "Tepehuanes"), ("ejido", "Ejido San Esteban", None),
            ("ejido", "Ejido La Campana", None), ("ejido", "Ejido Adolfo Ruiz Cortines", "Guanaceví"),
            ("ejido", "Ejido Santa Rita", None), ("ejido", "Ejido Tepehuanes y Anexos", "Tepehuanes"),
            ("comunidad", "Comunidad San Bernardino de Milpillas Chico", "El Salto"),
            ("comunidad", "Comunidad Santa María de Ocotán y Xoconoxtle", "Mezquital"),
            ("comunidad", "Comunidad San Francisco de Lajas", None),
            ("comunidad", "Comunidad Taxicaringa", "Mezquital"),
            ("association", "Unión de Ejidos Forestales de Santiago Papasquiaro", "Santiago Papasquiaro"),
            ("cooperative", "Sociedad Cooperativa Forestal Tepehuana", "Mezquital"),
            ("family_forest", "Pequeña Propiedad Forestal Los Pinos", None),
        ),
        (
            ("Pinus durangensis", 4), ("Pinus arizonica", 2), ("Pinus engelmannii", 1.5), ("Pinus cooperi", 1.5),
            ("Pinus teocote", 0.8), ("Pinus leiophylla", 0.8), ("Quercus sideroxyla", 1.5),
        ),
        _PINE_OAK_PRODUCTS, _MX_BODIES,
    ),
    ProducerSegment(
        "mx-chh", "MX", "timber", 5, ("es",), "es", "MXN",
        _places(
            "MX-CHH", ("Madera", 29.1900, -108.1420), ("Bocoyna", 27.8420, -107.5880),
            ("Guachochi", 26.8190, -107.0740), ("Guadalupe y Calvo", 26.0950, -106.9630),
            ("Creel", 27.7520, -107.6350), ("Temósachic", 28.9530, -107.8290),
            ("Balleza", 26.9550, -106.3480),
        ),
        (
            ("ejido", "Ejido El Largo y Anexos", "Madera"), ("ejido", "Ejido Cebadillas de Yahuirachi", "Guachochi"),
            ("ejido", "Ejido Pino Gordo", "Guadalupe y Calvo"), ("ejido", "Ejido Basíhuare", "Guachochi"),
            ("ejido", "Ejido Sisoguichi", "Bocoyna"), ("ejido", "Ejido Panalachi", "Bocoyna"),
            ("ejido", "Ejido Caborachi", "Guachochi"), ("ejido", "Ejido San Juanito", "Bocoyna"),
            ("ejido", "Ejido Ocóbiachi", "Guachochi"), ("ejido", "Ejido Tonachi", "Guachochi"),
            ("ejido", "Ejido Rocheachi", "Guachochi"), ("ejido", "Ejido Cusárare", "Creel"),
            ("ejido", "Ejido Norogachi", "Guachochi"), ("ejido", "Ejido Tutuaca", "Temósachic"),
            ("ejido", "Ejido Chinatú", "Guadalupe y Calvo"), ("ejido", "Ejido Baquiriachi", "Balleza"),
            ("family_forest", "Predio Forestal La Norteña", None),
        ),
        (
            ("Pinus arizonica", 3), ("Pinus engelmannii", 2), ("Pinus durangensis", 2), ("Pinus leiophylla", 1),
            ("Quercus sideroxyla", 1.5),
        ),
        _PINE_OAK_PRODUCTS, _MX_BODIES,
    ),
    ProducerSegment(
        "mx-oax", "MX", "timber", 5, ("es", "zap"), "es", "MXN",
        _places(
            "MX-OAX", ("Ixtlán de Juárez", 17.3310, -96.4870), ("Capulálpam de Méndez", 17.3050, -96.4460),
            ("Santa Catarina Ixtepeji", 17.2680, -96.5660), ("Santiago Comaltepec", 17.5630, -96.5480),
            ("San Juan Evangelista Analco", 17.3960, -96.5410), ("Santiago Xiacuí", 17.2890, -96.4360),
            ("Santa María Yavesía", 17.2330, -96.4290), ("San Pablo Macuiltianguis", 17.5380, -96.5520),
            ("Santa María Jaltianguis", 17.3620, -96.5190), ("San Pedro El Alto", 16.7300, -97.0800),
            ("Santiago Textitlán", 16.6900, -97.2300), ("Santa Catarina Lachatao", 17.2700, -96.4800),
        ),
        (
            ("comunidad", "Comunidad de {place}", None),
            ("association", "Unión Zapoteco-Chinanteca (UZACHI)", "Capulálpam de Méndez"),
            ("comunidad", "Pueblos Mancomunados de la Sierra Norte", "Santa Catarina Lachatao"),
        ),
        (
            ("Pinus pseudostrobus", 3), ("Pinus oocarpa", 2), ("Pinus patula", 2), ("Pinus ayacahuite", 1),
            ("Quercus rugosa", 1.5),
        ),
        _PINE_OAK_PRODUCTS, _MX_BODIES,
    ),
    ProducerSegment(
        "mx-roo", "MX", "timber", 5, ("es", "yua"), "es", "MXN",
        _places(
            "MX-ROO", ("Noh-Bec", 19.1440, -88.1720), ("Petcacab", 19.2700, -88.2300),
            ("X-Hazil Sur", 19.3930, -88.0760),
            ("Felipe Carrillo Puerto", 19.5800, -88.0450), ("Tres Garantías", 18.2240, -89.0140),
            ("Caobas", 18.4540, -89.1000), ("Naranjal Poniente", 19.3600, -88.4900), ("Laguna Kaná", 19.5300, -88.3800),
            ("Nuevo Becar", 18.6400, -89.2000), ("Chacchoben", 18.9900, -88.1700),
        ),
        (
            ("ejido", "Ejido {place}", None),
            ("association", "Sociedad de Productores Forestales Ejidales de Quintana Roo", "Felipe Carrillo Puerto"),
            ("association", "Organización de Ejidos Productores Forestales de la Zona Maya", "Felipe Carrillo Puerto"),
        ),
        (
            ("Swietenia macrophylla", 3), ("Cedrela odorata", 1.5), ("Manilkara zapota", 2),
            ("Lysiloma latisiliquum", 2), ("Bucida buceras", 1.5), ("Brosimum alicastrum", 1),
            ("Metopium brownei", 1.5),
            ("Lonchocarpus castilloi", 1.5),
        ),
        _TROPICAL_PRODUCTS, _MX_BODIES,
    ),
    ProducerSegment(
        "mx-mic", "MX", "timber", 3.5, ("es",), "es", "MXN",
        _places(
            "MX-MIC", ("Nuevo San Juan Parangaricutiro", 19.4180, -102.1310), ("Tancítaro", 19.3380, -102.3620),
            ("Cherán", 19.6870, -101.9540), ("Pichátaro", 19.5670, -101.8000), ("El Rosario", 19.6230, -100.2700),
            ("Crescencio Morales", 19.4100, -100.3500), ("Angangueo", 19.6200, -100.2860),
            ("Zitácuaro", 19.4360, -100.3570),
        ),
        (
            ("comunidad", "Comunidad Indígena de Nuevo San Juan Parangaricutiro", "Nuevo San Juan Parangaricutiro"),
            ("comunidad", "Comunidad Indígena de Cherán K'eri", "Cherán"),
            ("comunidad", "Comunidad Indígena de San Francisco Pichátaro", "Pichátaro"),
            ("ejido", "Ejido El Rosario", "El Rosario"), ("ejido", "Ejido Crescencio Morales", "Crescencio Morales"),
            ("ejido", "Ejido Tancítaro", "Tancítaro"), ("ejido", "Ejido Nicolás Romero", "Zitácuaro"),
            ("ejido", "Ejido Hervidero y Plancha", "Angangueo"),
        ),
        (("Pinus pseudostrobus", 3), ("Pinus montezumae", 1.5), ("Pinus leiophylla", 1), ("Quercus rugosa", 1)),
        (
            ("sawn_timber", 4), ("roundwood", 2), ("furniture_parts", 2), ("mouldings_flooring", 1.5), ("panels", 1),
            ("chips", 0.5), ("crafts", 0.5),
        ),
        _MX_BODIES,
    ),
    ProducerSegment(
        "gt-peten", "GT", "timber", 7, ("es",), "es", "GTQ",
        _places(
            "GT-17", ("Carmelita", 17.4600, -90.1800), ("Uaxactún", 17.3940, -89.6340),
            ("San Andrés", 16.9650, -89.9110),
            ("Melchor de Mencos", 17.0650, -89.2600), ("Flores", 16.9290, -89.8920), ("San José", 16.9820, -89.9010),
            ("Cruce a Dos Aguas", 17.1700, -89.7000), ("Yaxhá", 17.0750, -89.4030),
        ),
        (
            ("cooperative", "Cooperativa Carmelita", "Carmelita"),
            ("community_concession", "Organización, Manejo y Conservación Uaxactún (OMYC)", "Uaxactún"),
            ("community_concession", "Sociedad Civil Árbol Verde", "San Andrés"),
            ("community_concession", "Asociación Forestal Integral San Andrés Petén (AFISAP)", "San Andrés"),
            ("community_concession", "Sociedad Civil Impulsores Suchitecos", "Melchor de Mencos"),
            ("community_concession", "Sociedad Civil Custodios de la Selva", "Cruce a Dos Aguas"),
            ("community_concession", "Sociedad Civil Laborantes del Bosque", "San Andrés"),
            ("community_concession", "Sociedad Civil El Esfuerzo", "Yaxhá"),
            ("community_concession", "Sociedad Civil Selva Maya del Norte", "Flores"),
            ("community_concession", "Sociedad Civil Amigos del Bosque", "San José"),
            ("association", "Asociación de Comunidades Forestales de Petén (ACOFOP)", "Flores"),
        ),
        (
            ("Swietenia macrophylla", 3), ("Cedrela odorata", 1.5), ("Manilkara zapota", 1.5),
            ("Lonchocarpus castilloi", 1.5), ("Metopium brownei", 1), ("Bucida buceras", 1),
            ("Brosimum alicastrum", 0.7), ("Calophyllum brasiliense", 1), ("Lysiloma latisiliquum", 1),
            ("Dalbergia stevensonii", 0.15),
        ),
        _TROPICAL_PRODUCTS, _LATAM_BODIES,
    ),
    ProducerSegment(
        "hn-pine", "HN", "timber", 2.5, ("es",), "es", "HNL",
        _places("HN-OL", ("Juticalpa", 14.6660, -86.2190), ("Catacamas", 14.8480, -85.8940),
                ("Salamá", 14.8330, -86.5800), ("San Esteban", 15.2200, -85.7500))
        + _places("HN-YO", ("Yoro", 15.1370, -87.1270), ("Olanchito", 15.4810, -86.5740)),
        (
            ("cooperative", "Cooperativa Agroforestal Regional Mixta de Olancho", "Juticalpa"),
            ("cooperative", "Cooperativa Agroforestal {place} Limitada", None),
            ("cooperative", "Cooperativa Agroforestal Los Laureles", "Catacamas"),
            ("cooperative", "Cooperativa Agroforestal San Jerónimo", "Yoro"),
            ("cooperative", "Cooperativa Agroforestal El Carbón", "San Esteban"),
            ("family_forest", "Finca Forestal Las Delicias", None),
        ),
        (("Pinus oocarpa", 4), ("Pinus caribaea", 2)),
        (
            ("roundwood", 3), ("sawn_timber", 4), ("mouldings_flooring", 1), ("furniture_parts", 1), ("chips", 0.5),
            ("fuelwood", 0.3),
        ),
        _LATAM_BODIES,
    ),
    ProducerSegment(
        "hn-broadleaf", "HN", "timber", 2, ("es",), "es", "HNL",
        _places("HN-CL", ("Tocoa", 15.6570, -86.0000), ("Saba", 15.4700, -86.2500), ("Iriona", 15.9000, -85.2000))
        + _places("HN-AT", ("La Masica", 15.6300, -87.1100), ("Jutiapa", 15.7100, -86.5100)),
        (
            ("cooperative", "Cooperativa Agroforestal Sawasito", "Iriona"),
            ("cooperative", "Cooperativa Agroforestal Brisas de Copén", "Iriona"),
            ("cooperative", "Cooperativa Agroforestal Colón Atlántida Honduras (COATLAHL)", "La Masica"),
            ("cooperative", "Cooperativa Agroforestal Sico-Paulaya", "Iriona"),
            ("cooperative", "Cooperativa Agroforestal {place} Limitada", None),
        ),
        (
            ("Swietenia macrophylla", 3), ("Cedrela odorata", 1.5), ("Calophyllum brasiliense", 1.5),
            ("Pinus caribaea", 1), ("Vochysia guatemalensis", 1),
        ),
        _TROPICAL_PRODUCTS, _LATAM_BODIES, 0.03,
    ),
    ProducerSegment(
        "br-ac-timber", "BR", "timber", 2.5, ("pt",), "pt", "BRL",
        _places(
            "BR-AC", ("Xapuri", -10.6520, -68.5040), ("Rio Branco", -9.9750, -67.8100),
            ("Sena Madureira", -9.0660, -68.6570), ("Bujari", -9.8270, -67.9490), ("Feijó", -8.1640, -70.3540),
            ("Tarauacá", -8.1610, -70.7660), ("Capixaba", -10.5700, -67.6800), ("Porto Acre", -9.5880, -67.5330),
        ),
        (
            ("extractive_reserve",
             "Associação dos Moradores e Produtores do Projeto Agroextrativista São Luís do Remanso", "Capixaba"),
            ("cooperative", "Cooperativa dos Produtores Florestais Comunitários (Cooperfloresta)", "Rio Branco"),
            ("extractive_reserve", "Associação dos Seringueiros do Seringal Cachoeira", "Xapuri"),
            ("association", "Associação dos Produtores do PAE Porto Dias", "Porto Acre"),
            ("association", "Associação Agroextrativista do Antimary", "Bujari"),
            ("extractive_reserve", "Associação dos Moradores da Resex Cazumbá-Iracema", "Sena Madureira"),
            ("association", "Associação dos Produtores Rurais de {place}", None),
        ),
        (
            ("Dipteryx odorata", 2), ("Hymenaea courbaril", 2), ("Amburana cearensis", 1.5), ("Cedrela odorata", 1),
            ("Apuleia leiocarpa", 1),
        ),
        _AMAZON_PRODUCTS, _LATAM_BODIES,
    ),
    ProducerSegment(
        "br-pa", "BR", "timber", 4, ("pt",), "pt", "BRL",
        _places(
            "BR-PA", ("Belterra", -2.6360, -54.9370), ("Porto de Moz", -1.7480, -52.2380),
            ("Santarém", -2.5500, -54.8000),
            ("Juruti", -2.1520, -56.0920), ("Portel", -1.9360, -50.8210), ("Anapu", -3.4720, -51.2000),
            ("Gurupá", -1.4050, -51.6400),
        ),
        (
            ("cooperative", "Cooperativa Mista da Flona do Tapajós (Coomflona)", "Belterra"),
            ("extractive_reserve", "Associação Comunitária da Resex Verde para Sempre", "Porto de Moz"),
            ("extractive_reserve", "Associação dos Moradores da Resex Tapajós-Arapiuns", "Santarém"),
            ("association", "Associação das Comunidades da Região de Juruti Velho", "Juruti"),
            ("cooperative", "Cooperativa Agroextrativista de Portel", "Portel"),
            ("association", "Associação do Projeto de Desenvolvimento Sustentável Virola-Jatobá", "Anapu"),
            ("extractive_reserve", "Associação dos Trabalhadores Agroextrativistas da Ilha de Gurupá", "Gurupá"),
            ("association", "Associação Comunitária de Manejo Florestal de {place}", None),
        ),
        (
            ("Manilkara huberi", 2), ("Dipteryx odorata", 2), ("Hymenaea courbaril", 1.5), ("Goupia glabra", 1.5),
            ("Dinizia excelsa", 1), ("Couratari guianensis", 1), ("Carapa guianensis", 0.5),
        ),
        _AMAZON_PRODUCTS, _LATAM_BODIES,
    ),
    ProducerSegment(
        "pe-mdd", "PE", "timber", 3, ("es",), "es", "PEN",
        _places(
            "PE-MDD", ("Puerto Maldonado", -12.5930, -69.1890), ("Iberia", -11.4100, -69.4880),
            ("Laberinto", -12.7200, -69.5900), ("Alerta", -11.6800, -69.3300), ("Planchón", -12.2800, -69.1500),
        ),
        (
            ("indigenous_territory", "Comunidad Nativa Infierno", "Puerto Maldonado"),
            ("indigenous_territory", "Comunidad Nativa Bélgica", "Iberia"),
            ("indigenous_territory", "Comunidad Nativa Tres Islas", "Puerto Maldonado"),
            ("indigenous_territory", "Comunidad Nativa Boca Pariamanu", "Laberinto"),
            ("association", "Asociación de Castañeros de la Reserva Nacional Tambopata", "Puerto Maldonado"),
            ("association", "Asociación Forestal Maderera Tahuamanu", "Iberia"),
            ("cooperative", "Cooperativa Agraria Forestal de Alerta", "Alerta"),
            ("association", "Asociación de Concesionarios Forestales de {place}", None),
        ),
        (
            ("Cedrelinga cateniformis", 2), ("Dipteryx odorata", 2), ("Cedrela odorata", 0.8),
            ("Swietenia macrophylla", 0.3), ("Hura crepitans", 1.5), ("Calycophyllum spruceanum", 1),
            ("Amburana cearensis", 1), ("Hymenaea courbaril", 1),
        ),
        _AMAZON_PRODUCTS, _ANDES_BODIES,
    ),
    ProducerSegment(
        "pe-uca", "PE", "timber", 2.5, ("es", "shp"), "es", "PEN",
        _places(
            "PE-UCA", ("Pucallpa", -8.3790, -74.5540), ("Masisea", -8.6030, -74.3080), ("Atalaya", -10.7300, -73.7560),
            ("Iparía", -9.3060, -74.4340), ("Callería", -8.1300, -74.6700), ("Nueva Requena", -8.3100, -74.8600),
        ),
        (
            ("indigenous_territory", "Comunidad Nativa Callería", "Callería"),
            ("indigenous_territory", "Comunidad Nativa Nuevo Saposoa", "Callería"),
            ("indigenous_territory", "Comunidad Nativa Pueblo Nuevo del Caco", "Masisea"),
            ("indigenous_territory", "Comunidad Nativa Flor de Ucayali", "Callería"),
            ("indigenous_territory", "Comunidad Nativa Roya", "Iparía"),
            ("indigenous_territory", "Comunidad Nativa Puerto Belén", "Masisea"),
            ("association", "Asociación de Productores Forestales de Atalaya", "Atalaya"),
            ("cooperative", "Cooperativa Forestal Shipibo-Conibo de Masisea", "Masisea"),
        ),
        (
            ("Cedrelinga cateniformis", 2), ("Calycophyllum spruceanum", 2), ("Hura crepitans", 1.5),
            ("Virola sebifera", 1), ("Dipteryx odorata", 1), ("Cedrela odorata", 0.5),
        ),
        _AMAZON_PRODUCTS, _ANDES_BODIES,
    ),
    ProducerSegment(
        "bo-pando", "BO", "timber", 2, ("es",), "es", "BOB",
        _places(
            "BO-N", ("Porvenir", -11.2500, -68.6800), ("Puerto Rico", -11.1000, -67.5500),
            ("Filadelfia", -11.3700, -68.7700),
            ("Bella Flor", -11.1300, -68.3300),
        ),
        (
            ("association", "Asociación de Productores Forestales de {place}", None),
            ("cooperative", "Cooperativa Agroextractivista {place}", None),
            ("indigenous_territory", "Territorio Indígena Multiétnico II (TIM II)", "Puerto Rico"),
            ("association", "Asociación Integral de Castañeros y Productores Forestales de Pando", "Porvenir"),
        ),
        (
            ("Amburana cearensis", 2), ("Hymenaea courbaril", 1.5), ("Dipteryx odorata", 1.5), ("Cedrela odorata", 1),
            ("Terminalia amazonia", 1.5), ("Swietenia macrophylla", 0.3),
        ),
        _AMAZON_PRODUCTS, _ANDES_BODIES,
    ),
    ProducerSegment(
        "bo-beni", "BO", "timber", 2, ("es",), "es", "BOB",
        _places(
            "BO-B", ("Riberalta", -11.0100, -66.0200), ("Guayaramerín", -10.8800, -65.4500),
            ("San Ignacio de Moxos", -14.9960, -65.6400), ("Santa Rosa del Yacuma", -14.0700, -66.7900),
        ),
        (
            ("indigenous_territory", "Territorio Indígena Multiétnico (TIM)", "San Ignacio de Moxos"),
            ("indigenous_territory", "Territorio Indígena Mojeño-Ignaciano", "San Ignacio de Moxos"),
            ("association", "Asociación Forestal Indígena de San Ignacio de Moxos", "San Ignacio de Moxos"),
            ("cooperative", "Cooperativa Agroforestal Riberalta", "Riberalta"),
            ("association", "Asociación de Productores Forestales de Guayaramerín", "Guayaramerín"),
            ("association", "Asociación de Productores Agroforestales de Santa Rosa del Yacuma",
             "Santa Rosa del Yacuma"),
        ),
        (
            ("Amburana cearensis", 1.5), ("Hymenaea courbaril", 1.5), ("Dipteryx odorata", 1), ("Cedrela odorata", 1),
            ("Terminalia amazonia", 1.5), ("Calycophyllum spruceanum", 1),
        ),
        _AMAZON_PRODUCTS, _ANDES_BODIES,
    ),
    ProducerSegment(
        "bo-santa-cruz", "BO", "timber", 1.5, ("es",), "es", "BOB",
        _places(
            "BO-S", ("San Antonio de Lomerío", -16.7790, -61.7880), ("Ascensión de Guarayos", -15.8920, -63.1880),
            ("Urubichá", -15.3900, -63.0600), ("Concepción", -16.1340, -62.0250),
        ),
        (
            ("indigenous_territory", "Central Indígena de Comunidades Originarias de Lomerío (CICOL)",
             "San Antonio de Lomerío"),
            ("association", "Asociación Forestal Indígena Guarayos", "Ascensión de Guarayos"),
            ("indigenous_territory", "Comunidad Indígena Cururú", "Ascensión de Guarayos"),
            ("association", "Asociación Forestal Indígena de Urubichá", "Urubichá"),
            ("cooperative", "Cooperativa Maderera Chiquitana", "Concepción"),
        ),
        (
            ("Amburana cearensis", 2), ("Hymenaea courbaril", 1.5), ("Cedrela odorata", 1),
            ("Handroanthus impetiginosus", 1), ("Terminalia amazonia", 0.8),
        ),
        _AMAZON_PRODUCTS, _ANDES_BODIES,
    ),
    # Natural rubber: smallholder groups, cooperatives and extractive reserves.
    ProducerSegment(
        "gt-rubber", "GT", "latex", 3, ("es",), "es", "GTQ",
        _places("GT-05", ("Tiquisate", 14.2840, -91.3660), ("Nueva Concepción", 14.2000, -91.3000),
                ("Santa Lucía Cotzumalguapa", 14.3350, -91.0210))
        + _places("GT-10", ("Mazatenango", 14.5340, -91.5030), ("Cuyotenango", 14.5400, -91.5720))
        + _places("GT-11", ("Retalhuleu", 14.5370, -91.6770))
        + _places("GT-18", ("Morales", 15.4740, -88.8220), ("Los Amates", 15.2560, -89.0970)),
        (
            ("smallholder_group", "Asociación de Pequeños Productores de Hule de {place}", None),
            ("cooperative", "Cooperativa Agrícola Integral Hulera de {place}", None),
            ("smallholder_group", "Grupo de Huleros Independientes de {place}", None),
        ),
        (("Hevea brasiliensis", 1),),
        (("field_latex", 2), ("tsr", 2), ("latex_concentrate", 1.5), ("cup_lump", 1), ("crepe", 0.2)),
        _LATAM_BODIES, 0.04,
    ),
    ProducerSegment(
        "br-ac-rubber", "BR", "latex", 3, ("pt",), "pt", "BRL",
        _places(
            "BR-AC", ("Xapuri", -10.6520, -68.5040), ("Sena Madureira", -9.0660, -68.6570),
            ("Brasiléia", -10.9000, -68.6500),
            ("Rio Branco", -9.9750, -67.8100), ("Feijó", -8.1640, -70.3540), ("Tarauacá", -8.1610, -70.7660),
        ),
        (
            ("extractive_reserve", "Associação dos Seringueiros da Resex Chico Mendes", "Xapuri"),
            ("cooperative", "Cooperativa Agroextrativista de Xapuri (CAEX)", "Xapuri"),
            ("extractive_reserve", "Associação dos Moradores e Produtores da Resex Chico Mendes em Brasiléia",
             "Brasiléia"),
            ("cooperative", "Cooperativa Central de Comercialização Extrativista do Acre (Cooperacre)", "Rio Branco"),
            ("smallholder_group", "Núcleo de Seringueiros do Seringal São Francisco", None),
            ("smallholder_group", "Núcleo de Seringueiros do Seringal Boa Vista", None),
            ("extractive_reserve", "Associação dos Seringueiros da Resex Alto Tarauacá", "Tarauacá"),
            ("extractive_reserve", "Associação dos Moradores da Resex do Cazumbá", "Sena Madureira"),
        ),
        (("Hevea brasiliensis", 1),),
        (("field_latex", 2), ("cup_lump", 2), ("rss", 2), ("crepe", 0.3)),
        _LATAM_BODIES,
    ),
    ProducerSegment(
        "br-sp-rubber", "BR", "latex", 1.5, ("pt",), "pt", "BRL",
        _places(
            "BR-SP", ("São José do Rio Preto", -20.8110, -49.3760), ("Votuporanga", -20.4230, -49.9730),
            ("Barretos", -20.5570, -48.5680), ("José Bonifácio", -21.0530, -49.6880), ("Poloni", -20.7830, -49.8250),
        ),
        (
            ("smallholder_group", "Núcleo de Heveicultores de {place}", None),
            ("cooperative", "Cooperativa dos Heveicultores de {place}", None),
        ),
        (("Hevea brasiliensis", 1),),
        (("cup_lump", 3), ("field_latex", 1.5), ("tsr", 1)),
        _LATAM_BODIES,
    ),
    ProducerSegment(
        "th-rubber", "TH", "latex", 3.5, ("th",), "en", "THB",
        _places("TH-90", ("Hat Yai", 7.0080, 100.4740), ("Sadao", 6.7000, 100.4200))
        + _places("TH-92", ("Trang", 7.5560, 99.6110), ("Huai Yot", 7.7900, 99.6300))
        + _places("TH-84", ("Khian Sa", 8.8300, 99.1600))
        + _places("TH-80", ("Thung Song", 8.1640, 99.6800))
        + _places("TH-21", ("Ban Khai", 12.7700, 101.3000)),
        (
            ("cooperative", "{place} Rubber Fund Cooperative", None),
            ("smallholder_group", "Ban Khuan Rubber Smallholder Group", None),
            ("smallholder_group", "Ban Na Yong Rubber Smallholder Group", None),
            ("smallholder_group", "Ban Pru Rubber Smallholder Group", None),
            ("smallholder_group", "Ban Tha Chang Rubber Smallholder Group", None),
            ("smallholder_group", "Ban Nong Bua Rubber Smallholder Group", None),
            ("smallholder_group", "Khlong Hoi Khong Rubber Farmers' Group", "Hat Yai"),
            ("cooperative", "Thung Song Rubber Planters' Cooperative", "Thung Song"),
        ),
        (("Hevea brasiliensis", 1),),
        (("rss", 3), ("cup_lump", 2), ("field_latex", 1.5), ("latex_concentrate", 1), ("tsr", 1)),
        _ASIA_BODIES,
    ),
    ProducerSegment(
        "lk-rubber", "LK", "latex", 2, ("si", "en"), "en", "LKR",
        _places("LK-13", ("Horana", 6.7160, 80.0620), ("Matugama", 6.5220, 80.1140), ("Agalawatta", 6.5420, 80.1570))
        + _places("LK-91", ("Ratnapura", 6.6830, 80.3990), ("Eheliyagoda", 6.8500, 80.2700))
        + _places("LK-92", ("Kegalle", 7.2510, 80.3470), ("Yatiyantota", 7.0300, 80.3000)),
        (
            ("smallholder_group", "{place} Rubber Smallholders' Development Society", None),
            ("cooperative", "{place} Rubber Producers' Cooperative Society", None),
        ),
        (("Hevea brasiliensis", 1),),
        (("rss", 3), ("crepe", 2), ("field_latex", 1), ("latex_concentrate", 1)),
        _ASIA_BODIES, 0.03,
    ),
    ProducerSegment(
        "vn-rubber", "VN", "latex", 2.5, ("vi",), "en", "VND",
        _places("VN-58", ("Đồng Xoài", 11.5350, 106.8830), ("Bình Long", 11.6500, 106.6100))
        + _places("VN-57", ("Dầu Tiếng", 11.2800, 106.3600), ("Bến Cát", 11.1500, 106.5900))
        + _places("VN-37", ("Dương Minh Châu", 11.3700, 106.2400))
        + _places("VN-39", ("Long Khánh", 10.9300, 107.2400), ("Xuân Lộc", 10.9300, 107.4000)),
        (
            ("cooperative", "Hợp tác xã Cao su {place}", None),
            ("smallholder_group", "Tổ hợp tác Cao su Tiểu điền {place}", None),
        ),
        (("Hevea brasiliensis", 1),),
        (("latex_concentrate", 2), ("tsr", 3), ("cup_lump", 2), ("field_latex", 1)),
        _ASIA_BODIES, 0.04,
    ),
)

#: Buyer profile -> category and product preferences.
PROFILE_CATEGORY: dict[str, str] = {
    "furniture": "timber", "flooring": "timber", "importer": "timber", "construction": "timber", "charcoal": "timber",
    "pulp": "timber", "crafts": "timber",
    "tyres": "latex", "gloves": "latex", "mattress": "latex", "footwear": "latex",
}
PROFILE_PRODUCTS: dict[str, tuple[tuple[str, float], ...]] = {
    "furniture": (("sawn_timber", 3), ("furniture_parts", 3), ("panels", 1)),
    "flooring": (("mouldings_flooring", 3), ("sawn_timber", 1)),
    "importer": (("sawn_timber", 3), ("roundwood", 1), ("mouldings_flooring", 1), ("panels", 1)),
    "construction": (("sawn_timber", 3), ("panels", 2), ("roundwood", 1)),
    "charcoal": (("charcoal", 3), ("fuelwood", 1)),
    "pulp": (("chips", 3), ("fuelwood", 1)),
    "crafts": (("crafts", 3), ("furniture_parts", 1)),
    "tyres": (("tsr", 3), ("rss", 2), ("cup_lump", 1)),
    "gloves": (("latex_concentrate", 3), ("field_latex", 1)),
    "mattress": (("latex_concentrate", 3),),
    "footwear": (("crepe", 3), ("rss", 1)),
}
PROFILE_SPECIES: dict[str, tuple[str, ...]] = {
    "furniture": ("Pinus", "caoba", "cedro", "mahogany", "Swietenia macrophylla", "Spanish cedar", "jatobá"),
    "flooring": ("tzalam", "chicozapote", "cumaru", "jatobá", "Dipteryx odorata", "machiche", "Quercus"),
    "importer": ("Pinus", "caoba", "mahogany", "tornillo", "cumaru", "jatobá", "Cedrela odorata"),
    "construction": ("Pinus", "pino de Durango", "Pinus oocarpa"),
    "charcoal": ("Quercus", "encino", "encino colorado"),
    "pulp": ("Pinus",),
    "crafts": ("cedro", "caoba", "Pinus", "ramón"),
}
LATEX_WANTED = ("Hevea brasiliensis", "seringueira", "hule", "rubber tree")

_MX_PROFILES_JAL = (("furniture", 3), ("crafts", 1), ("flooring", 1))
BUYER_CITIES: tuple[BuyerCity, ...] = (
    BuyerCity("gdl", "MX", "MX-JAL", "Guadalajara", 20.6737, -103.3440, ("es", "en"), "es", 2, _MX_PROFILES_JAL,
              ("Tapatíos", "de Occidente", "del Bajío", "Jaliscienses", "de Los Altos", "Finos de Jalisco")),
    BuyerCity("mty", "MX", "MX-NLE", "Monterrey", 25.6866, -100.3161, ("es", "en"), "es", 1.5,
              (("construction", 2), ("charcoal", 1), ("tyres", 1), ("importer", 1)),
              ("Regiomontanos", "del Norte", "Cerro de la Silla", "de Nuevo León", "Sultana")),
    BuyerCity("cdmx", "MX", "MX-CMX", "Ciudad de México", 19.4326, -99.1332, ("es", "en"), "es", 1.5,
              (("importer", 2), ("flooring", 1), ("gloves", 1)),
              ("del Valle de México", "Anáhuac", "Coyoacán", "Tlalpan", "Azcapotzalco")),
    BuyerCity("lax", "US", "US-CA", "Los Angeles", 34.0522, -118.2437, ("en", "es"), "en", 1.5,
              (("flooring", 2), ("mattress", 1), ("gloves", 1), ("importer", 1)),
              ("Golden State", "Pacific Coast", "Sierra", "Angeles", "Sunset")),
    BuyerCity("hou", "US", "US-TX", "Houston", 29.7604, -95.3698, ("en", "es"), "en", 1.5,
              (("importer", 2), ("charcoal", 1), ("tyres", 1)),
              ("Lone Star", "Gulf Coast", "Bayou City", "Alamo", "Brazos")),
    BuyerCity("nyc", "US", "US-NY", "New York", 40.7128, -74.0060, ("en",), "en", 1,
              (("flooring", 2), ("crafts", 1), ("furniture", 1)),
              ("Hudson Valley", "Empire", "Brooklyn", "Knickerbocker")),
    BuyerCity("hpt", "US", "US-NC", "High Point", 35.9557, -80.0053, ("en",), "en", 1, (("furniture", 3),),
              ("Piedmont", "Carolina", "High Point", "Blue Ridge", "Yadkin")),
    BuyerCity("akr", "US", "US-OH", "Akron", 41.0814, -81.5190, ("en",), "en", 1, (("tyres", 3), ("footwear", 0.5)),
              ("Buckeye", "Summit", "Cuyahoga", "Rubber City", "Portage")),
    BuyerCity("sav", "US", "US-GA", "Savannah", 32.0809, -81.0912, ("en",), "en", 1, (("importer", 2), ("pulp", 1)),
              ("Savannah River", "Peach State", "Coastal Empire", "Chatham")),
    BuyerCity("ham", "DE", "DE-HH", "Hamburg", 53.5511, 9.9937, ("de", "en"), "de", 1.5,
              (("importer", 2), ("tyres", 1)), ("Hanseatische", "Elbe", "Alster", "Nordsee", "Hafen")),
    BuyerCity("han", "DE", "DE-NI", "Hannover", 52.3759, 9.7320, ("de", "en"), "de", 1, (("tyres", 3),),
              ("Leine", "Niedersächsische", "Harz", "Calenberger")),
    BuyerCity("rtm", "NL", "NL-ZH", "Rotterdam", 51.9244, 4.4777, ("nl", "en"), "nl", 1.5,
              (("importer", 2), ("tyres", 1), ("pulp", 1)), ("Maas", "Rijnmond", "Waalhaven", "Delfland", "Europoort")),
    BuyerCity("anr", "BE", "BE-VAN", "Antwerpen", 51.2194, 4.4025, ("nl", "fr", "en"), "nl", 1,
              (("importer", 2), ("flooring", 1)), ("Schelde", "Kempen", "Antwerpse", "Linkeroever")),
    BuyerCity("bcn", "ES", "ES-B", "Barcelona", 41.3874, 2.1686, ("es", "ca", "en"), "es", 1,
              (("furniture", 1), ("flooring", 1)), ("del Maresme", "Mediterrània", "del Llobregat", "Condal")),
    BuyerCity("vlc", "ES", "ES-V", "Valencia", 39.4699, -0.3763, ("es", "en"), "es", 1,
              (("mattress", 2), ("furniture", 1)), ("del Turia", "Levante", "de la Albufera", "Valencianos")),
    BuyerCity("mil", "IT", "IT-MI", "Milano", 45.4642, 9.1900, ("it", "en"), "it", 1,
              (("furniture", 2), ("mattress", 1)), ("Brianza", "Lombardo", "Navigli", "Ambrosiano")),
    BuyerCity("udn", "IT", "IT-UD", "Manzano", 45.9886, 13.3790, ("it", "en"), "it", 1, (("furniture", 3),),
              ("Friulano", "del Tagliamento", "Manzanese", "Natisone")),
    BuyerCity("nte", "FR", "FR-44", "Nantes", 47.2184, -1.5536, ("fr", "en"), "fr", 1,
              (("importer", 2), ("flooring", 1)), ("de l'Atlantique", "de Loire", "Nantais", "de l'Estuaire")),
    BuyerCity("cfe", "FR", "FR-63", "Clermont-Ferrand", 45.7772, 3.0870, ("fr", "en"), "fr", 1,
              (("tyres", 2), ("footwear", 1)), ("d'Auvergne", "Arverne", "du Puy-de-Dôme", "des Volcans")),
)

#: Company name patterns per language and profile: (pattern with {w}, legal suffix).
BUYER_NAMES: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "es": {
        "furniture": (("Muebles {w}", "S.A. de C.V."), ("Fábrica de Muebles {w}", "S.A. de C.V.")),
        "flooring": (("Pisos y Duelas {w}", "S.A. de C.V."),),
        "importer": (("Maderas {w}", "S.A. de C.V."), ("Comercializadora Forestal {w}", "S.A. de C.V.")),
        "construction": (("Cimbras y Maderas {w}", "S.A. de C.V."),),
        "charcoal": (("Carbones {w}", "S.A. de C.V."),),
        "crafts": (("Artesanías {w}", "S.A. de C.V."),),
        "tyres": (("Llantas y Hules {w}", "S.A. de C.V."),),
        "gloves": (("Guantes de Látex {w}", "S.A. de C.V."),),
        "mattress": (("Colchones {w}", "S.L."),),
        "pulp": (("Biomasa {w}", "S.A. de C.V."),),
        "footwear": (("Suelas {w}", "S.A. de C.V."),),
    },
    "en": {
        "furniture": (("{w} Furniture", "Co."), ("{w} Casegoods", "Inc.")),
        "flooring": (("{w} Hardwood Flooring", "LLC"),),
        "importer": (("{w} Lumber Importers", "Inc."), ("{w} Hardwoods", "Inc.")),
        "construction": (("{w} Building Supply", "Inc."),),
        "charcoal": (("{w} Charcoal", "Co."),),
        "crafts": (("{w} Artisan Goods", "LLC"),),
        "tyres": (("{w} Tire & Rubber", "Co."),),
        "gloves": (("{w} Glove", "Corp."),),
        "mattress": (("{w} Natural Latex Mattress", "Co."),),
        "pulp": (("{w} Biomass", "LLC"),),
        "footwear": (("{w} Footwear", "Inc."),),
    },
    "de": {
        "importer": (("{w} Holzimport", "GmbH"), ("{w} Holzhandel", "GmbH")),
        "tyres": (("{w} Reifenwerke", "GmbH"), ("{w} Kautschukhandel", "GmbH")),
        "flooring": (("{w} Parkett", "GmbH"),),
        "furniture": (("{w} Möbelwerke", "GmbH"),),
    },
    "nl": {
        "importer": (("{w} Houtimport", "B.V."), ("{w} Hout", "NV")),
        "flooring": (("{w} Parket", "B.V."),),
        "tyres": (("{w} Rubber Trading", "B.V."),),
        "pulp": (("{w} Biomassa", "B.V."),),
    },
    "it": {
        "furniture": (("Mobilificio {w}", "S.r.l."), ("Sedie {w}", "S.p.A.")),
        "mattress": (("Materassi {w}", "S.r.l."),),
        "flooring": (("Parchettificio {w}", "S.r.l."),),
    },
    "fr": {
        "importer": (("Bois {w}", "SAS"),),
        "flooring": (("Parquets {w}", "SARL"),),
        "tyres": (("Caoutchoucs {w}", "SAS"),),
        "footwear": (("Semelles {w}", "SAS"),),
    },
}
#: Spain shares Spanish patterns with Mexico but uses Spanish legal forms.
_ES_SUFFIX = {"S.A. de C.V.": "S.L."}

_BUYER_MAIL = {"es": "compras", "en": "purchasing", "de": "einkauf", "nl": "inkoop", "it": "acquisti", "fr": "achats"}
_PRODUCER_MAIL = {"es": "ventas", "pt": "comercial", "en": "sales"}
#: Word before the number when a name repeats in large sets ("Ejido San Pedro Sección 2", "Elbe Holzhandel Werk 2").
_PRODUCER_REPEAT = {"es": "Sección", "pt": "Núcleo", "en": "Group"}
_BUYER_REPEAT = {"es": "Planta", "en": "Unit", "de": "Werk", "nl": "Vestiging", "it": "Sede", "fr": "Site"}

#: Common names for species the vocabulary does not list (titles only; matching uses vocab.SPECIES).
EXTRA_COMMON: dict[str, dict[str, str]] = {
    "Pinus cooperi": {"es": "pino chino", "en": "Cooper pine", "pt": "pinheiro-cooper"},
    "Pinus teocote": {"es": "pino teocote", "en": "Aztec pine", "pt": "pinheiro-teocote"},
    "Pinus leiophylla": {"es": "pino chino", "en": "Chihuahua pine", "pt": "pinheiro-de-chihuahua"},
    "Pinus patula": {"es": "pino pátula", "en": "Mexican weeping pine", "pt": "pinheiro-pátula"},
    "Pinus ayacahuite": {"es": "pino ayacahuite", "en": "Mexican white pine", "pt": "pinheiro-ayacahuite"},
    "Pinus montezumae": {"es": "pino de Moctezuma", "en": "Montezuma pine", "pt": "pinheiro-de-montezuma"},
    "Pinus caribaea": {"es": "pino caribe", "en": "Caribbean pine", "pt": "pinheiro-do-caribe"},
    "Vochysia guatemalensis": {"es": "san juan", "en": "yemeri", "pt": "quaruba"},
    "Apuleia leiocarpa": {"es": "ybyrapitá", "en": "garapa", "pt": "garapeira"},
    "Manilkara huberi": {"es": "masaranduba", "en": "massaranduba", "pt": "maçaranduba"},
    "Goupia glabra": {"es": "kabukalli", "en": "cupiuba", "pt": "cupiúba"},
    "Dinizia excelsa": {"es": "angelim", "en": "red angelim", "pt": "angelim-vermelho"},
    "Couratari guianensis": {"es": "tauari", "en": "tauari", "pt": "tauari"},
    "Carapa guianensis": {"es": "andiroba", "en": "crabwood", "pt": "andiroba"},
    "Hura crepitans": {"es": "catahua", "en": "sandbox tree", "pt": "assacu"},
    "Calycophyllum spruceanum": {"es": "capirona", "en": "capirona", "pt": "pau-mulato"},
    "Virola sebifera": {"es": "cumala", "en": "virola", "pt": "ucuúba"},
    "Terminalia amazonia": {"es": "verdolago", "en": "white olive", "pt": "cuiarana"},
    "Handroanthus impetiginosus": {"es": "tajibo", "en": "ipe", "pt": "ipê-roxo"},
}

#: Relative timber value by species (multiplies the product's base price).
SPECIES_VALUE: dict[str, float] = {
    "Swietenia macrophylla": 3.0, "Cedrela odorata": 2.2, "Dalbergia stevensonii": 4.0, "Amburana cearensis": 2.0,
    "Dipteryx odorata": 1.8, "Hymenaea courbaril": 1.8, "Manilkara huberi": 1.6, "Manilkara zapota": 1.6,
    "Lysiloma latisiliquum": 1.7, "Bucida buceras": 1.5, "Lonchocarpus castilloi": 1.5, "Metopium brownei": 1.4,
    "Handroanthus impetiginosus": 2.2, "Calophyllum brasiliense": 1.3, "Cedrelinga cateniformis": 1.2,
    "Quercus sideroxyla": 0.9, "Quercus rugosa": 0.9,
}
#: Base price in USD per canonical unit (m3 or kg DRC), before species value and noise.
BASE_PRICE_USD: dict[str, float] = {
    "roundwood": 95, "fuelwood": 30, "charcoal": 90, "chips": 32, "sawn_timber": 310, "panels": 450,
    "mouldings_flooring": 820, "furniture_parts": 900, "crafts": 1600,
    "field_latex": 1.35, "latex_concentrate": 1.5, "rss": 1.85, "tsr": 1.7, "cup_lump": 1.15, "crepe": 2.4,
}
_PRICE_BY_SPECIES = {"roundwood", "sawn_timber", "panels", "mouldings_flooring", "furniture_parts", "crafts"}
USD_RATE: dict[str, float] = {
    "USD": 1.0, "EUR": 0.92, "MXN": 18.0, "GTQ": 7.75, "HNL": 24.7, "BRL": 5.3, "PEN": 3.75, "BOB": 6.91,
    "THB": 35.5, "LKR": 300.0, "VND": 25000.0,
}
#: Offer sizes (canonical units: m3 or kg DRC), drawn log-uniformly.
OFFER_SIZE: dict[str, tuple[float, float]] = {
    "roundwood": (50, 2500), "fuelwood": (20, 400), "charcoal": (10, 200), "chips": (100, 3000),
    "sawn_timber": (15, 800), "panels": (20, 300), "mouldings_flooring": (10, 200), "furniture_parts": (5, 120),
    "crafts": (0.5, 10), "field_latex": (1500, 40000), "latex_concentrate": (5000, 120000), "rss": (1000, 60000),
    "tsr": (10000, 250000), "cup_lump": (2000, 80000), "crepe": (500, 15000),
}
#: Request sizes for requests that are not built around an existing offer.
DEMAND_SIZE: dict[str, tuple[float, float]] = {
    "roundwood": (200, 3000), "fuelwood": (50, 800), "charcoal": (20, 400), "chips": (500, 8000),
    "sawn_timber": (30, 1500), "panels": (30, 500), "mouldings_flooring": (20, 400), "furniture_parts": (10, 300),
    "crafts": (1, 20), "field_latex": (5000, 60000), "latex_concentrate": (10000, 200000), "rss": (5000, 100000),
    "tsr": (20000, 500000), "cup_lump": (10000, 200000), "crepe": (1000, 20000),
}
#: Products sold as they leave the forest (all an FM-only certificate can carry).
_PRIMARY = {"roundwood", "fuelwood", "field_latex", "cup_lump"}

CLAIM_SETS: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = {
    "timber": (
        (("FSC 100%",), 3), (("FSC 100%", "FSC Mix"), 5), (("FSC 100%", "FSC Mix", "FSC Mix Credit"), 2),
        (("FSC Mix", "FSC Mix Credit"), 1), (("FSC 100%", "FSC Mix", "FSC Controlled Wood"), 1),
    ),
    "pulp": (
        (("FSC Mix", "FSC Controlled Wood"), 2), (("FSC Mix", "FSC Recycled", "FSC Controlled Wood"), 1),
        (("FSC 100%", "FSC Mix", "FSC Controlled Wood"), 1),
    ),
    "latex": ((("FSC 100%",), 4), (("FSC 100%", "FSC Mix"), 3), (("FSC Mix", "FSC Mix Credit"), 1)),
}
_DISTANCES = {
    "MX": (500, 800, 1000, 1500, 2000, 3000),
    "US": (2000, 3000, 4000, 5000, 6000),
    "EU": (8000, 10000, 12000, 15000, 18000),
}

# Request titles as a buyer types them: what (product, and the species when one is named) and for where.
REQUEST_NOUNS: dict[str, dict[str, str]] = {
    "es": {
        "roundwood": "Trocería", "fuelwood": "Leña", "charcoal": "Carbón vegetal", "chips": "Astilla",
        "sawn_timber": "Madera aserrada", "panels": "Tableros", "mouldings_flooring": "Duela y molduras",
        "furniture_parts": "Partes para muebles", "crafts": "Artesanías", "field_latex": "Látex de campo",
        "latex_concentrate": "Látex concentrado", "rss": "Hule en lámina ahumada (RSS)", "tsr": "Hule TSR",
        "cup_lump": "Coágulo de taza", "crepe": "Hule crepé",
    },
    "pt": {
        "roundwood": "Toras", "fuelwood": "Lenha", "charcoal": "Carvão vegetal", "chips": "Cavacos de madeira",
        "sawn_timber": "Madeira serrada", "panels": "Painéis", "mouldings_flooring": "Pisos e molduras",
        "furniture_parts": "Peças para móveis", "crafts": "Artesanato", "field_latex": "Látex de campo",
        "latex_concentrate": "Látex concentrado", "rss": "Borracha em folha fumada (RSS)", "tsr": "Borracha TSR",
        "cup_lump": "Coágulo de tigela", "crepe": "Crepe de borracha",
    },
    "en": {
        "roundwood": "Roundwood", "fuelwood": "Fuelwood", "charcoal": "Charcoal", "chips": "Wood chips",
        "sawn_timber": "Sawn timber", "panels": "Panels", "mouldings_flooring": "Flooring and mouldings",
        "furniture_parts": "Furniture parts", "crafts": "Crafts", "field_latex": "Field latex",
        "latex_concentrate": "Latex concentrate", "rss": "Ribbed smoked sheets", "tsr": "TSR rubber",
        "cup_lump": "Cup lump", "crepe": "Crepe rubber",
    },
}
REQUEST_TITLE = {"es": ("{what} de {sp}", "{what} para {place}"), "pt": ("{what} de {sp}", "{what} para {place}"),
                 "en": ("{sp} {what_lower}", "{what} for {place}")}

# Offer titles: {sp} common name, {Sp} capitalised; latex titles use {drc}, {grade}, {tsr}.
TITLES: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "roundwood": ("Trocería de {sp} en rollo, largos de 2.5 a 8.25 m", "Trozas de {sp}, diámetro mayor a 35 cm",
                      "Madera en rollo de {sp} puesta en brecha"),
        "fuelwood": ("Leña de {sp} seca, en rajas", "Leña de {sp} para uso doméstico e industrial"),
        "charcoal": ("Carbón vegetal de {sp}, costal de 20 kg", "Carbón de {sp} en trozo grande"),
        "chips": ("Astilla de {sp} para celulosa y biomasa", "Astilla limpia de {sp}"),
        "sawn_timber": ('Tabla de {sp} secada en estufa, 1" x 6-12"', "Madera aserrada de {sp}, grado 2 y mejor",
                        "Tablón de {sp} verde, largos de 8 a 16 pies", "Vigas y polines de {sp}"),
        "panels": ("Tablero contrachapado de {sp}, 18 mm", "Chapa de {sp} para tableros"),
        "mouldings_flooring": ("Duela de {sp} machihembrada, 19 mm", "Piso de {sp} prefinished",
                               "Molduras de {sp}"),
        "furniture_parts": ("Partes para muebles de {sp}: patas y travesaños",
                            "Piezas dimensionadas de {sp} para muebles", "Tableros encolados de {sp}"),
        "crafts": ("Artesanías talladas en {sp}", "Utensilios de cocina de {sp}"),
        "field_latex": ("Látex de campo, {drc}% DRC, preservado con amoníaco", "Látex fresco de pequeños productores"),
        "latex_concentrate": ("Látex concentrado centrifugado 60% DRC (HA)",
                              "Látex concentrado 60% DRC, bajo amoníaco"),
        "rss": ("Lámina ahumada RSS{grade}", "Hoja ahumada de hule RSS{grade}, pacas de 111 kg"),
        "tsr": ("Hule técnicamente especificado TSR {tsr}", "Hule granulado TSR {tsr}, pacas de 33.33 kg"),
        "cup_lump": ("Coágulo de taza (cup lump) de hule natural", "Coágulo de campo, 50-55% DRC"),
        "crepe": ("Crepé pálido de hule natural", "Crepé para suelas de calzado"),
    },
    "pt": {
        "roundwood": ("Toras de {sp}, plano de manejo comunitário", "Madeira em tora de {sp}, DAP acima de 50 cm"),
        "fuelwood": ("Lenha de {sp}",),
        "charcoal": ("Carvão vegetal de {sp}",),
        "chips": ("Cavaco de {sp} para biomassa",),
        "sawn_timber": ("Madeira serrada de {sp}, seca ao ar", "Pranchas de {sp}", "Vigas e caibros de {sp}"),
        "panels": ("Compensado de {sp}, 18 mm", "Lâminas de {sp}"),
        "mouldings_flooring": ("Piso de {sp} maciço", "Deck de {sp}", "Assoalho de {sp}"),
        "furniture_parts": ("Componentes de {sp} para móveis", "Peças torneadas de {sp}"),
        "crafts": ("Artesanato em {sp}",),
        "field_latex": ("Látex de campo, {drc}% DRC", "Látex de seringal nativo, coleta semanal"),
        "latex_concentrate": ("Látex centrifugado 60% DRC",),
        "rss": ("Folha defumada RSS{grade}", "Folha Defumada Líquida (FDL) de seringal nativo"),
        "tsr": ("Borracha granulada GEB-10", "Borracha granulada GEB-20"),
        "cup_lump": ("Cernambi (coágulo) de seringueira", "Coágulo de campo de seringal"),
        "crepe": ("Crepe claro de borracha natural",),
    },
    "en": {
        "roundwood": ("{Sp} logs, 35 cm+ diameter", "{Sp} saw logs from a community forest"),
        "fuelwood": ("Seasoned {sp} firewood",),
        "charcoal": ("Lump charcoal from {sp}",),
        "chips": ("{Sp} chips for pulp and biomass",),
        "sawn_timber": ("Kiln-dried {sp} boards, grade 2&Btr", "Rough-sawn {sp} lumber, random widths",
                        "{Sp} beams and planks"),
        "panels": ("{Sp} plywood, 18 mm", "{Sp} veneer sheets"),
        "mouldings_flooring": ("Solid {sp} flooring, T&G 19 mm", "{Sp} decking, E4E", "{Sp} mouldings"),
        "furniture_parts": ("{Sp} furniture components, dimension stock", "Edge-glued {sp} panels"),
        "crafts": ("Hand-carved {sp} crafts", "{Sp} kitchenware"),
        "field_latex": ("Fresh field latex, {drc}% DRC, ammonia-preserved", "Field latex from smallholder plots"),
        "latex_concentrate": ("Centrifuged latex concentrate 60% DRC (HA)", "Latex concentrate 60% DRC, LA-TZ"),
        "rss": ("Ribbed smoked sheets RSS{grade}", "RSS{grade} smoked sheets, 111 kg bales"),
        "tsr": ("{tsr} block rubber, 33.33 kg bales", "Technically specified rubber {tsr}"),
        "cup_lump": ("Cup lump, 50-55% DRC", "Cup lump coagulum from tapping groups"),
        "crepe": ("Pale crepe, grade 1X", "Sole crepe for footwear"),
    },
}
#: How each country labels technically specified rubber.
_TSR_NAME = {"TH": "STR", "VN": "SVR", "LK": "TSR", "GT": "TSR", "BR": "GEB"}

DESCRIPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "timber": (
            "Volumen del programa de manejo forestal autorizado {year}; entrega en patio de {loc}.",
            "Producción de la anualidad {year} con cadena de custodia FSC. Podemos enviar fotos y fichas técnicas.",
            "Madera de bosque comunitario certificado. Carga en camión en {loc}.",
        ),
        "latex": (
            "Acopio de {n} pequeños productores certificados de {loc}; geolocalización de parcelas disponible (EUDR).",
            "Entregas semanales desde el centro de acopio de {loc}.",
        ),
    },
    "pt": {
        "timber": (
            "Produção do plano de manejo florestal comunitário, safra {year}. Retirada em {loc}.",
            "Origem rastreável até a unidade de produção anual (UPA); documentação DOF em dia.",
        ),
        "latex": (
            "Produção de {n} famílias seringueiras de {loc}; coordenadas das colocações disponíveis (EUDR).",
            "Coleta mensal no entreposto da cooperativa em {loc}.",
        ),
    },
    "en": {
        "timber": (
            "Harvested under the {year} annual operating plan; loading at {loc}.",
            "Community-managed forest; photos and grading sheets available on request.",
        ),
        "latex": (
            "Collected from {n} certified smallholders around {loc}; plot geolocation available for EUDR checks.",
            "Weekly collection at the group's buying point in {loc}; lab DRC test per lot.",
        ),
    },
}

# fmt: on

# --------------------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------------------

_SLUG_RE = re.compile(r"[^a-z0-9]+")
_EU = {"DE", "NL", "BE", "ES", "IT", "FR"}


def _slug(text: str, limit: int = 40) -> str:
    """ASCII slug, cut at a word boundary so refs and e-mail local parts stay short."""
    slug = _SLUG_RE.sub("-", vocab.fold(text).replace("đ", "d")).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "org"


def _nice(x: float, mode: str = "nearest") -> float | int:
    """Round to a number a person would type: two significant digits above 100, units above 10, halves below."""
    if x >= 100:
        step: float = 10 ** (math.floor(math.log10(x)) - 1)
    elif x >= 10:
        step = 1
    elif x >= 1:
        step = 0.5
    else:
        step = 0.1
    q = x / step
    n = math.floor(q + 1e-9) if mode == "down" else math.ceil(q - 1e-9) if mode == "up" else round(q)
    if mode != "down":
        n = max(n, 1)
    value = n * step
    return int(value) if step >= 1 else round(value, 1)


def _from_canonical(category: str, canon: float, unit: str, drc: float | None) -> float:
    if unit == "bf":
        return canon * vocab.BOARD_FEET_PER_M3
    if unit == "t_drc":
        return canon / 1000.0
    if unit == "kg_latex":
        return canon * 100.0 / (drc or 100.0)
    return canon


def _allocate(n: int, weights: Sequence[float]) -> list[int]:
    """Split n over buckets: one each while possible (every area shows up), the rest by largest remainder."""
    k = len(weights)
    if n < k:
        order = sorted(range(k), key=lambda i: -weights[i])
        counts = [0] * k
        for i in order[:n]:
            counts[i] = 1
        return counts
    rest = n - k
    total = float(sum(weights))
    shares = [w * rest / total for w in weights]
    counts = [1 + int(s) for s in shares]
    left = n - sum(counts)
    for i in sorted(range(k), key=lambda i: -(shares[i] - int(shares[i])))[:left]:
        counts[i] += 1
    return counts


def _cum(weights: Sequence[float]) -> list[float]:
    out, acc = [], 0.0
    for w in weights:
        acc += w
        out.append(acc)
    return out


def _weighted_sample(rng: random.Random, items: Sequence[tuple[str, float]], k: int) -> list[str]:
    """k distinct items drawn by weight (small lists only)."""
    pool = list(items)
    out: list[str] = []
    while pool and len(out) < k:
        pick = rng.choices(range(len(pool)), weights=[w for _, w in pool])[0]
        out.append(pool.pop(pick)[0])
    return out


def _request_title(city: BuyerCity, product_type: str, species: list[str]) -> str:
    """A buyer's title for a request, in the city's language (English where it has none of ours); no randomness,
    so adding titles left every other generated value as it was."""
    lang = city.lang if city.lang in REQUEST_NOUNS else "en"
    what = REQUEST_NOUNS[lang][product_type]
    with_species, for_place = REQUEST_TITLE[lang]
    if species:
        what = with_species.format(what=what, what_lower=what[:1].lower() + what[1:], sp=species[0])
    return for_place.format(what=what[:1].upper() + what[1:], place=city.locality)


def _common_name(scientific: str, lang: str) -> str:
    names = vocab.SPECIES.get(scientific, {}).get(lang)
    if names:
        return names[0]
    return EXTRA_COMMON.get(scientific, {}).get(lang, scientific)


class _Names:
    """Unique display names and refs: a repeated name gets a suffix ("Sección 2"), refs a counter ("-02")."""

    def __init__(self) -> None:
        self._names: dict[str, int] = {}
        self._slugs: dict[str, int] = {}

    def take(self, country: str, base: str, repeat_word: str, legal_suffix: str = "") -> tuple[str, str, str]:
        n = self._names.get(base, 0) + 1
        self._names[base] = n
        name = base if n == 1 else f"{base} {repeat_word} {n}"
        key = f"{country.lower()}-{_slug(base)}"
        k = self._slugs.get(key, 0) + 1
        self._slugs[key] = k
        tail = f"{key}-{k:02d}"
        full = f"{name} {legal_suffix}".strip()
        return full, f"org-{tail}", tail


# --------------------------------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Cert:
    ref: str
    status: str
    scope: str
    expires_ord: int
    product_types: list[str]
    cum: list[float]  # cumulative product weights, for fast weighted choice


@dataclass(slots=True)
class _Producer:
    ref: str
    seg: ProducerSegment
    locality: str
    lat: float
    lon: float
    legal_form: str
    certs: list[_Cert]  # usable for offers (valid or suspended)
    cert_cum: list[float]


@dataclass(slots=True)
class _Buyer:
    ref: str
    city: BuyerCity
    profile: str


@dataclass(slots=True)
class _Anchor:
    """What a request needs to know about an offer it is built around."""

    product_type: str
    claim: str
    species: list[str]
    canon: float
    min_canon: float
    from_ord: int
    to_ord: int
    expires_ord: int
    lat: float
    lon: float


def generate(
    seed: int = 42,
    *,
    producers: int = 60,
    buyers: int = 25,
    offers: int = 400,
    requests: int = 80,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """A complete ``forestmatch/1`` document; the same arguments (and ``today``) always give the same document."""
    if min(producers, buyers, offers, requests) < 0:
        raise ValueError("counts must not be negative")
    if offers and not producers:
        raise ValueError("offers need at least one producer")
    if requests and not buyers:
        raise ValueError("requests need at least one buyer")
    today = today or dt.date.today()
    rng = random.Random(seed)
    names = _Names()
    gen = _Generator(rng, today, names)
    orgs, prods = gen.producers(producers)
    certs = gen.certificates(prods)
    buyer_orgs, buyer_list = gen.buyers(buyers)
    offer_list, anchors, max_canon = gen.offers(prods, offers)
    request_list = gen.requests(buyer_list, requests, anchors, max_canon)
    return {
        "format": FORMAT,
        "organizations": orgs + buyer_orgs,
        "certificates": certs,
        "offers": offer_list,
        "requests": request_list,
    }


def summary(doc: dict[str, Any]) -> dict[str, int]:
    """Record counts per section, organisations split by kind ("buyers" counts kind buyer and both)."""
    orgs = doc.get("organizations", [])
    kinds = [o.get("kind") for o in orgs]
    return {
        "organizations": len(orgs),
        "producers": kinds.count("producer"),
        "buyers": kinds.count("buyer") + kinds.count("both"),
        "both": kinds.count("both"),
        "certificates": len(doc.get("certificates", [])),
        "offers": len(doc.get("offers", [])),
        "requests": len(doc.get("requests", [])),
    }


class _Generator:
    def __init__(self, rng: random.Random, today: dt.date, names: _Names) -> None:
        self.rng = rng
        self.today = today
        self.t0 = today.toordinal()
        self.names = names
        self._iso: dict[int, str] = {}

    def iso(self, ordinal: int) -> str:
        # Dates repeat a lot across 100k offers; formatting each ordinal once keeps generation fast.
        s = self._iso.get(ordinal)
        if s is None:
            s = self._iso[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return s

    # -- organisations ------------------------------------------------------------------------------------------------

    def producers(self, n: int) -> tuple[list[dict[str, Any]], list[_Producer]]:
        rng = self.rng
        orgs: list[dict[str, Any]] = []
        prods: list[_Producer] = []
        counts = _allocate(n, [s.weight for s in PRODUCER_SEGMENTS])
        for seg, count in zip(PRODUCER_SEGMENTS, counts, strict=True):
            if not count:
                continue
            by_locality = {p.locality: p for p in seg.places}
            candidates: list[tuple[str, str, Place | None]] = []
            for legal_form, name, loc in seg.names:
                if "{place}" in name:
                    candidates.extend((legal_form, name.format(place=p.locality), p) for p in seg.places)
                else:
                    candidates.append((legal_form, name, by_locality[loc] if loc else None))
            rng.shuffle(candidates)
            for i in range(count):
                legal_form, base, place = candidates[i % len(candidates)]
                place = place or rng.choice(seg.places)
                name, ref, tail = self.names.take(seg.country, base, _PRODUCER_REPEAT[seg.lang])
                lat = round(place.lat + rng.uniform(-seg.jitter, seg.jitter), 5)
                lon = round(place.lon + rng.uniform(-seg.jitter, seg.jitter), 5)
                orgs.append(
                    {
                        "ref": ref,
                        "name": name,
                        "kind": "producer",
                        "legal_form": legal_form,
                        "country": seg.country,
                        "region": place.region,
                        "locality": place.locality,
                        "lat": lat,
                        "lon": lon,
                        "languages": list(seg.languages),
                        "contact_email": f"{_PRODUCER_MAIL[seg.lang]}.{tail}@example.org",
                    }
                )
                prods.append(_Producer(ref, seg, place.locality, lat, lon, legal_form, [], []))
        return orgs, prods

    def buyers(self, n: int) -> tuple[list[dict[str, Any]], list[_Buyer]]:
        rng = self.rng
        orgs: list[dict[str, Any]] = []
        out: list[_Buyer] = []
        counts = _allocate(n, [c.weight for c in BUYER_CITIES])
        for city, count in zip(BUYER_CITIES, counts, strict=True):
            patterns = BUYER_NAMES[city.lang]
            profiles = [p for p, _ in city.profiles if p in patterns]
            profile_weights = [w for p, w in city.profiles if p in patterns]
            words = list(city.words)
            rng.shuffle(words)
            for i in range(count):
                # Each of the city's trades shows up first (Akron's first buyer makes tyres), then by weight;
                # name words rotate so neighbours do not share a name.
                if i < len(profiles):
                    profile = profiles[i]
                else:
                    profile = rng.choices(profiles, weights=profile_weights)[0]
                pattern, suffix = rng.choice(patterns[profile])
                word = words[i % len(words)]
                if city.country == "ES":
                    suffix = _ES_SUFFIX.get(suffix, suffix)
                name, ref, tail = self.names.take(
                    city.country, pattern.format(w=word), _BUYER_REPEAT[city.lang], suffix
                )
                orgs.append(
                    {
                        "ref": ref,
                        "name": name,
                        "kind": "buyer",
                        "legal_form": "company",
                        "country": city.country,
                        "region": city.region,
                        "locality": city.locality,
                        "lat": round(city.lat + rng.uniform(-0.04, 0.04), 5),
                        "lon": round(city.lon + rng.uniform(-0.04, 0.04), 5),
                        "languages": list(city.languages),
                        "contact_email": f"{_BUYER_MAIL[city.lang]}.{tail}@example.org",
                    }
                )
                out.append(_Buyer(ref, city, profile))
        # A couple of Mexican timber traders both buy and sell (kind "both"), as in the program's partner list.
        mx = [i for i, b in enumerate(out) if b.city.country == "MX" and PROFILE_CATEGORY[b.profile] == "timber"]
        mx.sort(key=lambda i: out[i].profile not in ("importer", "construction", "flooring"))
        for i in mx[: max(1, round(n * 0.08)) if n >= 10 else 0]:
            orgs[i]["kind"] = "both"
        return orgs, out

    # -- certificates -------------------------------------------------------------------------------------------------

    def certificates(self, prods: list[_Producer]) -> list[dict[str, Any]]:
        rng, t0 = self.rng, self.t0
        n = len(prods)
        second = [rng.random() < 0.35 for _ in range(n)]
        # The first producer (the demo producer account's organisation) holds two valid certificates, so the demo
        # shows it one verified by staff and one awaiting verification (app.demo.activity.certificate_reviews).
        if n:
            second[0] = True
        with_second = [i for i in range(n) if second[i]]
        # Fixed quotas so even the small demo shows every situation staff must handle.
        suspended = set(rng.sample(range(n), min(n, max(1, round(n * 0.06)) if n >= 5 else 0)))
        valid_primary = [i for i in range(n) if i not in suspended]
        expiring = set(rng.sample(valid_primary, min(len(valid_primary), max(2, round(n * 0.07)) if n >= 5 else 0)))
        lapsable = [i for i in with_second if i != 0]
        lapsed = rng.sample(lapsable, min(len(lapsable), max(2, round(n * 0.04)) if n >= 5 else 0))
        lapsed_status = {i: ("terminated" if j % 2 == 0 else "expired") for j, i in enumerate(lapsed)}
        used_codes: set[str] = set()
        used_licences: set[int] = set()
        certs: list[dict[str, Any]] = []
        five_years = 5 * 365

        def add(p: _Producer, scope: str, status: str, issued: int, expires: int, types: list[str]) -> None:
            body = rng.choice(p.seg.bodies)
            while True:
                code = f"{body}-{scope}-{rng.randint(1000, 999999):06d}"
                if code not in used_codes:
                    used_codes.add(code)
                    break
            while True:
                licence = rng.randint(1000, 199999)
                if licence not in used_licences:
                    used_licences.add(licence)
                    break
            ref = f"cert-{len(certs) + 1:04d}"
            certs.append(
                {
                    "ref": ref,
                    "organization": p.ref,
                    "code": code,
                    "license_code": f"FSC-C{licence:06d}",
                    "scope": scope,
                    "status": status,
                    "issued_on": self.iso(issued),
                    "expires_on": self.iso(expires),
                    "product_types": types,
                    "group": p.legal_form == "smallholder_group",
                }
            )
            if status in ("valid", "suspended"):
                weights = dict(p.seg.products)
                p.certs.append(_Cert(ref, status, scope, expires, types, _cum([weights[t] for t in types])))

        for i, p in enumerate(prods):
            scope = "FM/COC" if rng.random() < 0.85 else "FM"
            if i in expiring:
                expires = t0 + rng.randint(7, 60)
            else:
                expires = t0 + rng.randint(90, five_years - 45)
            add(
                p,
                scope,
                "suspended" if i in suspended else "valid",
                expires - five_years + 1,
                expires,
                self._cert_types(p.seg, scope),
            )
            if not second[i]:
                continue
            if i in lapsed_status:
                status = lapsed_status[i]
                if status == "expired":
                    expires = t0 - rng.randint(20, 400)
                    issued = expires - five_years + 1
                else:  # terminated early: the dates may still run into the future
                    issued = t0 - rng.randint(365, 4 * 365)
                    expires = issued + five_years - 1
                add(p, "FM/COC", status, issued, expires, self._cert_types(p.seg, "FM/COC"))
            else:
                # A second forest unit or a controlled-wood area, often with another certification body.
                scope = "CW/FM" if p.seg.category == "timber" and rng.random() < 0.5 else "FM/COC"
                expires = t0 + rng.randint(120, five_years - 30)
                add(p, scope, "valid", expires - five_years + 1, expires, self._cert_types(p.seg, scope))
        for p in prods:
            p.cert_cum = _cum([3.0 if j == 0 else 1.0 for j in range(len(p.certs))])
        return certs

    def _cert_types(self, seg: ProducerSegment, scope: str) -> list[str]:
        """Product types a certificate covers, consistent with the producer's category and the scope."""
        rng = self.rng
        offered = [t for t, _ in seg.products]
        order = {t: i for i, t in enumerate(vocab.PRODUCT_TYPES[seg.category])}
        if scope == "FM":  # forest gate only
            types = [t for t in offered if t in _PRIMARY]
            types = types[: rng.randint(1, len(types))] if types else [offered[0]]
        elif scope == "CW/FM":
            types = ["roundwood"] + [t for t in ("chips", "fuelwood") if t in offered and rng.random() < 0.6]
        elif seg.category == "timber":
            extra = _weighted_sample(rng, [(t, w) for t, w in seg.products if t != "roundwood"], rng.randint(1, 4))
            types = ["roundwood", *extra]
        else:
            types = _weighted_sample(rng, seg.products, rng.randint(2, min(4, len(seg.products))))
        return sorted(types, key=order.__getitem__)

    # -- offers -------------------------------------------------------------------------------------------------------

    def offers(
        self, prods: list[_Producer], n: int
    ) -> tuple[list[dict[str, Any]], dict[str, list[_Anchor]], dict[str, float]]:
        rng, t0 = self.rng, self.t0
        if not n:
            return [], {}, {}
        active = [p for p in prods if p.certs]
        if not active:
            raise ValueError("no producer holds a usable certificate")
        # Every producer gets an offer when there are enough; big producers get more.
        weights = [rng.lognormvariate(0, 0.7) for _ in active]
        owners = list(range(len(active))) if n >= len(active) else []
        owners += rng.choices(range(len(active)), weights=weights, k=n - len(owners))
        rng.shuffle(owners)
        width = max(5, len(str(n)))
        year = self.today.year
        out: list[dict[str, Any]] = []
        anchors: dict[str, list[_Anchor]] = {}
        max_canon: dict[str, float] = {}
        rand, randint, uniform, choice = rng.random, rng.randint, rng.uniform, rng.choice
        species_cum: dict[str, tuple[list[str], list[float]]] = {}

        for k, owner in enumerate(owners, 1):
            p = active[owner]
            seg = p.seg
            cert = p.certs[0] if len(p.certs) == 1 else rng.choices(p.certs, cum_weights=p.cert_cum)[0]
            pt = rng.choices(cert.product_types, cum_weights=cert.cum)[0]
            category = seg.category

            # Species: oaks go to charcoal and fuelwood where the forest has them; latex is always Hevea.
            if category == "latex":
                species = ["Hevea brasiliensis"]
            else:
                key = seg.key + ("/oak" if pt in ("charcoal", "fuelwood") else "")
                pool = species_cum.get(key)
                if pool is None:
                    rows = list(seg.species)
                    if key.endswith("/oak"):
                        rows = [r for r in rows if r[0].startswith("Quercus")] or rows
                    pool = species_cum[key] = ([s for s, _ in rows], _cum([w for _, w in rows]))
                species = [rng.choices(pool[0], cum_weights=pool[1])[0]]
                if len(pool[0]) > 1 and rand() < 0.25:
                    other = rng.choices(pool[0], cum_weights=pool[1])[0]
                    if other != species[0]:
                        species.append(other)

            # Claim: controlled wood only from CW/FM forests; some processed goods carry FSC Mix.
            if cert.scope == "CW/FM":
                claim = "FSC Controlled Wood"
            elif pt not in _PRIMARY and rand() < 0.22:
                claim = "FSC Mix"
            else:
                claim = "FSC 100%"

            # Quantity and unit.
            lo, hi = OFFER_SIZE[pt]
            canon_raw = math.exp(uniform(math.log(lo), math.log(hi)))
            drc: float | None = None
            if category == "timber":
                bf_share = 0.3 if seg.country in ("MX", "HN", "GT") else 0.08
                unit = (
                    "bf"
                    if pt in ("sawn_timber", "mouldings_flooring", "furniture_parts") and rand() < bf_share
                    else "m3"
                )
            else:
                r = rand()
                if pt == "field_latex":
                    unit = "kg_latex" if r < 0.7 else "kg_drc"
                elif pt == "latex_concentrate":
                    unit = "kg_latex" if r < 0.5 else "t_drc" if r < 0.8 else "kg_drc"
                elif pt == "cup_lump":
                    unit = "kg_drc" if r < 0.7 else "t_drc"
                else:
                    unit = "t_drc" if r < 0.5 else "kg_drc"
                if unit == "kg_latex":
                    drc = round(uniform(30, 40), 1) if pt == "field_latex" else round(uniform(59.5, 61.5), 1)
            quantity = _nice(_from_canonical(category, canon_raw, unit, drc))
            canon = to_canonical(category, quantity, unit, drc)
            if canon > max_canon.get(pt, 0.0):
                max_canon[pt] = canon
            min_order = None
            if rand() < 0.55:
                min_order = _nice(quantity * uniform(0.05, 0.3), "down")
                if not min_order or min_order >= quantity:
                    min_order = None

            # Availability: a quarter already available, most starting within the next 11 months.
            if rand() < 0.25:
                start = t0 - randint(15, 150)
                end = max(start + randint(45, 300), t0 + randint(30, 200))
            else:
                start = t0 + randint(0, 330)
                end = start + randint(45, 300)

            r = rand()
            status = "active" if r < 0.86 else "paused" if r < 0.95 else "closed"
            title_lang = "en" if category == "timber" and seg.lang != "en" and rand() < 0.2 else seg.lang
            title = self._title(title_lang, pt, species, seg.country, drc)
            lat = round(p.lat + uniform(-0.04, 0.04), 5)
            lon = round(p.lon + uniform(-0.04, 0.04), 5)

            offer: dict[str, Any] = {
                "ref": f"offer-{k:0{width}d}",
                "organization": p.ref,
                "certificate": cert.ref,
                "category": category,
                "product_type": pt,
                "species": species,
                "title": title,
                "claim": claim,
                "quantity": quantity,
                "unit": unit,
            }
            if drc is not None:
                offer["drc_percent"] = drc
            if min_order is not None:
                offer["min_order"] = min_order
            offer["available_from"] = self.iso(start)
            offer["available_to"] = self.iso(end)
            offer["lat"] = lat
            offer["lon"] = lon
            if rand() < 0.85:
                offer["price"] = self._price(pt, species[0], unit, drc, seg)
            offer["incoterm"] = self._incoterm(seg)
            offer["status"] = status
            if rand() < 0.6:
                texts = DESCRIPTIONS[title_lang][category]
                offer["description"] = choice(texts).format(year=year, loc=p.locality, n=randint(12, 240))
            out.append(offer)

            # Offers a request can be built around: they meet every hard constraint for some delivery window.
            usable = status == "active" and cert.status == "valid"
            if usable and end - t0 >= 21 and cert.expires_ord - max(start, t0) >= 60:
                min_canon = to_canonical(category, min_order, unit, drc) if min_order is not None else 0.0
                anchors.setdefault(pt, []).append(
                    _Anchor(pt, claim, species, canon, min_canon, start, end, cert.expires_ord, lat, lon)
                )
        return out, anchors, max_canon

    def _title(self, lang: str, pt: str, species: list[str], country: str, drc: float | None) -> str:
        rng = self.rng
        template = rng.choice(TITLES[lang][pt])
        if vocab.PRODUCT_CATEGORY[pt] == "latex":
            tsr = (
                f"{_TSR_NAME.get(country, 'TSR')} {rng.choice((10, 20, 20, 3))}"
                if lang == "en"
                else rng.choice(("10", "20"))
            )
            return template.format(drc=round(drc) if drc else 33, grade=rng.choice((1, 3, 3, 4, 5)), tsr=tsr)
        joiner = {"es": " y ", "pt": " e ", "en": " and "}[lang]
        sp = joiner.join(_common_name(s, lang) for s in species)
        return template.format(sp=sp, Sp=sp[:1].upper() + sp[1:])

    def _price(self, pt: str, species: str, unit: str, drc: float | None, seg: ProducerSegment) -> dict[str, str]:
        rng = self.rng
        usd = BASE_PRICE_USD[pt] * rng.uniform(0.85, 1.2)
        if pt in _PRICE_BY_SPECIES:
            usd *= SPECIES_VALUE.get(species, 1.0)
        r = rng.random()
        currency = seg.currency if r < 0.45 else "EUR" if r < 0.5 else "USD"
        per_unit = usd * USD_RATE[currency]
        if unit == "bf":
            per_unit /= vocab.BOARD_FEET_PER_M3
        elif unit == "t_drc":
            per_unit *= 1000
        elif unit == "kg_latex":
            per_unit *= (drc or 100.0) / 100.0
        return {"amount": f"{per_unit:.2f}", "currency": currency, "per": unit}

    def _incoterm(self, seg: ProducerSegment) -> str:
        r = self.rng.random()
        if seg.country in ("TH", "LK", "VN"):
            return "FOB" if r < 0.5 else "CIF" if r < 0.7 else "FCA" if r < 0.85 else "EXW" if r < 0.95 else "DAP"
        return "FCA" if r < 0.35 else "EXW" if r < 0.65 else "FOB" if r < 0.8 else "DAP" if r < 0.95 else "CIF"

    # -- requests -----------------------------------------------------------------------------------------------------

    def requests(
        self, buyer_list: list[_Buyer], n: int, anchors: dict[str, list[_Anchor]], max_canon: dict[str, float]
    ) -> list[dict[str, Any]]:
        rng = self.rng
        if not n:
            return []
        owners = list(range(len(buyer_list))) if n >= len(buyer_list) else []
        weights = [rng.uniform(0.5, 2.0) for _ in buyer_list]
        owners += rng.choices(range(len(buyer_list)), weights=weights, k=n - len(owners))
        rng.shuffle(owners)
        # About 10 % need several producers: bigger than any single offer of their product types.
        big = set(rng.sample(range(n), max(1, round(n * 0.1)))) if n >= 5 else set()
        width = max(4, len(str(n)))
        out = []
        for i, owner in enumerate(owners):
            buyer = buyer_list[owner]
            anchored = i in big or rng.random() < 0.72
            anchor = self._pick_anchor(buyer, anchors) if anchored else None
            out.append(self._request(f"req-{i + 1:0{width}d}", buyer, anchor, i in big, max_canon))
        return out

    def _pick_anchor(self, buyer: _Buyer, anchors: dict[str, list[_Anchor]]) -> _Anchor | None:
        rng, t0 = self.rng, self.t0
        category = PROFILE_CATEGORY[buyer.profile]
        preferred = [(pt, w) for pt, w in PROFILE_PRODUCTS[buyer.profile] if anchors.get(pt)]
        fallback = [pt for pt in vocab.PRODUCT_TYPES[category] if anchors.get(pt)]
        if not preferred and not fallback:
            return None
        for _ in range(12):
            if preferred and rng.random() < 0.9:
                pt = rng.choices([p for p, _ in preferred], weights=[w for _, w in preferred])[0]
            else:
                pt = rng.choice(fallback)
            a = rng.choice(anchors[pt])
            lo = max(t0 + 7, a.from_ord - 20)
            if min(a.to_ord - 7, a.expires_ord - 21) >= lo:
                return a
        return None

    def _request(
        self, ref: str, buyer: _Buyer, anchor: _Anchor | None, big: bool, max_canon: dict[str, float]
    ) -> dict[str, Any]:
        rng, t0 = self.rng, self.t0
        city = buyer.city
        category = PROFILE_CATEGORY[buyer.profile]
        profile_products = PROFILE_PRODUCTS[buyer.profile]

        # Product types: the anchor's first, then related ones the buyer also takes.
        if anchor:
            extra_n = rng.choices((0, 1, 2), weights=(5, 3.5, 1.5))[0]
            extra = _weighted_sample(rng, [(t, w) for t, w in profile_products if t != anchor.product_type], extra_n)
            product_types = [anchor.product_type, *extra]
        else:
            product_types = _weighted_sample(rng, profile_products, rng.choices((1, 2, 3), weights=(5, 3, 1))[0])

        # Species wanted: usually any; sometimes a genus or a common name in the buyer's language.
        species: list[str] = []
        if anchor and rng.random() < 0.35:
            species = [self._wanted_name(anchor.species[0], city.lang)]
        elif not anchor and rng.random() < 0.3:
            wanted = LATEX_WANTED if category == "latex" else PROFILE_SPECIES.get(buyer.profile, ("Pinus",))
            species = [rng.choice(wanted)]

        claim_key = "pulp" if buyer.profile == "pulp" else category
        sets = CLAIM_SETS[claim_key]
        claims = list(rng.choices([s for s, _ in sets], weights=[w for _, w in sets])[0])
        if anchor and anchor.claim not in claims:
            claims = (claims + [anchor.claim]) if len(claims) < 3 else (claims[:2] + [anchor.claim])

        # Unit: US buyers often think in board feet; tyre makers in tonnes; dipping plants in wet latex.
        drc: float | None = None
        r = rng.random()
        if category == "timber":
            sawn = product_types[0] in ("sawn_timber", "mouldings_flooring", "furniture_parts", "panels")
            unit = "bf" if sawn and ((city.country == "US" and r < 0.45) or r < 0.06) else "m3"
        elif buyer.profile in ("tyres", "footwear"):
            unit = "t_drc" if r < 0.6 else "kg_drc"
        else:
            unit = "kg_latex" if r < 0.45 else "kg_drc" if r < 0.8 else "t_drc"
        if unit == "kg_latex":
            drc = 60.0 if "latex_concentrate" in product_types else 33.0

        # Quantity (canonical first), minimum per supplier and partial deliveries.
        biggest = max((max_canon.get(t, 0.0) for t in product_types), default=0.0)
        partial_ok = rng.random() < 0.75
        min_canon: float | None = None
        if big and biggest > 0:
            canon = biggest * rng.uniform(1.6, 3.0)
            partial_ok = True
            if anchor and rng.random() < 0.85:
                min_canon = anchor.canon * rng.uniform(0.1, 0.5)
        elif anchor:
            canon = anchor.canon * (rng.uniform(0.3, 1.0) if rng.random() < 0.7 else rng.uniform(1.0, 2.5))
            canon = max(canon, anchor.min_canon)
            if rng.random() < 0.55:
                min_canon = anchor.canon * rng.uniform(0.1, 0.7)
        else:
            lo, hi = DEMAND_SIZE[product_types[0]]
            canon = math.exp(rng.uniform(math.log(lo), math.log(hi)))
            if biggest > 0:
                canon = min(canon, biggest * 0.8)  # only the deliberate ~10 % outgrow every single offer
            if rng.random() < 0.4:
                min_canon = canon * rng.uniform(0.05, 0.3)
        # Big requests round up so they stay above every single offer; others round up too so an offer's
        # minimum order is still met.
        quantity = _nice(_from_canonical(category, canon, unit, drc), "up")
        canon_q = to_canonical(category, quantity, unit, drc)
        if (anchor and canon_q > anchor.canon) or canon_q > biggest:
            partial_ok = True  # no single offer can fill it: the buyer must accept a bundle
        min_per_supplier = None
        if min_canon is not None:
            min_per_supplier = _nice(_from_canonical(category, min_canon, unit, drc), "down")
            if min_per_supplier <= 0 or min_per_supplier >= quantity:
                min_per_supplier = None

        # Delivery near the buyer; the window overlaps the anchor's availability inside its certificate's validity.
        d_lat = round(city.lat + rng.uniform(-0.03, 0.03), 4)
        d_lon = round(city.lon + rng.uniform(-0.03, 0.03), 4)
        if anchor:
            # Start no later than 20 days before the certificate expires, so the window fits inside its validity.
            lo = max(t0 + 7, anchor.from_ord - 20)
            hi = min(anchor.to_ord - 7, anchor.expires_ord - 21, lo + 90)
            needed_from = lo + rng.randint(0, hi - lo)
            needed_by = min(needed_from + rng.randint(20, 150), anchor.expires_ord - 1)
        else:
            needed_from = t0 + rng.randint(14, 240)
            needed_by = needed_from + rng.randint(30, 180)

        max_distance: int | None = None
        if anchor:
            if rng.random() < 0.65:
                dist = haversine_km(anchor.lat, anchor.lon, d_lat, d_lon) * rng.uniform(1.15, 1.6) + 100
                step = 100 if dist < 2000 else 500
                max_distance = int(math.ceil(dist / step) * step)
                if max_distance > 20000:  # beyond half the globe nobody sets a limit (and importers reject it)
                    max_distance = None
        elif rng.random() < 0.5:
            region = "EU" if city.country in _EU else city.country
            max_distance = rng.choice(_DISTANCES[region])

        r = rng.random()
        status = "closed" if r < (0.05 if anchor else 0.15) else "open"

        req: dict[str, Any] = {
            "ref": ref,
            "organization": buyer.ref,
            "title": _request_title(city, product_types[0], species),
            "category": category,
            "product_types": product_types,
            "species": species,
            "accepted_claims": claims,
            "quantity": quantity,
            "unit": unit,
        }
        if drc is not None:
            req["drc_percent"] = drc
        if min_per_supplier is not None:
            req["min_per_supplier"] = min_per_supplier
        req["partial_ok"] = partial_ok
        req["delivery"] = {"country": city.country, "region": city.region, "lat": d_lat, "lon": d_lon}
        if max_distance is not None:
            req["max_distance_km"] = max_distance
        req["needed_from"] = self.iso(needed_from)
        req["needed_by"] = self.iso(needed_by)
        req["status"] = status
        return req

    def _wanted_name(self, scientific: str, lang: str) -> str:
        """How a buyer would write a species: genus, scientific name or a common name it knows."""
        rng = self.rng
        genus = scientific.split(" ")[0]
        options = [scientific]
        if genus in ("Pinus", "Quercus"):
            options += [genus, genus]
        common = vocab.SPECIES.get(scientific, {}).get(lang if lang in ("es", "pt", "en") else "en")
        if common:
            options += [common[0], common[0]]
        return rng.choice(options)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m app.demo.generator [SEED] [OFFERS]``: print a demo document as JSON."""
    import json

    args = list(sys.argv[1:] if argv is None else argv)
    seed = int(args[0]) if args else 42
    kwargs: dict[str, Any] = {"offers": int(args[1])} if len(args) > 1 else {}
    json.dump(generate(seed, **kwargs), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
