"""Model output is untrusted: strip what a browser or terminal would act on before it leaves."""

import re

# Markdown images load a URL as soon as a chat UI renders them; with data in the query string
# they leak it to whoever owns the host (OWASP LLM05).
MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
HTML_TAG = re.compile(r"</?\s*[a-zA-Z][^>]*>")
EVENT_HANDLER = re.compile(r"\bon[a-z]+\s*=", re.IGNORECASE)
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")


def sanitise(text: str) -> str:
    text = MARKDOWN_IMAGE.sub("[image removed]", text)
    text = HTML_TAG.sub("", text)
    text = EVENT_HANDLER.sub("", text)
    return ANSI_ESCAPE.sub("", text)
