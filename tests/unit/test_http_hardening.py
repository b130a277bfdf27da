"""Security headers on every page and a request-body limit (issue 13, finding 8); 405 keeps `Allow` (finding 9)."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from embeddings import HashingEncoder
from faqbot.app import create_app
from faqbot.launcher import free_port
from faqbot.security.headers import frame_ancestors
from faqbot.settings import Settings
from tests.factories import fake_detector
from tests.unit import test_api
from tests.unit.test_api import error_code

client = test_api.client


@pytest.fixture
def shop_client(tmp_path: Path):
    settings = Settings(data_dir=tmp_path, rasa_url=f"http://127.0.0.1:{free_port()}", action_token="t",
                        widget_frame_ancestors="https://shop.example, https://www.shop.example", max_body_bytes=4096)
    with TestClient(create_app(settings, encoder=HashingEncoder(), frustration_detector=fake_detector())) as c:
        yield c


@pytest.mark.parametrize("path", ["/", "/agent", "/widget.js", "/healthz", "/app/", "/openapi.json",
                                  "/api/agent/handoffs", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "object-src 'none'" in policy and "base-uri 'none'" in policy


def test_the_console_cannot_be_framed_but_the_widget_page_can_be_by_the_shop(shop_client):
    console = shop_client.get("/app/inbox").headers
    assert "frame-ancestors 'none'" in console["content-security-policy"] and console["x-frame-options"] == "DENY"
    widget = shop_client.get("/").headers
    assert "frame-ancestors https://shop.example https://www.shop.example" in widget["content-security-policy"]
    assert "x-frame-options" not in widget


def test_frame_ancestors_setting():
    assert frame_ancestors("*") == "*"
    assert frame_ancestors("") == "'none'"
    assert frame_ancestors("https://a.example,https://b.example") == "https://a.example https://b.example"


def test_the_api_docs_load_only_the_services_own_assets(client):
    page = client.get("/docs")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "http" not in policy and "frame-ancestors 'none'" in policy
    assert "<script>" not in page.text and "cdn" not in page.text  # no inline script, no CDN
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-init.js"):
        assert f"/static/dist/swagger/{asset}" in page.text
        assert client.get(f"/static/dist/swagger/{asset}").status_code == 200
    assert client.get("/redoc").status_code == 404


def test_a_huge_body_is_refused_with_413(shop_client):
    response = shop_client.post("/api/conversations", content=b'{"page_url": "' + b"x" * 10_000 + b'"}',
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and error_code(response) == "request_too_large"


def test_a_huge_chunked_body_is_refused_with_413(shop_client):
    def chunks():
        yield b'{"page_url": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    response = shop_client.post("/api/conversations", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and error_code(response) == "request_too_large"
    assert shop_client.post("/api/conversations", json={"page_url": "https://shop.example/"}).status_code == 201


def test_the_default_limit_refuses_ten_megabytes(client):
    response = client.post("/api/conversations", content=b"{" + b" " * 10_000_000 + b"}",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_405_keeps_its_allow_header(client):
    response = client.delete("/api/conversations")
    assert response.status_code == 405 and error_code(response) == "method_not_allowed"
    assert response.headers["allow"] == "POST"
