"""
PATCH of moto (labelled; see docs/moto.md #12 and docs/local.md). moto 5.2's CloudFormation
`AWS::ElasticLoadBalancingV2::Listener` rewrites every `forward` default action to
{"Type", "TargetGroupArn"}, so a weighted `ForwardConfig` action (templates/app-slots.yaml's
listener) fails the stack with KeyError 'TargetGroupArn'. moto's own CreateListener and
ModifyListener keep ForwardConfig and its weights; only the CloudFormation conversion drops it.

What it changes: a `forward` default action that carries ForwardConfig and no TargetGroupArn is
passed through as written, exactly as moto already does for every other action type, on stack
creation and update alike. Everything else is moto's own code.
What it does not: validate the weights (AWS allows 0-999 per group and refuses all-zero), which
the project's parameters validation checks before any AWS call.

test/integration/moto-patches.test.ts fails as soon as moto converts ForwardConfig itself: then
delete this file and its import in serve.py.
"""
from typing import Any

from moto.elbv2.models import ELBv2Backend

_moto_convert = ELBv2Backend.convert_and_validate_properties


def _is_weighted_forward(action: dict[str, Any]) -> bool:
    return action.get("Type") == "forward" and "ForwardConfig" in action and "TargetGroupArn" not in action


def convert_and_validate_properties(self: ELBv2Backend, properties: dict[str, Any]) -> list[dict[str, Any]]:
    actions = properties["DefaultActions"]
    if not any(_is_weighted_forward(a) for a in actions):
        return _moto_convert(self, properties)
    others = [a for a in actions if not _is_weighted_forward(a)]
    converted = iter(_moto_convert(self, {**properties, "DefaultActions": others}) if others else [])
    return [a if _is_weighted_forward(a) else next(converted) for a in actions]


ELBv2Backend.convert_and_validate_properties = convert_and_validate_properties
