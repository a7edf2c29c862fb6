"""CloudFormation custom resource: before any node group is created, check from the node subnets (with the
nodes' security group) what nodes will need, and fail the stack within minutes, naming what is wrong.

Checks, in parallel, each with a short timeout:
- every interface endpoint host resolves to addresses inside the VPC and accepts TCP on 443 (a missing
  endpoint, private DNS off, or a security group that drops 443 shows here, not after a 20-minute node
  group timeout);
- every gateway endpoint host (S3) accepts TCP on 443: in a VPC without another way out, only the gateway
  route makes that possible;
- the proxy accepts a TCP connection and, when a test domain is configured, answers `CONNECT domain:443`
  with 200, with the proxy's credentials when it has some (read from Secrets Manager as the nodes read them).

Configured only through the function's environment (computed at synth, deploy-time values resolved by
CloudFormation); the event's ResourceProperties are never read. Create and Update run the checks; Delete
succeeds at once. Standard library only, plus boto3 (in the Lambda runtime) when the proxy has credentials.
The proxy password is never printed or returned.
"""
import base64
import concurrent.futures
import ipaddress
import json
import os
import socket
import urllib.parse
import urllib.request

# proxy_auth.py sits next to this file in the asset (copied from lib/credentials/python at synth).
from proxy_auth import AWS_CLIENT_CONFIG, HTTP_TIMEOUT_SECONDS

PREFIX = "CDK_PRIVATE_EKS_PREFLIGHT_"
CONNECT_TIMEOUT_SECONDS = 5
# Everything must be answered well within the custom resource's service timeout (lib/preflight/preflight.ts).
CHECKS_TIMEOUT_SECONDS = 60
REASON_MAX = 3000


def env_list(name):
    return [v for v in os.environ.get(PREFIX + name, "").split(",") if v]


def resolve(host):
    """The IP addresses of host, or raise with the reason."""
    try:
        infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise RuntimeError(f"{host} does not resolve ({error.strerror})") from None
    return sorted({info[4][0] for info in infos})


def connect(address, port):
    with socket.create_connection((address, port), timeout=CONNECT_TIMEOUT_SECONDS):
        pass


def check_interface_host(host, networks):
    addresses = resolve(host)
    outside = [a for a in addresses if not any(ipaddress.ip_address(a) in n for n in networks)]
    if outside:
        return (f"{host} resolves to {', '.join(outside)}, outside the VPC: the interface endpoint is missing or "
                "its private DNS is off. Add the service to the cluster's endpoints (EndpointSet), with private DNS")
    try:
        connect(addresses[0], 443)
    except OSError as error:
        return (f"{host} ({addresses[0]}) does not accept connections on 443 ({error.strerror or error}): allow "
                "HTTPS from the nodes' security group in the endpoint's security group")
    return None


def check_gateway_host(host):
    try:
        addresses = resolve(host)
        connect(addresses[0], 443)
    except (OSError, RuntimeError) as error:
        return (f"{host} is not reachable on 443 ({getattr(error, 'strerror', None) or error}): the S3 gateway "
                "endpoint has no route in the node subnets' route tables, or its policy or a network ACL blocks it")
    return None


