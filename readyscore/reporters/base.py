from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from readyscore.report import Report


class Reporter(ABC):
    name: ClassVar[str]
    filename: ClassVar[str | None]  # None: writes to the terminal, not to a file

    @abstractmethod
    def render(self, report: Report) -> str:
        """The whole output as text."""
