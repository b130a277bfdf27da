"""axe-core (from the front end's npm packages) injected into a page: accessibility violations by impact."""

from __future__ import annotations

from playwright.sync_api import Frame, Page

from faqbot.settings import REPO_ROOT

AXE = REPO_ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(target: Page | Frame, context: str = "document",
                   impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """The violations of at least one of `impacts` on the page or frame (id, impact, help, where)."""
    if not AXE.is_file():
        raise AssertionError(f"{AXE} is missing: scripts/bootstrap.sh installs the front end's packages")
    if not target.evaluate("typeof window.axe !== 'undefined'"):
        # evaluated through the DevTools protocol, which the pages' Content-Security-Policy (no inline
        # scripts) does not block, unlike a <script> tag
        target.evaluate(AXE.read_text() + "\n;typeof window.axe")
    result = target.evaluate("(ctx) => axe.run(ctx === 'document' ? document : ctx, "
                             "{resultTypes: ['violations']})", context)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "where": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]
