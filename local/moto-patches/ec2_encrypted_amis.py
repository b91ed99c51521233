"""
PATCH of moto (labelled; one of the project's moto patches, see docs/moto.md #24 and docs/local.md).
moto 5.2 has no encrypted AMI: RegisterImage ignores its BlockDeviceMappings (every AMI gets a
fresh unencrypted 15 GiB snapshot of its own), DescribeImages never reports a mapping's
Encrypted or KmsKeyId, and CopyImage ignores Encrypted and KmsKeyId. A promotion into another
account decides from exactly these whether and how a copy can be made
(actions/lib/promotion/copy-encryption.ts).

What it models:
- RegisterImage with a root mapping that names an existing snapshot of the account
  (BlockDeviceMapping.N.Ebs.SnapshotId for RootDeviceName) makes that snapshot the AMI's, so an
  AMI registered from an encrypted snapshot is encrypted with the snapshot's key.
- DescribeImages reports the snapshot's Encrypted flag and, when encrypted, its KmsKeyId (the key
  ARN), as EC2 does.
- CopyImage with Encrypted=true encrypts the copy's snapshot with KmsKeyId (resolved in the copying
  account's KMS, in the copy's region; an unknown key is NotFoundException at once), or without a
  KmsKeyId with that account's aws/ebs key; a copy of an encrypted source is encrypted even
  without Encrypted, with the source's key in the same account and region, else with the copying
  account's aws/ebs key.
What it does not: key policies and grants (moto's KMS evaluates no policy, so a source key whose
policy does not name the copy role still "works" here; on AWS the copy would end failed), a key
disabled or deleted while a copy runs (EC2 fails the copy later; here an unknown key fails
CopyImage at once), data keys and re-encryption (nothing is encrypted: the flag and the key ARN
are what is modelled), more than the root volume.

test/integration/moto-patches.test.ts fails as soon as moto reports a registered snapshot's
encryption itself: then delete this file and its import in serve.py.
"""
from typing import Any

from moto.ec2.models.amis import Ami
from moto.ec2.responses.amis import AmisResponse

_moto_block_device_mappings = Ami.block_device_mappings.fget
_moto_register_image = AmisResponse.register_image
_moto_copy_image = AmisResponse.copy_image


def _key_of(snapshot: Any) -> Any:
    # moto's CreateSnapshot keeps a volume's Encrypted flag but drops its key: the volume has it.
    return snapshot.kms_key_id or getattr(snapshot.volume, "kms_key_id", None)


def block_device_mappings(self: Ami) -> list:
    mappings = _moto_block_device_mappings(self)
    snapshot = self.ebs_snapshot
    for mapping in mappings:
        mapping["Ebs"]["Encrypted"] = bool(snapshot.encrypted)
        if snapshot.encrypted and _key_of(snapshot):
            mapping["Ebs"]["KmsKeyId"] = _key_of(snapshot)
    return mappings


def _root_snapshot_id(response: AmisResponse) -> Any:
    root = response._get_param("RootDeviceName")
    for mapping in response._get_param("BlockDeviceMappings", []) or []:
        if mapping.get("DeviceName") == root and (mapping.get("Ebs") or {}).get("SnapshotId"):
            return mapping["Ebs"]["SnapshotId"]
    return None


def register_image(self: AmisResponse) -> Any:
    result = _moto_register_image(self)
    snapshot_id = _root_snapshot_id(self)
    if snapshot_id:
        ami = self.ec2_backend.amis[result.result["ImageId"]]
        # moto's own snapshot of the AMI goes; the one the mapping names is the AMI's, key and all.
        self.ec2_backend.snapshots.pop(ami.ebs_snapshot.id, None)
        ami.ebs_snapshot = self.ec2_backend.get_snapshot(snapshot_id)
    return result


def _default_ebs_key(backend: Any) -> str:
    return backend.default_kms_key_id or backend._create_default_encryption_key()


def copy_image(self: AmisResponse) -> Any:
    from moto.ec2.models import ec2_backends
    from moto.kms import kms_backends

    encrypted = str(self._get_param("Encrypted", "false")).lower() == "true"
    key_id = self._get_param("KmsKeyId")
    backend = self.ec2_backend
    key_arn = kms_backends[backend.account_id][backend.region_name].describe_key(key_id).arn if key_id else None
    result = _moto_copy_image(self)
    copy = backend.amis[result.result["ImageId"]]
    source_region = self._get_param("SourceRegion")
    source = None
    for account, regions in ec2_backends.items():
        if source_region in regions and self._get_param("SourceImageId") in regions[source_region].amis:
            source = regions[source_region].amis[self._get_param("SourceImageId")]
            break
    source_snapshot = source.ebs_snapshot if source is not None else None
    if key_arn or encrypted or (source_snapshot is not None and source_snapshot.encrypted):
        copy.ebs_snapshot.encrypted = True
        same_place = source is not None and source.owner_id == backend.account_id and source_region == backend.region_name
        if key_arn:
            copy.ebs_snapshot.kms_key_id = key_arn
        elif same_place and source_snapshot.encrypted:
            copy.ebs_snapshot.kms_key_id = _key_of(source_snapshot)
        else:
            copy.ebs_snapshot.kms_key_id = _default_ebs_key(backend)
    return result


Ami.block_device_mappings = property(block_device_mappings)
AmisResponse.register_image = register_image
AmisResponse.copy_image = copy_image
