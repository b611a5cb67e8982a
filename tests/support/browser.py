"""Real Chromium with axe-core: whether the browser tests can run here, and the accessibility check."""

from __future__ import annotations
from pathlib import Path


CHROMIUM = "/usr/bin/chromium"


AXE = Path(__file__).resolve().parent.parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    if not AXE.exists():
        return f"{AXE} is missing (run: npm ci --prefix tests/browser)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


def check_accessibility(page) -> None:
    """Fail on any WCAG 2.2 A/AA violation axe-core finds on the page as it is now."""
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           WCAG_TAGS)
    problems = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                for v in result["violations"]]
    assert not problems, f"accessibility problems on {page.url}:\n" + "\n".join(problems)