def proxy_authorization():
    arn = os.environ.get("CDK_PRIVATE_EKS_PROXY_SECRET_ARN")
    if not arn:
        return None
    import boto3  # only with credentials; in the Lambda runtime
    from botocore.config import Config
    client = boto3.client("secretsmanager", config=Config(**AWS_CLIENT_CONFIG))
    values = json.loads(client.get_secret_value(SecretId=arn)["SecretString"])
    user = values[os.environ["CDK_PRIVATE_EKS_PROXY_USERNAME_KEY"]]
    password = values[os.environ["CDK_PRIVATE_EKS_PROXY_PASSWORD_KEY"]]
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def check_proxy(proxy_url, domain):
    parts = urllib.parse.urlsplit(proxy_url)
    host_port = parts.netloc
    try:
        sock = socket.create_connection((parts.hostname, parts.port), timeout=CONNECT_TIMEOUT_SECONDS)
    except OSError as error:
        return (f"the proxy {host_port} does not accept connections ({error.strerror or error}): check its address, "
                "that it runs, and that its security group allows the nodes' security group")
    with sock:
        if not domain:
            return None
        try:
            authorization = proxy_authorization()
        except Exception as error:  # the secret's text never appears: only the type
            return (f"the proxy credentials cannot be read from Secrets Manager ({type(error).__name__}): "
                    "check the secret and the Secrets Manager endpoint")
        request = f"CONNECT {domain}:443 HTTP/1.1\r\nHost: {domain}:443\r\n"
        if authorization:
            request += f"Proxy-Authorization: {authorization}\r\n"
        try:
            sock.sendall((request + "\r\n").encode())
            status_line = sock.makefile("rb").readline(200).decode("latin-1").strip()
        except OSError as error:
            return f"the proxy {host_port} did not answer CONNECT {domain}:443 ({error.strerror or error})"
        parts = status_line.split(" ", 2)
        status = parts[1] if len(parts) > 1 else "no status"
        if status == "200":
            return None
        hint = {
            "407": "it wants credentials: give ProxySettings credentials, or check the secret's values",
            "403": f"it refuses {domain}: allow the domain in the proxy",
        }.get(status, "check the proxy's rules for this domain")
        return f"the proxy {host_port} answered {status} to CONNECT {domain}:443: {hint}"


def run_checks():
    networks = [ipaddress.ip_network(c, strict=False) for c in env_list("VPC_CIDRS")]
    jobs = [(check_interface_host, (h, networks)) for h in env_list("INTERFACE_HOSTS")]
    jobs += [(check_gateway_host, (h,)) for h in env_list("GATEWAY_HOSTS")]
    proxy = os.environ.get(PREFIX + "PROXY_URL", "")
    if proxy:
        jobs.append((check_proxy, (proxy, os.environ.get(PREFIX + "CONNECT_DOMAIN", ""))))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=16)
    futures = [pool.submit(fn, *args) for fn, args in jobs]
    done, pending = concurrent.futures.wait(futures, timeout=CHECKS_TIMEOUT_SECONDS)
    pool.shutdown(wait=False, cancel_futures=True)
    problems = []
    for future in futures:
        if future in pending:
            problems.append("a check did not finish in time")
        elif future.exception() is not None:
            problems.append(f"a check failed: {type(future.exception()).__name__}: {future.exception()}")
        elif future.result():
            problems.append(future.result())
    return problems


def respond(event, status, reason):
    """PUT the result to CloudFormation's presigned S3 URL: directly (S3 gateway endpoint), else via the proxy."""
    body = json.dumps({
        "Status": status, "Reason": reason[:REASON_MAX], "PhysicalResourceId": "cdk-private-eks-preflight",
        "StackId": event["StackId"], "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"], "Data": {},
    }).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                     headers={"Content-Type": "", "Content-Length": str(len(body))})
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        direct.open(request, timeout=HTTP_TIMEOUT_SECONDS).close()
    except OSError:
        proxy = os.environ.get(PREFIX + "PROXY_URL", "")
        if not proxy:
            raise
        via = urllib.request.build_opener(urllib.request.ProxyHandler({"https": proxy, "http": proxy}))
        via.open(request, timeout=HTTP_TIMEOUT_SECONDS).close()


def handler(event, context):
    if event["RequestType"] == "Delete":
        respond(event, "SUCCESS", "")
        return
    try:
        problems = run_checks()
    except Exception as error:  # never a value: the type only
        problems = [f"the preflight itself failed ({type(error).__name__})"]
    if problems:
        reason = "Nodes would not join: " + "; ".join(problems)
        print(reason)
        respond(event, "FAILED", reason + " (turn the check off with preflight: { enabled: false })")
    else:
        print("preflight: every check passed")
        respond(event, "SUCCESS", "")
