"""CloudFormation custom resource: the Kubernetes Secret that gives pods the proxy credentials.

The credentials are read from AWS Secrets Manager here, at deploy time, and written to the cluster
through its private API endpoint; they never appear in the template, in the function's configuration or
in a log line. The Kubernetes API is called with an EKS token (a presigned STS GetCallerIdentity URL,
as `aws eks get-token` makes it), authorised by a namespaced Role for that one Secret (the access entry
puts this function's role in a Kubernetes group bound to it).

Everything the handler acts on comes from the function's configuration (environment variables set by
lib/credentials/kubernetes-secret.ts): the cluster, its endpoint and CA, the secret, the URLs, the
Secret's namespace and name. From the event it takes only what CloudFormation's protocol needs to
answer: RequestType, ResponseURL, StackId, RequestId, LogicalResourceId, PhysicalResourceId. Whoever may
invoke the function can therefore not make it send its token or the credentials to another host.
Only the standard library and the runtime's boto3 are used.
"""
import base64
import json
import os
import ssl
import urllib.error
import urllib.request

import boto3
from botocore.config import Config
from botocore.signers import RequestSigner

# proxy_auth.py sits next to this file in the asset (copied from lib/credentials/python at synth).
from proxy_auth import AWS_CLIENT_CONFIG, HTTP_TIMEOUT_SECONDS, PROXY_VARIABLES, encoded_auth, with_credentials

# The function's configuration: our name for each value, and its environment variable.
CONFIGURATION = {
    "ClusterName": "CDK_PRIVATE_EKS_CLUSTER_NAME",
    "Endpoint": "CDK_PRIVATE_EKS_CLUSTER_ENDPOINT",
    "CertificateAuthority": "CDK_PRIVATE_EKS_CLUSTER_CA",
    "SecretArn": "CDK_PRIVATE_EKS_PROXY_SECRET_ARN",
    "UsernameKey": "CDK_PRIVATE_EKS_PROXY_USERNAME_KEY",
    "PasswordKey": "CDK_PRIVATE_EKS_PROXY_PASSWORD_KEY",
    "HttpProxy": "CDK_PRIVATE_EKS_SECRET_HTTP_PROXY",
    "HttpsProxy": "CDK_PRIVATE_EKS_SECRET_HTTPS_PROXY",
    "Namespace": "CDK_PRIVATE_EKS_SECRET_NAMESPACE",
    "Name": "CDK_PRIVATE_EKS_SECRET_NAME",
}


def configuration():
    """The values the handler acts on, from the function's environment only; a missing one is our error."""
    missing = [variable for variable in CONFIGURATION.values() if not os.environ.get(variable)]
    if missing:
        raise RuntimeError("the function's configuration lacks " + ", ".join(missing))
    return {key: os.environ[variable] for key, variable in CONFIGURATION.items()}


def secret_data(props):
    """The Secret's data: the proxy URLs with URL-encoded credentials, base64 as Kubernetes wants."""
    client = boto3.client("secretsmanager", config=Config(**AWS_CLIENT_CONFIG))
    value = client.get_secret_value(SecretId=props["SecretArn"])
    values = json.loads(value["SecretString"])
    auth = encoded_auth(values, props["UsernameKey"], props["PasswordKey"])
    urls = {"HTTP_PROXY": props["HttpProxy"], "HTTPS_PROXY": props["HttpsProxy"]}
    urls.update({"http_proxy": props["HttpProxy"], "https_proxy": props["HttpsProxy"]})
    return {k: base64.b64encode(with_credentials(urls[k], auth).encode()).decode() for k in PROXY_VARIABLES}


def eks_token(cluster_name):
    """A bearer token for the EKS API server (k8s-aws-v1.<base64url presigned STS URL>)."""
    session = boto3.session.Session()
    sts = session.client("sts")
    signer = RequestSigner(sts.meta.service_model.service_id, session.region_name, "sts", "v4",
                           session.get_credentials(), session.events)
    url = signer.generate_presigned_url(
        {"method": "GET", "url": f"{sts.meta.endpoint_url}/?Action=GetCallerIdentity&Version=2011-06-15",
         "body": {}, "headers": {"x-k8s-aws-id": cluster_name}, "context": {}},
        region_name=session.region_name, expires_in=60, operation_name="")
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def kube(props, method, path, body=None):
    """One Kubernetes API call; returns the HTTP status."""
    context = ssl.create_default_context(cadata=base64.b64decode(props["CertificateAuthority"]).decode())
    request = urllib.request.Request(
        props["Endpoint"] + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": "Bearer " + eks_token(props["ClusterName"]), "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, context=context, timeout=HTTP_TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def apply_secret(props):
    namespace, name = props["Namespace"], props["Name"]
    body = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace,
                         "labels": {"app.kubernetes.io/managed-by": "cdk-private-eks"}},
            "data": secret_data(props)}
    base = f"/api/v1/namespaces/{namespace}/secrets"
    status = kube(props, "PUT", f"{base}/{name}", body)
    if status == 404:
        status = kube(props, "POST", base, body)
    if status >= 300:
        raise RuntimeError(f"the Kubernetes API answered {status} for Secret {namespace}/{name}")


def delete_secret(props):
    status = kube(props, "DELETE", f"/api/v1/namespaces/{props['Namespace']}/secrets/{props['Name']}")
    if status >= 300 and status != 404:
        raise RuntimeError(f"the Kubernetes API answered {status} deleting Secret {props['Namespace']}/{props['Name']}")


def respond(event, status, reason, physical_id):
    """Send the result to CloudFormation's presigned S3 URL (reached through the S3 gateway endpoint)."""
    body = json.dumps({
        "Status": status, "Reason": reason[:1000], "PhysicalResourceId": physical_id,
        "StackId": event["StackId"], "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"], "NoEcho": True, "Data": {},
    }).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                     headers={"Content-Type": "", "Content-Length": str(len(body))})
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS):
        pass


def handler(event, context):
    # Never event["ResourceProperties"]: whatever an invoker puts there is ignored.
    physical_id = event.get("PhysicalResourceId") or "proxy-credentials-secret"
    try:
        props = configuration()
        physical_id = f"{props['Namespace']}/{props['Name']}"
        if event["RequestType"] == "Delete":
            delete_secret(props)
        else:
            apply_secret(props)
        respond(event, "SUCCESS", "", physical_id)
    except Exception as error:  # never echo a value: only the type and our own message
        message = str(error) if isinstance(error, RuntimeError) else type(error).__name__
        print(f"proxy credentials Secret {physical_id}: {message}")
        respond(event, "FAILED", message, event.get("PhysicalResourceId", physical_id))
