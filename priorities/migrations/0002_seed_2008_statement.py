"""
The portal's first published statement, shipped as data: the Joint Statement by Ministers
Responsible for the Security and Prosperity Partnership of North America, Los Cabos,
28 February 2008 (priorities/seed/spp-joint-statement-2008-02-28.txt), word for word,
without the publishing department's page chrome; and the five SPP priorities it addresses.

The statement was issued in English; no French or Spanish text is invented for it. The
priorities' titles and summaries are the portal's own editorial text and are given in all
three languages.
"""

import datetime

from django.db import migrations

SLUG = "2008-02-28-joint-statement-los-cabos"

PRIORITIES = [
    {
        "slug": "competitiveness",
        "order": 1,
        "title": {"en": "Competitiveness", "fr": "Compétitivité", "es": "Competitividad"},
        "summary": {
            "en": "Combating piracy and counterfeiting, and building on the Regulatory Cooperation "
            "Framework by pursuing collaboration through sectoral initiatives, with an emphasis on "
            "the automotive sector.",
            "fr": "Lutter contre le piratage et la contrefaçon, et tirer parti du Cadre de coopération "
            "en matière de réglementation en collaborant au moyen d'initiatives sectorielles, "
            "en particulier dans le secteur de l'automobile.",
            "es": "Combatir la piratería y la falsificación, y aprovechar el Marco de Cooperación "
            "Regulatoria mediante la colaboración en iniciativas sectoriales, con énfasis en el "
            "sector automotor.",
        },
    },
    {
        "slug": "safe-food-and-products",
        "order": 2,
        "title": {
            "en": "Safe Food & Products",
            "fr": "Sécurité des aliments et des produits",
            "es": "Alimentos y productos seguros",
        },
        "summary": {
            "en": "Better identifying, assessing and managing unsafe food and products before they "
            "enter North America, and promoting the compatibility of the three countries' related "
            "regulatory and inspection regimes.",
            "fr": "Mieux repérer, évaluer et gérer les aliments et les produits dangereux avant leur "
            "entrée en Amérique du Nord, et favoriser la compatibilité des régimes de réglementation "
            "et d'inspection des trois pays.",
            "es": "Identificar, evaluar y gestionar mejor los alimentos y productos inseguros antes de "
            "que ingresen a América del Norte, y promover la compatibilidad de los regímenes "
            "regulatorios y de inspección de los tres países.",
        },
    },
    {
        "slug": "energy-and-environment",
        "order": 3,
        "title": {"en": "Energy and Environment", "fr": "Énergie et environnement", "es": "Energía y medio ambiente"},
        "summary": {
            "en": "Developing projects under the Agreement on Science and Technology, and cooperating "
            "on moving new technologies to the marketplace, auto fuel efficiency and energy "
            "efficiency standards.",
            "fr": "Élaborer des projets dans le cadre de l'Accord sur la science et la technologie, et "
            "coopérer pour mettre les nouvelles technologies sur le marché, ainsi qu'en matière "
            "d'efficacité énergétique des véhicules et de normes d'efficacité énergétique.",
            "es": "Desarrollar proyectos en el marco del Acuerdo de Ciencia y Tecnología, y cooperar para "
            "llevar nuevas tecnologías al mercado, así como en eficiencia de combustible de los "
            "vehículos y normas de eficiencia energética.",
        },
    },
    {
        "slug": "smart-and-secure-borders",
        "order": 4,
        "title": {
            "en": "Smart & Secure Borders",
            "fr": "Frontières intelligentes et sûres",
            "es": "Fronteras inteligentes y seguras",
        },
        "summary": {
            "en": "Strengthening cooperation protocols and creating new mechanisms to secure common "
            "borders while facilitating legitimate travel and trade in the North American region.",
            "fr": "Renforcer les protocoles de coopération et créer de nouveaux mécanismes pour sécuriser "
            "les frontières communes tout en facilitant les déplacements et le commerce légitimes "
            "dans la région nord-américaine.",
            "es": "Fortalecer los protocolos de cooperación y crear nuevos mecanismos para asegurar las "
            "fronteras comunes, facilitando al mismo tiempo los viajes y el comercio legítimos en "
            "la región de América del Norte.",
        },
    },
    {
        "slug": "emergency-management-and-preparedness",
        "order": 5,
        "title": {
            "en": "Emergency Management and Preparedness",
            "fr": "Gestion des urgences et préparation",
            "es": "Gestión de emergencias y preparación",
        },
        "summary": {
            "en": "Strengthening emergency management cooperation capacity in the North American region "
            "before, during and after disasters.",
            "fr": "Renforcer la capacité de coopération en matière de gestion des urgences dans la région "
            "nord-américaine avant, pendant et après les catastrophes.",
            "es": "Fortalecer la capacidad de cooperación en la gestión de emergencias en la región de "
            "América del Norte antes, durante y después de los desastres.",
        },
    },
]

TITLE = "Joint Statement by Ministers Responsible for the Security and Prosperity Partnership of North America"

DIRECTIVES = [
    (
        "competitiveness",
        "Continue to implement the strategy to combat piracy and counterfeiting, and build on the Regulatory "
        "Cooperation Framework by pursuing collaboration through sectoral initiatives, with an emphasis on the "
        "automotive sector",
    ),
    (
        "safe-food-and-products",
        "Strengthen cooperation to better identify, assess and manage unsafe food and products before they enter "
        "North America, and collaborate to promote the compatibility of our related regulatory and inspection "
        "regimes",
    ),
    (
        "energy-and-environment",
        "Develop projects under the newly signed Agreement on Science and Technology; and cooperate on moving new "
        "technologies to the marketplace, auto fuel efficiency and energy efficiency standards",
    ),
    (
        "smart-and-secure-borders",
        "Strengthen cooperation protocols and create new mechanisms to secure our common borders while "
        "facilitating legitimate travel and trade in the North American region",
    ),
    (
        "emergency-management-and-preparedness",
        "Strengthen emergency management cooperation capacity in the North American region before, during and "
        "after disasters",
    ),
]

