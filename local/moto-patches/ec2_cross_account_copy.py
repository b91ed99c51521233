"""
PATCH of moto (labelled; one of the project's moto patches, see docs/moto.md #20 and docs/local.md).
moto 5.2's CopyImage looks the source AMI up in the copying account only
(`ec2_backends[self.account_id][source_region]` in AmiBackend.copy_image), so a copy of an AMI
that another account shared fails with InvalidAMIID.NotFound whatever its launch permissions say.
EC2 copies an AMI of another account when the copying account may launch it and may create
volumes from each of its EBS snapshots; a promotion into another account depends on exactly that.

What it models: when the source AMI is not in the copying account, CopyImage finds it in the
source region of the account that owns it, and copies it only if that AMI grants launch
permission to the copying account (or is public) and its snapshot grants create-volume permission
to it (or is public). An AMI not shared is InvalidAMIID.NotFound (moto's own error, what EC2 says
of an image the account may not see); an AMI shared without its snapshot is refused with
AuthFailure. A copy within one account is moto's own code, unchanged.
What it does not: encrypted snapshots and KMS grants, the copy's `pending` state (moto's copies
are `available` at once), and checking permissions again while a copy runs. Those are proved on
AWS only.

test/integration/moto-patches.test.ts fails as soon as moto copies a shared AMI itself: then
delete this file and its import in serve.py.
"""
from typing import Any

from moto.ec2.exceptions import EC2ClientError, InvalidAMIIdError
from moto.ec2.models.amis import AmiBackend

_moto_copy_image = AmiBackend.copy_image


def _grants(permissions: list, account: str) -> bool:
    return {"Group": "all"} in permissions or {"UserId": account} in permissions


def _shared_source(backend: AmiBackend, source_image_id: str, source_region: str):
    from moto.ec2.models import ec2_backends

    for account, regions in ec2_backends.items():
        if account == backend.account_id or source_region not in regions:
            continue
        ami = regions[source_region].amis.get(source_image_id)
        if ami is not None:
            return ami
    return None


def copy_image(self: AmiBackend, source_image_id: str, source_region: str, name: Any = None, description: Any = None):
    try:
        return _moto_copy_image(self, source_image_id, source_region, name=name, description=description)
    except InvalidAMIIdError:
        source = _shared_source(self, source_image_id, source_region)
        if source is None or not _grants(source.launch_permissions, self.account_id):
            raise
    snapshot = source.ebs_snapshot
    if not ("all" in snapshot.create_volume_permission_groups or self.account_id in snapshot.create_volume_permission_userids):
        raise EC2ClientError(
            "AuthFailure",
            f"Not authorized for snapshot {snapshot.id} of image {source_image_id}: account {self.account_id} has no create-volume permission on it",
        )
    # moto's own copy, with the shared source found in its owner's account.
    from moto.ec2.models.amis import Ami
    from moto.ec2.utils import random_ami_id

    ami_id = random_ami_id()
    ami = Ami(self, ami_id, instance=None, source_ami=source, name=name, description=description)
    self.amis[ami_id] = ami
    return ami


AmiBackend.copy_image = copy_image
