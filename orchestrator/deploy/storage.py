"""The stack's data stores: the results bucket and, when a task is idempotent, its table.

The bucket holds results too large for a state's 256 KiB, under one prefix per flow (see
`lambdas.results_prefix`); objects expire, since a result matters only until its run is done
and inspected. The table follows the Powertools idempotency layout (hash key `id`, TTL attribute
`expiration`), so `DynamoDBPersistenceLayer(table_name=...)` works with its defaults.
"""

from __future__ import annotations

from typing import Any

from orchestrator.deploy.lambdas import IDEMPOTENCY_TABLE, RESULTS_BUCKET
from orchestrator.settings import ProjectSettings

RESULTS_BUCKET_POLICY = "ResultsBucketPolicy"


def results_bucket(config: ProjectSettings) -> dict[str, dict[str, Any]]:
    bucket = {
        "Type": "AWS::S3::Bucket",
        # Kept when the stack is deleted: CloudFormation cannot delete a bucket that holds
        # objects, and `sam delete` would fail on it. Results expire on their own (lifecycle
        # below); docs/deploy.md says how to remove the bucket for good.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "ExpireResults",
                        "Status": "Enabled",
                        "ExpirationInDays": config.results_expiry_days,
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    }
                ]
            },
        },
    }
    bucket_arn = {"Fn::GetAtt": [RESULTS_BUCKET, "Arn"]}
    policy = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": RESULTS_BUCKET},
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [bucket_arn, {"Fn::Sub": "${" + RESULTS_BUCKET + ".Arn}/*"}],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            },
        },
    }
    return {RESULTS_BUCKET: bucket, RESULTS_BUCKET_POLICY: policy}


def idempotency_table() -> dict[str, dict[str, Any]]:
    table = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "TimeToLiveSpecification": {"AttributeName": "expiration", "Enabled": True},
            "SSESpecification": {"SSEEnabled": True},
        },
    }
    return {IDEMPOTENCY_TABLE: table}