PRIORITY_LABELS = {
    "competitiveness": "Competitiveness",
    "safe-food-and-products": "Safe Food & Products",
    "energy-and-environment": "Energy and Environment",
    "smart-and-secure-borders": "Smart & Secure Borders",
    "emergency-management-and-preparedness": "Emergency Management and Preparedness",
}

PARAGRAPHS_BEFORE = [
    "In preparation for our leaders’ meeting in New Orleans on April 21-22, we, the ministers responsible for "
    "the Security and Prosperity Partnership of North America (SPP) met in Los Cabos, Baja California Sur, to "
    "review progress on the five priorities identified by leaders in Montebello and to discuss cooperative "
    "approaches to common challenges and opportunities.",
    "This year marks the fifteenth anniversary of the implementation of the North American Free Trade Agreement "
    "(NAFTA). NAFTA has been a tremendous success: trade and commerce among our countries have grown "
    "exponentially. Trilateral merchandise trade is approximately $900 billion in 2007, significantly "
    "contributing to economic growth and increased standards of living in all three countries.",
    "The SPP builds on this dynamic relationship by providing Canada, Mexico and the United States a partnership "
    "to build a safer, more secure and economically dynamic North America, while respecting the sovereignty, "
    "laws, unique heritage, and culture of each country.",
    "In order to give guidance and achieve results in advance of the April 2008 North American leaders’ Summit, "
    "we have reviewed progress achieved since Montebello and have directed officials to:",
]

PARAGRAPHS_AFTER = [
    "We also instructed officials to consider innovative ways to advance these five priorities, to enhance our "
    "dialogue and further our cooperation.",
    "We recognize the work of our colleagues from the various agencies and departments that have contributed and "
    "will continue to contribute to advancing bilateral and trilateral cooperation.",
    "We acknowledge the challenges that transnational crime poses to our region and our assessment indicates that "
    "some accomplishments have been made. Nevertheless, we need to improve and strengthen our cooperative "
    "bilateral and trilateral mechanisms in order to identify innovative and committed solutions to eliminate "
    "those threats and assure the well being and prosperity of our people.",
    "We will also explore new avenues of cooperation and convergence to address issues such as arms trafficking, "
    "terrorism, money laundering, counterfeiting, trafficking of people and smuggling, and border violence.",
    "We also met with representatives of the North American Competitiveness Council (NACC), whose contributions "
    "and advice in building a more prosperous and dynamic North America have been invaluable.\u00a0 We discussed the "
    "long-term challenges facing our three countries and how best to increase security and prosperity in North "
    "America, in order to make our region the best place to live, work and do business.\u00a0 Accordingly, we "
    "reiterate our interest in maintaining an open dialogue with business leaders and other stakeholders.",
    "We reaffirm our commitment to the objectives of the SPP.\u00a0 We are convinced that greater cooperation and "
    "coordination will bring benefits to our countries.\u00a0 As we prepare for the next leaders` Summit in New "
    "Orleans, we will continue to work together to ensure progress in the priority areas identified at "
    "Montebello and other areas where there is ongoing work.",
]


def body_markdown():
    """The statement as Markdown: its paragraphs, and the five directives as the list they were issued in."""
    bullets = []
    for index, (slug, text) in enumerate(DIRECTIVES):
        end = "." if index == len(DIRECTIVES) - 1 else ";"
        bullets.append(f"- {PRIORITY_LABELS[slug]}: {text}{end}")
    return "\n\n".join([*PARAGRAPHS_BEFORE, "\n".join(bullets), *PARAGRAPHS_AFTER])


def forwards(apps, schema_editor):
    Priority = apps.get_model("priorities", "Priority")
    Statement = apps.get_model("priorities", "Statement")
    Directive = apps.get_model("priorities", "Directive")

    priorities = {}
    for item in PRIORITIES:
        fields = {"order": item["order"]}
        for code in ("en", "fr", "es"):
            fields[f"title_{code}"] = item["title"][code]
            fields[f"summary_{code}"] = item["summary"][code]
        fields["title"], fields["summary"] = item["title"]["en"], item["summary"]["en"]
        priorities[item["slug"]], _ = Priority.objects.update_or_create(slug=item["slug"], defaults=fields)

    body = body_markdown()
    statement, created = Statement.objects.get_or_create(
        slug=SLUG,
        defaults={
            "title": TITLE,
            "title_en": TITLE,
            "body": body,
            "body_en": body,
            "original_language": "en",
            "release_date": datetime.date(2008, 2, 28),
            "release_note": "For Immediate Release",
            "location": "Los Cabos, Baja California Sur",
            "issuing_office": "Office of the Press Secretary",
            "press_contact": "202-282-8010",
            "status": "published",
            "published_at": datetime.datetime(2008, 2, 28, 17, 0, tzinfo=datetime.UTC),
            "reviewed_on": datetime.date(2008, 2, 28),
        },
    )
    if created:
        statement.priorities.set(priorities.values())
        for order, (slug, text) in enumerate(DIRECTIVES, start=1):
            Directive.objects.create(
                statement=statement,
                priority=priorities[slug],
                order=order,
                text=text,
                text_en=text,
                progress="under_way",
            )


def backwards(apps, schema_editor):
    apps.get_model("priorities", "Statement").objects.filter(slug=SLUG).delete()
    apps.get_model("priorities", "Priority").objects.filter(slug__in=[p["slug"] for p in PRIORITIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("priorities", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
