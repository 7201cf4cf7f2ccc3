from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator

from tests.oidc_provider.users import read_users


class ClaimsValidator(OAuth2Validator):
    """Claims from users.json, read afresh each time so that a test can change them."""

    # Every claim whatever the scopes (groups and teams belong to no standard scope).
    oidc_claim_scope = None

    def get_additional_claims(self, request):
        user = read_users(settings.WORKDIR)[request.user.get_username()]
        return {
            "email": user["email"],
            "email_verified": user["email_verified"],
            "given_name": user.get("given_name", ""),
            "family_name": user.get("family_name", ""),
            "groups": user.get("groups", []),
            "teams": user.get("teams", []),
        }
