"""
Schemathesis against the live API (a real server thread, pytest-django's live_server), from the
OpenAPI document the API serves: generated requests, valid (positive) and not (negative), for every
operation. No answer may be a 5xx, every answer must conform to the document (status, content type,
headers, body), and invalid requests must be refused. Modest example counts keep it well under two
minutes, in the normal suite (so CI runs it). Each operation's strategy is driven by Hypothesis here
rather than by schemathesis's pytest plugin, whose lazy fixture loader does not run under pytest 9.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from dialogue import services

from .factories import make_comment, make_statement, make_user

EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 15}


@pytest.fixture
def live_api(live_server, settings, moderator):
    # Generated requests come from one address, as fast as they can: the limit is tested elsewhere.
    settings.API_RATE_LIMIT_ANONYMOUS = (1_000_000, 3600)
    settings.COMMENT_RATE_LIMIT = (1000, 600)
    statement = make_statement(slug="schemathesis-statement")
    author = make_user(country="CA", sector="business", organisation="Acme Freight")
    comments = [make_comment(statement, author=author, approve_by=moderator) for _ in range(3)]
    services.response_post(comment=comments[0], moderator=moderator, government="CA", body="Merci.", language="fr")
    make_comment(statement, author=author, parent=comments[0], approve_by=moderator)
    return live_server.url


# serialized_rollback: the groups the migrations create (moderators) are there for each run.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("mode", list(EXAMPLES))
def test_the_live_api_conforms_to_its_openapi_document(live_api, mode):
    schema = schemathesis.openapi.from_url(f"{live_api}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 7
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES[mode],
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case):
            # Every check but one: a generated `cursor` fits the schema's shape yet is not one the API gave
            # (it is opaque), and 400 is the right answer to it, which "positive data acceptance" counts as a failure.
            case.call_and_validate(base_url=live_api, excluded_checks=[positive_data_acceptance])

        try:
            conforms()
        except Exception as error:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert failures == []
