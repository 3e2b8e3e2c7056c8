"""攻坚 projects in the registry table: registry-like items under their own partition."""

from __future__ import annotations

from pynamodb.exceptions import PutError

from ..domain.errors import Conflict
from ..domain.projects import Project
from .tables import RegistryItem

SCOPE = "projects"


class DynamoProjectStore:
    def all(self) -> list[Project]:
        """Every project: one Query on one partition (the district runs tens, not thousands)."""
        return [Project.from_dict(item.data) for item in RegistryItem.query(SCOPE)]

    def get(self, project_id: str) -> Project | None:
        try:
            return Project.from_dict(RegistryItem.get(SCOPE, project_id, consistent_read=True).data)
        except RegistryItem.DoesNotExist:
            return None

    def put(self, project: Project, previous: Project | None) -> None:
        """Save a project over `previous` (None: a new one); someone else's change in between
        is a 409. The condition compares the stored document with the one read."""
        item = RegistryItem(SCOPE, project.id, data=project.as_dict())
        try:
            if previous is None:
                item.save(condition=RegistryItem.key.does_not_exist())
            else:
                item.save(condition=RegistryItem.data == previous.as_dict())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict("The project changed meanwhile; load it again.", "stale") from None
            raise
