"""The layers point one way (DESIGN.md, Architecture):
safeguards ← outbox ← pagecache ← priorities ← dialogue ← publicapi ← spp_portal."""

import re
from pathlib import Path

import pytest

from tools import import_graph

ROOT = Path(__file__).resolve().parent.parent
FOUND = import_graph.imports()


def _where(items):
    return [f"{item.path}:{item.line} imports {item.target}" for item in items]


def test_the_graph_sees_the_imports_it_checks():
    """The scan itself works: the known downward arrows are found (a scan that sees nothing would pass anything)."""
    edges = import_graph.edges(FOUND)
    assert edges.get(("dialogue", "priorities"), 0) > 0
    assert edges.get(("priorities", "pagecache"), 0) > 0
    assert edges.get(("spp_portal", "dialogue"), 0) > 0


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("safeguards", {"pagecache", "priorities", "dialogue", "publicapi", "spp_portal"}),
        ("outbox", {"pagecache", "priorities", "dialogue", "publicapi", "spp_portal"}),
        ("pagecache", {"priorities", "dialogue", "publicapi", "spp_portal"}),
        ("priorities", {"dialogue", "publicapi", "spp_portal"}),
        ("dialogue", {"publicapi", "spp_portal"}),
        ("publicapi", {"spp_portal"}),
    ],
)
def test_no_package_imports_a_layer_above_it(package, forbidden):
    """The record stands without the conversation; no app imports the project package that composes them."""
    assert _where(i for i in FOUND if i.source == package and i.target in forbidden) == []


def test_no_import_of_the_portal_hides_inside_a_function():
    """A function-local import between the portal's modules is how a cycle hides; there is none."""
    assert _where(i for i in FOUND if i.in_function) == []


def test_an_upward_import_is_caught(tmp_path, monkeypatch):
    """The check fails when priorities imports dialogue, even inside a function."""
    package = tmp_path / "priorities"
    package.mkdir()
    (package / "views.py").write_text("def page():\n    from dialogue.models import Comment\n")
    monkeypatch.setattr(import_graph, "ROOT", tmp_path)
    monkeypatch.setattr(import_graph, "LAYERS", ["safeguards", "pagecache", "priorities", "dialogue", "spp_portal"])
    for name in ("safeguards", "pagecache", "dialogue", "spp_portal"):
        (tmp_path / name).mkdir()
    [item] = import_graph.imports()
    assert (item.source, item.target, item.in_function) == ("priorities", "dialogue", True)
    assert import_graph.upward([item]) == [item]


def test_the_records_templates_reach_the_conversation_only_through_its_tags():
    """No `dialogue:` URL and no project-package tag library in priorities' or dialogue's own templates."""
    offenders = []
    for app, patterns in (
        ("priorities", [r"""['"]dialogue:""", r"\{%\s*load\b[^%]*\bportal\b"]),
        ("dialogue", [r"\{%\s*load\b[^%]*\bportal\b"]),
        ("pagecache", [r"\{%\s*url\b"]),
    ):
        for template in (ROOT / app).rglob("templates/**/*.html"):
            text = template.read_text()
            offenders += [f"{template.relative_to(ROOT)}: {p}" for p in patterns if re.search(p, text)]
    assert offenders == []
