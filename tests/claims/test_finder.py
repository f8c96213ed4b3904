"""Finding claims and admissions: patterns, headings, labels and checkbox states, deterministically."""

from __future__ import annotations

import pytest

from readyscore.claims.finder import documents, find_in_text
from readyscore.claims.mapping import load_claim_map
from readyscore.claims.records import ClaimKind
from readyscore.files import FileIndex

from claims_helpers import GATEWAY_CHECKLIST, LLM_SUMMARY

MAPPING = load_claim_map()


def find(text: str, path: str = "docs/status.md"):
    return find_in_text(text, path, MAPPING)


def kinds(claims):
    return [(c.line, c.kind.value, c.refs) for c in claims]


@pytest.mark.parametrize(("text", "expected"), [
    # Ticked boxes and ticked marks are claims of each capability they name.
    ("- [x] JWT authentication\n", [(1, "checklist", ["authentication"])]),
    ("- ✅ Rate limiting per key\n", [(1, "checklist", ["rate-limiting"])]),
    ("- âœ… Rate limiting per key\n", [(1, "checklist", ["rate-limiting"])]),  # mis-encoded ✅
    ("| Rate limiting | ✅ |\n", [(1, "checklist", ["rate-limiting"])]),
    # Overall statements, wherever they stand; repeats in one file are one claim.
    ("# Notes\n\nThis service is production-ready.\n\nReally production-ready.\n", [(3, "statement", ["production-ready"])]),
    ("Enterprise-grade LLM gateway\n", [(1, "statement", ["enterprise-grade"])]),
    # Stated levels and scores need a readiness context on the line.
    ("Readiness: Score 65/100, Level 2\n", [(1, "level", ["level"]), (1, "score", ["score"])]),
    ("Set the log level 3 for debugging\n", []),
    # Compliance needs "compliant", "certified" ... or a tick.
    ("- SEC/FINRA/GDPR compliant audit trails\n", [(1, "compliance", ["gdpr"]), (1, "compliance", ["sec-finra"])]),
    ("We read the GDPR text once.\n", []),
    # Plain sentences are claims only under a readiness heading (or in a README's introduction).
    ("## Security\n\n- Rate limiting per API key\n", [(3, "capability", ["rate-limiting"])]),
    ("## Industry alignment\n\n- AWS API Gateway: rate limiting concepts\n", []),
    # Praise for what the service is built from is no statement about the service (langserve).
    ("All built with battle-tested open-source Python libraries like FastAPI.\n", []),
    ("A battle-tested gateway serving millions of requests.\n", [(1, "statement", ["production-ready"])]),
    # Schema migrations, not a guide to migrating to another product or version (langserve).
    ("## Features\n\n- Database migrations with Alembic\n", [(3, "capability", ["migrations"])]),
    ("## Features\n\n- Schema migration on start-up\n", [(3, "capability", ["migrations"])]),
    ("## Features\n\n- See the Platform Migration Guide to move off this project\n", []),
    ("## Features\n\n- Migrations guide for upgrading from v1\n", []),
    # Not claims: negated statements, code, endpoint tables.
    ("This is not production-ready yet.\n", []),
    ("```\nproduction-ready\n- [x] JWT authentication\n```\n", []),
    # Exporting metrics is one claim, monitoring in place another; "to your observability tools" is neither.
    ("- [x] Export Prometheus metrics to your favorite observability tools\n", [(1, "checklist", ["metrics"])]),
    ("- [x] Monitoring with Prometheus and Grafana\n", [(1, "checklist", ["metrics", "monitoring"])]),
    # Preformatted HTML is code too: a progress bar's 100/100 states no score (TensorZero's README).
    ("<pre><code class=\"language-bash\">Run ID: 1\nreadiness run 100/100\n</code></pre>\n", []),
    ("<td><pre>score 100/100</pre></td>\nReadiness: Score 65/100\n", [(2, "score", ["score"])]),
    ("| GET | `/health` | Health check |\n", []),
])
def test_what_counts_as_a_claim(text, expected):
    claims, _ = find(text)
    assert kinds(claims) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # An address is not a word: "https://" in a link or a bare URL claims no TLS, and a path in a
    # URL no rate limiting (a README's introduction, where plain sentences are claims).
    ("FastChat powers Chatbot Arena ([lmarena.ai](https://lmarena.ai)), serving millions.\n", []),
    ("See <https://example.com/auth/rate-limiting> for the API.\n", []),
    ("Served only over HTTPS ([why](https://example.com/tls)).\n", [(1, "capability", ["tls"])]),
])
def test_addresses_are_not_words(text, expected):
    claims, admissions = find(text, "README.md")
    assert kinds(claims) == expected and admissions == []


