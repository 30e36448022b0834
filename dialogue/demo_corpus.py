"""
Demo comment texts that read like a consultation, in English, French and Spanish.

The benchmark and search are measured on these, so they must look like real submissions: a
vocabulary drawn from the 2008 statement's own words and the subjects its directives name, with
a long-tailed (Zipf) distribution, so that a few words are common and most are rare, as in any
real corpus; varied sentence shapes; two to six sentences a comment. Deterministic for a seed.

    words = CorpusWriter(random.Random(1)).comment("es")
"""

import random
import re
from itertools import accumulate

# Content words, most frequent first (the 2008 statement's own words first in English).
NOUNS = {
    "en": (
        "border cooperation trade security competitiveness prosperity partnership region commerce travel "
        "preparedness regulation standards energy environment safety food products emergency management "
        "infrastructure investment supply chains exporters importers manufacturers inspections customs "
        "crossings wait times ports rail trucking logistics tariffs certification labelling recalls "
        "pandemic influenza contingency plans intellectual property piracy counterfeiting enforcement "
        "innovation research universities workforce labour mobility visas transparency accountability "
        "consultation stakeholders communities municipalities indigenous peoples farmers ranchers fisheries "
        "forestry mining electricity grid pipelines efficiency emissions climate adaptation water watersheds "
        "wildfires floods hurricanes earthquakes shelters hospitals vaccines medicines devices chemicals "
        "pesticides cattle poultry produce dairy grain seafood automobiles aerospace steel aluminum textiles "
        "software data privacy cybersecurity telecommunications spectrum broadband shipping airports "
        "pre-clearance biometrics passports identification documents fees permits licences audits "
        "compliance costs delays backlogs bottlenecks corridors bridges tunnels lanes highways terminals "
        "warehouses cooperatives associations chambers unions ministries agencies inspectors officials "
        "timelines deadlines milestones indicators reports reviews evaluations benchmarks outcomes results"
    ),
    "fr": (
        "frontière coopération commerce sécurité compétitivité prospérité partenariat région déplacements "
        "préparation réglementation normes énergie environnement salubrité aliments produits urgences gestion "
        "infrastructures investissements chaînes approvisionnement exportateurs importateurs fabricants "
        "inspections douanes passages attente ports chemins transport camionnage logistique tarifs "
        "certification étiquetage rappels pandémie grippe plans propriété piratage contrefaçon application "
        "innovation recherche universités main-d'œuvre mobilité visas transparence reddition consultation "
        "intervenants collectivités municipalités autochtones agriculteurs éleveurs pêches forêts mines "
        "électricité réseau pipelines efficacité émissions climat adaptation eau bassins incendies "
        "inondations ouragans séismes refuges hôpitaux vaccins médicaments instruments produits chimiques "
        "pesticides bovins volailles fruits laitiers céréales automobiles aérospatiale acier aluminium "
        "textiles logiciels données confidentialité cybersécurité télécommunications spectre internet "
        "aéroports prédédouanement biométrie passeports pièces documents frais permis licences audits "
        "conformité coûts retards arriérés goulots corridors ponts tunnels voies autoroutes terminaux "
        "entrepôts coopératives associations chambres syndicats ministères organismes inspecteurs "
        "fonctionnaires échéanciers échéances jalons indicateurs rapports examens évaluations résultats"
    ),
    "es": (
        "frontera cooperación comercio seguridad competitividad prosperidad asociación región viajes "
        "preparación regulación normas energía ambiente inocuidad alimentos productos emergencias gestión "
        "infraestructura inversión cadenas suministro exportadores importadores fabricantes inspecciones "
        "aduanas cruces espera puertos ferrocarril autotransporte logística aranceles certificación "
        "etiquetado retiros pandemia influenza planes propiedad piratería falsificación aplicación "
        "innovación investigación universidades trabajadores movilidad visas transparencia rendición "
        "consulta actores comunidades municipios indígenas agricultores ganaderos pesquerías bosques minería "
        "electricidad red ductos eficiencia emisiones clima adaptación agua cuencas incendios inundaciones "
        "huracanes sismos refugios hospitales vacunas medicamentos dispositivos químicos plaguicidas ganado "
        "aves hortalizas lácteos granos mariscos automóviles aeroespacial acero aluminio textiles software "
        "datos privacidad ciberseguridad telecomunicaciones espectro banda aeropuertos predespacho "
        "biometría pasaportes identificación documentos cuotas permisos licencias auditorías cumplimiento "
        "costos demoras rezagos cuellos corredores puentes túneles carriles carreteras terminales almacenes "
        "cooperativas asociaciones cámaras sindicatos secretarías dependencias inspectores funcionarios "
        "calendarios plazos metas indicadores informes revisiones evaluaciones resultados"
    ),
}
PLACES = {
    "en": "Windsor|Detroit|Laredo|Nogales|Tijuana|Buffalo|Blaine|Calexico|Ciudad Juárez|Matamoros|Sarnia|"
    "Champlain|Vancouver|Montreal|Monterrey|Guadalajara|Chicago|Houston|Halifax|Winnipeg",
    "fr": "Windsor|Détroit|Laredo|Nogales|Tijuana|Buffalo|Lacolle|Calexico|Ciudad Juárez|Matamoros|Sarnia|"
    "Montréal|Vancouver|Québec|Monterrey|Guadalajara|Chicago|Houston|Halifax|Winnipeg",
    "es": "Nuevo Laredo|Nogales|Tijuana|Mexicali|Ciudad Juárez|Matamoros|Reynosa|Piedras Negras|Monterrey|"
    "Guadalajara|Querétaro|Saltillo|Hermosillo|Chihuahua|Veracruz|Manzanillo|Lázaro Cárdenas|Toronto|Houston|Chicago",
}
TEMPLATES = {
    "en": [
        "Our members in {place} see {n1} affect {n2} every week.",
        "We support stronger {n1} on {n2}, with public reporting of {n3}.",
        "The directive on {n1} should set clear {n2} for {n3}.",
        "Please publish the timetable for {n1} and {n2}.",
        "Small {n1} carry most of the {n2} when {n3} change without notice.",
        "Without {n1}, the {n2} at {place} will not improve.",
        "We ask the three governments to consult {n1} before changing {n2}.",
        "Mutual recognition of {n1} would cut {n2} for {n3}.",
        "The {n1} described in the statement must include {n2} and {n3}.",
        "In {place}, {n1} and {n2} are the first concern of our cooperative.",
        "We recommend a trilateral working group on {n1}, reporting on {n2} each year.",
        "Funding for {n1} has not kept pace with {n2}.",
    ],
    "fr": [
        "Nos membres à {place} constatent que les {n1} nuisent aux {n2} chaque semaine.",
        "Nous appuyons une meilleure {n1} en matière de {n2}, avec des rapports publics sur les {n3}.",
        "La directive sur la {n1} devrait fixer des {n2} clairs pour les {n3}.",
        "Veuillez publier l'échéancier des {n1} et des {n2}.",
        "Les petites {n1} assument l'essentiel des {n2} lorsque les {n3} changent sans préavis.",
        "Sans {n1}, les {n2} à {place} ne s'amélioreront pas.",
        "Nous demandons aux trois gouvernements de consulter les {n1} avant de modifier les {n2}.",
        "La reconnaissance mutuelle des {n1} réduirait les {n2} pour les {n3}.",
        "Les {n1} décrits dans la déclaration doivent inclure les {n2} et les {n3}.",
        "À {place}, les {n1} et les {n2} sont la première préoccupation de notre coopérative.",
    ],
    "es": [
        "Nuestros socios en {place} ven que los {n1} afectan los {n2} cada semana.",
        "Apoyamos mayor {n1} en materia de {n2}, con informes públicos sobre {n3}.",
        "La directriz sobre {n1} debe fijar {n2} claros para los {n3}.",
        "Solicitamos publicar el calendario de {n1} y de {n2}.",
        "Las pequeñas {n1} cargan con la mayor parte de los {n2} cuando cambian los {n3} sin aviso.",
        "Sin {n1}, los {n2} en {place} no mejorarán.",
        "Pedimos a los tres gobiernos consultar a los {n1} antes de modificar los {n2}.",
        "El reconocimiento mutuo de {n1} reduciría los {n2} para los {n3}.",
        "Los {n1} descritos en la declaración deben incluir {n2} y {n3}.",
        "En {place}, {n1} y {n2} son la primera preocupación de nuestra cooperativa.",
    ],
}
# Zipf-Mandelbrot: weight of rank r ∝ 1 / (r + OFFSET) ** EXPONENT. The offset keeps the commonest
# word to about a quarter of the comments (a real consultation's commonest subject), the tail long.
ZIPF_EXPONENT = 1.2
ZIPF_OFFSET = 12
NOUNS = {language: text.split() for language, text in NOUNS.items()}
PLACES = {language: text.split("|") for language, text in PLACES.items()}


