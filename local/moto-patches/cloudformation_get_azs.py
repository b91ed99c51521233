"""
PATCH of moto (labelled; one of the project's moto patches, see docs/moto.md #21 and docs/local.md).
moto 5.2's CloudFormation answers `Fn::GetAZs ''` (and `Fn::GetAZs !Ref AWS::Region`) with the
zones of us-east-1 in every region (`resource_json.get("Fn::GetAZs") or DEFAULT_REGION` in
parsing.clean_json), so templates/network.yaml's subnets in a stack of another region ask EC2 for
us-east-1a and the stack fails. AWS answers the stack's own region's zones. Local mode runs prod
in another region than dev, so its network stack depends on exactly that.

What it models: an empty region (or the stack's own region through a Ref to AWS::Region) means
the stack's region, and the answer is `<region>a` … `<region>d`, the form moto already uses for
a named region. What it does not: the zones an account really has in a region (their number and
names differ per account on AWS), or zones that are impaired or opt-in. A named region is moto's
own code, unchanged.

test/integration/moto-patches.test.ts fails as soon as moto answers the stack's own region
itself: then delete this file and its import in serve.py.
"""
from typing import Any

from moto.cloudformation import parsing

_moto_clean_json = parsing.clean_json


def _clean_json(resource_json: Any, resources_map: Any) -> Any:
    if isinstance(resource_json, dict) and "Fn::GetAZs" in resource_json:
        region = _moto_clean_json(resource_json["Fn::GetAZs"], resources_map) or resources_map._region_name
        return [f"{region}{zone}" for zone in ("a", "b", "c", "d")]
    return _moto_clean_json(resource_json, resources_map)


# clean_json calls itself through the module's global name, so nested GetAZs (inside Select) meet the patch too.
parsing.clean_json = _clean_json
