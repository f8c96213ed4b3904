"""Static checks over the service's source tree (issue 3).

bandit through its command line (parallel batches, a content-hash cache), hard-coded secrets, LLM
service hazards from the syntax tree, and evidence of production capabilities in the code. The
registry imports this package; importing it registers every static executor kind.
"""

from readyscore.executors.static import bandit_checks, capabilities, hazard_checks  # noqa: F401 - registers kinds
