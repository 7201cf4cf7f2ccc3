"""Every operation documents the problem responses it can give (RFC 9457)."""

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Invalid input: field name -> messages (the pages' messages).",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail"],
}
DESCRIPTIONS = {
    "400": "Invalid input: `errors` names each field's problems.",
    "401": "No credentials, or a token that is unknown, revoked or expired.",
    "403": "Not allowed: a read-only token writing, a role without the right, or results "
    "that the privacy policy does not release (the reason is in `detail`).",
    "404": "No such object, or one you may not know exists.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "415": "Unsupported media type.",
    "429": "Too many requests for this token; see Retry-After.",
}
READ = ["401", "403", "404", "405", "406", "429"]
WRITE = [*READ, "400", "415"]


def add_problem_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM
    ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            codes = READ if method == "get" else WRITE
            if "parameters" in operation and method == "get":
                codes = [*codes, "400"]
            for code in codes:
                operation["responses"].setdefault(
                    code,
                    {
                        "description": DESCRIPTIONS[code],
                        "content": {"application/problem+json": {"schema": ref}},
                    },
                )
    return result
