"""Claims against evidence: what a repository says about its own readiness, checked against what
readyscore measured.

- `mapping`: frameworks/claims.yaml (claim patterns -> gates and checks), validated strictly;
- `finder`: reads the repository's documents within byte bounds and finds claims and admissions
  by patterns, headings and checkbox states (deterministic, no model);
- `judge`: a pure function of (claims, admissions, results, gate outcomes, score) -> a status and
  a reason per claim, and the verdict of the `repo-claims-substantiated` check.
"""