@pytest.mark.parametrize(("text", "admitted"), [
    ("- [ ] Configure rate limiting\n", ["rate-limiting"]),
    ("- ⬜ JWT authentication\n", ["authentication"]),
    ("Authentication: to add\n", ["authentication"]),
    ("- Rate limiting (TODO)\n", ["rate-limiting"]),
    ("🔒 **For Production, Add:**\n- HTTPS/TLS certificates\n- Authentication/authorization\n", ["tls", "authentication"]),
    ("ğŸ”’ **For Production, Add:**\n- Rate limiting\n", ["rate-limiting"]),
    ("## Roadmap\n\n### Security\n- Rate limiting\n", ["rate-limiting"]),
    ("Before deploying to production:\n\n1. **Security**\n   - [ ] Enable HTTPS\n", ["tls"]),
    # A link in an open item is not an admission of what its address spells.
    ("- [ ] Reuse our [code](https://github.com/org/repo) for the arena\n", []),
    # An open item that only reviews or tunes something admits nothing missing.
    ("- [ ] Review CORS settings\n- [ ] Configure cache TTL\n", []),
])
def test_open_items_are_admissions_not_claims(text, admitted):
    claims, admissions = find(text)
    assert claims == []
    assert [ref for a in admissions for ref in a.refs] == admitted


@pytest.mark.parametrize(("text", "admitted"), [
    # The bold label is the subject: NeMo-Guardrails leaves agents open, not its guardrails.
    ("- **Agents (COMING SOON)**: Add guardrails to your LLM-based agent.\n", []),
    ("- **Rate limiting (coming soon)**: per-key quotas for the gateway.\n", ["rate-limiting"]),
    # No label, or the open word after it: the whole item, as before.
    ("- Rate limiting per key (coming soon)\n", ["rate-limiting"]),
    ("- **Gateway**: rate limiting is not yet implemented.\n", ["rate-limiting"]),
])
def test_an_open_items_bold_label_is_what_it_leaves_open(text, admitted):
    _, admissions = find(text)
    assert [ref for a in admissions for ref in a.refs] == admitted


def test_how_to_add_teaches_and_admits_nothing():
    """NeMo-Guardrails' guides: "This topic demonstrates how to add input rails to a guardrails
    configuration." is a tutorial; "Guardrails: still to add" leaves them open."""
    assert find("This topic demonstrates how to add input rails to a guardrails configuration.\n")[1] == []
    assert [a.refs for a in find("- Guardrails: to add\n")[1]] == [["llm-safeguards"]]


def test_a_guides_readme_opens_a_guide_not_the_service():
    text = "# Hello World\n\nThis guide shows you how to create a guardrails configuration.\n"
    assert find(text, "docs/getting_started/1_hello_world/README.md")[0] == []
    assert kinds(find(text, "README.md")[0]) == [(3, "capability", ["llm-safeguards"])]


def test_an_underlined_title_is_a_heading_not_a_claim():
    """AIBrix's .rst docs: "Check autoscaling logs" over a row of dashes is a section title, not a
    sentence claiming autoscaling; the heading scopes what follows as a Markdown heading would."""
    rst = ("Check autoscaling logs\n----------------------\n\nRun kubectl logs.\n\n"
           "Features\n========\n\nAutoscaling of inference pods on load\n")
    assert kinds(find(rst, "docs/autoscaling.rst")[0]) == [(9, "capability", ["autoscaling"])]
    # A rule under a paragraph of two lines, or after a blank line, makes no heading.
    assert kinds(find("## Notes\n\nAutoscaling is on\nfor every pod\n---\n", "docs/x.md")[0]) == []


def test_indented_code_is_code_to_its_last_line():
    """AIBrix's .rst guides: a `.. code-block:: yaml` or a `::` literal block holding a livenessProbe
    or a kubectl table read as claims from its second line on (only the first was skipped)."""
    rst = ("Features\n========\n\nApply the manifest below.\n\n.. code-block:: yaml\n\n   livenessProbe:\n"
           "     httpGet: {path: /health}\n   readinessProbe: {}\n\nOnce it runs, kubectl lists the pods of the "
           "service with the names and the states that the manifest above gave them::\n\n   kubectl get pods\n"
           "   autoscaling enabled\n\nAutoscaling of inference pods on load\n")
    assert kinds(find(rst, "docs/deploy.rst")[0]) == [(17, "capability", ["autoscaling"])]
    markdown = "## Features\n\n    livenessProbe:\n      httpGet: /health\n\nAutoscaling on load\n"
    assert kinds(find(markdown, "docs/x.md")[0]) == [(6, "capability", ["autoscaling"])]
    # An RST note's three-space indented prose is still read.
    note = "Features\n========\n\n.. note::\n\n   Autoscaling of inference pods on load\n"
    assert kinds(find(note, "docs/x.rst")[0]) == [(6, "capability", ["autoscaling"])]


