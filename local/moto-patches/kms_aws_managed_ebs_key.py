"""
PATCH of moto (labelled; one of the project's moto patches, see docs/moto.md #25 and docs/local.md).
moto 5.2 makes the key behind alias/aws/ebs (EC2's default EBS key, created with the first
encrypted volume) a customer managed key: DescribeKey answers KeyManager CUSTOMER. On AWS it is
the AWS managed key, KeyManager AWS, and the snapshots it encrypts can be used by no other account;
the promotion refuses such an AMI for a copy into another account by exactly that answer
(actions/lib/promotion/copy-encryption.ts).

What it models: the aws/ebs key EC2 creates is KeyManager AWS.
What it does not: the rest of what makes a key AWS managed (its fixed key policy, that no one may
change, disable, schedule the deletion of or share it); other AWS managed keys (aws/s3, ...).

test/integration/moto-patches.test.ts fails as soon as moto answers KeyManager AWS itself: then
delete this file and its import in serve.py.
"""
from moto.ec2.models.elastic_block_store import EBSBackend

_moto_create_default_encryption_key = EBSBackend._create_default_encryption_key


def _create_default_encryption_key(self: EBSBackend) -> str:
    from moto.kms import kms_backends

    arn = _moto_create_default_encryption_key(self)
    kms_backends[self.account_id][self.region_name].describe_key(arn).key_manager = "AWS"
    return arn


EBSBackend._create_default_encryption_key = _create_default_encryption_key