def _zipf_weights(count: int) -> list[float]:
    """Cumulative weights by rank: a few words common, most rare."""
    return list(accumulate(1 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT for rank in range(1, count + 1)))


class CorpusWriter:
    """
    Writes comment texts from a seeded random generator (the same seed, the same texts). Given the
    statement's own texts ({"en": body, ...}), their words lengthen each language's tail.
    """

    def __init__(self, rng: random.Random, statement_texts: dict[str, str] | None = None):
        self.rng = rng
        self.words = {}
        for language, nouns in NOUNS.items():
            known = set(nouns)
            own = re.findall(r"[^\W\d_]{6,}", (statement_texts or {}).get(language, "").lower())
            tail = [word for word in dict.fromkeys(own) if word not in known]
            self.words[language] = nouns + tail
        self.weights = {language: _zipf_weights(len(words)) for language, words in self.words.items()}

    def word(self, language: str) -> str:
        return self.rng.choices(self.words[language], cum_weights=self.weights[language])[0]

    def sentence(self, language: str) -> str:
        template = self.rng.choice(TEMPLATES[language])
        return template.format(
            n1=self.word(language),
            n2=self.word(language),
            n3=self.word(language),
            place=self.rng.choice(PLACES[language]),
        )

    def comment(self, language: str) -> str:
        return " ".join(self.sentence(language) for _ in range(self.rng.randint(2, 6)))


def search_words(language: str = "en") -> list[str]:
    """The corpus's words, most frequent first: what the benchmark's search queries are drawn from."""
    return [*NOUNS[language], *PLACES[language]]
