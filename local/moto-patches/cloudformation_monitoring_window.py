"""
PATCH of moto (labelled; see docs/moto.md #22). moto 5.2.5 finishes an update inside the
ExecuteChangeSet call: it ignores a change set's RollbackConfiguration, deletes a replaced Auto
Scaling group before it creates the new one, reports UPDATE_COMPLETE at once, and has no
CancelUpdateStack (HTTP 500). On AWS an update with MonitoringTimeInMinutes stays
UPDATE_IN_PROGRESS for that window after its resources are updated, with the old group still
there (AutoScalingReplacingUpdate deletes it in the cleanup, after the window), and
CancelUpdateStack in that window rolls the stack back to its previous template and parameters,
old group included. The replace strategy verifies green inside that window and cancels on a
failed verdict, so the local path needs both.

What it changes, only for an executed UPDATE change set whose MonitoringTimeInMinutes is above 0:
  (1) CreateChangeSet remembers the change set's MonitoringTimeInMinutes;
  (2) ExecuteChangeSet applies the change set with moto's own code, except that a replaced Auto
      Scaling group is not deleted, and leaves the stack UPDATE_IN_PROGRESS until the window ends
      (wall-clock minutes on this server), its resources UPDATE_COMPLETE meanwhile (moto reports
      every resource with the stack's own status);
  (3) the first CloudFormation call after the window ends runs the cleanup: the old groups are
      deleted (moto's own delete), then UPDATE_COMPLETE_CLEANUP_IN_PROGRESS and UPDATE_COMPLETE;
  (4) CancelUpdateStack inside the window rolls back with moto's own update to the previous
      template and parameters, where a replaced group is the old one again (the new one deleted),
      then UPDATE_ROLLBACK_COMPLETE (UPDATE_ROLLBACK_FAILED with the reason if moto's update
      raises); outside a window it answers ValidationError as AWS does.
What it does not: watch the rollback triggers' alarms (an alarm in ALARM does not roll back here),
defer the removal of resources the update removes, deregister the deleted groups' instances from
their target groups (docs/moto.md #6), or change anything for a change set without a window.

test/integration/moto-patches.test.ts fails as soon as moto has CancelUpdateStack or reads a
change set's RollbackConfiguration: then check moto's own behaviour and delete this file and its
import in serve.py.
"""
import threading
import time
from typing import Any

from moto.autoscaling.models import FakeAutoScalingGroup
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import ChangeSet, CloudFormationBackend, Stack
from moto.cloudformation.responses import CloudFormationResponse, StackResourceDTO
from moto.core.responses import EmptyResult

_moto_create_change_set_response = CloudFormationResponse.create_change_set
_moto_create_change_set = CloudFormationBackend.create_change_set
_moto_execute_change_set = CloudFormationBackend.execute_change_set
_moto_call_action = CloudFormationResponse.call_action
_moto_resource_dto = StackResourceDTO.__init__
_moto_replace_group = FakeAutoScalingGroup.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]

_lock = threading.RLock()
_request = threading.local()
# While a windowed change set is applied ("forward") or cancelled ("rollback"): (direction, window).
_group_mode = threading.local()


class _Window:
    """One update held in its monitoring window: what a cancel restores, and what the cleanup deletes."""

    def __init__(self, stack: Stack, change_set: ChangeSet, minutes: int):
        self.stack = stack
        self.change_set = change_set
        self.ends_at = time.time() + minutes * 60
        self.previous_template = stack.template
        self.previous_parameters = dict(stack.parameters)
        self.previous_input_parameters = dict(stack.resource_map.input_parameters or {})
        self.previous_template_dict = stack.resource_map._template
        # New group name -> the old group it replaced (kept until the cleanup).
        self.replaced: dict[str, FakeAutoScalingGroup] = {}


_windows: dict[str, _Window] = {}


def create_change_set_response(self: CloudFormationResponse) -> Any:
    rollback = self._get_param("RollbackConfiguration") or {}
    _request.monitoring_minutes = int(rollback.get("MonitoringTimeInMinutes") or 0) if isinstance(rollback, dict) else 0
    try:
        return _moto_create_change_set_response(self)
    finally:
        _request.monitoring_minutes = 0


def create_change_set(self: CloudFormationBackend, *args: Any, **kwargs: Any) -> Any:
    change_set_id, stack_id = _moto_create_change_set(self, *args, **kwargs)
    self.change_sets[change_set_id].monitoring_minutes = getattr(_request, "monitoring_minutes", 0)
    return change_set_id, stack_id


