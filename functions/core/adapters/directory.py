"""Staff accounts in the Cognito user pool; a scope is a group of the same name."""

from __future__ import annotations

import secrets
import string
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import Conflict, NotFound
from ..domain.staff import Scope


def temporary_password() -> str:
    """Meets Cognito's default policy: upper, lower, digit and symbol, 12 characters."""
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"Wh{core}7!"


class CognitoDirectory:
    def __init__(self, client: Any, user_pool_id: str, send_invitations: bool) -> None:
        self._cognito = client
        self._pool = user_pool_id
        self._send = send_invitations

    def all(self) -> list[dict[str, Any]]:
        users = []
        token = None
        while True:
            page = self._cognito.list_users(
                UserPoolId=self._pool, **({"PaginationToken": token} if token else {})
            )
            for user in page.get("Users", []):
                users.append(self._describe(user))
            token = page.get("PaginationToken")
            if not token:
                break
        return sorted(users, key=lambda u: u["username"])

    def _describe(self, user: dict[str, Any]) -> dict[str, Any]:
        attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
        username = user["Username"]
        groups = self._cognito.admin_list_groups_for_user(UserPoolId=self._pool, Username=username)
        return {
            "username": username,
            "name": attributes.get("name", ""),
            "email": attributes.get("email", ""),
            "enabled": bool(user.get("Enabled", True)),
            "status": user.get("UserStatus", ""),
            "scopes": sorted(
                g["GroupName"] for g in groups.get("Groups", []) if Scope.parse(g["GroupName"])
            ),
        }

    def invite(self, username: str, name: str, email: str, scopes: list[Scope]) -> dict[str, Any]:
        password = temporary_password()
        try:
            self._cognito.admin_create_user(
                UserPoolId=self._pool,
                Username=username,
                TemporaryPassword=password,
                UserAttributes=[
                    {"Name": "name", "Value": name},
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                ],
                # In AWS Cognito emails the invitation with the temporary password.
                **({} if self._send else {"MessageAction": "SUPPRESS"}),
                DesiredDeliveryMediums=["EMAIL"],
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "UsernameExistsException":
                raise Conflict(
                    "A staff member with this username exists.", "username_taken"
                ) from error
            raise
        self.set_scopes(username, scopes)
        invited = self.get(username)
        if not self._send:
            invited["temporary_password"] = password  # local stack only: nobody emails it
        return invited

    def get(self, username: str) -> dict[str, Any]:
        try:
            user = self._cognito.admin_get_user(UserPoolId=self._pool, Username=username)
        except ClientError as error:
            if error.response["Error"]["Code"] == "UserNotFoundException":
                raise NotFound("No such staff member.", "not_found") from error
            raise
        user["Attributes"] = user.get("UserAttributes", [])
        return self._describe(user)

    def set_scopes(self, username: str, scopes: list[Scope]) -> dict[str, Any]:
        current = set(self.get(username)["scopes"])
        wanted = {str(s) for s in scopes}
        for group in wanted - current:
            self._ensure_group(group)
            self._cognito.admin_add_user_to_group(
                UserPoolId=self._pool, Username=username, GroupName=group
            )
        for group in current - wanted:
            self._cognito.admin_remove_user_from_group(
                UserPoolId=self._pool, Username=username, GroupName=group
            )
        # Tokens issued before carry the old groups until they expire: sign the user out.
        self._cognito.admin_user_global_sign_out(UserPoolId=self._pool, Username=username)
        return self.get(username)

    def set_enabled(self, username: str, enabled: bool) -> dict[str, Any]:
        self.get(username)
        if enabled:
            self._cognito.admin_enable_user(UserPoolId=self._pool, Username=username)
        else:
            self._cognito.admin_disable_user(UserPoolId=self._pool, Username=username)
            self._cognito.admin_user_global_sign_out(UserPoolId=self._pool, Username=username)
        return self.get(username)

    def _ensure_group(self, group: str) -> None:
        try:
            self._cognito.create_group(UserPoolId=self._pool, GroupName=group)
        except ClientError as error:
            if error.response["Error"]["Code"] != "GroupExistsException":
                raise
