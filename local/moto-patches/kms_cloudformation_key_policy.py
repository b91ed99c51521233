"""
PATCH of moto (labelled; one of the project's moto patches, see docs/moto.md #26 and docs/local.md).
moto 5.2 stores the KeyPolicy of an AWS::KMS::Key made by CloudFormation as the template's object,
where KMS stores the policy document as JSON text; the key's own DescribeKey (and any call that
reads the policy) then fails with HTTP 500 (TypeError in moto's kms/policy_validator.py), and
GetKeyPolicy answers an object instead of a string. moto also keeps the null an `Fn::If` ...
`AWS::NoValue` leaves in the Statement list, which CloudFormation drops. The image pipeline's
AmiKey and the copy account's AmiCopyKey are such keys, and the promotion describes them.

What it models: a key from CloudFormation gets its KeyPolicy as JSON text, without the statements
AWS::NoValue removed. What it does not: any evaluation of the policy beyond what moto already does
(moto checks only for a Deny statement on kms:DescribeKey), nor the key's Tags (moto's KMS reads
CloudFormation's tags as TagKey/TagValue and fails; the templates give their keys none).

test/integration/moto-patches.test.ts fails as soon as moto describes such a key itself: then
delete this file and its import in serve.py.
"""
import json
from typing import Any

from moto.kms.models import Key

_moto_create_from_cloudformation_json = Key.create_from_cloudformation_json.__func__


def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any) -> Key:
    properties = cloudformation_json["Properties"]
    policy = properties.get("KeyPolicy")
    if isinstance(policy, dict):
        statements = [s for s in policy.get("Statement", []) if s is not None]
        properties = {**properties, "KeyPolicy": json.dumps({**policy, "Statement": statements})}
        cloudformation_json = {**cloudformation_json, "Properties": properties}
    return _moto_create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


Key.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