def _replace_group(cls: type, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> Any:
    mode = getattr(_group_mode, "value", None)
    if mode is None:
        return _moto_replace_group(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
    direction, window = mode
    if direction == "forward":
        # The new group beside the old one, as AutoScalingReplacingUpdate does; the old one goes in the cleanup.
        group = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        window.replaced[group.name] = original_resource
        return group
    # Rollback: the old group is the resource again; the new one goes.
    old = window.replaced.get(original_resource.name)
    if old is None:
        return _moto_replace_group(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
    cls.delete_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)
    return old


def execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
    change_set = self.change_sets.get(change_set_name) or next((c for c in self.change_sets.values() if c.change_set_name == change_set_name), None)
    minutes = getattr(change_set, "monitoring_minutes", 0) if change_set is not None else 0
    if change_set is None or change_set.change_set_type != "UPDATE" or minutes <= 0:
        return _moto_execute_change_set(self, change_set_name, stack_name)
    stack = self.stacks[change_set.stack_id]
    window = _Window(stack, change_set, minutes)
    # moto's UPDATE branch of execute_change_set, minus the end: the stack stays in the window.
    stack._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
    _group_mode.value = ("forward", window)
    try:
        change_set.apply()
    finally:
        _group_mode.value = None
    stack.template = change_set.template
    stack.status = "UPDATE_IN_PROGRESS"
    change_set.execution_status = "EXECUTE_IN_PROGRESS"
    with _lock:
        _windows[stack.stack_id] = window


def _end_due_windows() -> None:
    with _lock:
        due = [w for w in _windows.values() if w.ends_at <= time.time()]
        for window in due:
            del _windows[window.stack.stack_id]
            if window.stack.status != "UPDATE_IN_PROGRESS":
                continue  # deleted or otherwise moved on meanwhile
            for old in window.replaced.values():
                FakeAutoScalingGroup.delete_from_cloudformation_json(old.name, {}, window.stack.account_id, window.stack.region_name)
            window.stack._add_stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
            window.stack._add_stack_event("UPDATE_COMPLETE")
            window.stack.status = "UPDATE_COMPLETE"
            window.change_set.execution_status = "EXECUTE_COMPLETE"


def resource_dto(self: StackResourceDTO, stack: Stack, resource: Any) -> None:
    _moto_resource_dto(self, stack, resource)
    # In the window every resource of the update is done; only the stack waits (and its cleanup).
    if stack.stack_id in _windows and stack.status == "UPDATE_IN_PROGRESS":
        self.resource_status = "UPDATE_COMPLETE"


def call_action(self: CloudFormationResponse) -> Any:
    _end_due_windows()
    return _moto_call_action(self)


def cancel_update_stack(self: CloudFormationResponse) -> Any:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    with _lock:
        window = _windows.get(stack.stack_id)
        if window is None or stack.status != "UPDATE_IN_PROGRESS":
            raise ValidationError(message="CancelUpdateStack cannot be called from current stack status")
        del _windows[stack.stack_id]
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason="Stack update cancelled")
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    _group_mode.value = ("rollback", window)
    try:
        stack.resource_map.update(window.previous_template_dict, window.previous_input_parameters)
    except Exception as error:  # moto's own update failed: AWS would leave the stack here too
        stack._add_stack_event("UPDATE_ROLLBACK_FAILED", resource_status_reason=f"{type(error).__name__}: {error}")
        stack.status = "UPDATE_ROLLBACK_FAILED"
        return EmptyResult()
    finally:
        _group_mode.value = None
    stack.template = window.previous_template
    stack.parameters = window.previous_parameters
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    # AWS lists no executed change set, whatever the outcome; moto keeps executed ones as EXECUTE_COMPLETE.
    window.change_set.execution_status = "EXECUTE_COMPLETE"
    return EmptyResult()


CloudFormationResponse.create_change_set = create_change_set_response
CloudFormationBackend.create_change_set = create_change_set
CloudFormationBackend.execute_change_set = execute_change_set
FakeAutoScalingGroup.update_from_cloudformation_json = classmethod(_replace_group)  # type: ignore[assignment]
CloudFormationResponse.call_action = call_action
StackResourceDTO.__init__ = resource_dto  # type: ignore[method-assign]
CloudFormationResponse.cancel_update_stack = cancel_update_stack
