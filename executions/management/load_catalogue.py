"""What `manage.py generate_load` writes: people, runbooks and the values an operations team
would type, so searches in benchmarks hit realistic word and value frequencies.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

HUMANS = [
    "alice", "bob", "carol", "dmitri", "erin", "farid", "grace", "hiro", "ines", "jonas",
    "kavya", "lena", "mateo", "nadia", "oskar", "priya", "quinn", "rosa", "sven", "tariq",
    "uma", "viktor", "wen", "ximena", "yusuf", "zoe", "amara", "bruno", "chen", "dana",
    "elif", "felix", "gita", "hana", "ivan", "jade", "kofi", "lucia", "mika", "noor",
]  # fmt: skip
BOTS = ["ops-bot", "deploy-bot"]
# Seen only through shares: the "few records among a million" case of the benchmark.
AUDITORS = ["auditor", "manager"]
GROUPS = {
    "sre": ["alice", "bob", "carol", "dmitri", "erin", "farid", "grace", "manager"],
    "dba": ["hiro", "ines", "jonas", "kavya", "lena"],
    "network": ["mateo", "nadia", "oskar", "priya"],
}

REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-south-1"]
ENVIRONMENTS = ["staging", "production"]
CLUSTERS = [f"pg-{name}" for name in ("main", "billing", "analytics", "search", "auth", "events")]
K8S = [f"k8s-{region}" for region in REGIONS]
ZONES = ["example.com", "example.net", "corp.example.com", "api.example.com"]
SERVERS = (
    [f"web-{n:03d}" for n in range(1, 241)]
    + [f"db-{n:02d}" for n in range(1, 41)]
    + [f"cache-{n:02d}" for n in range(1, 31)]
    + [f"lb-{n:02d}" for n in range(1, 13)]
)

STEP_NOTES = [
    "Drained in {n} s, no errors.",
    "Active connections reached 0 after {n} s.",
    "Certificate serial 4F:{n:02X}:A1 installed, expires in 90 days.",
    "Replica lag {n} ms before switching.",
    "Health check green after {n} s.",
    "5xx rate stayed under 0.{n}% during the window.",
    "Backup written to s3://backups/{server}/{n}.tar.gz",
    "Had to retry once: timeout talking to the load balancer.",
    "Kernel {n}.{n}.0 booted cleanly on {server}.",
    "Disk usage went from {n}% to 41%.",
    "Paged the on-call DBA, lag recovered by itself.",
    "Checked with the release manager before continuing.",
    "Skipped: {server} was already out of the pool.",
    "Latency p99 back to {n} ms.",
]
RECORD_NOTES = [
    "Routine run, nothing unusual.",
    "Ran during the maintenance window for {ticket}.",
    "Customer-facing impact: none observed.",
    "Follow-up ticket opened for flaky health check on {server}.",
    "Rollback rehearsed, not needed.",
    "Slow DNS propagation; waited an extra {n} minutes.",
    "Failure reason: replica lag too high on {server}, aborted at step {step}.",
    "Failure reason: certificate chain incomplete, restored backup.",
]


@dataclass(frozen=True)
class Runbook:
    """A procedure of the catalogue: its variables, five steps and how often it runs."""

    title: str
    variables: str  # YAML front matter body
    steps: tuple[str, str, str, str, str]
    versions: int
    weight: int
    runners: str  # "bot", "deploy" or "humans"
    title_pattern: str = ""  # custom record title; default title otherwise


RUNBOOKS = [
    Runbook(
        "Web node health check",
        "  server: {required: true}\n",
        ("Check load on {{ server }}.", "Check disk space on {{ server }}.",
         "Check the nginx error log.", "Check certificate expiry.", "Record the result."),
        12, 30, "bot", "Nightly health check {server}",
    ),
    Runbook(
        "Deploy hotfix to web pool",
        "  release: {required: true}\n  batch: {type: number, default: 1}\n"
        "  region: {type: choice, choices: [" + ", ".join(REGIONS) + "]}\n",
        ("Announce the deploy of {{ release }}.", "Drain batch {{ batch }} in {{ region }}.",
         "Roll out {{ release }}.", "Run the smoke tests.", "Return the batch to the pool."),
        5, 12, "deploy", "Hotfix {release} rollout, batch {batch}",
    ),
    Runbook(
        "Rotate TLS certificate",
        "  server: {required: true}\n  port: {type: number, default: 443}\n"
        "  environment: {type: choice, choices: [staging, production], default: production}\n"
        "  admin_password: {type: secret}\n",
        ("Drain {{ server }} from the load balancer.", "Back up the current certificate.",
         "Install the new certificate on port {{ port }}.", "Verify the served chain.",
         "Return {{ server }} to the pool."),
        3, 10, "humans", "Rotate TLS certificate on {server} ({ticket})",
    ),
    Runbook(
        "Kernel patch and reboot",
        "  server: {required: true}\n  kernel: {default: '6.1.0'}\n",
        ("Drain {{ server }}.", "Install kernel {{ kernel }}.", "Reboot {{ server }}.",
         "Verify the running kernel.", "Return {{ server }} to the pool."),
        7, 10, "humans",
    ),
    Runbook(
        "Rotate log volumes",
        "  server: {required: true}\n",
        ("Check free space on {{ server }}.", "Compress old logs.", "Ship archives to S3.",
         "Delete shipped archives.", "Confirm free space."),
        2, 8, "humans",
    ),
    Runbook(
        "Drain and restore web node",
        "  server: {required: true}\n  ticket: {required: true}\n",
        ("Drain {{ server }} for {{ ticket }}.", "Wait for connections to close.",
         "Hand over to hardware.", "Run the health check.", "Return {{ server }} to the pool."),
        4, 6, "humans", "Drain for hardware ticket {ticket}",
    ),
    Runbook(
        "Fail over database cluster",
        "  cluster: {required: true}\n  region: {type: choice, choices: ["
        + ", ".join(REGIONS) + "]}\n  replica: {required: true}\n",
        ("Check replica lag on {{ replica }}.", "Stop writes to {{ cluster }}.",
         "Promote {{ replica }}.", "Repoint the connection pooler.", "Resume writes."),
        6, 5, "humans", "Failover {cluster} in {region} ({ticket})",
    ),
    Runbook(
        "Scale Kubernetes node pool",
        "  cluster: {required: true}\n  region: {type: choice, choices: ["
        + ", ".join(REGIONS) + "]}\n  nodes: {type: number, default: 3}\n",
        ("Check capacity of {{ cluster }}.", "Scale to {{ nodes }} nodes.",
         "Wait for nodes to be ready.", "Rebalance pods.", "Check alerts."),
        4, 5, "humans",
    ),
    Runbook(
        "Rotate database credentials",
        "  cluster: {required: true}\n  db_password: {type: secret}\n",
        ("Create the new role on {{ cluster }}.", "Store the password in Vault.",
         "Roll the application pods.", "Check connections use the new role.",
         "Drop the old role."),
        2, 4, "humans",
    ),
    Runbook(
        "Renew DNS zone keys",
        "  zone: {required: true}\n",
        ("Generate new keys for {{ zone }}.", "Publish the DNSKEY records.",
         "Wait two TTLs.", "Update the DS record at the registrar.", "Retire the old keys."),
        3, 3, "humans",
    ),
    Runbook(
        "Restore nginx configuration",
        "  server: {required: true}\n  ticket: {required: true}\n",
        ("Find the last good config for {{ server }}.", "Copy it into place.",
         "Test the configuration.", "Reload nginx.", "Note the cause in {{ ticket }}."),
        1, 4, "humans", "Restore nginx config after incident {ticket}",
    ),
    Runbook(
        "Restore from backup",
        "  cluster: {required: true}\n  snapshot: {required: true}\n  ticket: {required: true}\n",
        ("Confirm the restore with the owner in {{ ticket }}.", "Stop writes to {{ cluster }}.",
         "Restore {{ snapshot }}.", "Verify row counts.", "Resume writes."),
        2, 3, "humans",
    ),
]  # fmt: skip


def runbook_body(runbook: Runbook, number: int) -> str:
    """The Markdown of one version: front matter, a heading, five steps, a changing footer."""
    steps = "\n".join(f"{n}. {text}" for n, text in enumerate(runbook.steps, start=1))
    return (
        f"---\nvariables:\n{runbook.variables}---\n# {runbook.title}\n\n{steps}\n\n"
        f"Revision {number}: reviewed by the SRE team.\n"
    )


def values_for(runbook: Runbook, rng: random.Random) -> dict[str, str]:
    """Stored values for one run: text, secrets already masked, as clean_values leaves them."""
    ticket = f"CHG-{rng.randint(10000, 99999)}"
    pool = {
        "server": lambda: rng.choice(SERVERS),
        "port": lambda: rng.choice(["443", "443", "443", "8443"]),
        "environment": lambda: rng.choice(ENVIRONMENTS),
        "admin_password": lambda: "••••••",
        "db_password": lambda: "••••••",
        "release": lambda: f"4.{rng.randint(10, 40)}.{rng.randint(0, 9)}",
        "batch": lambda: str(rng.randint(1, 6)),
        "region": lambda: rng.choice(REGIONS),
        "kernel": lambda: rng.choice(["6.1.0", "6.1.0", "6.6.15", "5.15.0"]),
        "ticket": lambda: ticket,
        "cluster": lambda: rng.choice(K8S if "Kubernetes" in runbook.title else CLUSTERS),
        "replica": lambda: f"{rng.choice(CLUSTERS)}-replica-{rng.randint(1, 3)}",
        "nodes": lambda: str(rng.randint(3, 24)),
        "zone": lambda: rng.choice(ZONES),
        "snapshot": lambda: f"snap-{rng.getrandbits(32):08x}",
    }
    names = [line.split(":")[0].strip() for line in runbook.variables.splitlines()]
    return {name: pool[name]() for name in names}


def fill(template: str, values: dict[str, str], rng: random.Random) -> str:
    return template.format(
        n=rng.randint(2, 99),
        step=rng.randint(1, 5),
        server=values.get("server") or values.get("cluster") or "web-001",
        ticket=values.get("ticket") or f"CHG-{rng.randint(10000, 99999)}",
        release=values.get("release", ""),
        batch=values.get("batch", ""),
        cluster=values.get("cluster", ""),
        region=values.get("region", ""),
    )
