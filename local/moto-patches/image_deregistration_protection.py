"""
PATCH of moto (labelled; one of the project's moto patches, see docs/local.md). moto 5.2 implements
neither EnableImageDeregistrationProtection nor DisableImageDeregistrationProtection, although
botocore models both, and its DescribeImages never reports DeregistrationProtection. The AMI
lifecycle job turns protection on for every AMI git can still fail back to; without this patch
`make cycle` could not show that it did.

What it models: the per-AMI flag as AWS reports it ("disabled", "enabled",
"enabled-with-cooldown"), set and cleared by the two operations, returned by DescribeImages.
What it does not: the 24-hour cooldown, and DeregisterImage refusing a protected AMI (moto still
deregisters it). Those are proved only on AWS.

test/integration/moto-patches.test.ts fails as soon as moto implements the operations itself:
then delete this file and its import in serve.py.
"""
from moto.core.responses import ActionResult
from moto.ec2.models.amis import Ami
from moto.ec2.responses.amis import AmisResponse

MOTO_IMPLEMENTS_IT = hasattr(AmisResponse, "enable_image_deregistration_protection")


def _set(response: AmisResponse, value: str) -> ActionResult:
    ami_id = response._get_param("ImageId")
    response.error_on_dryrun()
    ami = response.ec2_backend.describe_images(ami_ids=[ami_id])[0]
    ami.deregistration_protection = value
    return ActionResult({"Return": value})


def enable_image_deregistration_protection(self: AmisResponse) -> ActionResult:
    return _set(self, "enabled-with-cooldown" if self._get_bool_param("WithCooldown", False) else "enabled")


def disable_image_deregistration_protection(self: AmisResponse) -> ActionResult:
    return _set(self, "disabled")


if not MOTO_IMPLEMENTS_IT:
    Ami.deregistration_protection = "disabled"
    AmisResponse.enable_image_deregistration_protection = enable_image_deregistration_protection
    AmisResponse.disable_image_deregistration_protection = disable_image_deregistration_protection
