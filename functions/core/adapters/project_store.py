"""攻坚 projects in the registry table: registry-like items under their own partition."""

from __future__ import annotations

from ..domain.projects import Project
from .documents import DocumentStore

SCOPE = "projects"


class DynamoProjectStore(DocumentStore[Project]):
    def __init__(self) -> None:
        super().__init__(SCOPE, Project.from_dict, "project")
