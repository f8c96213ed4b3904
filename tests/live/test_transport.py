"""TLS and http->https, against real TLS servers on 127.0.0.1 with throw-away certificates."""

from __future__ import annotations

import ssl

import pytest
from certs import make_certs
from faultserver import FaultServer, Faults

from live_helpers import explain, status_of


def tls_context(leaf, key) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf, key)
    return context


@pytest.fixture
def certs(tmp_path):
    return lambda **kw: make_certs(tmp_path / str(len(list(tmp_path.iterdir()))), **kw)


def test_trusted_modern_tls_passes(live_audit, certs):
    ca, leaf, key = certs()
    with FaultServer(tls=tls_context(leaf, key)) as server:
        results = live_audit(server.url, server.api_key, ["live-tls", "live-chat-completion"], ca_bundle=str(ca))
    assert status_of(results, "live-tls") == "pass", explain(results)
    assert results["live-tls"].metrics["protocol"] in ("TLSv1.2", "TLSv1.3")
    assert status_of(results, "live-chat-completion") == "pass"


def test_an_untrusted_certificate_fails_tls_and_stops_the_other_probes_with_a_reason(live_audit, certs):
    _, leaf, key = certs()
    with FaultServer(tls=tls_context(leaf, key)) as server:
        results = live_audit(server.url, server.api_key, ["live-tls", "live-chat-completion", "live-cors"])
    assert status_of(results, "live-tls") == "fail"
    assert "not trusted" in results["live-tls"].message
    for check in ("live-chat-completion", "live-cors"):
        assert status_of(results, check) == "not_evaluated"
        assert "live.ca_bundle" in results[check].message


def test_a_certificate_about_to_expire_is_partial(live_audit, certs):
    ca, leaf, key = certs(days_valid=5)
    with FaultServer(tls=tls_context(leaf, key)) as server:
        results = live_audit(server.url, server.api_key, ["live-tls"], ca_bundle=str(ca))
    assert status_of(results, "live-tls") == "partial"
    assert "expires within" in results["live-tls"].message


def test_an_expired_certificate_fails(live_audit, certs):
    ca, leaf, key = certs(days_valid=-2, days_before=30)
    with FaultServer(tls=tls_context(leaf, key)) as server:
        results = live_audit(server.url, server.api_key, ["live-tls"], ca_bundle=str(ca))
    assert status_of(results, "live-tls") == "fail"
    assert "expired" in results["live-tls"].message


def test_verify_off_still_probes_an_untrusted_service(live_audit, certs):
    _, leaf, key = certs()
    with FaultServer(tls=tls_context(leaf, key)) as server:
        results = live_audit(server.url, server.api_key, ["live-chat-completion"], verify_tls=False)
    assert status_of(results, "live-chat-completion") == "pass"


def test_http_redirecting_to_https_passes_and_plain_http_serving_fails(live_audit, certs):
    ca, leaf, key = certs()
    with FaultServer(tls=tls_context(leaf, key)) as secure, \
            FaultServer(Faults(redirect_root_to="https://127.0.0.1/")) as redirecting, FaultServer() as plain:
        good = live_audit(secure.url, secure.api_key, ["live-https-redirect"], ca_bundle=str(ca),
                          http_url=redirecting.url)
        bad = live_audit(secure.url, secure.api_key, ["live-https-redirect"], ca_bundle=str(ca), http_url=plain.url)
        assert plain.hits.get("/") == 1 and "<with Authorization>" not in plain.hits  # no key over plain http
    assert status_of(good, "live-https-redirect") == "pass", explain(good)
    assert status_of(bad, "live-https-redirect") == "fail"


def test_hsts_is_required_over_https(live_audit, certs):
    ca, leaf, key = certs()
    with FaultServer(tls=tls_context(leaf, key)) as without, FaultServer(Faults(hsts=True),
                                                                         tls=tls_context(leaf, key)) as with_hsts:
        missing = live_audit(without.url, without.api_key, ["live-security-headers"], ca_bundle=str(ca))
        present = live_audit(with_hsts.url, with_hsts.api_key, ["live-security-headers"], ca_bundle=str(ca))
    assert status_of(missing, "live-security-headers") == "partial"
    assert "no Strict-Transport-Security" in missing["live-security-headers"].message
    assert status_of(present, "live-security-headers") == "pass", explain(present)


def test_an_unreadable_ca_bundle_is_a_readable_reason(live_audit, certs, tmp_path):
    _, leaf, key = certs()
    with FaultServer(tls=tls_context(leaf, key)) as server:
        results = live_audit(server.url, server.api_key, ["live-tls", "live-cors"],
                             ca_bundle=str(tmp_path / "missing.pem"))
    assert status_of(results, "live-tls") == "error" and "ca_bundle" in results["live-tls"].message
    assert status_of(results, "live-cors") == "not_evaluated" and "ca_bundle" in results["live-cors"].message
