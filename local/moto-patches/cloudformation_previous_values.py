"""
PATCH of moto (labelled; see docs/moto.md #12 and docs/local.md). moto 5.2's CreateChangeSet
resolves a `UsePreviousValue` parameter from the stack's *resolved* parameters, where a `Number`
parameter is already an int (2), while the stack's own input parameters keep the string it was
given ("2"). Executing the change set then compares the two, finds every Number parameter
"changed", and replaces every resource that references one. For templates/app-slots.yaml that
means a weight-only change set (the canary step, a failback flip) deletes and rebuilds both slots'
Auto Scaling groups, which AWS never does: it changes only the listener.

The same comparison has a second half (docs/moto.md #15): ExecuteChangeSet never records the
parameters it applied as the stack's own (UpdateStack does), so the next change set is compared
with the creation-time values, and a change set back to them (a failback to the first AMI) is
judged "no changes" and not executed. Typed previous values used to hide that by never comparing
equal; once they do, #15 must go too.

What it changes: (1) in CreateChangeSet, a value that came back typed from the stack's resolved
parameters (not a str, and equal to the resolved value) is replaced by the string the stack was
given for that key, so an unchanged parameter compares equal; (2) an executed UPDATE change set's
parameters become the stack's own, as UpdateStack does. Everything else is moto's own code.
What it does not: touch change sets whose values were all given explicitly, or stack creation.

test/integration/moto-patches.test.ts fails as soon as moto does either itself: then delete the
half it no longer needs (both: this file and its import in serve.py).
"""
from typing import Any

from moto.cloudformation.models import ChangeSet, CloudFormationBackend

_moto_create_change_set = CloudFormationBackend.create_change_set
_moto_apply = ChangeSet.apply


def _as_given(backend: CloudFormationBackend, stack_name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    stack = next((s for s in backend.stacks.values() if stack_name in (s.name, s.stack_id)), None)
    if stack is None:
        return parameters
    given = stack.resource_map.input_parameters or {}
    resolved = stack.resource_map.resolved_parameters
    return {
        key: (given[key] if not isinstance(value, str) and key in given and resolved.get(key) == value else value)
        for key, value in parameters.items()
    }


def create_change_set(self: CloudFormationBackend, stack_name: str, change_set_name: str, template: str, parameters: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    return _moto_create_change_set(self, stack_name, change_set_name, template, _as_given(self, stack_name, parameters), *args, **kwargs)


def apply(self: ChangeSet) -> None:
    _moto_apply(self)
    if self.change_set_type == "UPDATE" and self.parameters:
        self.stack.parameters = self.parameters


CloudFormationBackend.create_change_set = create_change_set
ChangeSet.apply = apply