def test_a_ticked_roadmap_item_is_done_and_an_open_one_is_not():
    """DocsGPT's README: "## Roadmap" over "- [x] OpenTelemetry observability ( April 2026 )"."""
    claims, admissions = find("## Roadmap\n- [x] OpenTelemetry observability ( April 2026 )\n"
                              "- [ ] Rate limiting per key\n")
    assert kinds(claims) == [(2, "checklist", ["monitoring", "tracing"])]
    assert [a.refs for a in admissions] == [["rate-limiting"]]


def test_a_known_limitation_explained_at_length_admits_only_its_short_open_sentences():
    """DocsGPT's runbook: under "Known limitations", a paragraph about StrictMode's double
    connections hitting the per-user cap with HTTP 429 is no admission that rate limiting is missing;
    a short one that says it is not there, is."""
    long = ("In dev, React 18 StrictMode mounts, unmounts and remounts every component, briefly opening two "
            "SSE connections per tab. With the per-user cap and several tabs open you can transiently hit "
            "the cap and see HTTP 429 on cold-load.")
    assert find(f"## Known limitations\n\n### StrictMode\n\n{long}\n") == ([], [])
    _, admissions = find(f"## Known limitations\n\n{long} Rate limiting is not implemented yet.\n")
    assert [a.refs for a in admissions] == [["rate-limiting"]]
    _, admissions = find("## Known limitations\n\nNo rate limiting on the admin API.\n")
    assert [a.refs for a in admissions] == [["rate-limiting"]]


def test_a_wrapped_paragraph_is_one_claim_cited_by_its_first_line():
    text = "# svc\n\nAn authenticated chat API with per-key\nrate limiting and JSON logs.\n"
    claims, _ = find(text, "README.md")
    assert kinds(claims) == [(3, "capability", ["authentication", "rate-limiting", "structured-logging"])]


def test_readme_introduction_is_a_claim_but_its_later_sections_need_a_readiness_heading():
    text = "# svc\n\nRate limited with 429.\n\n## Usage\n\nSee the rate limiting docs.\n"
    assert kinds(find(text, "README.md")[0]) == [(3, "capability", ["rate-limiting"])]
    assert kinds(find(text, "docs/usage.md")[0]) == []


def test_the_llm_infrastructure_summary_claims_readiness_and_admits_auth_rate_limiting_and_tls_open():
    claims, admissions = find(LLM_SUMMARY.read_text(encoding="utf-8"), "SUMMARY.md")
    statements = {c.refs[0]: c for c in claims if c.kind == ClaimKind.STATEMENT}
    assert statements["production-ready"].line == 3 and 557 in statements["production-ready"].also_at
    assert statements["enterprise-grade"].line == 13
    admitted = {(a.line, ref) for a in admissions for ref in a.refs}
    assert {(309, "tls"), (310, "authentication"), (311, "rate-limiting")} <= admitted
    assert (378, ClaimKind.CAPABILITY, ["authentication"]) in [(c.line, c.kind, c.refs) for c in claims]


def test_the_gateway_checklist_ticks_become_claims_and_its_open_list_admissions():
    claims, admissions = find(GATEWAY_CHECKLIST.read_text(encoding="utf-8"), "CHECKLIST.md")
    ticked = {c.line: c.refs for c in claims if c.kind == ClaimKind.CHECKLIST}
    assert ticked[25] == ["authentication"] and ticked[31] == ["security-headers"] and ticked[49] == ["retries"]
    admitted = {a.line: a.refs for a in admissions}
    assert admitted[101] == ["rate-limiting"] and admitted[102] == ["security-headers"]
    assert 97 not in admitted  # "[ ] Review CORS settings" says nothing is missing


def test_finding_is_deterministic():
    text = GATEWAY_CHECKLIST.read_text(encoding="utf-8")
    assert kinds(find(text)[0]) == kinds(find(text)[0])


