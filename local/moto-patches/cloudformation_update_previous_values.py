"""
PATCH of moto (labelled; see docs/moto.md #27). moto 5.2.5's UpdateStack resolves a
`UsePreviousValue` parameter from the parameters the stack was *given* (at its creation or its
last update), so a parameter that took its template Default (never given) is a KeyError and the
call answers HTTP 500. AWS reuses the stack's current value, given or defaulted. The slots deploy's
weight-only steps are such updates (UsePreviousTemplate, the weights given, every other parameter
UsePreviousValue), and parameters files may leave defaulted parameters out.

What it changes, only in UpdateStack: a UsePreviousValue key the stack was never given resolves to
the stack's current (defaulted) value, as a string, and that value is recorded as given before the
update, so moto's diff sees it unchanged and touches no resource for it (AWS compares the values).
What it does not: anything for keys the stack was given (moto's own code), change sets, or
ClientRequestToken and RollbackConfiguration (moto accepts and ignores both; their handling is
unit-tested).

test/integration/moto-patches.test.ts fails as soon as moto resolves such a key itself: then
delete this file and its import in serve.py.
"""
from typing import Any

from moto.cloudformation.models import CloudFormationBackend

_moto_update_stack = CloudFormationBackend.update_stack


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def update_stack(self: CloudFormationBackend, name: str, template: str, role_arn: Any, parameters: list[dict[str, Any]], tags: Any) -> Any:
    stack = self.get_stack(name)
    given = stack.parameters
    resolved = stack.resource_map.resolved_parameters
    for parameter in parameters:
        key = parameter.get("ParameterKey")
        if parameter.get("UsePreviousValue") and key not in given and key in resolved:
            value = _as_text(resolved[key])
            given[key] = value
            stack.resource_map.input_parameters = {**(stack.resource_map.input_parameters or {}), key: value}
    return _moto_update_stack(self, name, template, role_arn, parameters, tags)


CloudFormationBackend.update_stack = update_stack
