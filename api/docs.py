"""Interactive docs (`/docs`: Swagger UI, `/redoc`: ReDoc) served with their JavaScript and CSS from this service.

FastAPI's own pages load them from a CDN, which these machines and many consortium networks cannot reach: the page
stays blank. The assets come from the pinned npm packages `swagger-ui-dist` and `redoc` (`npm ci` installs them);
without them the pages answer a 503 problem saying so.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse

from api.problems import problem
from ledger import NODE_TOOLS_HINT, npm_tools

log = logging.getLogger("api.docs")
ASSETS_PATH = "/docs/assets"
#: The files the pages load, by the name they are served under, relative to node_modules.
ASSETS = {
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    "favicon-32x32.png": "swagger-ui-dist/favicon-32x32.png",
    "redoc.standalone.js": "redoc/bundles/redoc.standalone.js",
}
SWAGGER_ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
REDOC_ASSETS = ("redoc.standalone.js", "favicon-32x32.png")


def install(app: FastAPI, node_modules: Path | None = None) -> None:
    """Add `/docs`, `/redoc` and their assets to an app created with `docs_url=None, redoc_url=None`.

    The assets come from `node_modules`, by default the npm tools' folder (`ledger.chain.compile.node_modules()`).
    """
    folder = node_modules if node_modules is not None else npm_tools()

    def missing(names: tuple[str, ...]) -> Response | None:
        absent = [ASSETS[name] for name in names if not (folder / ASSETS[name]).is_file()]
        if not absent:
            return None
        log.warning("docs assets missing from %s: %s", folder, ", ".join(absent))
        return problem(
            503, "docs_assets_missing", f"the docs' assets are not installed ({', '.join(absent)}): " + NODE_TOOLS_HINT
        )

    def url(request: Request, path: str) -> str:
        return request.scope.get("root_path", "").rstrip("/") + path

    @app.api_route("/docs", methods=["GET", "HEAD"], include_in_schema=False)
    def swagger_ui(request: Request) -> Response:
        return missing(SWAGGER_ASSETS) or get_swagger_ui_html(
            openapi_url=url(request, app.openapi_url or "/openapi.json"),
            title=f"{app.title}: Swagger UI",
            swagger_js_url=url(request, f"{ASSETS_PATH}/swagger-ui-bundle.js"),
            swagger_css_url=url(request, f"{ASSETS_PATH}/swagger-ui.css"),
            swagger_favicon_url=url(request, f"{ASSETS_PATH}/favicon-32x32.png"),
        )

    @app.api_route("/redoc", methods=["GET", "HEAD"], include_in_schema=False)
    def redoc(request: Request) -> Response:
        return missing(REDOC_ASSETS) or get_redoc_html(
            openapi_url=url(request, app.openapi_url or "/openapi.json"),
            title=f"{app.title}: ReDoc",
            redoc_js_url=url(request, f"{ASSETS_PATH}/redoc.standalone.js"),
            redoc_favicon_url=url(request, f"{ASSETS_PATH}/favicon-32x32.png"),
            with_google_fonts=False,
        )

    @app.api_route(ASSETS_PATH + "/{name}", methods=["GET", "HEAD"], include_in_schema=False)
    def asset(name: str) -> Response:
        if name not in ASSETS:
            return problem(404, "route_not_found", f"no docs asset {name!r}")
        return missing((name,)) or FileResponse(
            folder / ASSETS[name], headers={"Cache-Control": "public, max-age=86400"}
        )
