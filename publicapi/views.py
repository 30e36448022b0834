"""The account page's API keys, and the API's reference page generated from its OpenAPI document."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pagecache.cache import cache_public_page
from safeguards.events import API_KEY_CREATED, API_KEY_REVOKED, security_event
from safeguards.ratelimit import rate_limit

from .api import api
from .forms import ApiKeyForm
from .models import ApiKey


def _keys_page(request, form, *, token=None, status=200):
    keys = ApiKey.objects.filter(owner=request.user)
    limit, seconds = settings.API_RATE_LIMIT_KEY
    anonymous_limit, _seconds = settings.API_RATE_LIMIT_ANONYMOUS
    response = render(
        request,
        "publicapi/keys.html",
        {
            "form": form,
            "keys": keys,
            "token": token,
            "key_limit": limit,
            "anonymous_limit": anonymous_limit,
            "per_hours": seconds // 3600,
            "max_keys": settings.API_KEYS_PER_ACCOUNT,
        },
        status=status,
    )
    # A page that shows a key once must not be kept by any cache or the browser's history.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("api-key-create", "API_KEY_CREATE_RATE_LIMIT", per_user=True, methods=("POST",))
def keys(request):
    """Create a key (shown once), see each key's use, revoke one."""
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if ApiKey.objects.active().filter(owner=request.user).count() >= settings.API_KEYS_PER_ACCOUNT:
            form.add_error(
                None, _("You have %(count)d keys: revoke one first.") % {"count": settings.API_KEYS_PER_ACCOUNT}
            )
            return _keys_page(request, form, status=400)
        with transaction.atomic():
            key, token = ApiKey.generate(owner=request.user, name=form.cleaned_data["name"])
        security_event(API_KEY_CREATED, user=request.user, key_id=key.pk)
        return _keys_page(request, ApiKeyForm(), token=token)
    return _keys_page(request, form, status=400 if form.is_bound else 200)


@login_required
@require_POST
def revoke(request, pk):
    key = get_object_or_404(ApiKey.objects.active(), pk=pk, owner=request.user)
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    security_event(API_KEY_REVOKED, user=request.user, key_id=key.pk)
    messages.success(request, _("The key “%(name)s” is revoked: it no longer works.") % {"name": key.name})
    return redirect("publicapi:keys")


def _schema_type(schema: dict, components: dict) -> str:
    """A JSON Schema as a short phrase: "string", "integer", "one of: en, fr, es", "Comment", "list of …"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "enum" in schema:
        return "one of: " + ", ".join(str(value) for value in schema["enum"])
    if "anyOf" in schema:
        kinds = [_schema_type(option, components) for option in schema["anyOf"] if option.get("type") != "null"]
        return " or ".join(kinds) + (" or null" if any(o.get("type") == "null" for o in schema["anyOf"]) else "")
    if schema.get("type") == "array":
        return "list of " + _schema_type(schema.get("items", {}), components)
    kind = schema.get("type", "any")
    return f"{kind} ({schema['format']})" if "format" in schema else kind


@cache_public_page
def reference(request):
    """The API's reference, generated from the same OpenAPI document /api/v1/openapi.json serves."""
    document = api.get_openapi_schema(path_prefix="/api/v1/")
    components = document.get("components", {}).get("schemas", {})
    operations = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            parameters = [
                {
                    "name": parameter["name"],
                    "where": parameter["in"],
                    "required": parameter.get("required", False),
                    "type": _schema_type(parameter.get("schema", {}), components),
                    "description": parameter.get("description") or parameter.get("schema", {}).get("description", ""),
                }
                for parameter in operation.get("parameters", [])
            ]
            responses = [
                {
                    "status": status,
                    "description": response.get("description", ""),
                    "type": next(
                        (
                            _schema_type(body.get("schema", {}), components)
                            for body in response.get("content", {}).values()
                        ),
                        "",
                    ),
                }
                for status, response in operation.get("responses", {}).items()
            ]
            operations.append(
                {
                    "id": operation.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": parameters,
                    "responses": responses,
                }
            )
    schemas = [
        {
            "name": name,
            "fields": [
                {
                    "name": field,
                    "type": _schema_type(spec, components),
                    "required": field in schema.get("required", []),
                    "description": spec.get("description", ""),
                }
                for field, spec in schema.get("properties", {}).items()
            ],
        }
        for name, schema in sorted(components.items())
    ]
    anonymous_limit, seconds = settings.API_RATE_LIMIT_ANONYMOUS
    key_limit, _seconds = settings.API_RATE_LIMIT_KEY
    return render(
        request,
        "publicapi/reference.html",
        {
            "document": document,
            "operations": operations,
            "schemas": schemas,
            "anonymous_limit": anonymous_limit,
            "key_limit": key_limit,
            "per_hours": seconds // 3600,
        },
    )
