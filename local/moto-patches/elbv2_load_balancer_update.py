"""
PATCH of moto (labelled; see docs/moto.md #23). moto 5.2's CloudFormation cannot update an
`AWS::ElasticLoadBalancingV2::LoadBalancer`: FakeLoadBalancer has no update_from_cloudformation_json,
so when an update touches the load balancer moto stores None in its place, and every later step
that reads the stack's resources fails ("'NoneType' object has no attribute 'arn'" in the
listener's update, "... 'logical_resource_id'" in DescribeStackResource; a 500 with an HTML body,
which the SDK reports as "XML parse error"). templates/app-slots.yaml's load balancer references
AccessLogsBucket, and moto counts a parameter as changed when the stack was created without it
and a change set keeps it (UsePreviousValue), so a slots file without that line broke every step.
AWS updates these properties in place.

What it changes: an update of a CloudFormation load balancer keeps the existing one (same ARN,
DNS name, listeners). moto applies no LoadBalancerAttributes from a template on create either,
so nothing else changes. Everything else is moto's own code.
What it does not: replace the load balancer when a property AWS replaces it for changes (Name,
Scheme, Type), which no template of this project changes on a live stack.

test/integration/moto-patches.test.ts fails as soon as moto updates a load balancer itself: then
delete this file and its import in serve.py.
"""
from typing import Any

from moto.elbv2.models import FakeLoadBalancer


def update_from_cloudformation_json(cls: type[FakeLoadBalancer], original_resource: FakeLoadBalancer, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> FakeLoadBalancer:
    return original_resource


MOTO_UPDATES_LOAD_BALANCERS = not getattr(FakeLoadBalancer.update_from_cloudformation_json, "__isabstractmethod__", False)
if not MOTO_UPDATES_LOAD_BALANCERS:
    FakeLoadBalancer.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)  # type: ignore[method-assign,assignment]
