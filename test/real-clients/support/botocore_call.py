"""Calls STS GetCallerIdentity at ENDPOINT (argv[1]) with botocore, the library under the kubectl handler's
boto3 and the AWS CLI v1, configured only by the process environment: the proxy variables, AWS_CA_BUNDLE,
static test credentials. Prints one JSON line: {"arn", "error"}.
"""
import json
import sys

import botocore.session


def main():
    entry = {"arn": "", "error": ""}
    try:
        session = botocore.session.get_session()
        sts = session.create_client("sts", region_name="us-east-1", endpoint_url=sys.argv[1])
        entry["arn"] = sts.get_caller_identity()["Arn"]
    except Exception as e:  # noqa: BLE001 - every failure is a result here
        entry["error"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(entry), flush=True)


if __name__ == "__main__":
    main()