@pytest.mark.parametrize(("text", "expected"), [
    # An inference engine's own techniques are not the service's persistence or response cache
    # (lmdeploy's feature list) ...
    ("## Features\n\n- Efficient inference: persistent batch (continuous batching), blocked KV cache\n", []),
    ("## Features\n\n- Supports KV Cache Quant and Automatic Prefix Caching together\n", []),
    # ... but a response cache and a durable store are.
    ("## Features\n\n- Responses are cached in Redis\n", [(3, "capability", ["caching"])]),
    # Token accounting is tracking what is used, not using less (anything-llm's feature list).
    ("## Features\n\n- Token usage tracking per API key\n", [(3, "capability", ["token-accounting"])]),
    ("## Features\n\n- Tracks token usage for every request\n", [(3, "capability", ["token-accounting"])]),
    ("## Features\n\n- Smart tool selection reduces token usage by up to 80% per query\n", []),
    # Caching what is downloaded or built is no response cache (lorax's SkyPilot guide).
    ("## Stop the deployment\n\nThe LoRAX Docker image will also be cached, meaning tags like latest "
     "are not updated.\n", [(3, "capability", ["containerized"])]),
    ("## Features\n\n- Model weights are downloaded once and cached on the volume\n", []),
    ("## Features\n\n- Semantic caching of completions, and the image is small\n", [(3, "capability", ["caching"])]),
    # A list that names files before caching still claims caching (TensorZero's README).
    ("## Features\n\n- Infer with **[multimodal (images, files)]**, **[caching]**, etc.\n",
     [(3, "capability", ["caching"])]),
    ("## Features\n\n- Persistent storage in PostgreSQL\n", [(3, "capability", ["persistence"])]),
    # A page path in an RST toctree or a sentence names a page, not a capability.
    ("## Features\n\n   advance/metrics.md\n   advance/rate_limiting.rst\n", []),
])
def test_inference_terms_and_page_paths_claim_nothing(text, expected):
    claims, _ = find(text)
    assert kinds(claims) == expected


def test_a_long_prose_sentence_narrowing_one_case_admits_nothing():
    """lmdeploy's metrics page: it exposes metrics, and one per-rank case is not yet supported."""
    text = ("# Production Metrics\n\nLMDeploy exposes a set of metrics via Prometheus.\n\n"
            "For the Turbomind backend, the cache usage is the share of the cache region in use. "
            "Turbomind currently reports scheduler metrics for DP 1; per-rank Turbomind metrics with DP "
            "greater than 1 are not yet supported.\n")
    claims, admissions = find(text)
    assert admissions == []
    assert [c.refs for c in claims] == [["metrics"]]


def test_a_short_prose_sentence_still_admits_what_it_names():
    text = "## Security\n\nThe API is served over HTTPS. Rate limiting is not yet implemented.\n"
    claims, admissions = find(text)
    assert [a.refs for a in admissions] == [["rate-limiting"]]


def test_a_changelog_records_fixes_not_admissions():
    """private-gpt's CHANGELOG: "add missing docker database deps" is what a release fixed."""
    text = "# Changelog\n\n## 0.6.0\n\n### Bug Fixes\n\n* add missing docker database deps (#2264)\n"
    assert find(text, "CHANGELOG.md")[1] == []
    assert [a.refs for a in find(text, "docs/status.md")[1]] == [["containerized"]]


@pytest.mark.parametrize(("text", "expected"), [
    # A label or heading that advises the reader: what they should do is not what the service does
    # (envoyproxy/ai-gateway's SECURITY.md read "store secrets using Kubernetes Secrets" as a claim
    # that the service is orchestrated).
    ("# Security Policy\n\nTo minimize security risks when running the gateway:\n\n"
     "- Store secrets using Kubernetes Secrets rather than in plaintext.\n", []),
    ("## Security best practices\n\n- Put rate limiting in front of the API\n", []),
    # The same item under a claim scope that gives no advice is a claim.
    ("# Security\n\nThe gateway's security:\n\n- Rate limiting per API key\n", [(5, "capability", ["rate-limiting"])]),
])
def test_advice_to_the_reader_claims_nothing(text, expected):
    claims, _ = find(text, "SECURITY.md")
    assert kinds(claims) == expected


def test_design_proposals_and_decision_records_are_not_read_for_claims(tmp_path):
    for rel in ("README.md", "docs/guide.md", "docs/proposals/009-quota/proposal.md", "docs/adr/0001-auth.md",
                "rfcs/0002-cache.md", "docs/decisions/db.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("## Features\n\n- Rate limiting per API key\n")
    assert documents(FileIndex(tmp_path), MAPPING) == ["README.md", "docs/guide.md"]
