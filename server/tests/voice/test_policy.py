"""The conversation policy both paths follow (services/voice/policy.py): pure, so every rule is
checked here without a call; test_conversation.py and stream/test_agent_features.py check
that each path carries the directive out."""
from __future__ import annotations

import pytest

from server.services.voice import policy
from server.services.voice.policy import Action, Directive, Reason
from server.services.voice.prompts import SAY_GOODBYE, SAY_TURN_LIMIT


@pytest.mark.parametrize("digits, expected", [
    ("0", Directive(Action.TRANSFER, Reason.KEY)),
    ("#", Directive(Action.HANGUP, Reason.KEY, closing=SAY_GOODBYE)),
    (" # ", Directive(Action.HANGUP, Reason.KEY, closing=SAY_GOODBYE)),
    ("hangup", Directive(Action.HANGUP, Reason.KEY, closing=SAY_GOODBYE)),  # hung up during <Record>
    ("*", None), ("5", None), ("", None), (None, None),
])
def test_keys(digits, expected):
    assert policy.on_key(digits) == expected


@pytest.mark.parametrize("intents, number, end, replied, expected", [
    (["hours"], 1, False, True, None),
    (["goodbye"], 1, False, True, Directive(Action.HANGUP, Reason.FAREWELL)),
    (["greeting", "goodbye"], 1, False, True, Directive(Action.HANGUP, Reason.FAREWELL)),
    (["goodbye", "hours"], 1, False, True, None),  # a goodbye with a question is not a farewell
    (["goodbye"], 1, False, False, Directive(Action.HANGUP, Reason.FAREWELL, closing=SAY_GOODBYE)),
    (["hours"], 1, True, True, Directive(Action.HANGUP, Reason.KEY, closing=SAY_GOODBYE)),
    (["goodbye"], 1, True, True, Directive(Action.HANGUP, Reason.KEY)),
    (["hours"], 3, False, True, Directive(Action.HANGUP, Reason.TURN_LIMIT, closing=SAY_TURN_LIMIT)),
    (["goodbye"], 3, False, True, Directive(Action.HANGUP, Reason.FAREWELL)),  # the caller's goodbye wins
    (["human", "transfer"], 3, True, True, Directive(Action.TRANSFER, Reason.SPEECH)),  # a person first
])
def test_after_a_turn(intents, number, end, replied, expected):
    assert policy.after_turn(intents, number, 3, end_requested=end, replied=replied) == expected


def test_the_turn_limit_is_the_business_then_the_deployment_then_ten():
    assert policy.turn_limit({"turn_limit": 4}, 7) == 4
    assert policy.turn_limit({}, 7) == 7
    assert policy.turn_limit(None) == policy.DEFAULT_TURN_LIMIT == 10


def test_a_stream_stores_the_next_step_in_the_shape_connect_action_reads():
    assert Directive(Action.HANGUP, Reason.FAREWELL).next_step() == "hangup"
    assert Directive(Action.HANGUP, Reason.TURN_LIMIT, SAY_TURN_LIMIT).next_step() == {
        "type": "hangup", "closing": SAY_TURN_LIMIT}
    assert Directive(Action.TRANSFER, Reason.KEY).next_step() == {"type": "transfer", "via": "key"}


def _imports(module) -> set[str]:
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(module))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    return imported | {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}


def test_the_policy_is_pure():
    from server.schemas import settings
    imported = _imports(policy)
    # the typed settings (schemas/settings.py) are pure too: pydantic, the error codes, the prompts
    assert imported <= {"__future__", "dataclasses", "enum", "server.services.voice.prompts",
                        "server.schemas.settings"}, imported
    assert not {name for name in _imports(settings) if name.split(".")[0] in ("flask", "sqlalchemy")
                or name in ("server.extensions", "server.models")}
