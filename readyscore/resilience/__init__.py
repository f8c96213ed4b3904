"""Resilience under upstream faults: readyscore plays the model provider.

- `upstream`: the fault-injecting OpenAI-compatible upstream (its own process, `python -m
  readyscore.resilience.upstream`), and `FakeUpstream`, the handle the audit drives it with;
- `service`: starting the audited service with its provider URL pointed at the upstream, and
  stopping it with all its children;
- `scenario`: the scripted phases and the probes sent through the service;
- `verdicts`: pure functions from what the client saw and what the upstream received to results.
"""
